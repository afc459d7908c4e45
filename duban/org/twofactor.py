"""Two-factor log-in (TOTP, RFC 6238) for the office and administrators.

The office and the admin site can change everything, so a stolen password alone must not
open them. With ``DUBAN_REQUIRE_2FA`` on (the default), a user with office powers (the
office role, or a district's office, 区县督查室, which runs its district's plans), staff or
superuser status who has logged in with a password is sent to ``/accounts/2fa/``: the first time to enrol (a QR code drawn here as SVG, no network needed, plus the key
to type by hand), afterwards to enter the six-digit code. Other roles may enrol too.
Keys are django-otp ``TOTPDevice`` rows; failed codes slow down (django-otp's throttling)
and are audited. The office can reset a user's key from the user page (lost phone).
"""

from __future__ import annotations

import base64
from typing import Any

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from duban.core.audit import record_security_event
from duban.org.authn import OPEN_PREFIXES
from duban.org.grants import grants


def needs_two_factor(user: Any) -> bool:
    """Office powers (the city's office or a district's, 区县督查室), staff or superuser:
    the accounts two-factor is required for."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser or user.is_staff:
        return True
    return grants(user).has_office_powers


def required() -> bool:
    return bool(getattr(settings, "DUBAN_REQUIRE_2FA", True))


def confirmed_device(user: Any) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def qr_svg_data_url(text: str) -> str:
    """The QR code of ``text`` as an SVG ``data:`` URL (drawn locally, never fetched)."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    return "data:image/svg+xml;base64," + base64.b64encode(image.to_string()).decode("ascii")


class TwoFactorMiddleware:
    """Send a user who needs two-factor and has not passed it to the two-factor page."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            required()
            and user is not None
            and needs_two_factor(user)
            and not user.is_verified()
            and not request.path.startswith(OPEN_PREFIXES)
        ):
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {
                        "error": {
                            "code": "otp_required",
                            "message": _("请先在网页上完成两步验证，或改用 API 令牌。"),
                        }
                    },
                    status=403,
                )
            return HttpResponseRedirect(f"/accounts/2fa/?next={request.get_full_path()}")
        return self.get_response(request)


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return "/"
    return target


@login_required
def two_factor(request: HttpRequest) -> HttpResponse:
    """Enrol (first time) or enter the current code from the authenticator app."""
    user = request.user
    device = confirmed_device(user)
    enrolling = device is None
    if enrolling:
        device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name="duban", confirmed=False)
    error = ""
    if request.method == "POST":
        code = (request.POST.get("code") or "").strip().replace(" ", "")
        if code.isdigit() and device.verify_token(code):
            with transaction.atomic():
                if enrolling:
                    device.confirmed = True
                    device.save(update_fields=["confirmed"])
                otp_login(request, device)
                record_security_event("otp_enrolled" if enrolling else "otp_verified", user=user)
            if enrolling:
                messages.success(request, _("两步验证已启用。"))
            return HttpResponseRedirect(_next(request))
        record_security_event("otp_failed", user=user)
        error = _("验证码不正确或已过期，请输入验证器上当前显示的 6 位数字。")
    context: dict[str, Any] = {"enrolling": enrolling, "error": error, "next": _next(request)}
    if enrolling:
        secret = base64.b32encode(device.bin_key).decode("ascii")
        context["qr"] = qr_svg_data_url(device.config_url)
        context["secret"] = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
    return render(request, "registration/two_factor.html", context, status=400 if error else 200)


@transaction.atomic
def reset_two_factor(user: Any, *, actor: Any) -> int:
    """Remove a user's keys (a lost phone); the next log-in enrols again."""
    count, _detail = TOTPDevice.objects.filter(user=user).delete()
    record_security_event("otp_reset", user=actor, username=user.username)
    return count
