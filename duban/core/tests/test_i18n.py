"""The English locale: complete, compiled from the committed .po, and actually served.

The source strings are Chinese; ``duban/locale/en/LC_MESSAGES/django.po`` holds the English.
These tests need no GNU gettext: the catalog is read with polib, the .mo with the standard
library, and the strings the code asks to translate are found by reading the sources.
"""

from __future__ import annotations

import ast
import gettext
import re
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.urls import reverse
from django.utils.translation import trim_whitespace

PACKAGE = Path(__file__).resolve().parents[2]  # duban/
PO_PATH = PACKAGE / "locale" / "en" / "LC_MESSAGES" / "django.po"
MO_PATH = PO_PATH.with_suffix(".mo")
# The text engine is plain Python with its own bilingual messages; tests are not shipped.
EXCLUDED_DIRS = {"extract", "tests", "migrations", "__pycache__"}
HAN = re.compile(r"[\u3400-\u9fff]")


@pytest.fixture(scope="module")
def po() -> polib.POFile:
    return polib.pofile(str(PO_PATH))


def _key(msgctxt: str | None, msgid: str) -> str:
    return f"{msgctxt}\x04{msgid}" if msgctxt else msgid


# -- (a) every entry translated --------------------------------------------------------


def test_catalog_exists_and_is_english(po):
    assert po.metadata.get("Language") == "en"
    assert "nplurals=2" in po.metadata.get("Plural-Forms", "")
    assert not po.metadata_is_fuzzy
    assert len(po) > 500  # the whole application, not a stub


def test_no_untranslated_fuzzy_or_obsolete_entries(po):
    untranslated = [e.msgid for e in po.untranslated_entries()]
    fuzzy = [e.msgid for e in po.fuzzy_entries()]
    obsolete = [e.msgid for e in po.obsolete_entries()]
    assert untranslated == []
    assert fuzzy == []
    assert obsolete == []
    empty_plurals = [e.msgid for e in po if e.msgid_plural and not all(e.msgstr_plural.values())]
    assert empty_plurals == []


def test_translations_are_english(po):
    """No msgstr left in Chinese (a copied msgid is "translated" as far as polib knows)."""
    chinese = [e.msgid for e in po if HAN.search(e.msgstr + "".join(e.msgstr_plural.values()))]
    assert chinese == []


_PERCENT = re.compile(r"%\((\w+)\)[sd]|%[sd]")
_BRACES = re.compile(r"(?<!\{)\{([^{}]*)\}(?!\})")


def _placeholders(text: str) -> list[str]:
    return sorted(_PERCENT.findall(text) + _BRACES.findall(text))


def test_placeholders_are_kept(po):
    """``{name}`` and ``%(count)s`` must survive translation exactly, or .format() fails."""
    wrong = []
    for e in po:
        want = _placeholders(e.msgid)
        texts = list(e.msgstr_plural.values()) if e.msgid_plural else [e.msgstr]
        for text in texts:
            got = _placeholders(text)
            # A singular may say "one" instead of "%(n)s"; every other placeholder must stay.
            if e.msgid_plural and text == e.msgstr_plural.get(0):
                got_set, want_set = set(got), set(want)
                if not got_set <= want_set or want_set - got_set - {"n", "count"}:
                    wrong.append((e.msgid, text))
            elif got != want:
                wrong.append((e.msgid, text))
    assert wrong == []


# -- (b) the committed .mo is the compiled .po -------------------------------------------


def test_committed_mo_matches_po(po):
    with MO_PATH.open("rb") as fh:
        mo = gettext.GNUTranslations(fh)
    catalog = {k: v for k, v in mo._catalog.items() if k != ""}
    expected: dict[object, str] = {}
    for e in po.translated_entries():
        key = _key(e.msgctxt, e.msgid)
        if e.msgid_plural:
            for n, text in e.msgstr_plural.items():
                expected[(key, int(n))] = text
        else:
            expected[key] = e.msgstr
    stale = sorted(str(k) for k in expected if catalog.get(k) != expected[k])
    extra = sorted(str(k) for k in catalog if k not in expected)
    assert stale == [], "run scripts/compile_messages.py"
    assert extra == [], "run scripts/compile_messages.py"
    assert mo.info().get("language") == "en"


