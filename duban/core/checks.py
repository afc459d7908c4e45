"""Start-up checks (``duban manage check`` and every server start): is the data private?"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core import checks

from duban import conf


@checks.register(checks.Tags.security, deploy=False)
def data_folder_is_private(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Warn when the database, backups or uploads can be read by other local accounts.

    Why: the probe of issue 14 copied a 0644 database from an unprivileged account and read
    the API tokens in it. New files are created private; this catches what was copied in,
    restored by hand or left from an older version.
    """
    loose = conf.loose_paths(Path(settings.DUBAN_HOME))
    if not loose:
        return []
    listed = "; ".join(f"{path} ({mode:04o})" for path, mode in loose)
    return [
        checks.Warning(
            f"DUBAN_HOME holds files other accounts can read: {listed}",
            hint=f"chmod -R go-rwx {settings.DUBAN_HOME}",
            id="duban.W001",
        )
    ]
