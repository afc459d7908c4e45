"""What every API list and detail shares: ``ordering``, ``page_size`` and conditional GET.

Integrators expect the same three things from every list: a sort (``ordering=deadline``,
``-updated`` …), a page size (``page_size``, at most :data:`MAX_PAGE_SIZE`), and an
``ETag`` so that polling an unchanged list costs a 304 and no body. Each viewset declares
which public sort keys it knows (:attr:`ApiListMixin.ordering_fields`); anything else in
these parameters is a 400 in the API's one error shape, never a silent default, so a typo
in an integration shows at once.

The ETag is a hash of the response body: it changes whenever anything shown changes
(lights recomputed in bulk, a unit renamed, a milestone added), which a version counter on
one table would miss. A viewset that says what its answers depend on
(:meth:`ApiListMixin.kept_state`) also keeps each rendered JSON answer like the pages keep
their bodies (duban/core/pagecache.py): an integrator polling the same list gets the kept
bytes, with no query behind them, until something it shows changes.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.db.models import Case, F, IntegerField, QuerySet, Value, When
from django.db.models.expressions import OrderBy
from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response

from duban.core import pagecache

MAX_PAGE_SIZE = 200
#: Largest id a filter accepts: beyond it PostgreSQL's bigint overflows (a 500, not a 400).
MAX_ID = 2**63 - 1

PAGE_SIZE_PARAM = OpenApiParameter(
    "page_size",
    int,
    description=f"Rows per page, 1 to {MAX_PAGE_SIZE} (default 50).",
)

#: ``ordering=light`` goes from no light to red; ``-light`` puts the red tasks first.
LIGHT_RANK = {"none": 0, "green": 1, "yellow": 2, "red": 3}


def light_rank(field: str = "light") -> Case:
    """The light as a number to sort by (the stored slugs sort alphabetically otherwise)."""
    return Case(
        *[When(**{field: slug}, then=Value(rank)) for slug, rank in LIGHT_RANK.items()],
        default=Value(0),
        output_field=IntegerField(),
    )


class DubanPagination(PageNumberPagination):
    """Page-number pages of 50, ``page_size`` up to 200; a bad ``page_size`` is a 400."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None or raw == "":
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            size = 0
        if not 1 <= size <= self.max_page_size:
            raise ValidationError(
                {
                    "page_size": [
                        _("每页条数应为 1 到 {max} 之间的整数（收到“{raw}”）。").format(
                            max=self.max_page_size, raw=raw[:20]
                        )
                    ]
                }
            )
        return size


