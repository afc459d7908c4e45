"""Log-in security: lockout after repeated failures, the password policy, session timeouts.

The rules a level-3 system is graded on (GB/T 22239-2019, 8.1.4.1), in one module:

- five failures within the window lock the *login name* and, separately, the *address*
  for fifteen minutes (``DUBAN_LOCKOUT_ATTEMPTS``, ``DUBAN_LOCKOUT_MINUTES``); attempts made
  while locked count too, so a script cannot keep guessing at the edge of the window. The
  office unlocks a login from its user page (:func:`unlock`);
- passwords: at least ten characters, three of the four classes, not containing the login,
  not one of the last five, and older than ``DUBAN_PASSWORD_MAX_AGE_DAYS`` must be changed;
- a session ends after ``DUBAN_SESSION_IDLE_MINUTES`` without a request and, in any case,
  ``DUBAN_SESSION_MAX_HOURS`` after the log-in;
- log-ins, log-outs, failures, lockouts and unlocks are audit rows.

The lockout lives in an authentication backend, so the log-in page and the admin site's
log-in obey the same count.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.hashers import check_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from duban.core.audit import record_security_event
from duban.org.models import LoginFailure, PasswordHistory, User

# --- who is asking ------------------------------------------------------------------------


def client_ip(request: HttpRequest | None) -> str | None:
    """The client's address: REMOTE_ADDR, or the proxy's X-Forwarded-For when trusted.

    Behind nginx every request comes from 127.0.0.1; without ``DUBAN_TRUST_X_FORWARDED_FOR``
    the per-address lockout would then lock everyone at once.
    """
    if request is None:
        return None
    if getattr(settings, "DUBAN_TRUST_X_FORWARDED_FOR", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded.strip():
            return forwarded.split(",")[-1].strip() or None
    return request.META.get("REMOTE_ADDR") or None


# --- lockout ------------------------------------------------------------------------------


def _attempts() -> int:
    return int(getattr(settings, "DUBAN_LOCKOUT_ATTEMPTS", 5))


def _window() -> dt.timedelta:
    return dt.timedelta(minutes=int(getattr(settings, "DUBAN_LOCKOUT_MINUTES", 15)))


def _locked_until(**match: Any) -> dt.datetime | None:
    since = timezone.now() - _window()
    times = list(
        LoginFailure.objects.filter(cleared=False, time__gte=since, **match)
        .order_by("-time")
        .values_list("time", flat=True)[: _attempts()]
    )
    if len(times) < _attempts():
        return None
    return times[0] + _window()


def locked_until(username: str, ip: str | None) -> dt.datetime | None:
    """When the lock on this login or this address ends, or ``None`` when neither is locked."""
    ends = [_locked_until(username=username)]
    if ip:
        ends.append(_locked_until(ip=ip))
    found = [e for e in ends if e is not None]
    return max(found) if found else None


def record_failure(username: str, ip: str | None) -> None:
    """Count a failed attempt; the attempt that reaches the limit writes a lockout row too."""
    with transaction.atomic():
        was_locked = locked_until(username, ip) is not None
        LoginFailure.objects.create(username=username[:150], ip=ip)
        user = User.objects.filter(username=username).first()
        record_security_event("login_failed", user=user, username=username, note=ip or "")
        if not was_locked and locked_until(username, ip) is not None:
            record_security_event("account_locked", user=user, username=username, note=ip or "")


@transaction.atomic
def unlock(user: User, *, actor: Any) -> int:
    """The office lifts a lock: the login's failures stop counting. Returns how many."""
    cleared = LoginFailure.objects.filter(username=user.username, cleared=False).update(
        cleared=True
    )
    record_security_event(
        "account_unlocked", user=actor, username=user.username, data={"failures": cleared}
    )
    return cleared


