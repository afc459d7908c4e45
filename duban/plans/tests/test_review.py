"""The review services: what the office does to the engine's proposals before 立项.

Each test sets up through the real pipeline (``ingest_document`` + ``propose_plan``) on a
short report written for these tests, then calls the service as the office would.
"""

from __future__ import annotations

import datetime as dt

import pytest

from duban.core.models import AuditEntry, ConflictError
from duban.documents.services import ingest_document
from duban.org.services import create_user
from duban.plans import access, review
from duban.plans.choices import PlanStatus, TaskStatus
from duban.plans.models import Assignment, FrameworkNode, Task
from duban.plans.services import propose_plan

REPORT = """关于2026年重点工作的报告

一、重点任务

（一）扩大有效投资。

今年要加快推进重大项目建设。

年底前完成城东水厂二期工程。

要着力优化营商环境，6月底前出台促进民间投资的若干措施。

（二）提振消费。

要大力促进消费扩容提质。

办好城市消费节系列活动。

支持外贸企业开拓新兴市场。

力争进出口总额增长5%。

（三）财政保障。

要加强预算绩效管理。

严控一般性支出。
"""
# One commitment per paragraph above, so that each review action has its own task; the
# engine folds the clauses of one sentence into one task (see duban/extract).

# The same report after the author's edits: a preface added (every offset moves), a space
# typed inside a sentence, one sentence added.
EDITED = (
    REPORT.replace("一、重点任务", "本报告经市政府常务会议讨论修改。\n\n一、重点任务")
    .replace("要大力促进消费扩容提质。", "要大力促进消费 扩容提质。")
    .replace("严控一般性支出。", "严控一般性支出。要全面实施零基预算改革。")
)


@pytest.fixture
def office(units):
    return create_user("rv_office", password="x", unit=units["office"], role="office")


@pytest.fixture
def document(db, media_root, office):
    return ingest_document(REPORT.encode("utf-8"), filename="report.txt", date=dt.date(2026, 2, 10))


@pytest.fixture
def proposed(document, office):
    return propose_plan(document, title="2026年重点工作", actor=office)


def by_text(plan, start: str) -> Task:
    return plan.tasks.get(text__startswith=start)


def live(plan):
    return plan.tasks.exclude(status=TaskStatus.REJECTED).order_by("sort_order")


def test_the_fixture_report_gives_the_expected_proposals(proposed):
    texts = list(proposed.tasks.order_by("sort_order").values_list("text", flat=True))
    assert texts[0] == "今年要加快推进重大项目建设"
    assert "严控一般性支出" in texts
    assert len(texts) == 9
    assert set(proposed.tasks.values_list("status", flat=True)) == {TaskStatus.PROPOSED}


def test_accept_and_reject_are_audited_and_a_rejected_task_is_kept(proposed, office):
    t1 = by_text(proposed, "今年要加快")
    t2 = by_text(proposed, "办好城市消费节")
    review.accept_task(t1, actor=office)
    review.reject_task(t2, actor=office, note="不是本级任务")
    t1.refresh_from_db()
    t2.refresh_from_db()
    assert t1.status == TaskStatus.CONFIRMED
    assert t2.status == TaskStatus.REJECTED
    assert review.review_note(t2) == "不是本级任务"
    events = set(AuditEntry.objects.filter(action="event").values_list("event", flat=True))
    assert {"task_accepted", "task_rejected"} <= events
    entry = AuditEntry.for_object(t2).filter(action="update").first()
    assert entry.actor == office and entry.before["status"] == "proposed"
    # accepting again restores a rejected task
    review.accept_task(t2, actor=office)
    t2.refresh_from_db()
    assert t2.status == TaskStatus.CONFIRMED


def test_edit_changes_text_and_deadline_and_keeps_the_fingerprint(proposed, office):
    task = by_text(proposed, "严控一般性支出")
    key = task.extraction_key
    review.edit_task(
        task,
        actor=office,
        version=task.version,
        text="严控一般性支出，压减5%以上",
        deadline=dt.date(2026, 12, 31),
        deadline_text="年底前",
    )
    task.refresh_from_db()
    assert task.text == "严控一般性支出，压减5%以上"
    assert task.deadline == dt.date(2026, 12, 31) and task.deadline_text == "年底前"
    assert task.extraction_key == key


def test_a_stale_edit_is_refused_and_loses_nothing(proposed, office):
    task = by_text(proposed, "严控一般性支出")
    mine = Task.objects.get(pk=task.pk)
    theirs = Task.objects.get(pk=task.pk)
    review.edit_task(theirs, actor=office, version=theirs.version, text="他人先改的文字")
    with pytest.raises(ConflictError):
        review.edit_task(mine, actor=office, version=mine.version, text="我的文字")
    task.refresh_from_db()
    assert task.text == "他人先改的文字"
    with pytest.raises(review.ReviewError):
        review.edit_task(task, actor=office, version=task.version, text="   ")


