"""Security headers on every response: the Content-Security-Policy and its per-request nonce.

The policy forbids inline script: every page's behaviour lives in static files
(``duban/static/duban/*.js``), htmx runs with ``allowEval`` off, and a template that really
needs an inline ``<script>`` must carry ``nonce="{{ csp_nonce }}"``. Styles may be inline
(``style=""`` attributes in the battle map's bars) because a style cannot run code.
The other headers (nosniff, Referrer-Policy, X-Frame-Options, HSTS) come from Django's
SecurityMiddleware and settings; ``frame-ancestors 'none'`` here says the same as
X-Frame-Options for browsers that prefer CSP.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.http import HttpRequest, HttpResponse


def policy(nonce: str) -> str:
    """The CSP header value for one response."""
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "worker-src 'self' blob:",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


class ContentSecurityPolicyMiddleware:
    """Give each request a fresh nonce and send the policy with every response."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.csp_nonce = secrets.token_urlsafe(16)
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", policy(request.csp_nonce))
        return response


def csp_nonce(request: HttpRequest) -> dict[str, str]:
    """Template context: ``csp_nonce`` (django-htmx's ``{% htmx_script %}`` reads it too)."""
    return {"csp_nonce": getattr(request, "csp_nonce", "")}