def test_mo_plural_rule_is_english():
    with MO_PATH.open("rb") as fh:
        mo = gettext.GNUTranslations(fh)
    one = mo.ngettext("共%(n)s项任务", "共%(n)s项任务", 1) % {"n": 1}
    many = mo.ngettext("共%(n)s项任务", "共%(n)s项任务", 3) % {"n": 3}
    assert (one, many) == ("1 task", "3 tasks")


# -- (c) every string the code asks to translate is in the catalog ----------------------


def _app_files(suffix: str) -> list[Path]:
    return sorted(
        p
        for p in PACKAGE.rglob(f"*{suffix}")
        if not EXCLUDED_DIRS & set(p.relative_to(PACKAGE).parts)
    )


# {% translate "…" %} / {% trans '…' context "…" %}, and _("…") inside any template tag.
_STR = r"""(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')"""
_TRANSLATE_TAG = re.compile(
    r"\{%\s*(?:translate|trans)\s+" + _STR + r"(?P<rest>[^%]*?)%\}", re.DOTALL
)
_CONTEXT = re.compile(r"\bcontext\s+" + _STR)
_UNDERSCORE = re.compile(r"\b_\(\s*" + _STR + r"\s*\)")
_BLOCK = re.compile(
    r"\{%\s*blocktrans(?:late)?\b(?P<opts>[^%]*)%\}(?P<body>.*?)\{%\s*endblocktrans(?:late)?\s*%\}",
    re.DOTALL,
)
_PLURAL = re.compile(r"\{%\s*plural\s*%\}")
_VAR = re.compile(r"\{\{\s*(\w+)\s*\}\}")


def _literal(match: re.Match, group: int = 1) -> str:
    raw = match.group(group) if match.group(group) is not None else match.group(group + 1)
    return raw.replace('\\"', '"').replace("\\'", "'")


def _block_msgid(body: str, trimmed: bool) -> str:
    """The msgid makemessages writes for a blocktranslate body."""
    text = _VAR.sub(lambda m: f"%({m.group(1)})s", body.replace("%", "%%"))
    return trim_whitespace(text) if trimmed else text


def template_msgids() -> set[tuple[str | None, str, str]]:
    found: set[tuple[str | None, str, str]] = set()
    for path in _app_files(".html") + _app_files(".txt"):
        text = path.read_text(encoding="utf-8")
        where = str(path.relative_to(PACKAGE))
        for m in _TRANSLATE_TAG.finditer(text):
            ctx = _CONTEXT.search(m.group("rest"))
            found.add((_literal(ctx) if ctx else None, _literal(m), where))
        for m in _UNDERSCORE.finditer(text):
            found.add((None, _literal(m), where))
        for m in _BLOCK.finditer(text):
            opts = m.group("opts")
            ctx = _CONTEXT.search(opts)
            singular = _PLURAL.split(m.group("body"))[0]
            msgid = _block_msgid(singular, trimmed="trimmed" in opts.split())
            found.add((_literal(ctx) if ctx else None, msgid, where))
    return found


GETTEXT_NAMES = {
    "_",
    "gettext",
    "gettext_lazy",
    "gettext_noop",
    "ngettext",
    "ngettext_lazy",
    "pgettext",
    "pgettext_lazy",
    "npgettext",
    "npgettext_lazy",
}


def _called_name(node: ast.Call) -> str | None:
    if isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    return None