def test_merge_joins_texts_widens_the_span_and_rejects_the_others(proposed, office, document):
    a = by_text(proposed, "要大力促进消费")
    b = by_text(proposed, "办好城市消费节")
    c = by_text(proposed, "支持外贸企业")
    merged = review.merge_tasks([a, b, c], actor=office)
    assert merged.pk == a.pk
    assert merged.text == "要大力促进消费扩容提质；办好城市消费节系列活动；支持外贸企业开拓新兴市场"
    assert (merged.source_start, merged.source_end) == (a.source_start, c.source_end)
    covered = document.normalized_text[merged.source_start : merged.source_end]
    assert covered.startswith("要大力促进消费") and covered.endswith("开拓新兴市场")
    assert 0 <= merged.source_start < merged.source_end <= len(document.normalized_text)
    for other in (b, c):
        other.refresh_from_db()
        assert other.status == TaskStatus.REJECTED
        assert review.review_note(other) == f"已合并入 {merged.code}"
    # the node is numbered 1, 2 … again without the merged-away tasks
    codes = list(
        live(proposed).filter(framework_node=a.framework_node).values_list("code", flat=True)
    )
    prefix = a.framework_node.code
    assert codes == [f"{prefix}.{i}" for i in range(1, len(codes) + 1)]


def test_merge_with_a_given_text_and_refusals(proposed, office):
    a = by_text(proposed, "要加强预算")
    b = by_text(proposed, "严控一般性支出")
    merged = review.merge_tasks([a, b], actor=office, text="加强预算管理，严控一般性支出")
    assert merged.text == "加强预算管理，严控一般性支出"
    with pytest.raises(review.ReviewError):
        review.merge_tasks([merged], actor=office)
    b.refresh_from_db()
    with pytest.raises(review.ReviewError):  # b is rejected now
        review.merge_tasks([merged, b], actor=office)


def test_split_reuses_the_original_and_keeps_the_span(proposed, office, document):
    task = by_text(proposed, "要着力优化营商环境")
    after = by_text(proposed, "要大力促进消费")
    parts = review.split_task(
        task, actor=office, parts=["着力优化营商环境", "6月底前出台促进民间投资的若干措施", ""]
    )
    assert [p.text for p in parts] == ["着力优化营商环境", "6月底前出台促进民间投资的若干措施"]
    assert parts[0].pk == task.pk
    new = parts[1]
    assert new.status == TaskStatus.PROPOSED
    assert (new.source_document_id, new.source_start, new.source_end) == (
        document.pk,
        task.source_start,
        task.source_end,
    )
    assert new.framework_node_id == task.framework_node_id
    assert new.source_end <= len(document.normalized_text)
    order = list(proposed.tasks.order_by("sort_order").values_list("pk", flat=True))
    assert order.index(new.pk) == order.index(task.pk) + 1
    assert order.index(after.pk) > order.index(new.pk)
    node_codes = list(
        live(proposed).filter(framework_node=task.framework_node).values_list("code", flat=True)
    )
    assert len(node_codes) == len(set(node_codes)) == 4
    with pytest.raises(review.ReviewError):
        review.split_task(new, actor=office, parts=["only one"])


def test_move_reparents_and_renumbers_both_nodes(proposed, office):
    task = by_text(proposed, "今年要加快")
    target = FrameworkNode.objects.get(plan=proposed, name="财政保障")
    source = task.framework_node
    review.move_task(task, actor=office, framework_node=target)
    task.refresh_from_db()
    assert task.framework_node == target
    assert task.code == f"{target.code}.3"
    assert list(live(proposed).filter(framework_node=source).values_list("code", flat=True)) == [
        f"{source.code}.1",
        f"{source.code}.2",
    ]
    from duban.plans.models import Plan

    other_plan = Plan.objects.create(title="别的方案")
    foreign = FrameworkNode.objects.create(plan=other_plan, name="外部", code="9")
    with pytest.raises(review.ReviewError):
        review.move_task(task, actor=office, framework_node=foreign)


def test_add_by_hand_has_no_source_span(proposed, office):
    node = FrameworkNode.objects.get(plan=proposed, name="财政保障")
    task = review.add_task(proposed, actor=office, text="建立财政资金直达机制", framework_node=node)
    assert task.status == TaskStatus.PROPOSED
    assert task.source_document is None and task.source_start is None
    assert task.code == f"{node.code}.3"
    with pytest.raises(review.ReviewError):
        review.add_task(proposed, actor=office, text="  ")


def test_confirm_assigns_chosen_or_suggested_leads(proposed, office, units):
    chosen = by_text(proposed, "今年要加快")  # engine suggests 市发改委; the office picks 商务局
    review.set_lead_from_suggestion(chosen, actor=office, unit=units["sw"])
    suggested = by_text(proposed, "要加强预算")  # engine: 市财政局
    nobody = by_text(proposed, "严控一般性支出")  # no suggestion at all
    rejected = by_text(proposed, "办好城市消费节")
    review.reject_task(rejected, actor=office)

    result = review.confirm_plan_with_assignments(proposed, actor=office)

    proposed.refresh_from_db()
    assert proposed.status == PlanStatus.CONFIRMED and proposed.confirmed_by == office
    assert Assignment.objects.get(task=chosen).lead_unit == units["sw"]
    assert Assignment.objects.get(task=suggested).lead_unit == units["cz"]
    assert nobody in result.unassigned and not Assignment.objects.filter(task=nobody).exists()
    assert not Assignment.objects.filter(task=rejected).exists()
    rejected.refresh_from_db()
    assert rejected.status == TaskStatus.REJECTED
    assert not proposed.tasks.filter(status=TaskStatus.PROPOSED).exists()
    assert len(result.assigned) == proposed.tasks.filter(assignment__isnull=False).count()


