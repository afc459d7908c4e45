"""A generated sweep over every URL and role (issue 12 point 5, issue 14's "keep the probe").

Instead of a list of hand-picked requests, the sweep walks the URL map itself, so a page
added tomorrow is probed tomorrow:

- **IDOR, reading.** Every GET route, with every object id the world holds, as every role.
  Each unit's task carries marked text (task, report, draft, comment, notice, evidence); no
  answer may show a marker its reader must not see. A draft is its unit's own until sent.
- **IDOR, writing.** Every POST route the same way, as the people of the *other* unit: the
  rows behind the pages must stay exactly as they were.
- **CSRF.** Every route, POSTed with a real session and no token: always refused (403).
- **XSS.** The marked texts carry ``<script>`` and attribute-breaking payloads; no HTML
  answer may contain them unescaped.

Totals are asserted from below, so the sweep cannot silently shrink; the figures of a run
are in docs/security.md.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from duban.indicators import services as indicators
from duban.indicators.models import Indicator, IndicatorMonth, PeerValue
from duban.instructions import services as instructions
from duban.instructions.models import Instruction, InstructionReply
from duban.org.models import Unit
from duban.org.services import create_user
from duban.plans.models import Assignment, Milestone, Plan, Task
from duban.projects.models import MonthlyProgress, Project, ProjectPhoto
from duban.supervision import services
from duban.supervision.models import ClosureRequest, Comment, Notice, ProgressReport

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

XSS = '<script>alert("x")</script>"><img src=x onerror=alert(1)>'
PW = "Sweep-pass-2026"
SKIP_ROUTES = ("admin/", "accounts/logout/", "i18n/")
# Server-to-server receivers that read no session (a CSRF token protects cookies): they
# refuse a request without their token or signature with 401 instead (docs/cascade.md).
SIGNED_ROUTES = {"api/cascade/inbound/", "api/cascade/progress/"}


def _routes() -> list[str]:
    def walk(patterns: Any, prefix: str = "") -> Any:
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                yield prefix + str(p.pattern)

    return [r for r in walk(get_resolver().url_patterns) if not r.startswith(SKIP_ROUTES)]


def _fill(route: str, ids: list[int]) -> list[str]:
    """Concrete paths for a route: each int parameter takes each id, other parameters a
    plausible value; regex routes (the API's own) are skipped here."""
    if "^" in route or "(?P" in route or "$" in route or "drf_format_suffix" in route:
        return []
    params = re.findall(r"<(\w+):(\w+)>", route)
    paths = [route]
    for kind, name in params:
        token = f"<{kind}:{name}>"
        if kind == "int":
            values = [str(i) for i in ids]
        elif name == "fmt":
            values = ["docx", "pdf", "xlsx", "csv", "json"]
        elif kind == "slug" and name == "action":
            values = ["accept", "reject", "edit", "split", "move", "lead"]
        elif kind == "slug":
            values = ["unknown-token"]
        else:
            values = ["0" * 32 + ".xlsx"]
        paths = [p.replace(token, v, 1) for p in paths for v in values]
    return ["/" + p for p in paths]


def _png() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (4, 4)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def sweep_world(units, media_root, settings):
    from duban.projects import services as projects

    settings.DUBAN_PAGE_CACHE_SECONDS = 0  # every answer drawn for its reader
    jy = Unit.objects.create(name="市教育局", kind="government", parent=units["root"])
    people = {
        "office": create_user("office", password=PW, unit=units["office"], role="office"),
        "leader": create_user("leader", password=PW, unit=units["root"], role="leader"),
        "viewer": create_user("viewer", password=PW, unit=units["root"], role="viewer"),
        "a_lead": create_user("a_lead", password=PW, unit=units["sw"], role="unit_leader"),
        "a_clerk": create_user("a_clerk", password=PW, unit=units["sw"], role="clerk"),
        "b_lead": create_user("b_lead", password=PW, unit=units["cz"], role="unit_leader"),
        "b_clerk": create_user("b_clerk", password=PW, unit=units["cz"], role="clerk"),
        "c_clerk": create_user("c_clerk", password=PW, unit=jy, role="clerk"),
    }
    plan = Plan.objects.create(title="扫描方案", year=2026, status="confirmed")
    office = people["office"]
    markers: dict[str, dict[str, str]] = {}
    for side, unit, lead, clerk in (
        ("A", units["sw"], people["a_lead"], people["a_clerk"]),
        ("B", units["cz"], people["b_lead"], people["b_clerk"]),
    ):
        m = {
            k: f"{side}密{k}{XSS}"
            for k in ("task", "report", "draft", "comment", "notice", "indicator", "actual")
        }
        task = Task.objects.create(
            plan=plan,
            code=f"{side}.1",
            text=m["task"],
            status="in_progress",
            start_date=dt.date(2026, 1, 5),
            deadline=dt.date(2099, 12, 31),
        )
        Assignment.objects.create(task=task, lead_unit=unit)
        Milestone.objects.create(task=task, name=f"{side}阶段", due_date=dt.date(2099, 6, 30))
        today = dt.date.today()
        services.submit_report(
            task, actor=clerk, period_start=today, period_end=today, due_date=today,
            percent=20, progress=m["report"], files=[(f"{side}佐证.txt", m["report"].encode())],
        )  # fmt: skip
        services.submit_report(
            task, actor=clerk, period_start=today - dt.timedelta(days=1),
            period_end=today - dt.timedelta(days=1), due_date=today, percent=10,
            progress=m["draft"], draft=True,
        )  # fmt: skip
        services.add_comment(task, actor=clerk, text=m["comment"])
        # 对标对表: the unit's indicator, a month entered with a note, a peer figure.
        indicator = indicators.create_indicator(
            task, actor=office, name=m["indicator"], measure="%", kind="growth",
            target=6, year=dt.date.today().year,
        )  # fmt: skip
        indicators.enter_actual(indicator, actor=clerk, month=1, value="5", note=m["actual"])
        indicators.enter_peer_value(indicator, actor=office, month=1, city=f"{side}市", value="5")
        services.issue_notice(task, level="supervise", reason=m["notice"], actor=office)
        services.request_closure(task, actor=lead, note=f"{side}密closure{XSS}")
        m["closure"] = f"{side}密closure{XSS}"
        # A key project of the unit, with a month, its 形象进度 and a photo (重点项目).
        m["project"], m["month"] = f"{side}密project{XSS}", f"{side}密month{XSS}"
        project = projects.create_project(
            actor=office, year=today.year - 1, code=f"{side}-P", name=m["project"],
            sector=projects.sectors()[0], lead_unit=unit, total_investment=100, annual_plan=50,
        )  # fmt: skip
        projects.record_month(
            project, actor=clerk, month=1, completed="1", image_progress=m["month"],
            photos=[(f"{side}.png", _png())],
        )  # fmt: skip
        # A leader's instruction this unit alone handles, attached to its task, replied to.
        m["instruction"], m["ireply"] = f"{side}密instruction{XSS}", f"{side}密ireply{XSS}"
        given = instructions.register_instruction(
            actor=office, leader_name="王明", instructed_on=today, source_title=f"{side}来文",
            content=m["instruction"], reply_by=dt.date(2099, 1, 1), lead_unit=unit,
        )  # fmt: skip
        instructions.link_task(given, actor=office, task=task)
        instructions.add_reply(given, actor=clerk, unit=unit, text=m["ireply"])
        markers[side] = m
    # Secrets by reader: the other unit's everything; anyone else's draft.
    a, b = markers["A"], markers["B"]
    forbidden = {
        "office": [],
        "leader": [a["draft"], b["draft"]],
        "viewer": [a["draft"], b["draft"]],
        "a_lead": list(b.values()),
        "a_clerk": list(b.values()),
        "b_lead": list(a.values()),
        "b_clerk": list(a.values()),
        "c_clerk": list(a.values()) + list(b.values()),
    }
    return {"people": people, "forbidden": forbidden, "markers": markers}


def _ids() -> list[int]:
    """Every id of every object kind the routes name (they are small, shared numbers)."""
    found: set[int] = set()
    for model in (
        Task, ProgressReport, Comment, Notice, ClosureRequest, Milestone, Unit, Plan, Indicator,
    ):  # fmt: skip
        found.update(model.objects.values_list("pk", flat=True))
    from django.contrib.auth import get_user_model

    from duban.supervision.models import Evidence

    found.update(Evidence.objects.values_list("pk", flat=True))
    found.update(get_user_model().objects.values_list("pk", flat=True))
    found.update(Project.objects.values_list("pk", flat=True))
    found.update(ProjectPhoto.objects.values_list("pk", flat=True))
    return sorted(found)


def _route_ids(route: str) -> list[int]:
    """The ids a route's objects have (every id, for a route whose kind is not listed):
    each object is probed through every route that names its kind, on either database."""
    from django.contrib.auth import get_user_model

    from duban.supervision.models import Evidence

    kinds = {
        **KINDS,
        "evidence/": Evidence,
        "desk/sheet/": Unit,
        "manage/units/": Unit,
        "manage/users/": get_user_model(),
        "public/": Plan,
        "taskbook/export/": Plan,
        "projects/photos/": ProjectPhoto,
    }
    model = next((m for prefix, m in kinds.items() if route.startswith(prefix)), None)
    if model is None:
        return _ids()
    return sorted(model.objects.values_list("pk", flat=True))


def _login(user: Any, **kwargs: Any) -> Client:
    c = Client(**kwargs)
    c.force_login(user)
    return c


def _body(response: Any) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    return response.content.decode("utf-8", "replace")


READERS_ON_POSTGRESQL = ("viewer", "a_clerk", "b_lead", "c_clerk")


def test_no_page_shows_a_reader_what_is_not_theirs_and_no_payload_runs(sweep_world):
    paths = [p for r in _routes() for p in _fill(r, _route_ids(r))]
    api = [
        "/api/tasks/", "/api/reports/", "/api/notices/", "/api/closures/", "/api/plans/",
        "/api/units/", "/api/bulletins/", "/api/audit/", "/api/documents/", "/api/webhooks/",
        "/api/projects/",
        "/api/instructions/", "/api/instructions/stats/",
    ]  # fmt: skip
    kinds = (
        ("tasks", Task),
        ("reports", ProgressReport),
        ("notices", Notice),
        ("projects", Project),
    )
    for kind, model in kinds:
        api += [f"/api/{kind}/{i}/" for i in model.objects.values_list("pk", flat=True)]
    api += [f"/api/tasks/{i}/history/" for i in Task.objects.values_list("pk", flat=True)]
    for i in Instruction.objects.values_list("pk", flat=True):
        api += [f"/api/instructions/{i}/", f"/api/instructions/{i}/replies/"]
    counts: Counter[str] = Counter()
    leaks: list[str] = []
    readers = dict(sweep_world["people"])
    if connection.vendor == "postgresql":
        # The rules are the same queries on both databases, and on PostgreSQL every page is
        # a round trip per query: read there as one person of each kind of grant that has
        # secrets (a global reader, each unit's clerk or leader, an outsider). SQLite reads
        # as all eight.
        readers = {k: v for k, v in readers.items() if k in READERS_ON_POSTGRESQL}
    for role, user in readers.items():
        client = _login(user)
        secrets = sweep_world["forbidden"][role]
        for path in paths + api:
            response = client.get(path)
            counts["read"] += 1
            body = _body(response)
            shown = [s[:8] for s in secrets if s.split("<")[0] in body]
            if response.status_code == 200 and shown:
                leaks.append(f"{role} GET {path}: {shown}")
            kind = response.get("Content-Type", "")
            if kind.startswith("text/html"):
                counts["xss"] += 1
                if "<script>alert(" in body or "<img src=x onerror" in body:
                    leaks.append(f"{role} GET {path}: payload unescaped")
            assert response.status_code < 500, f"{role} GET {path}: {response.status_code}"
    print(f"sweep, reading: {dict(counts)}")
    assert not leaks, "\n".join(leaks[:20])
    # The sweep must stay as wide as it is today (docs/security.md gives the figures).
    share = len(readers) / len(sweep_world["people"])
    assert counts["read"] >= 6000 * share and counts["xss"] >= 5800 * share, counts


def _state(task_ids: list[int] | None = None) -> list[Any]:
    """What a refused write must leave exactly as it was (for some tasks, or all rows)."""

    def rows(model: Any, *fields: str, key: str = "task_id") -> list[Any]:
        qs = model.objects.all()
        if task_ids is not None:
            qs = qs.filter(**{f"{key}__in": task_ids})
        return sorted(qs.values_list("pk", *fields))

    state = [
        rows(Task, "text", "status", "version", "light", key="pk"),
        rows(ProgressReport, "status", "progress", "version"),
        rows(Comment, "text"),
        rows(Notice, "status", "reply", "version"),
        rows(ClosureRequest, "status", "version"),
        rows(Milestone, "done_at", "due_date"),
        rows(Assignment, "lead_unit_id", "version"),
        sorted(Project.objects.values_list("pk", "name", "status", "version")),
        sorted(MonthlyProgress.objects.values_list("pk", "completed", "image_progress", "version")),
        sorted(ProjectPhoto.objects.values_list("pk", "progress_id")),
        rows(Instruction, "content", "status", "task_id", "version"),
        rows(InstructionReply, "text", "status", "version", key="instruction__task_id"),
        rows(Indicator, "name", "target", "version", "gap_percent"),
        rows(IndicatorMonth, "actual", "plan", "note", key="indicator__task_id"),
        rows(PeerValue, "city", "value", key="indicator__task_id"),
    ]
    if task_ids is None:
        state.append(sorted(Unit.objects.values_list("pk", "name", "is_active", "version")))
    return state


FORM = {
    "text": "越权写入", "reason": "越权", "note": "越权", "reply": "越权", "decision": "approve",
    "approve": "1", "accept": "1", "percent": "99", "progress": "越权", "version": "1",
    "lead_unit": "1", "level": "criticism", "template": "standard", "frequency": "monthly",
    "day": "1", "starts_on": "2026-01-01", "name": "越权", "kind": "other",
    "month": "1", "value": "1", "city": "越权", "target": "1", "tolerance": "0",
}  # fmt: skip

# Which objects a route's first id names, to aim unit B's writes at unit A's rows only.
KINDS = {
    "tasks/": Task,
    "desk/report/": Task,
    "closures/": ClosureRequest,
    "notices/": Notice,
    "milestones/": Milestone,
    "desk/approve/": ProgressReport,
    "office/review/": ProgressReport,
    "projects/photos/": ProjectPhoto,
    "projects/": Project,
    "instructions/replies/": InstructionReply,
    "instructions/": Instruction,
    "indicators/": Indicator,
}


def _a_ids(model: Any, a_task: int) -> list[int]:
    if model is Task:
        return [a_task]
    if model is Project:
        return list(Project.objects.filter(code="A-P").values_list("pk", flat=True))
    if model is ProjectPhoto:
        return list(
            ProjectPhoto.objects.filter(progress__project__code="A-P").values_list("pk", flat=True)
        )
    if model is InstructionReply:
        return list(model.objects.filter(instruction__task_id=a_task).values_list("pk", flat=True))
    return list(model.objects.filter(task_id=a_task).values_list("pk", flat=True))


def test_no_write_lands_where_the_writer_has_no_right(sweep_world):
    """A viewer and a third unit's clerk POST to every route with every id and change
    nothing at all; unit B's people POST to every route aimed at unit A's rows, and A's rows
    stay exactly as they were."""
    people = sweep_world["people"]
    routes = _routes()
    attempts = 0
    before = _state()
    for role in ("viewer", "c_clerk"):
        client = _login(people[role])
        for path in (p for r in routes for p in _fill(r, _route_ids(r))):
            response = client.post(path, FORM)
            attempts += 1
            assert response.status_code < 500, f"{role} POST {path}: {response.status_code}"
    assert _state() == before, "a viewer's or an outsider's write changed rows"
    a_task = Task.objects.get(code="A.1").pk
    before_a = _state([a_task])
    for role in ("b_lead", "b_clerk"):
        client = _login(people[role])
        for route in routes:
            model = next((m for prefix, m in KINDS.items() if route.startswith(prefix)), None)
            if model is None:
                continue
            for path in _fill(route, _a_ids(model, a_task)):
                response = client.post(path, FORM)
                attempts += 1
                assert response.status_code < 500, f"{role} POST {path}"
    assert _state([a_task]) == before_a, "unit B changed unit A's rows"
    print(f"sweep, writing: {attempts}")
    assert attempts >= 1500, attempts


def test_every_post_without_a_csrf_token_is_refused(sweep_world):
    client = _login(sweep_world["people"]["office"], enforce_csrf_checks=True)
    ids = _ids()[:3]
    refused, attempts = 0, 0
    for route in _routes():
        for path in _fill(route, ids)[:4]:
            response = client.post(path, FORM)
            attempts += 1
            if response.status_code == 403 or (
                route in SIGNED_ROUTES and response.status_code == 401
            ):
                refused += 1
            else:
                pytest.fail(f"POST {path} without a CSRF token answered {response.status_code}")
    for path in ("/api/tasks/1/comment/", "/api/notices/", "/api/plans/", "/api/units/"):
        response = client.post(path, {"text": "x"})  # a session, no token: DRF refuses too
        attempts += 1
        assert response.status_code == 403, path
        refused += 1
    print(f"sweep, csrf: {attempts}")
    assert refused == attempts and attempts >= 150, (refused, attempts)
