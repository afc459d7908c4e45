"""Who may see and do what: the one place permission rules live.

Every page, API endpoint, CLI command and service asks this module. A unit's people see
only tasks where their unit leads or co-operates; another unit's task is *not found*
(never "forbidden"), so ids do not reveal which tasks exist.

Roles (``org.choices.Role``):

- office (督查室): everything;
- leader (分管领导): reads everything, comments, decides coordination requests;
- unit_leader (单位负责人): own unit's tasks; approves the unit's reports; as lead unit,
  splits the task and requests closure;
- clerk (联络员): own unit's tasks; drafts and submits reports, answers notices;
- viewer (只读): reads everything, changes nothing;
- district_office (区县督查室), held on a district unit: the office for the plans its
  district owns (``Plan.owner_unit``, the city's tasks cascaded to it), and the district's
  unit leader on the city's tasks assigned to the district. Nothing else: another
  district's plan is *not found*, like another unit's task.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Q, QuerySet

from duban.core.errors import NotAllowed, NotFound
from duban.org.choices import Role
from duban.org.grants import Grants, grants  # read in org, where two-factor needs them

# action → roles that may perform it, and whether the unit must be the task's lead
# (``lead``), any of its units (``own``) or any task (``any``).
RULES: dict[str, tuple[frozenset[str], str]] = {
    "view": (frozenset({Role.OFFICE, Role.LEADER, Role.VIEWER}), "any"),
    "comment": (frozenset({Role.OFFICE, Role.LEADER}), "any"),
    # A comment marked as praise (表扬) earns the lead unit 考核's bonus.
    "praise": (frozenset({Role.OFFICE, Role.LEADER}), "any"),
    "edit": (frozenset({Role.OFFICE}), "any"),
    "assign": (frozenset({Role.OFFICE}), "any"),
    "schedule": (frozenset({Role.OFFICE}), "any"),
    "review_report": (frozenset({Role.OFFICE}), "any"),
    "approve_closure": (frozenset({Role.OFFICE}), "any"),
    "issue_notice": (frozenset({Role.OFFICE}), "any"),
    "decide_coordination": (frozenset({Role.OFFICE, Role.LEADER}), "any"),
}
UNIT_RULES: dict[str, tuple[frozenset[str], str]] = {
    "view": (frozenset({Role.UNIT_LEADER, Role.CLERK}), "own"),
    "comment": (frozenset({Role.UNIT_LEADER, Role.CLERK}), "own"),
    "report": (frozenset({Role.UNIT_LEADER, Role.CLERK}), "own"),
    "approve_report": (frozenset({Role.UNIT_LEADER}), "own"),
    "reply_notice": (frozenset({Role.UNIT_LEADER, Role.CLERK}), "own"),
    "request_coordination": (frozenset({Role.UNIT_LEADER}), "own"),
    "split": (frozenset({Role.UNIT_LEADER}), "lead"),
    "schedule": (frozenset({Role.UNIT_LEADER}), "lead"),
    "request_closure": (frozenset({Role.UNIT_LEADER}), "lead"),
}
ACTIONS = sorted(set(RULES) | set(UNIT_RULES))


def audience(user: Any) -> str:
    """Everything about ``user`` that what they may see and do depends on, as one string.

    Two people with the same grants see the same task page, so a drawn page can serve both
    (duban.core.pagecache); every rule here reads the user only through :func:`grants`.
    """
    g = grants(user)
    units = ",".join(f"{u}:{'+'.join(sorted(r))}" for u, r in sorted(g.unit_roles.items()))
    return f"{'+'.join(sorted(g.global_roles))}|{units}"


def visible_tasks(user: Any, queryset: QuerySet | None = None) -> QuerySet:
    """The tasks this user may see (the one filter every list uses)."""
    from duban.plans.models import Task

    qs = queryset if queryset is not None else Task.objects.all()
    g = grants(user)
    if g.global_roles & RULES["view"][0]:
        return qs
    if not g.unit_ids:
        return qs.none()
    units = g.unit_ids
    own = Q(assignment__lead_unit_id__in=units) | Q(assignment__co_units__in=units)
    if g.district_units:
        own |= Q(plan__owner_unit_id__in=g.district_units)
    return qs.filter(own).distinct()


def runs_plan(user: Any, plan: Any) -> bool:
    """Is ``user`` the office for ``plan``: the city office for every plan, a district
    office (区县督查室) for its district's own plans."""
    g = grants(user)
    if Role.OFFICE in g.global_roles:
        return True
    return plan is not None and plan.owner_unit_id in g.district_units


def _runs_plan_of(g: Grants, task: Any) -> bool:
    """A district office's office powers over a task of its district's plan (a query for
    the plan only when the user is a district office and the plan is not loaded)."""
    return bool(g.district_units) and task.plan.owner_unit_id in g.district_units


def visible_plans(user: Any, queryset: QuerySet | None = None) -> QuerySet:
    """The plans whose names this user may see: the city's plans for everyone with a
    role, a district's plan for the city-wide readers and that district's office only."""
    from duban.plans.models import Plan

    qs = queryset if queryset is not None else Plan.objects.all()
    g = grants(user)
    if g.global_roles:
        return qs
    return qs.filter(Q(owner_unit__isnull=True) | Q(owner_unit_id__in=g.district_units))


