"""A user's roles, read once per request: the ground every permission rule stands on.

``grants(user)`` turns the user's memberships (``org.models.Membership``) into global
roles (office, leader, viewer) and per-unit roles. The rules themselves (who may see and
do what with a task, a report, an instruction) live in each app's ``access.py``, above
this module (:mod:`duban.plans.access` first); the two-factor gate of this app reads the
grants here, without reaching up into them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from duban.org.choices import Role

GLOBAL_ROLES = frozenset({Role.OFFICE, Role.LEADER, Role.VIEWER})


@dataclass(frozen=True)
class Grants:
    """A user's roles: global ones (office, leader, viewer) and per-unit ones."""

    global_roles: frozenset[str]
    unit_roles: dict[int, frozenset[str]]
    # Districts whose own plans this user runs as their office (区县督查室).
    district_units: frozenset[int] = frozenset()

    @property
    def unit_ids(self) -> set[int]:
        return set(self.unit_roles)

    @property
    def has_office_powers(self) -> bool:
        """The city's office, or a district's office (区县督查室) in its own plans: the
        accounts that can change a whole plan's tasks."""
        return Role.OFFICE in self.global_roles or bool(self.district_units)


def grants(user: Any) -> Grants:
    """The user's roles, cached on the user object for the request."""
    if user is None or not getattr(user, "is_authenticated", False):
        return Grants(frozenset(), {})
    cached = getattr(user, "_duban_grants", None)
    if cached is not None:
        return cached
    global_roles: set[str] = set()
    unit_roles: dict[int, set[str]] = {}
    districts: set[int] = set()
    for unit_id, role in user.memberships.values_list("unit_id", "role"):
        if role in GLOBAL_ROLES:
            global_roles.add(role)
        elif role == Role.DISTRICT_OFFICE:
            # On the city's tasks the district office speaks for its district as its
            # leader does; the role stays in ``unit_roles`` so ``plans.access.audience``
            # tells it from a plain unit leader.
            districts.add(unit_id)
            unit_roles.setdefault(unit_id, set()).update({role, Role.UNIT_LEADER})
        else:
            unit_roles.setdefault(unit_id, set()).add(role)
    if user.is_superuser:
        global_roles.add(Role.OFFICE)
    result = Grants(
        frozenset(global_roles),
        {k: frozenset(v) for k, v in unit_roles.items()},
        frozenset(districts),
    )
    user._duban_grants = result
    return result
