"""Who may see and do what with instructions, delegating to :mod:`duban.plans.access`.

The same rules as tasks: the office, leaders and viewers see every instruction; a unit's
people see only those their unit leads or co-handles, and another unit's instruction is
*not found*. Registering, editing, turning into a task, accepting replies and 报结 are the
office's; a unit's leader or clerk replies for their own unit (and the office may file a
reply for any unit, as with reports sent on paper).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from duban.core.errors import NotAllowed, NotFound
from duban.org.choices import Role
from duban.plans import access as plans_access

UNIT_REPLY_ROLES = frozenset({Role.UNIT_LEADER, Role.CLERK})


def visible_instructions(user: Any, queryset: QuerySet | None = None) -> QuerySet:
    """The instructions this user may see (the one filter every list and page uses)."""
    from duban.instructions.models import Instruction

    qs = queryset if queryset is not None else Instruction.objects.all()
    if plans_access.reads_everything(user):
        return qs
    units = plans_access.grants(user).unit_ids
    if not units:
        return qs.none()
    helped = Instruction.co_units.through.objects.filter(unit_id__in=units).values("instruction_id")
    return qs.filter(Q(lead_unit_id__in=units) | Q(pk__in=helped))


def get_instruction(user: Any, pk: Any, queryset: QuerySet | None = None) -> Any:
    """One visible instruction, or NotFound (never "forbidden": ids reveal nothing)."""
    from duban.instructions.models import Instruction

    try:
        return visible_instructions(user, queryset).get(pk=int(str(pk)))
    except (Instruction.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise NotFound() from exc


def is_office(user: Any) -> bool:
    return plans_access.is_office(user)


def require_office(actor: Any, action: str) -> None:
    """Register, edit, link, accept and 报结: the office (``None`` is the system itself)."""
    plans_access.require_actor(actor, action)


def units_of(instruction: Any) -> set[int]:
    """The lead unit and the co-units: the units that reply."""
    return {instruction.lead_unit_id, *(u.pk for u in instruction.co_units.all())}


def may_reply_for(user: Any, instruction: Any, unit_id: int) -> bool:
    """Replies for ``unit_id``: its leader or clerk, or the office (for any of its units)."""
    if unit_id not in units_of(instruction):
        return False
    if is_office(user):
        return True
    roles = plans_access.grants(user).unit_roles.get(unit_id, frozenset())
    return bool(roles & UNIT_REPLY_ROLES)


def reply_units(user: Any, instruction: Any) -> list[int]:
    """The units this user may reply for on ``instruction``, the lead unit first."""
    ordered = [
        instruction.lead_unit_id,
        *sorted(units_of(instruction) - {instruction.lead_unit_id}),
    ]
    return [u for u in ordered if may_reply_for(user, instruction, u)]


def require_reply(user: Any, instruction: Any, unit_id: int) -> None:
    if not may_reply_for(user, instruction, unit_id):
        raise NotAllowed("reply_instruction")