class ApiListMixin:
    """Ordering and conditional GET for a DRF viewset.

    ``ordering_fields`` maps each public sort key to an ORM expression (a field path or an
    expression such as :func:`light_rank`); ``default_ordering`` applies when the request
    names none. The primary key always breaks ties, so pages never overlap.
    """

    ordering_fields: dict[str, Any] = {}
    default_ordering: tuple[Any, ...] = ("id",)

    def order(self, qs: QuerySet) -> QuerySet:
        raw = self.request.query_params.get("ordering", "")  # type: ignore[attr-defined]
        if not raw:
            return qs.order_by(*self.default_ordering)
        keys = [k.strip() for k in raw.split(",") if k.strip()]
        known = sorted(self.ordering_fields) + sorted(f"-{k}" for k in self.ordering_fields)
        terms: list[OrderBy] = []
        for key in keys:
            name = key.removeprefix("-")
            if name not in self.ordering_fields:
                raise ValidationError(
                    {
                        "ordering": [
                            _("不能按“{key}”排序，可用：{known}。").format(
                                key=key[:40], known="、".join(known)
                            )
                        ]
                    }
                )
            expr = self.ordering_fields[name]
            expr = F(expr) if isinstance(expr, str) else expr
            descending = key.startswith("-")
            terms.append(expr.desc(nulls_last=True) if descending else expr.asc(nulls_last=True))
        return qs.order_by(*terms, "pk")

    def kept_state(self) -> tuple[Any, ...] | None:
        """What this viewset's GET answers depend on beyond the audit log and the request,
        as ``(audience, *stamps)`` (see duban/core/pagecache.py); None keeps nothing."""
        return None

    def _kept_key(self, request: Request) -> str | None:
        if request.method != "GET":
            return None
        renderer = getattr(request, "accepted_renderer", None)
        if renderer is None or renderer.format != "json":
            return None  # the browsable API is drawn for a person, never kept
        state = self.kept_state()
        if state is None:
            return None
        audience, *stamps = state
        return pagecache.key(
            request,
            f"api:{getattr(self, 'basename', '')}:{getattr(self, 'action', '')}",
            audience,
            # Page links are absolute: the host and scheme are part of the answer.
            request.scheme,
            request.get_host(),
            request.get_full_path(),
            *stamps,
        )

    def kept_or(self, request: Request, answer: Any) -> Any:
        """The kept JSON for this request's state, else ``answer()`` (kept once rendered).

        A viewset's ``list`` or ``retrieve`` calls it (defining them here would give every
        viewset a detail route, even those that have none)."""
        cache_key = self._kept_key(request)
        body = pagecache.get(cache_key)
        if body is not None:
            return HttpResponse(body, content_type="application/json")
        self._keep_as = cache_key
        return answer()

    def finalize_response(
        self, request: Request, response: Response, *args: Any, **kwargs: Any
    ) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]
        if request.method not in ("GET", "HEAD") or response.status_code != 200:
            return response
        if getattr(response, "streaming", False):
            return response  # a file download: no body to hash or keep
        if isinstance(response, Response):
            response.render()
            keep_as = getattr(self, "_keep_as", None)
            if keep_as is not None:
                pagecache.put(keep_as, response.content.decode("utf-8"))
        etag = f'"{hashlib.sha256(response.content).hexdigest()[:32]}"'
        response["ETag"] = etag
        # Each user sees their own rows: a shared cache must not keep it, a client must ask.
        response["Cache-Control"] = "private, no-cache"
        match = request.headers.get("If-None-Match", "")
        if match and (match.strip() == "*" or etag in [m.strip() for m in match.split(",")]):
            not_modified = Response(status=304)
            not_modified["ETag"] = etag
            not_modified["Cache-Control"] = "private, no-cache"
            return super().finalize_response(request, not_modified, *args, **kwargs)  # type: ignore[misc]
        return response


IF_MATCH = OpenApiParameter(
    "If-Match",
    str,
    location=OpenApiParameter.HEADER,
    required=False,
    description='The version you loaded, e.g. "3": a stale one changes nothing (412).',
)


def if_match_version(request: Request) -> int | None:
    """The version named by an ``If-Match`` header (``"3"``, ``W/"3"`` or ``3``), if any."""
    raw = request.headers.get("If-Match", "").strip()
    if not raw:
        return None
    text = raw.removeprefix("W/").strip().strip('"')
    if not text.isdigit() or len(text) > 18:
        from duban.core.errors import InputError

        raise InputError(_('If-Match 应为读取时的版本号，例如 "3"。'))
    return int(text)


def version_to_write(request: Request, sent: int | None, current: int) -> int:
    """The version an edit was loaded at, from ``If-Match`` or the body's ``version``.

    Every PATCH follows the same rule: the header and the body must agree when both come;
    a stale header is a 412 (the integrator's cache is old), while a stale body version
    goes on to the service, which answers 409 with the current version; neither is a 400.
    """
    from duban.core.errors import InputError, PreconditionFailed

    expected = if_match_version(request)
    if expected is not None:
        if sent is not None and sent != expected:
            raise InputError(_("If-Match 与请求中的 version 不一致。"))
        if expected != current:
            raise PreconditionFailed(current)
        return expected
    if sent is None:
        raise InputError(_("请在 If-Match 头或 version 字段中给出读取时的版本。"))
    return sent


def object_id(raw: Any) -> int:
    """A path's object id as an int; anything else (``abc``, ``1.5``, beyond bigint) is the
    API's 404, never a 500 from the database."""
    from duban.core.errors import NotFound

    try:
        value = int(str(raw))
    except (TypeError, ValueError) as exc:
        raise NotFound() from exc
    if not 1 <= value <= MAX_ID:
        raise NotFound()
    return value


def checked_params(serializer_class: type[serializers.Serializer], request: Request) -> dict:
    """The request's query parameters validated by ``serializer_class`` (400 if bad).

    Only the parameters given are returned; ``ordering``, ``page`` and ``page_size`` are
    left to the list machinery."""
    given = {
        k: v
        for k, v in request.query_params.items()
        if k not in ("ordering", "page", "page_size", "format") and v != ""
    }
    data = serializer_class(data=given, partial=True)
    data.is_valid(raise_exception=True)
    return {k: v for k, v in data.validated_data.items() if k in given}