def test_reextracting_an_edited_document_never_duplicates_confirmed_tasks(
    proposed, office, document
):
    kept = by_text(proposed, "今年要加快")
    review.accept_task(kept, actor=office)
    review.reject_task(by_text(proposed, "办好城市消费节"), actor=office)
    review.edit_task(
        by_text(proposed, "要加强预算"), actor=office, version=by_text(proposed, "要加强预算").version,
        text="加强预算绩效管理（已改写）",
    )  # fmt: skip
    review.confirm_plan_with_assignments(proposed, actor=office)
    confirmed_before = set(
        proposed.tasks.filter(status=TaskStatus.CONFIRMED).values_list("pk", "text")
    )
    count_before = proposed.tasks.count()

    edited = ingest_document(
        EDITED.encode("utf-8"), filename="report-v2.txt", date=dt.date(2026, 2, 10)
    )
    result = review.reextract(proposed, edited, actor=office)
    # once more: re-running the same re-extraction adds nothing at all
    again = review.reextract(proposed, edited, actor=office)

    assert result.added == 1 and again.added == 0
    assert proposed.tasks.count() == count_before + 1
    new = proposed.tasks.get(text="要全面实施零基预算改革")
    assert new.status == TaskStatus.PROPOSED and new.source_document == edited
    assert edited.normalized_text[new.source_start : new.source_end] == new.text
    # confirmed tasks are neither duplicated nor changed; the rejected one is not revived
    after = set(proposed.tasks.filter(status=TaskStatus.CONFIRMED).values_list("pk", "text"))
    assert after == confirmed_before
    texts = list(proposed.tasks.values_list("text", flat=True))
    assert texts.count("办好城市消费节系列活动") == 1
    assert texts.count("今年要加快推进重大项目建设") == 1
    assert set(proposed.documents.all()) == {document, edited}


def test_reextract_points_open_proposals_at_the_new_text(document, office):
    from duban.plans.models import Plan

    plan = Plan.objects.create(title="重提方案")
    propose_plan(document, plan=plan, actor=office)
    edited = ingest_document(EDITED.encode("utf-8"), filename="v2.txt", date=dt.date(2026, 2, 10))
    result = review.reextract(plan, edited, actor=office)
    assert result.relinked >= 1
    for task in plan.tasks.filter(source_document=edited):
        assert 0 <= task.source_start < task.source_end <= len(edited.normalized_text)
        span = edited.normalized_text[task.source_start : task.source_end]
        assert "".join(span.split()) == "".join(task.text.split())


@pytest.mark.parametrize("role", ["clerk", "unit_leader", "viewer", "leader"])
def test_nobody_but_the_office_can_review(proposed, office, units, role):
    unit = units["sw"] if role in ("clerk", "unit_leader") else units["root"]
    user = create_user(f"rv_{role}", password="x", unit=unit, role=role)
    task = by_text(proposed, "要大力促进消费")
    other = by_text(proposed, "办好城市消费节")
    # an assigned task of the user's own unit: visible, so "not allowed" rather than hidden
    Assignment.objects.create(task=other, lead_unit=units["sw"])
    node = FrameworkNode.objects.filter(plan=proposed).first()
    calls = [
        lambda t: review.accept_task(t, actor=user),
        lambda t: review.reject_task(t, actor=user),
        lambda t: review.edit_task(t, actor=user, version=t.version, text="改"),
        lambda t: review.merge_tasks([t, by_text(proposed, "支持外贸")], actor=user),
        lambda t: review.split_task(t, actor=user, parts=["一", "二"]),
        lambda t: review.move_task(t, actor=user, framework_node=node),
        lambda t: review.set_lead_from_suggestion(t, actor=user, unit=units["sw"]),
    ]
    for call in calls:
        for target in (task, other):
            with pytest.raises((access.NotFound, access.NotAllowed)):
                call(target)
    with pytest.raises(access.NotAllowed):
        review.add_task(proposed, actor=user, text="越权添加")
    with pytest.raises(access.NotAllowed):
        review.confirm_plan_with_assignments(proposed, actor=user)
    with pytest.raises(access.NotAllowed):
        review.reextract(proposed, proposed.documents.first(), actor=user)
    task.refresh_from_db()
    assert task.status == TaskStatus.PROPOSED and task.text == "要大力促进消费扩容提质"
    proposed.refresh_from_db()
    assert proposed.status == PlanStatus.DRAFT


def test_a_unit_user_gets_not_found_for_an_unassigned_proposal(proposed, units):
    clerk = create_user("rv_clerk2", password="x", unit=units["sw"], role="clerk")
    with pytest.raises(access.NotFound):
        review.accept_task(by_text(proposed, "要大力促进消费"), actor=clerk)
