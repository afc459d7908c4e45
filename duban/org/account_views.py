"""A user's own account pages: changing the password (and, in ``twofactor``, the TOTP key)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext as _

from duban.core.audit import record_security_event
from duban.org.forms import OwnPasswordChangeForm


@login_required
def password_change(request: HttpRequest) -> HttpResponse:
    """Change one's own password under the policy; the session stays logged in."""
    form = OwnPasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        update_session_auth_hash(request, user)
        record_security_event("password_changed", user=user)
        messages.success(request, _("密码已修改。"))
        return HttpResponseRedirect("/")
    status = 400 if form.errors else 200
    return render(request, "registration/password_change.html", {"form": form}, status=status)
