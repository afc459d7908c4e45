"""``Idempotency-Key`` for the API's creating requests: a retry gets the first answer.

Why: a clerk reporting from the field on a bad line sends again when the answer is lost;
without a key that files the report twice (or fails on the second try). The first answer
of a successful request is stored with the key in the same transaction as the work it
describes, so either both exist or neither does; a concurrent twin loses on the unique
key, rolls back what it did and answers with the stored result.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter
from rest_framework.request import Request
from rest_framework.response import Response

from duban.core.errors import InputError
from duban.core.models import IdempotentRequest

HEADER = "Idempotency-Key"
PARAMETER = OpenApiParameter(
    HEADER,
    str,
    location=OpenApiParameter.HEADER,
    required=False,
    description="Any unique string up to 200 characters. A retry with the same key returns "
    "the first answer and creates nothing; keys last DUBAN_IDEMPOTENCY_HOURS (24) hours.",
)
REPLAYED = "Idempotent-Replayed"


def _hours() -> int:
    return int(getattr(settings, "DUBAN_IDEMPOTENCY_HOURS", 24))


def _stored(request: Request, key: str) -> IdempotentRequest | None:
    found = IdempotentRequest.objects.filter(user=request.user, key=key).first()
    if found is None:
        return None
    if found.created_at < timezone.now() - dt.timedelta(hours=_hours()):
        found.delete()  # expired: the key may be used afresh
        return None
    if found.method != request.method or found.path != request.path:
        raise InputError(_("此 Idempotency-Key 已用于另一个请求，请换一个新的键。"))
    return found


def _replay(found: IdempotentRequest) -> Response:
    return Response(found.body, status=found.status, headers={REPLAYED: "true"})


def once(request: Request, run: Callable[[], Response]) -> Response:
    """Run ``run`` unless this user already sent this key; then answer as the first time."""
    key = request.headers.get(HEADER, "").strip()
    if not key:
        return run()
    if len(key) > 200:
        raise InputError(_("Idempotency-Key 不能超过 200 个字符。"))
    found = _stored(request, key)
    if found is not None:
        return _replay(found)
    try:
        with transaction.atomic():
            response = run()
            if 200 <= response.status_code < 300:
                IdempotentRequest.objects.create(
                    user=request.user,
                    key=key,
                    method=request.method,
                    path=request.path,
                    status=response.status_code,
                    body=response.data,
                )
    except IntegrityError:
        found = _stored(request, key)
        if found is None:
            raise
        return _replay(found)
    return response


def idempotent(method: Callable[..., Response]) -> Callable[..., Response]:
    """A viewset action that honours ``Idempotency-Key`` (see :func:`once`), documented so.

    For every creating POST: a retry after a lost answer must not comment, notify or create
    twice, whichever endpoint the client was calling.
    """
    import functools

    from drf_spectacular.utils import extend_schema

    @functools.wraps(method)
    def wrapper(self: object, request: Request, *args: object, **kwargs: object) -> Response:
        return once(request, lambda: method(self, request, *args, **kwargs))

    return extend_schema(parameters=[PARAMETER])(wrapper)