def _gettext_calls(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _called_name(node) in GETTEXT_NAMES and node.args:
            yield node


def python_msgids() -> tuple[set[tuple[str | None, str, str]], list[str]]:
    """The literal msgids of gettext calls, and the calls whose msgid is not a literal.

    Python's parser joins implicitly concatenated literals, as xgettext does; an f-string
    or a variable as msgid can never be found in a catalog, so it is reported.
    """
    found: set[tuple[str | None, str, str]] = set()
    not_literal: list[str] = []
    for path in _app_files(".py"):
        where = str(path.relative_to(PACKAGE))
        for call in _gettext_calls(path):
            name = _called_name(call)
            args = call.args
            ctx = None
            if name.startswith(("pgettext", "npgettext")):
                if len(args) < 2 or not isinstance(args[0], ast.Constant):
                    not_literal.append(f"{where}:{call.lineno}")
                    continue
                ctx, args = args[0].value, args[1:]
            first = args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                found.add((ctx, first.value, where))
            elif name != "_" or isinstance(first, ast.JoinedStr) or HAN.search(ast.unparse(first)):
                # ``_(x)`` with a variable is common outside i18n (e.g. ``_`` as a throwaway);
                # any gettext call with an f-string or Chinese expression is a bug.
                not_literal.append(f"{where}:{call.lineno}")
    return found, not_literal


def test_source_scan_finds_known_strings():
    """The scanners themselves work: they see strings of each kind that are known to exist."""
    templates = {(ctx, msgid) for ctx, msgid, _where in template_msgids()}
    python, _bad = python_msgids()
    python = {(ctx, msgid) for ctx, msgid, _where in python}
    assert (None, "登录督办系统") in templates  # {% translate %}
    assert (None, "暂无任务") in templates  # _("…") inside a tag
    assert (None, "%(n)s 项已立项任务尚未交办。") in templates  # blocktranslate count
    assert (None, "工作台") in python  # gettext_lazy as _
    assert any("催办完成" in msgid and "通报" in msgid for _c, msgid in python)  # "a" "b"


def test_every_source_string_is_in_the_catalog(po):
    catalog = {(e.msgctxt, e.msgid) for e in po}
    python, _bad = python_msgids()
    missing = sorted(
        f"{where}: {msgid!r}" + (f" (context {ctx!r})" if ctx else "")
        for ctx, msgid, where in template_msgids() | python
        if (ctx, msgid) not in catalog
    )
    assert missing == [], "run `make messages` and translate the new entries"


def test_gettext_calls_have_literal_msgids():
    _found, not_literal = python_msgids()
    assert not_literal == []


def test_block_msgid_matches_makemessages():
    assert _block_msgid("共{{ n }}项任务", trimmed=False) == "共%(n)s项任务"
    assert _block_msgid("进度 {{ p }}%", trimmed=False) == "进度 %(p)s%%"
    assert _block_msgid("\n  第一行\n  第二行 {{ x }}\n", trimmed=True) == "第一行 第二行 %(x)s"


# -- (d) the pages are served in the language asked for ----------------------------------


LOGIN_URL = "/accounts/login/"


@pytest.mark.django_db
def test_login_page_in_english_by_accept_language(client):
    html = client.get(LOGIN_URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="en">' in html
    for text in ("Log in to duban", "Username", "Password", ">Log in</button>"):
        assert text in html
    assert not HAN.search(html), HAN.findall(html)


@pytest.mark.django_db
def test_login_page_in_chinese_by_default_and_by_accept_language(client):
    for headers in ({}, {"HTTP_ACCEPT_LANGUAGE": "zh-CN,zh;q=0.9"}, {"HTTP_ACCEPT_LANGUAGE": "fr"}):
        html = client.get(LOGIN_URL, **headers).content.decode()
        assert '<html lang="zh-hans">' in html
        assert "登录督办系统" in html and "用户名" in html and "密码" in html
        assert "Log in" not in html and "Username" not in html


@pytest.mark.django_db
def test_login_errors_in_english(client, office_user):
    html = client.post(
        LOGIN_URL, {"username": "office", "password": "wrong"}, HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "Incorrect username or password" in html


def _nav(html: str) -> str:
    m = re.search(r'<nav class="mainnav".*?</nav>', html, re.DOTALL)
    assert m, "no main navigation on the page"
    return m.group(0)


# Office users see every nav item; labels as in the .po.
NAV_EN = [
    "Workbench",
    "Battle map",
    "Roadmap",
    "Document review",
    "Office desk",
    "Key projects",
    "Bulletin",
    "Administration",
]
NAV_ZH = ["工作台", "挂图作战", "路线图", "文件审核", "督查台", "重点项目", "通报", "管理"]


def _strip_data(html: str, units: dict, *data: str) -> str:
    """The page without data the user typed in, which stays in its own language."""
    for text in data:
        html = html.replace(text, "")
    for unit in units.values():
        html = html.replace(unit.name, "")
        if unit.short_name:
            html = html.replace(unit.short_name, "")
    return html.replace("简体中文", "")  # a language is named in its own language


def _chinese_left(html: str) -> list[str]:
    """Each run of Chinese still on the page, with a little context to find it by."""
    runs = re.finditer(r"[\u3400-\u9fff][\u3400-\u9fff\uff00-\uffef\u3000-\u303f]*", html)
    return [html[max(0, m.start() - 40) : m.end() + 10] for m in runs]


@pytest.mark.django_db
def test_workbench_and_navigation_in_english(client, office_user, units):
    client.force_login(office_user)
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    nav = _nav(html)
    for label in NAV_EN:
        assert f">{label}</a>" in nav
    assert not HAN.search(nav)
    for text in ("<h1>Workbench</h1>", "Signed in as", "Supervision office", "Task plans"):
        assert text in html
    for text in ("Log out", "Skip to content", 'lang="en"'):
        assert text in html
    leftover = _chinese_left(_strip_data(html, units))
    assert leftover == []


@pytest.mark.django_db
def test_workbench_and_navigation_in_chinese(client, office_user, units):
    client.force_login(office_user)
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    nav = _nav(html)
    for label in NAV_ZH:
        assert f">{label}</a>" in nav
    assert "Workbench" not in html and "Log out" not in html
    assert "<h1>工作台</h1>" in html and "退出" in html and 'lang="zh-hans"' in html


@pytest.mark.django_db
def test_language_cookie_and_switcher(client, office_user):
    client.force_login(office_user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "<h1>Workbench</h1>" in html  # the cookie wins over the header

    # The switcher in the top bar posts to Django's set_language view.
    response = client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    assert response.status_code == 302
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "<h1>工作台</h1>" in html
    assert 'action="/i18n/setlang/"' in html and '<option value="en"' in html


# Every page an office user reaches from the navigation, empty of data: in English no
# Chinese is left once the user's own data is taken out.
OFFICE_PAGES = [
    "home",
    "battlemap",
    "roadmap",
    "documents",
    "taskbook",
    "office-desk",
    "bulletins",
    "manage",
    "manage-users",
    "manage-calendar",
    "manage-settings",
    "instructions",
]


@pytest.mark.django_db
@pytest.mark.parametrize("name", OFFICE_PAGES)
def test_office_pages_have_no_chinese_left_in_english(client, office_user, units, name):
    client.force_login(office_user)
    response = client.get(reverse(name), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = _strip_data(response.content.decode(), units)
    assert _chinese_left(html) == []


@pytest.mark.django_db
def test_task_page_and_clerk_desk_in_english(client, office_user, units, task):
    from duban.org.services import create_user
    from duban.plans.services import assign_task
    from duban.supervision.scheduling import milestone_templates

    assign_task(task, lead_unit=units["sw"], actor=office_user)
    # The milestone templates come from a data file, not the catalog: their names become the
    # milestones' names, so like unit names they stay Chinese.
    data = [task.text, task.plan.title] + [t.label for t in milestone_templates().values()]
    client.force_login(office_user)
    html = client.get(reverse("task-detail", args=[task.pk]), HTTP_ACCEPT_LANGUAGE="en")
    html = _strip_data(html.content.decode(), units, *data)
    for text in ("Assignment", "Lead unit", "Milestones", "Reporting schedule", "Closure"):
        assert text in html
    assert _chinese_left(html) == []

    clerk = create_user("clerk", password="pw-clerk-1", unit=units["sw"], role="clerk")
    client.force_login(clerk)
    html = client.get(reverse("desk"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    html = _strip_data(html, units, *data)
    assert "Our unit's tasks" in html and "Unit clerk" in html
    assert _chinese_left(html) == []
