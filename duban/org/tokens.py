"""API tokens: issued with a scope and an expiry, stored hashed, checked on every request.

``Authorization: Token <key>`` (or ``Bearer <key>``). A missing or bad key is a 401 with
``WWW-Authenticate``; a read-only key that tries to write is a 403; too many requests from
one token or one address is a 429 (rates ``DUBAN_API_RATE_TOKEN`` and ``DUBAN_API_RATE_IP``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import permissions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.throttling import SimpleRateThrottle

from duban.core.audit import record_security_event
from duban.org.models import ApiToken, User

KEY_PREFIX = "dbn_"


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


@transaction.atomic
def issue_token(
    user: User, *, scope: str, days: int, replace: bool = False
) -> tuple[ApiToken, str]:
    """A new token for ``user``; returns the row and the key, which is never shown again."""
    if scope not in ApiToken.Scope.values:
        raise ValueError(str(_("未知的令牌范围“{scope}”。")).format(scope=scope))
    if days < 1:
        raise ValueError(str(_("令牌有效期至少 1 天。")))
    if replace:
        user.api_tokens.all().delete()
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        key_hash=hash_key(key),
        prefix=key[:10],
        scope=scope,
        expires_at=timezone.now() + dt.timedelta(days=days),
    )
    record_security_event(
        "api_token_issued", user=user, data={"scope": scope, "days": days, "prefix": token.prefix}
    )
    return token, key


class ApiTokenAuthentication(BaseAuthentication):
    keywords = (b"token", b"bearer")

    def authenticate(self, request: Any) -> tuple[User, ApiToken] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() not in self.keywords:
            return None
        if len(parts) != 2:
            raise AuthenticationFailed(_("API 令牌格式不正确：应为 “Token <令牌>”。"))
        key = parts[1].decode("latin-1")
        token = ApiToken.objects.select_related("user").filter(key_hash=hash_key(key)).first()
        if token is None or not token.user.is_active:
            raise AuthenticationFailed(_("API 令牌无效。"))
        now = timezone.now()
        if token.expires_at <= now:
            raise AuthenticationFailed(_("API 令牌已过期，请向督查室申请新令牌。"))
        # One write a minute at most: the "last used" column is for the office, not a log.
        if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=1):
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token

    def authenticate_header(self, request: Any) -> str:
        return 'Token realm="duban"'


class TokenScope(permissions.BasePermission):
    """A read-only token may only read (GET, HEAD, OPTIONS)."""

    message = _("此 API 令牌为只读，不能修改数据。")

    def has_permission(self, request: Any, view: Any) -> bool:
        token = request.auth
        if not isinstance(token, ApiToken) or request.method in permissions.SAFE_METHODS:
            return True
        return token.scope == ApiToken.Scope.WRITE


class TokenRateThrottle(SimpleRateThrottle):
    """Requests per token (``DUBAN_API_RATE_TOKEN``, e.g. ``120/minute``)."""

    scope = "token"

    def get_rate(self) -> str:
        return settings.DUBAN_API_RATE_TOKEN

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        if isinstance(request.auth, ApiToken):
            return f"throttle_token_{request.auth.pk}"
        return None


class AddressRateThrottle(SimpleRateThrottle):
    """Requests per client address, whoever is asking (``DUBAN_API_RATE_IP``)."""

    scope = "ip"

    def get_rate(self) -> str:
        return settings.DUBAN_API_RATE_IP

    def get_cache_key(self, request: Any, view: Any) -> str:
        return f"throttle_ip_{self.get_ident(request)}"


class AddressRateLimitMiddleware:
    """The per-address limit, applied to every ``/api/`` request *before* authentication.

    DRF checks its throttles only after authentication and permissions, so a script trying
    keys or hammering without credentials would never be slowed; this runs first.
    """

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        if request.path.startswith("/api/"):
            throttle = AddressRateThrottle()
            if not throttle.allow_request(request, None):
                from django.http import JsonResponse

                wait = max(1, int(throttle.wait() or 1))
                response = JsonResponse(
                    {
                        "error": {
                            "code": "throttled",
                            "message": str(_("请求过于频繁，请 {n} 秒后再试。")).format(n=wait),
                            "retry_after": wait,
                        }
                    },
                    status=429,
                )
                response["Retry-After"] = str(wait)
                return response
        return self.get_response(request)


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """How the OpenAPI schema describes the token header."""

    target_class = "duban.org.tokens.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "Token <key>: issued by `duban token USER --scope read|write`; "
            "read tokens may only GET.",
        }
