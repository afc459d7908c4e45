"""``duban manage orphan_files [--delete] [--min-age MINUTES]``: uploads that no row names.

A server killed with SIGKILL after writing an evidence file and before committing its row
leaves the file behind (docs/reliability.md). It is harmless but takes space; this lists
such files, and removes them with ``--delete``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from duban.core.storage import unreferenced_files


class Command(BaseCommand):
    help = (
        "List uploaded files that no row names (left by a killed process); --delete removes them."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--delete", action="store_true", help="Remove the files listed.")
        parser.add_argument(
            "--min-age",
            type=float,
            default=60,
            help="Only files older than this many minutes (default 60): a younger file may "
            "belong to a request still running.",
        )

    def handle(self, *args: Any, delete: bool, min_age: float, **options: Any) -> None:
        found = unreferenced_files(min_age_seconds=min_age * 60)
        for path in found:
            self.stdout.write(str(path.relative_to(settings.MEDIA_ROOT)))
            if delete:
                path.unlink(missing_ok=True)
        verb = "removed" if delete else "found"
        self.stderr.write(f"{verb} {len(found)} unreferenced files")
