from __future__ import annotations

import datetime as dt
from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InstructionsConfig(AppConfig):
    name = "duban.instructions"
    label = "instructions"
    verbose_name = _("领导批示")

    def ready(self) -> None:
        # Registers this app's background job (recognize_instruction_scan) with the queue.
        from duban.instructions import jobs  # noqa: F401

    def chase(self, *, today: dt.date, calendar: Any, limits: Any) -> dict[str, int]:
        """The chasing ladder's step for overdue instructions (see ``services.chase_overdue``);
        ``supervision.services.run_chasing`` asks every app that has one."""
        from duban.instructions.services import chase_overdue

        return chase_overdue(today=today, calendar=calendar, limits=limits)

    def workbench(self, user: Any, *, today: dt.date) -> list[Any]:
        """This app's items on the workbench (instructions coming due);
        ``supervision.workbench.build_workbench`` asks every app that has one."""
        from duban.instructions.workbench import workbench_items

        return workbench_items(user, today=today)

    def require_notice_reply(self, actor: Any, instruction: Any, unit_id: int) -> None:
        """Who may answer a notice about an instruction with no task (its lead or a
        co-unit's leader or clerk, for that unit); ``supervision.services.reply_notice``
        asks the notice's subject's app, as it sits below this one."""
        from duban.instructions.access import require_reply

        require_reply(actor, instruction, unit_id)
