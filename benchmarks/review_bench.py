"""How fast the office's review page opens for a whole report, and how many queries it takes.

Ingests one corpus report (default: the national 2021 work report, about 260 proposals)
through the same services as the upload, proposes its plan, then requests the review page
with Django's test client as the office, warm, and prints the median of several runs with
the page's query count and size. The goal (issue "Text engine v2") is under 1 s.

Uses a throw-away SQLite database in a temporary ``DUBAN_HOME``:

    .venv/bin/python benchmarks/review_bench.py [--doc national-2021.txt] [--runs 7]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("DUBAN_CORPUS", REPO.parent / "shared" / "corpus"))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--doc", default="national-2021.txt")
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    os.environ["DUBAN_HOME"] = tempfile.mkdtemp(prefix="duban-review-bench-")
    os.environ.pop("DUBAN_DATABASE_URL", None)
    os.environ["DUBAN_ALLOWED_HOSTS"] = "testserver"  # Django's test client
    os.environ["DUBAN_REQUIRE_2FA"] = "false"  # the bench user has no second factor
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "duban.project.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    call_command("migrate", interactive=False, verbosity=0)
    from duban.documents.services import ingest_document
    from duban.org.models import Unit
    from duban.org.services import create_user
    from duban.plans.services import propose_plan

    office_unit = Unit.objects.create(name="督查室", kind="office")
    office = create_user("bench_office", password="x", unit=office_unit, role="office")
    data = (CORPUS / args.doc).read_bytes()
    t0 = time.perf_counter()
    document = ingest_document(
        data, filename=args.doc, date=dt.date(2021, 3, 5), catalog="national"
    )
    plan = propose_plan(document, actor=office)
    ingest = time.perf_counter() - t0
    client = Client()
    client.force_login(office)
    url = f"/documents/{document.pk}/review/"
    client.get(url)  # warm: templates, catalogs
    times = []
    for _ in range(args.runs):
        with CaptureQueriesContext(connection) as queries:
            t = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - t)
        assert response.status_code == 200, response.status_code
    print(f"python {sys.version.split()[0]}, {args.doc}")
    print(f"ingest + propose: {ingest:.2f} s, {plan.tasks.count()} proposals")
    print(
        f"review page: median {statistics.median(times) * 1000:.0f} ms, "
        f"worst {max(times) * 1000:.0f} ms over {args.runs} runs; "
        f"{len(queries)} queries, {len(response.content) // 1024} KiB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