def runnable_plans(user: Any, queryset: QuerySet | None = None) -> QuerySet:
    """The plans this user runs as their office (:func:`runs_plan`)."""
    from duban.plans.models import Plan

    qs = queryset if queryset is not None else Plan.objects.all()
    g = grants(user)
    if Role.OFFICE in g.global_roles:
        return qs
    return qs.filter(owner_unit_id__in=g.district_units)


def assignment_of(task: Any) -> Any:
    """The task's Assignment, or ``None`` when it was never assigned (no exception)."""
    from duban.plans.models import Assignment

    try:
        return task.assignment
    except Assignment.DoesNotExist:
        return None


def task_units(task: Any) -> tuple[int | None, set[int]]:
    """(lead unit id, co-unit ids) of a task, or (None, set()) when not assigned."""
    assignment = assignment_of(task)
    if assignment is None:
        return None, set()
    return assignment.lead_unit_id, {u.pk for u in assignment.co_units.all()}


def can(user: Any, action: str, task: Any, *, unit_id: int | None = None) -> bool:
    """May ``user`` do ``action`` on ``task`` (for ``unit_id``, when acting for a unit)?"""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    g = grants(user)
    roles, _scope = RULES.get(action, (frozenset(), "any"))
    # The office may do everything, including acting for a unit (a report sent by fax);
    # a district office likewise in its district's own plan.
    if Role.OFFICE in g.global_roles or g.global_roles & roles or _runs_plan_of(g, task):
        return True
    unit_roles, scope = UNIT_RULES.get(action, (frozenset(), "own"))
    if not unit_roles:
        return False
    lead, co = task_units(task)
    allowed_units = {lead} if scope == "lead" else ({lead} | co)
    allowed_units.discard(None)
    candidates: Iterable[int] = [unit_id] if unit_id is not None else allowed_units
    return any(
        u in allowed_units and g.unit_roles.get(u, frozenset()) & unit_roles for u in candidates
    )


def get_task(user: Any, pk: Any, action: str = "view") -> Any:
    """Fetch a task for an action: not visible → NotFound; visible but not allowed → NotAllowed."""
    from duban.plans.models import Task

    try:
        task = visible_tasks(user, Task.objects.select_related("assignment", "plan")).get(pk=pk)
    except (Task.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound() from exc
    require(user, action, task)
    return task


def require(user: Any, action: str, task: Any, *, unit_id: int | None = None) -> None:
    if not can(user, action, task, unit_id=unit_id):
        if not can(user, "view", task):
            raise NotFound()
        raise NotAllowed(action)


def has_global_role(user: Any, *roles: str) -> bool:
    """Does the user hold one of these city-wide roles (office, leader, viewer)?"""
    return bool(grants(user).global_roles & set(roles))


def reads_everything(user: Any) -> bool:
    """The city-wide readers (office, leaders, viewers): the battle map's every unit, the
    bulletins."""
    return has_global_role(user, Role.OFFICE, Role.LEADER, Role.VIEWER)


def may_report_for(user: Any, unit_id: int) -> bool:
    """Files reports for ``unit_id``: its leader or clerk, or the office (paper reports)."""
    return Role.OFFICE in grants(user).global_roles or speaks_for_unit(user, unit_id)


def speaks_for_unit(user: Any, unit_id: int) -> bool:
    """The unit's own people (负责人, 联络员), not the office: an objection to a unit's
    考核 result is the unit's own voice."""
    roles = grants(user).unit_roles.get(unit_id, frozenset())
    return bool(roles & {Role.UNIT_LEADER, Role.CLERK})


def sees_published_results(user: Any) -> bool:
    """A published 考核 result is announced to every unit: anyone with a role reads it."""
    g = grants(user)
    return bool(g.global_roles or g.unit_roles)


def is_office(user: Any) -> bool:
    """The supervision office (or a superuser): the one gate for office-only pages."""
    return Role.OFFICE in grants(user).global_roles


def require_office(actor: Any, action: str = "office") -> None:
    """Plan-level and administrative steps have no task to ask about: office only."""
    if not is_office(actor):
        raise NotAllowed(action)


def require_actor(actor: Any, action: str, task: Any = None) -> None:
    """The check every state-changing service makes of its ``actor`` before it writes.

    ``actor`` is ``None`` only for the system itself: the server operator's command line
    (``duban import`` without ``--as``) and jobs enqueued without a user. Pages and the
    API always pass ``request.user``, which is never ``None`` (an anonymous visitor is
    ``AnonymousUser``, who may do nothing), so a view that forgets its own check is still
    refused here.
    """
    if actor is None:
        return
    if task is None:
        require_office(actor, action)
    else:
        require(actor, action, task)


def acting_unit(user: Any, task: Any, action: str) -> int:
    """The unit a unit user acts for on this task (the lead unit first)."""
    g = grants(user)
    lead, co = task_units(task)
    if (Role.OFFICE in g.global_roles or _runs_plan_of(g, task)) and lead is not None:
        return lead
    for unit in [lead, *sorted(co)]:
        if unit is not None and g.unit_roles.get(unit, frozenset()) & UNIT_RULES[action][0]:
            return unit
    raise NotAllowed(action)
