"""Named pause points for the fault tests (docs/reliability.md); inert in production.

The fault tests kill a real ``duban worker``, ``duban serve`` or ``duban backup`` with
SIGKILL at an exact moment (mid-commit, mid-archive). To make that moment deterministic,
the code calls :func:`pause` at a few named points. Nothing happens unless the process was
started with ``DUBAN_FAULT_POINT`` set to that point's name: then it writes
``<DUBAN_FAULT_DIR>/<name>.reached`` (holding its pid) and waits there, until the test
kills it, ``<name>.go`` appears in the same folder, or 60 seconds pass.

Points: ``taskbook.commit`` (every task of an import inserted, not yet committed),
``report.commit`` (a report and its evidence file written, not yet committed),
``backup.archive`` (the archive half written under its ``.partial`` name).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

#: Longest wait at a point, so a forgotten test process cannot hang for ever.
MAX_WAIT_SECONDS = 60.0


def pause(name: str) -> None:
    """Wait at point ``name`` when ``DUBAN_FAULT_POINT`` names it; return at once otherwise."""
    if os.environ.get("DUBAN_FAULT_POINT") != name:
        return
    folder = Path(os.environ.get("DUBAN_FAULT_DIR") or ".")
    (folder / f"{name}.reached").write_text(str(os.getpid()), encoding="ascii")
    deadline = time.monotonic() + MAX_WAIT_SECONDS
    while time.monotonic() < deadline and not (folder / f"{name}.go").exists():
        time.sleep(0.02)