def lock_message(until: dt.datetime) -> str:
    minutes = max(1, int((until - timezone.now()).total_seconds() // 60) + 1)
    return _("登录失败次数过多，账号已暂时锁定，请 {n} 分钟后再试，或请督查室解锁。").format(
        n=minutes
    )


class LockoutBackend(ModelBackend):
    """Django's password check, refused outright while the login or the address is locked.

    ``PermissionDenied`` stops Django from trying other backends, and Django then sends
    ``user_login_failed``, which counts the attempt (see :func:`on_login_failed`).
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        if username is None:
            username = kwargs.get(User.USERNAME_FIELD)
        if username is not None and locked_until(username, client_ip(request)) is not None:
            raise PermissionDenied(_("账号已锁定。"))
        return super().authenticate(request, username=username, password=password, **kwargs)


# --- audit of log-in and log-out (signal receivers, connected in OrgConfig.ready) ---------


def on_logged_in(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    ip = client_ip(request)
    LoginFailure.objects.filter(username=user.username, cleared=False).update(cleared=True)
    if request is not None and hasattr(request, "session"):
        now = timezone.now().timestamp()
        request.session[LOGIN_AT] = now
        request.session[SEEN_AT] = now
    record_security_event("login", user=user, note=ip or "")


def on_logged_out(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    if user is None:
        return
    reason = getattr(request, "_duban_logout_reason", "") if request is not None else ""
    record_security_event("logout", user=user, note=reason or client_ip(request) or "")


def on_login_failed(
    sender: Any, credentials: dict[str, Any], request: Any = None, **kw: Any
) -> None:
    username = str(credentials.get("username") or "")[:150]
    if username:
        record_failure(username, client_ip(request))


# --- password policy (AUTH_PASSWORD_VALIDATORS) ------------------------------------------


class LengthValidator:
    """At least ``min_length`` characters (10 by default)."""

    def __init__(self, min_length: int = 10) -> None:
        self.min_length = min_length

    def validate(self, password: str, user: Any = None) -> None:
        if len(password) < self.min_length:
            raise ValidationError(
                _("密码太短：至少需要 {n} 个字符。").format(n=self.min_length),
                code="password_too_short",
            )

    def get_help_text(self) -> str:
        return _("至少 {n} 个字符。").format(n=self.min_length)


CLASSES = (str.islower, str.isupper, str.isdigit)


def character_classes(password: str) -> int:
    """How many of lower case, upper case, digits and other characters the password uses."""
    found = {i for ch in password for i, test in enumerate(CLASSES) if test(ch)}
    if any(not any(test(ch) for test in CLASSES) for ch in password):
        found.add(len(CLASSES))
    return len(found)


class CharacterClassesValidator:
    """At least ``min_classes`` of: lower case, upper case, digits, other characters."""

    def __init__(self, min_classes: int = 3) -> None:
        self.min_classes = min_classes

    def validate(self, password: str, user: Any = None) -> None:
        if character_classes(password) < self.min_classes:
            raise ValidationError(
                _("密码需包含小写字母、大写字母、数字、符号四类中的至少 {n} 类。").format(
                    n=self.min_classes
                ),
                code="password_too_simple",
            )

    def get_help_text(self) -> str:
        return _("包含小写字母、大写字母、数字、符号中的至少 {n} 类。").format(n=self.min_classes)


class NotContainingLoginValidator:
    """The password may not contain the login name (in any case)."""

    def validate(self, password: str, user: Any = None) -> None:
        username = (getattr(user, "username", "") or "").lower()
        if len(username) >= 3 and username in password.lower():
            raise ValidationError(_("密码不能包含用户名。"), code="password_contains_login")

    def get_help_text(self) -> str:
        return _("不能包含用户名。")


class RecentPasswordValidator:
    """Not the current password nor one of the last ``count`` (5 by default)."""

    def __init__(self, count: int = 5) -> None:
        self.count = count

    def validate(self, password: str, user: Any = None) -> None:
        if user is None or not getattr(user, "pk", None):
            return
        hashes = list(
            PasswordHistory.objects.filter(user_id=user.pk).values_list("password", flat=True)[
                : self.count
            ]
        )
        current = User.objects.filter(pk=user.pk).values_list("password", flat=True).first()
        if current:
            hashes.append(current)
        if any(check_password(password, h) for h in hashes):
            raise ValidationError(
                _("新密码不能与最近 {n} 次使用过的密码相同。").format(n=self.count),
                code="password_reused",
            )

    def get_help_text(self) -> str:
        return _("不能与最近 {n} 次使用过的密码相同。").format(n=self.count)


def password_expired(user: Any) -> bool:
    """Is the user's password older than ``DUBAN_PASSWORD_MAX_AGE_DAYS`` (0 = never)?"""
    days = int(getattr(settings, "DUBAN_PASSWORD_MAX_AGE_DAYS", 0))
    changed = getattr(user, "password_changed_at", None)
    if days <= 0 or changed is None:
        return False
    return timezone.now() - changed > dt.timedelta(days=days)


# --- session timeouts and the expired-password gate (middleware) --------------------------

LOGIN_AT = "duban_login_at"
SEEN_AT = "duban_seen_at"
# Paths a user may reach whatever the state of the session: logging in and out, the
# password change and two-factor pages, static files, the language switcher, health.
OPEN_PREFIXES = ("/accounts/", "/static/", "/i18n/", "/healthz")


class SessionSecurityMiddleware:
    """End idle and too-old sessions; send users with an expired password to change it."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            ended = self._timed_out(request)
            if ended:
                request._duban_logout_reason = ended
                logout(request)
                messages.info(request, _("会话已超时，请重新登录。"))
            elif not request.path.startswith(OPEN_PREFIXES) and not request.path.startswith(
                "/api/"
            ):
                if password_expired(user):
                    messages.warning(request, _("您的密码已过期，请先修改密码。"))
                    return HttpResponseRedirect(reverse("password_change"))
        return self.get_response(request)

    @staticmethod
    def _timed_out(request: HttpRequest) -> str:
        now = timezone.now().timestamp()
        idle = int(getattr(settings, "DUBAN_SESSION_IDLE_MINUTES", 30)) * 60
        longest = float(getattr(settings, "DUBAN_SESSION_MAX_HOURS", 12)) * 3600
        session = request.session
        login_at = session.get(LOGIN_AT)
        seen_at = session.get(SEEN_AT)
        if login_at is None:  # a session from before this rule, or force_login in a test
            session[LOGIN_AT] = session[SEEN_AT] = now
            return ""
        if longest > 0 and now - login_at > longest:
            return "session_max_age"
        if idle > 0 and seen_at is not None and now - seen_at > idle:
            return "session_idle"
        # Writing the session on every request would cost a database write per click.
        if seen_at is None or now - seen_at > 60 or now < seen_at:
            session[SEEN_AT] = now
        return ""
