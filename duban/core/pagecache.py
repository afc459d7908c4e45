"""Rendered page fragments, kept until the data behind them changes.

A task page is read far more often than it changes: a leader opens the same tasks each
morning, the battle map links to them all day. Rendering one costs some forty queries'
worth of rows and a long template; serving the same bytes again costs a lookup.

The difficulty of any page cache is knowing when a copy is stale. This one does not try to
*invalidate*: every key carries the state the fragment was drawn from, so a changed state is
simply another key and the old copy ages out. The state is

- the **audit generation**, the newest row of the append-only audit log: every save of every
  audited model (tasks, reports, notices, comments, closures, milestones, units,
  memberships…) writes one, in the same transaction, so any change a page could show moves
  it (log-ins and log-outs, which show nowhere, are passed over). One read of the primary key's index, whatever the size of the log;
- the **main row as loaded** (the task with its light, progress and status), which catches
  the few writes that bypass the audit log on purpose (the nightly light recompute updates
  rows in bulk);
- the **audience**: what the page's rules read of the viewer (their roles in which units),
  so that people with the same grants share a copy, and their language; the forms inside a
  copy hold a placeholder that each answer replaces with the requester's own CSRF token;
- **today's date** (overdue marks and day counts change at midnight, Beijing time).

What is not audited (a user's display name, say) can stay stale for at most
``DUBAN_PAGE_CACHE_SECONDS``. Copies live in files under ``DUBAN_HOME/cache/pages`` (the
``pages`` cache), so every server process on the machine uses what another drew; since a key
names the state, no process can serve another's stale copy. The server empties the folder
when it starts, and the key carries duban's version, so an upgrade's templates never meet
an older copy.
Under heavy writing (a reporting day) the generation moves every few seconds and pages are
drawn afresh nearly every time: the cache only ever saves work, it never changes an answer.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections import OrderedDict
from typing import Any

from django.conf import settings
from django.contrib.messages import get_messages
from django.core.cache import caches
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.html import escape

from duban import __version__

CACHE_ALIAS = "pages"


def enabled() -> bool:
    return bool(getattr(settings, "DUBAN_PAGE_CACHE_SECONDS", 0))


def audit_generation() -> str:
    """The newest audit row, as its id and time ("" for an empty log).

    The time makes the stamp safe across a restore: a database restored to an older backup
    reuses ids, but a row written after the restore never has the time the lost one had.
    """
    from django.apps import apps

    meta = apps.get_model("core", "AuditEntry")._meta
    table = connection.ops.quote_name(meta.db_table)
    time_column = connection.ops.quote_name(meta.get_field("time").column)
    object_type = connection.ops.quote_name(meta.get_field("object_type").column)
    action = connection.ops.quote_name(meta.get_field("action").column)
    # Log-ins and log-outs change no page (and come every few seconds on a reporting day):
    # they are the only rows passed over, found by reading back from the newest.
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, {time_column} FROM {table} "
            f"WHERE NOT ({object_type} = %s AND {action} = %s) ORDER BY id DESC LIMIT 1",
            ["org.user", "event"],
        )
        row = cursor.fetchone()
    return "" if row is None else f"{row[0]}@{row[1]}"


def row_state(instance: Any) -> str:
    """The loaded values of a model row, as one string (deferred columns are left out)."""
    values = [
        (f.attname, instance.__dict__[f.attname])
        for f in instance._meta.concrete_fields
        if f.attname in instance.__dict__
    ]
    return repr(values)


# Forms inside a kept body carry this in place of the CSRF token; each answer puts the
# requester's own token there. Random per process, so no text a user typed can match it.
CSRF_PLACEHOLDER = "csrf" + secrets.token_hex(16)
# A whole kept page also stands in for the script nonce and the viewer's name in the header.
NONCE_PLACEHOLDER = "nonce" + secrets.token_hex(16)
USER_PLACEHOLDER = "who" + secrets.token_hex(16)


def key(request: HttpRequest, name: str, audience: str, *state: Any) -> str | None:
    """The cache key of fragment ``name`` drawn from ``state`` for viewers like this one.

    ``audience`` is what the page's rules read of the viewer (their grants): people who
    share it share the copy, in their own language.
    """
    if not enabled():
        return None
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    parts = [
        name,
        audience,
        getattr(request, "LANGUAGE_CODE", ""),
        timezone.localdate().isoformat(),
        str(audit_generation()),
        __version__,
    ]
    parts.extend(str(s) for s in state)
    return "page:" + hashlib.blake2b("\x1f".join(parts).encode(), digest_size=20).hexdigest()


def with_token(request: HttpRequest, body: str) -> str:
    """A kept body with the requester's CSRF token where its forms need one."""
    if CSRF_PLACEHOLDER not in body:
        return body
    return body.replace(CSRF_PLACEHOLDER, get_token(request))


def fill(request: HttpRequest, page: str) -> str:
    """A kept whole page made this request's own: token, script nonce, the viewer's name."""
    page = with_token(request, page)
    page = page.replace(NONCE_PLACEHOLDER, getattr(request, "csp_nonce", ""))
    return page.replace(USER_PLACEHOLDER, escape(str(request.user)))


class _Viewer:
    """Who the header of a kept page greets: a placeholder each answer fills in."""

    is_authenticated = True
    is_anonymous = False

    def __str__(self) -> str:
        return USER_PLACEHOLDER


