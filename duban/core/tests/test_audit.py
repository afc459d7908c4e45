"""The audit log records every change with before/after values and cannot be rewritten."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from duban.core.audit import acting_as, record_event
from duban.core.models import AuditEntry, ConflictError
from duban.plans.models import Assignment, Task


def entries(obj):
    return list(AuditEntry.for_object(obj).order_by("id"))


def test_create_update_delete_of_a_task_are_recorded_with_before_and_after(plan, office_user):
    with acting_as(office_user):
        task = Task.objects.create(plan=plan, code="1.1", text="建设城市更新重点工程")
        task = Task.objects.get(pk=task.pk)
        task.text = "加快建设城市更新重点工程"
        task.deadline_text = "年底前"
        task.save()
        pk = task.pk
        task.delete()

    rows = list(
        AuditEntry.objects.filter(object_type="plans.task", object_id=str(pk)).order_by("id")
    )
    assert [r.action for r in rows] == ["create", "update", "delete"]
    created, updated, deleted = rows
    assert created.before is None and created.after["text"] == "建设城市更新重点工程"
    assert updated.before["text"] == "建设城市更新重点工程"
    assert updated.after["text"] == "加快建设城市更新重点工程"
    assert updated.changed == ["deadline_text", "text"]
    assert deleted.before["text"] == "加快建设城市更新重点工程" and deleted.after is None
    assert all(r.actor_id == office_user.pk for r in rows)
    assert created.actor_name == str(office_user)


def test_saving_without_a_change_writes_no_update_entry(task):
    task = Task.objects.get(pk=task.pk)
    task.save()
    assert [e.action for e in entries(task)] == ["create"]


def test_co_unit_changes_are_recorded(task, units, office_user):
    with acting_as(office_user):
        a = Assignment.objects.create(task=task, lead_unit=units["fgw"])
        a.co_units.set([units["sw"], units["cz"]])
        a.co_units.remove(units["cz"])
    m2m = [e for e in entries(a) if e.action == "update"]
    assert m2m[0].before == {"co_units": []}
    assert m2m[0].after == {"co_units": sorted([units["sw"].pk, units["cz"].pk])}
    assert m2m[1].after == {"co_units": [units["sw"].pk]}


def test_a_rolled_back_change_leaves_no_audit_row(task):
    before = AuditEntry.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        t = Task.objects.get(pk=task.pk)
        t.text = "改动"
        t.save()
        raise RuntimeError("abort")
    assert AuditEntry.objects.count() == before
    assert Task.objects.get(pk=task.pk).text == task.text


def test_audit_rows_cannot_be_edited_or_deleted_through_the_orm(task):
    entry = entries(task)[0]
    entry.note = "篡改"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.filter(pk=entry.pk).update(note="篡改")
    with pytest.raises(PermissionError):
        AuditEntry.objects.filter(pk=entry.pk).delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.bulk_update([entry], ["note"])
    assert AuditEntry.objects.get(pk=entry.pk).note == ""


def test_the_database_refuses_an_update_of_an_audit_row(task):
    entry = entries(task)[0]
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
        cur.execute("UPDATE core_auditentry SET note = %s WHERE id = %s", ["篡改", entry.pk])
    assert AuditEntry.objects.get(pk=entry.pk).note == ""


def test_business_events_are_recorded_beside_row_changes(task, office_user):
    with acting_as(office_user):
        record_event(task, "notice_issued", note="催办", data={"level": "chase"})
    event = entries(task)[-1]
    assert (event.action, event.event, event.after) == (
        "event",
        "notice_issued",
        {"level": "chase"},
    )


def test_a_stale_write_is_refused_and_loses_nothing(task):
    first = Task.objects.get(pk=task.pk)
    second = Task.objects.get(pk=task.pk)
    first.text = "甲的修改"
    first.save()
    second.text = "乙的修改"
    with pytest.raises(ConflictError) as info:
        second.save()
    assert info.value.expected == 1 and info.value.found == 2
    assert "已被他人修改" in str(info.value)
    stored = Task.objects.get(pk=task.pk)
    assert stored.text == "甲的修改" and stored.version == 2
    # After reloading, the second writer can save on top of the first.
    second = Task.objects.get(pk=task.pk)
    second.text = "乙的修改"
    second.save()
    assert Task.objects.get(pk=task.pk).version == 3


def test_a_stale_instance_does_not_write_back_the_derived_light(task):
    loaded_before = Task.objects.get(pk=task.pk)
    Task.objects.filter(pk=task.pk).update(light="red", light_reason="逾期")
    loaded_before.text = "改了文字"
    loaded_before.save()
    stored = Task.objects.get(pk=task.pk)
    assert (stored.text, stored.light, stored.light_reason) == ("改了文字", "red", "逾期")
