"""What every API error looks like, whichever endpoint raised it.

``{"error": {"code": "...", "message": "..."}}`` with the HTTP status that matches: 400 for
input to correct, 401 (with ``WWW-Authenticate``) for missing or bad credentials, 403 for
an action the user may not take on a visible object (or a read-only token writing), 404 for
an object that does not exist *for this user*, 409 for a stale write (with the current
version), 429 when a token or an address asks too often (with ``Retry-After``).
"""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, parsers, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_handler

from duban.core.audit import record_security_event
from duban.core.errors import (
    InputError,
    NotAllowed,
    NotFound,
    PreconditionFailed,
    StorageFull,
)
from duban.core.models import ConflictError
from duban.core.params import BadParameter


def error(code: str, message: Any, http: int, **extra: Any) -> Response:
    return Response({"error": {"code": code, "message": message, **extra}}, status=http)


# Headers of DRF's own answer that must survive the rewrite into the error shape.
KEPT_HEADERS = ("WWW-Authenticate", "Retry-After")


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, NotAllowed | exceptions.PermissionDenied):
        request = context.get("request")
        record_security_event(
            "permission_denied",
            user=getattr(request, "user", None),
            note=f"{getattr(request, 'method', '')} {getattr(request, 'path', '')}"[:500],
        )
    if isinstance(exc, NotFound | Http404):
        return error("not_found", _("未找到该对象。"), status.HTTP_404_NOT_FOUND)
    if isinstance(exc, NotAllowed):
        return error("not_allowed", _("您无权执行此操作。"), status.HTTP_403_FORBIDDEN)
    if isinstance(exc, ConflictError):
        return error("conflict", str(exc), status.HTTP_409_CONFLICT, current_version=exc.found)
    if isinstance(exc, PreconditionFailed):
        return error(
            "precondition_failed",
            _("该对象已被他人修改（当前版本 {v}），未作改动；请重新读取后再提交。").format(
                v=exc.current
            ),
            status.HTTP_412_PRECONDITION_FAILED,
            current_version=exc.current,
        )
    if isinstance(exc, InputError | BadParameter):
        return error("invalid", str(exc), status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, StorageFull):
        return error("storage_full", str(exc), status.HTTP_507_INSUFFICIENT_STORAGE)
    if isinstance(exc, OverflowError):
        return error("invalid", _("请求中的数字超出范围。"), status.HTTP_400_BAD_REQUEST)
    response = drf_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        result = error("invalid", response.data, response.status_code)
    elif isinstance(exc, exceptions.NotAuthenticated):
        result = error("not_authenticated", _("请先登录，或提供有效的 API 令牌。"), 401)
    elif isinstance(exc, exceptions.AuthenticationFailed):
        result = error("authentication_failed", str(exc.detail), 401)
    elif isinstance(exc, exceptions.Throttled):
        wait = int(exc.wait or 1)
        result = error(
            "throttled",
            _("请求过于频繁，请 {n} 秒后再试。").format(n=wait),
            status.HTTP_429_TOO_MANY_REQUESTS,
            retry_after=wait,
        )
    elif isinstance(exc, exceptions.PermissionDenied):
        default = exc.detail == exceptions.PermissionDenied.default_detail
        message = _("您无权执行此操作。") if default else str(exc.detail)
        result = error("not_allowed", message, status.HTTP_403_FORBIDDEN)
    else:
        detail = (
            response.data.get("detail", response.data)
            if isinstance(response.data, dict)
            else response.data
        )
        code = getattr(exc, "default_code", "error")
        result = error(str(code), str(detail), response.status_code)
    for header in KEPT_HEADERS:
        if header in response:
            result[header] = response[header]
    # A 401 always says how to authenticate, even when DRF chose not to.
    if result.status_code == 401 and "WWW-Authenticate" not in result:
        result["WWW-Authenticate"] = 'Token realm="duban"'
    return result


ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {
                    "type": "string",
                    "description": "not_authenticated, authentication_failed, not_allowed, "
                    "not_found, invalid, conflict, throttled, storage_full, unavailable",
                },
                "message": {"description": "A sentence for the user (Chinese by default)."},
                "retry_after": {"type": "integer", "description": "429 only: seconds"},
                "current_version": {"type": "integer", "description": "409 and 412 only"},
            },
        }
    },
}
ERROR_RESPONSES = {
    "401": "Missing, malformed, unknown or expired credentials (with WWW-Authenticate).",
    "403": "Authenticated, but not allowed (role, unit, or a read-only token writing).",
    "404": "The object does not exist for this user.",
    "429": "Too many requests for this token or address (with Retry-After).",
}


INPUT_ERROR = "Input to correct: the message names each field and what is wrong with it."
PRECONDITION_ERROR = (
    "If-Match named a version the object no longer has; nothing changed; current_version "
    "gives its version now."
)
CONFLICT_ERROR = (
    "Somebody else changed the object since it was read; current_version gives its version."
)


def document_errors(result: dict[str, Any], generator: Any, request: Any, public: bool) -> Any:
    """drf-spectacular hook: every operation documents the one error shape and its codes.

    400 wherever the client sends something to check (query parameters or a body), 409
    wherever it writes (a stale version), and 401, 403, 404, 429 everywhere.
    """
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    ref = {"$ref": "#/components/schemas/Error"}

    def answer(text: str) -> dict[str, Any]:
        return {"description": text, "content": {"application/json": {"schema": ref}}}

    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            for code, text in ERROR_RESPONSES.items():
                responses.setdefault(code, answer(text))
            queries = any(p.get("in") == "query" for p in operation.get("parameters", []))
            if queries or "requestBody" in operation:
                responses.setdefault("400", answer(INPUT_ERROR))
            if method in ("post", "put", "patch", "delete"):
                responses.setdefault("400", answer(INPUT_ERROR))
                responses.setdefault("409", answer(CONFLICT_ERROR))
            if any(p.get("name") == "If-Match" for p in operation.get("parameters", [])):
                responses.setdefault("412", answer(PRECONDITION_ERROR))
    return result


@csrf_exempt  # a POST to a path that does not exist is a 404, not a CSRF refusal
def not_found(request: Any, *args: Any, **kwargs: Any) -> Any:
    """Any other path under /api/: the API's 404, not the site's HTML page."""
    from django.http import JsonResponse

    return JsonResponse(
        {"error": {"code": "not_found", "message": _("未找到该对象。")}}, status=404
    )


class TextSerializer(serializers.Serializer):
    """A single free-text field: a comment, a reply, a closure note."""

    text = serializers.CharField()


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, with a body nested too deep to decode refused as a 400.

    Why: a body of 100,000 nested brackets raised RecursionError, a server error (issue 14).
    """

    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise exceptions.ParseError(_("JSON 嵌套层数过多，无法解析。")) from exc