def _may_keep_page(request: HttpRequest) -> bool:
    # A message waiting to be shown (after a form's redirect) belongs to this answer only;
    # counting them does not mark them shown.
    return request.method == "GET" and not len(get_messages(request))


def kept_page(
    request: HttpRequest,
    draw: Any,
    *,
    name: str,
    audience: str,
    state: tuple[Any, ...] = (),
) -> HttpResponse:
    """The whole answer ``draw(extra_context)`` gives, or the copy kept for this state.

    Unlike :func:`render_kept`, the copy includes the base template around the body, so a
    hit skips drawing the header and navigation too. What differs between two viewers who
    share a copy (the CSRF token, the script nonce, the name in the header) is drawn as a
    placeholder, which ``draw`` must put in the context it renders: ``extra_context`` holds
    them. The key adds the full path (the navigation marks the current page; the language
    form returns to it) and whether htmx asked. Only a 200 answer is kept.
    """
    cache_key = None
    if _may_keep_page(request):
        cache_key = key(
            request,
            name,
            audience,
            request.get_full_path(),
            bool(getattr(request, "htmx", False)),
            *state,
        )
    page = get(cache_key)
    if page is not None:
        return HttpResponse(fill(request, page))
    if cache_key is None:
        return draw({})
    response = draw(
        {
            "csrf_token": CSRF_PLACEHOLDER,
            "csp_nonce": NONCE_PLACEHOLDER,
            "user": _Viewer(),
        }
    )
    if response.status_code != 200 or response.streaming:
        return response
    page = response.content.decode(response.charset)
    put(cache_key, page)
    response.content = fill(request, page).encode(response.charset)
    return response


class _Recent:
    """The copies this process served last, in memory, in front of the shared files.

    A key names the state it was drawn from, so a copy held here can never be stale; what
    it saves is the file's open, read and decompression on each hit of a busy page.
    """

    def __init__(self, budget: int) -> None:
        # Bounded by characters held, not by count: a task page is 20 KB, a roadmap 2 MB.
        self.budget = budget
        self.held = 0
        self._items: OrderedDict[str, tuple[float, str]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, cache_key: str) -> str | None:
        with self._lock:
            item = self._items.get(cache_key)
            if item is None:
                return None
            if item[0] < time.monotonic():
                self._drop(cache_key)
                return None
            self._items.move_to_end(cache_key)
            return item[1]

    def put(self, cache_key: str, value: str, seconds: float) -> None:
        if len(value) > self.budget // 4:
            return  # one huge page would push out everything else
        with self._lock:
            if cache_key in self._items:
                self._drop(cache_key)
            self._items[cache_key] = (time.monotonic() + seconds, value)
            self.held += len(value)
            while self.held > self.budget:
                self._drop(next(iter(self._items)))

    def _drop(self, cache_key: str) -> None:
        self.held -= len(self._items.pop(cache_key)[1])

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.held = 0


# Eight million characters: about 16 MB per server process, some 400 task pages (a day's
# browsing of an office), or a few roadmaps.
_recent = _Recent(8_000_000)


def clear() -> None:
    """Forget every kept body (the server does this when it starts)."""
    _recent.clear()
    caches[CACHE_ALIAS].clear()


def get(cache_key: str | None) -> str | None:
    if cache_key is None:
        return None
    value = _recent.get(cache_key)
    if value is None:
        value = caches[CACHE_ALIAS].get(cache_key)
        if value is not None:
            _recent.put(cache_key, value, settings.DUBAN_PAGE_CACHE_SECONDS)
    return value


def put(cache_key: str | None, html: str) -> None:
    if cache_key is None:
        return
    caches[CACHE_ALIAS].set(cache_key, html, timeout=settings.DUBAN_PAGE_CACHE_SECONDS)
    _recent.put(cache_key, html, settings.DUBAN_PAGE_CACHE_SECONDS)


def render_kept(
    request: HttpRequest,
    template: str,
    build: Any,
    *,
    name: str,
    audience: str,
    state: tuple[Any, ...] = (),
    keep: bool = True,
) -> str:
    """``template`` rendered with ``build()``'s context, or the copy kept for this state.

    ``build`` is only called on a miss, so the queries behind the page are skipped on a hit.
    ``keep=False`` draws afresh and keeps nothing (a form with errors, a conflict).
    """
    cache_key = key(request, name, audience, *state) if keep else None
    body = get(cache_key)
    if body is None:
        ctx = build()
        if cache_key is not None:
            ctx["csrf_token"] = CSRF_PLACEHOLDER
        body = render_to_string(template, ctx, request=request)
        put(cache_key, body)
    return with_token(request, body)


def memo(name: str, build: Any, *state: Any) -> Any:
    """``build()``'s value, kept while the audit generation and ``state`` stay the same.

    For lists every page of a kind needs and none changes without an audited save (the
    units a form offers). The value is pickled into the cache: give plain tuples, not rows.
    """
    if not enabled():
        return build()
    parts = ["memo", name, str(audit_generation()), *(str(s) for s in state)]
    cache_key = "memo:" + hashlib.blake2b("\x1f".join(parts).encode(), digest_size=20).hexdigest()
    cache = caches[CACHE_ALIAS]
    value = cache.get(cache_key)
    if value is None:
        value = build()
        cache.set(cache_key, value, timeout=settings.DUBAN_PAGE_CACHE_SECONDS)
    return value
