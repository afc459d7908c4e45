"""This app's line on the workbench (工作台): the leaders' instructions coming due.

``supervision.workbench.build_workbench`` asks every app whose ``AppConfig`` has a
``workbench`` hook (``InstructionsConfig.workbench`` calls :func:`workbench_items`), so
supervision, below this app, never imports it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from duban.instructions.access import UNIT_REPLY_ROLES
from duban.instructions.services import DUE_SOON_DAYS, coming_due
from duban.org.choices import Role
from duban.plans import access
from duban.supervision.workbench import WorkItem


def workbench_items(user: Any, *, today: dt.date) -> list[WorkItem]:
    """「n 天内到期的领导批示」 for the office, the leaders and a unit's leader or clerk:
    one count over the instructions the user may see (a unit's people: those their unit
    leads or co-handles), linked to the filtered list."""
    g = access.grants(user)
    unit_people = any(roles & UNIT_REPLY_ROLES for roles in g.unit_roles.values())
    if not (access.is_office(user) or access.has_global_role(user, Role.LEADER) or unit_people):
        return []
    return [
        WorkItem(
            "instructions",
            _("{n} 天内到期的领导批示").format(n=DUE_SOON_DAYS),
            coming_due(user, today=today),
            reverse("instructions") + "?due=week",
            _("去办理"),
        )
    ]
