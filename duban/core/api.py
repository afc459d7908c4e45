"""What every API error looks like, whichever endpoint raised it.

``{"error": {"code": "...", "message": "..."}}`` with the HTTP status that matches: 400 for
input to correct, 403 for an action the user may not take on a visible object, 404 for an
object that does not exist *for this user*, 409 for a stale write (with the current version).
"""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, parsers, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_handler

from duban.core.models import ConflictError
from duban.core.params import BadParameter
from duban.plans.access import NotAllowed, NotFound
from duban.supervision.services import ValidationError


def error(code: str, message: Any, http: int, **extra: Any) -> Response:
    return Response({"error": {"code": code, "message": message, **extra}}, status=http)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, NotFound | Http404):
        return error("not_found", "未找到该对象。", status.HTTP_404_NOT_FOUND)
    if isinstance(exc, NotAllowed):
        return error("not_allowed", "您无权执行此操作。", status.HTTP_403_FORBIDDEN)
    if isinstance(exc, ConflictError):
        return error("conflict", str(exc), status.HTTP_409_CONFLICT, current_version=exc.found)
    if isinstance(exc, ValidationError | BadParameter):
        return error("invalid", str(exc), status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, OverflowError):
        return error("invalid", _("请求中的数字超出范围。"), status.HTTP_400_BAD_REQUEST)
    response = drf_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        return error("invalid", response.data, response.status_code)
    detail = (
        response.data.get("detail", response.data)
        if isinstance(response.data, dict)
        else response.data
    )
    code = getattr(exc, "default_code", "error")
    return error(str(code), str(detail), response.status_code)


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
