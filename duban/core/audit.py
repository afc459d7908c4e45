"""Who did what, when, and what it was before.

Audit is by construction: every model that derives from :class:`AuditedModel` writes an
:class:`~duban.core.models.AuditEntry` in the same transaction as its own save or delete,
so nobody has to remember to log and a rolled-back change leaves no audit row behind.
The acting user comes from a context variable set by the web middleware, the CLI and the
worker (:func:`acting_as`), so services need not thread it through every call.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import decimal
import uuid
from collections.abc import Iterator
from typing import Any

from django.db import models

_actor: contextvars.ContextVar[Any] = contextvars.ContextVar("duban_actor", default=None)
_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("duban_request", default="")


@contextlib.contextmanager
def acting_as(user: Any, request_id: str = "") -> Iterator[None]:
    """Attribute every audited change inside the block to ``user``."""
    t1 = _actor.set(user if getattr(user, "is_authenticated", False) else None)
    t2 = _request_id.set(request_id or uuid.uuid4().hex[:16])
    try:
        yield
    finally:
        _actor.reset(t1)
        _request_id.reset(t2)


def _entry_model() -> Any:
    """The AuditEntry model, looked up by name: ``models`` imports this module."""
    from django.apps import apps

    return apps.get_model("core", "AuditEntry")


def current_actor() -> Any:
    return _actor.get()


def current_request_id() -> str:
    return _request_id.get()


def jsonable(value: Any) -> Any:
    """A value as it can be stored in a JSON column and compared later."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if hasattr(value, "name") and hasattr(value, "storage"):  # FieldFile
        return value.name or ""
    return str(value)


def snapshot(instance: models.Model) -> dict[str, Any]:
    """The concrete field values of ``instance`` keyed by attribute name (FKs as ids)."""
    return {
        f.attname: jsonable(getattr(instance, f.attname))
        for f in instance._meta.concrete_fields
        if f.attname not in getattr(instance, "audit_exclude", ())
    }


def diff(before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[str]:
    before = before or {}
    after = after or {}
    return sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))


def write_entry(
    instance: models.Model,
    action: str,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    event: str = "",
    note: str = "",
) -> Any:
    AuditEntry = _entry_model()

    actor = current_actor()
    return AuditEntry.objects.create(
        actor=actor if actor is not None and actor.pk else None,
        actor_name=str(actor) if actor is not None else "system",
        object_type=instance._meta.label_lower,
        object_id=str(instance.pk),
        object_repr=str(instance)[:200],
        action=action,
        event=event,
        before=before,
        after=after,
        changed=diff(before, after) if action == "update" else [],
        note=note,
        request_id=current_request_id(),
    )


def entry(
    instance: models.Model,
    action: str,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    event: str = "",
    note: str = "",
) -> dict[str, Any]:
    """The values of one audit row, exactly as :func:`write_entry` would store them, for
    bulk work that writes thousands of rows and their audit at once (:func:`write_all`)."""
    actor = current_actor()
    return {
        "actor_id": actor.pk if actor is not None and actor.pk else None,
        "actor_name": str(actor) if actor is not None else "system",
        "object_type": instance._meta.label_lower,
        "object_id": str(instance.pk),
        "object_repr": str(instance)[:200],
        "action": action,
        "event": event,
        "before": before,
        "after": after,
        "changed": diff(before, after) if action == "update" else [],
        "note": note,
        "request_id": current_request_id(),
    }


def created(instance: models.Model) -> dict[str, Any]:
    """The "create" row of an instance just bulk-inserted (see :func:`entry`)."""
    return entry(instance, "create", after=snapshot(instance))


def write_all(entries: list[dict[str, Any]]) -> None:
    """Store audit rows made by :func:`entry` with one batched INSERT, in the caller's
    transaction.

    Bulk writers (the task-book import) insert their rows with ``bulk_create``, which skips
    :meth:`AuditedModel.save`; they pass every row's entry here, so audit stays by
    construction: the same rows with the same content. The rows go in as plain tuples
    (:func:`duban.core.bulk.insert_rows`) instead of an ORM object each: for 20,000 rows
    that is the difference between seconds and a fraction of one.
    """
    from django.utils import timezone

    from duban.core import bulk

    AuditEntry = _entry_model()

    if not entries:
        return
    meta = AuditEntry._meta
    names = list(entries[0])
    column_of = {f.attname: f.column for f in meta.concrete_fields}
    columns = [column_of["time"], *(column_of[n] for n in names)]
    json_names = {"before", "after", "changed"}
    now = timezone.now()
    rows = [
        (now, *(bulk.json_text(e[n]) if n in json_names else e[n] for n in names)) for e in entries
    ]
    bulk.insert_rows(meta.db_table, columns, rows)


def record_event(
    instance: models.Model, event: str, *, note: str = "", data: dict[str, Any] | None = None
) -> Any:
    """A business event (plan confirmed, notice issued, task closed) beside the row diffs."""
    return write_entry(instance, "event", event=event, note=note, after=jsonable(data or {}))


def _m2m_changed(sender, instance, action, reverse, model, pk_set, **kwargs) -> None:
    # An audited model is one with ``audit_exclude`` (AuditedModel); named, not imported,
    # since duban.core.models builds on this module.
    if reverse or not hasattr(type(instance), "audit_exclude"):
        return
    if action not in {
        "pre_add",
        "pre_remove",
        "pre_clear",
        "post_add",
        "post_remove",
        "post_clear",
    }:
        return
    field = next((f for f in instance._meta.many_to_many if f.remote_field.through is sender), None)
    if field is None:
        return
    current = sorted(getattr(instance, field.name).values_list("pk", flat=True))
    if action.startswith("pre_"):
        instance._audit_m2m_before = current
        return
    before = getattr(instance, "_audit_m2m_before", None)
    if before == current:
        return
    write_entry(
        instance,
        "update",
        before={field.name: before},
        after={field.name: current},
    )


def connect_signals() -> None:
    from django.db.models.signals import m2m_changed

    m2m_changed.connect(_m2m_changed, dispatch_uid="duban_audit_m2m")


def record_security_event(
    event: str,
    *,
    user: Any = None,
    username: str = "",
    note: str = "",
    data: dict[str, Any] | None = None,
) -> Any:
    """A log-in, log-out, failure, lockout or refused permission, attributed to ``user``.

    Unlike :func:`record_event` the actor is given, not taken from the request: at log-in
    the request is still anonymous, and a failed attempt may name no existing user at all.
    """
    AuditEntry = _entry_model()

    has_user = user is not None and getattr(user, "pk", None)
    name = username or (getattr(user, "username", "") if has_user else "")
    return AuditEntry.objects.create(
        actor=user if has_user else None,
        actor_name=(str(user) if has_user else name or "anonymous")[:150],
        object_type="org.user",
        object_id=str(user.pk) if has_user else "",
        object_repr=name[:200],
        action="event",
        event=event,
        after=jsonable(data or {}),
        note=note,
        request_id=current_request_id(),
    )
