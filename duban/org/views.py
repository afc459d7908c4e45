"""The office's manage pages (``/manage/``): units, users and roles, the calendar, thresholds.

The Django admin can do all of this too; these pages are the part the office uses every
month, in Chinese, with the same look as the rest of duban. Office only (403 otherwise).
Edits of existing rows carry the row's version, so a stale form is a 409, not an overwrite.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.db import transaction
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from duban.core.models import ConflictError
from duban.core.pages import forbidden, guarded, rebind_with_version
from duban.org import authn, services
from duban.org.forms import PasswordForm, RoleForm, UnitForm, UserCreateForm
from duban.org.models import Membership, Unit, User
from duban.plans import access
from duban.supervision import services as supervision_services
from duban.supervision.forms import CalendarDayForm, HolidayNoticeForm, SupervisionSettingsForm
from duban.supervision.holidays import parse_holiday_notice
from duban.supervision.models import CalendarDay, SupervisionSettings
from duban.supervision.workdays import package_years


def office_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not access.is_office(request.user):
            return forbidden(request, _("管理页面仅供督查室使用。"))
        return view(request, *args, **kwargs)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return guarded(wrapper)


def unit_tree() -> list[tuple[Unit, int]]:
    """All units in tree order with their depth (one query)."""
    units = list(Unit.objects.order_by("sort_order", "id"))
    children: dict[int | None, list[Unit]] = {}
    known = {u.pk for u in units}
    for unit in units:
        parent = unit.parent_id if unit.parent_id in known else None
        children.setdefault(parent, []).append(unit)
    result: list[tuple[Unit, int]] = []
    stack = [(u, 0) for u in reversed(children.get(None, []))]
    while stack:
        unit, depth = stack.pop()
        result.append((unit, depth))
        stack.extend((c, depth + 1) for c in reversed(children.get(unit.pk, [])))
    return result


@office_only
def manage(request: HttpRequest) -> HttpResponse:
    return render(request, "org/manage.html", {"tree": unit_tree()})


@office_only
def unit_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    unit = get_object_or_404(Unit, pk=pk) if pk else None
    status, conflict = 200, ""
    if request.method == "POST":
        form = UnitForm(request.POST, instance=unit)
        if form.is_valid():
            obj = form.save(commit=False)
            if unit is not None and form.cleaned_data["version"] is not None:
                # The loaded version, so AuditedModel.save refuses a stale write.
                obj.version = form.cleaned_data["version"]
            try:
                obj.save()
            except ConflictError as exc:
                status, conflict = 409, str(exc)
                form = UnitForm(
                    rebind_with_version(request.POST, exc.found),
                    instance=Unit.objects.get(pk=unit.pk),
                )
            else:
                messages.success(request, _("单位“{name}”已保存。").format(name=obj))
                return HttpResponseRedirect(reverse("manage"))
        else:
            status = 400
    else:
        form = UnitForm(instance=unit, initial={"version": unit.version if unit else None})
    return render(
        request,
        "org/unit_form.html",
        {"form": form, "unit": unit, "conflict": conflict},
        status=status,
    )


@office_only
def users(request: HttpRequest) -> HttpResponse:
    memberships = Prefetch(
        "memberships", queryset=Membership.objects.select_related("unit").order_by("unit_id")
    )
    rows = User.objects.prefetch_related(memberships).order_by("username")
    return render(request, "org/users.html", {"users": rows})


@office_only
def user_create(request: HttpRequest) -> HttpResponse:
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.create_user(
                data["username"],
                password=data["password1"],
                display_name=data["display_name"],
                unit=data["unit"],
                role=data["role"],
            )
        except ValueError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("用户“{name}”已创建。").format(name=user.username))
            return HttpResponseRedirect(reverse("manage-user", args=[user.pk]))
    status = 400 if form.errors else 200
    return render(request, "org/user_create.html", {"form": form}, status=status)


def _user_page(request: HttpRequest, user: User, status: int = 200, **forms: Any) -> HttpResponse:
    return render(
        request,
        "org/user_detail.html",
        {
            "subject": user,
            "memberships": user.memberships.select_related("unit").order_by("unit_id"),
            "role_form": forms.get("role_form") or RoleForm(auto_id="role_%s"),
            "password_form": forms.get("password_form") or PasswordForm(auto_id="pw_%s"),
            "locked_until": authn.locked_until(user.username, None),
            "has_two_factor": user.totpdevice_set.filter(confirmed=True).exists(),
        },
        status=status,
    )


@office_only
def user_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _user_page(request, get_object_or_404(User, pk=pk))


@office_only
@require_POST
def role_add(request: HttpRequest, pk: int) -> HttpResponse:
    user = get_object_or_404(User, pk=pk)
    form = RoleForm(request.POST, auto_id="role_%s")
    if not form.is_valid():
        return _user_page(request, user, 400, role_form=form)
    services.grant_role(user, form.cleaned_data["unit"], form.cleaned_data["role"])
    messages.success(request, _("已授予角色。"))
    return HttpResponseRedirect(reverse("manage-user", args=[user.pk]))


@office_only
@require_POST
def role_remove(request: HttpRequest, pk: int, membership_id: int) -> HttpResponse:
    user = get_object_or_404(User, pk=pk)
    membership = get_object_or_404(Membership, pk=membership_id, user=user)
    services.revoke_role(user, membership.unit, membership.role)
    messages.success(request, _("已撤销角色。"))
    return HttpResponseRedirect(reverse("manage-user", args=[user.pk]))


@office_only
@require_POST
def password_reset(request: HttpRequest, pk: int) -> HttpResponse:
    user = get_object_or_404(User, pk=pk)
    form = PasswordForm(request.POST, user=user, auto_id="pw_%s")
    if not form.is_valid():
        return _user_page(request, user, 400, password_form=form)
    services.reset_password(user, password=form.cleaned_data["password1"])
    messages.success(request, _("密码已重置。"))
    return HttpResponseRedirect(reverse("manage-user", args=[user.pk]))


@office_only
@require_POST
def unlock(request: HttpRequest, pk: int) -> HttpResponse:
    """Lift a lockout: the login's failed attempts stop counting (audited)."""
    user = get_object_or_404(User, pk=pk)
    authn.unlock(user, actor=request.user)
    messages.success(request, _("账号“{name}”已解锁。").format(name=user.username))
    return HttpResponseRedirect(reverse("manage-user", args=[user.pk]))


@office_only
@require_POST
def two_factor_reset(request: HttpRequest, pk: int) -> HttpResponse:
    """Remove a user's two-factor key (a lost phone); they enrol again at the next log-in."""
    from duban.org.twofactor import reset_two_factor

    user = get_object_or_404(User, pk=pk)
    reset_two_factor(user, actor=request.user)
    messages.success(request, _("已重置“{name}”的两步验证。").format(name=user.username))
    return HttpResponseRedirect(reverse("manage-user", args=[user.pk]))


@office_only
def calendar(request: HttpRequest) -> HttpResponse:
    """Calendar exceptions of a year: holidays and make-up working days (调休)."""
    try:
        year = int(request.GET.get("year") or timezone.localdate().year)
    except ValueError:
        year = timezone.localdate().year
    status = 200
    if request.method == "POST":
        form = CalendarDayForm(request.POST)
        if form.is_valid():
            day = form.save()
            messages.success(request, _("已添加 {date}。").format(date=day.date))
            return HttpResponseRedirect(f"{reverse('manage-calendar')}?year={day.date.year}")
        status = 400
    else:
        form = CalendarDayForm()
    days = CalendarDay.objects.filter(
        date__gte=dt.date(year, 1, 1), date__lte=dt.date(year, 12, 31)
    )
    return render(
        request,
        "org/calendar.html",
        {
            "form": form,
            "days": days,
            "year": year,
            "prev": year - 1,
            "next": year + 1,
            "missing_years": missing_calendar_years(),
        },
        status=status,
    )


def missing_calendar_years() -> list[int]:
    """This year and the next, when neither the package nor the office has their holidays."""
    first, last = package_years()
    this_year = timezone.localdate().year
    office_years = {
        d.year
        for d in CalendarDay.objects.filter(
            date__gte=dt.date(this_year, 1, 1), date__lte=dt.date(this_year + 1, 12, 31)
        ).dates("date", "year")
    }
    return [
        y for y in (this_year, this_year + 1) if not (first <= y <= last) and y not in office_years
    ]


@office_only
def calendar_notice(request: HttpRequest) -> HttpResponse:
    """Paste the State Council's holiday notice, preview the days it gives, then save them.

    The preview and the save both parse the posted text, so what is saved is exactly what
    was shown; nothing is kept between the two requests.
    """
    missing = missing_calendar_years()
    parsed, existing, status = None, {}, 200
    if request.method == "POST":
        form = HolidayNoticeForm(request.POST)
        if form.is_valid():
            parsed = parse_holiday_notice(form.cleaned_data["text"], year=form.cleaned_data["year"])
            if not parsed.ok:
                status = 400
            elif "save" in request.POST:
                counts = supervision_services.save_holiday_notice(parsed, actor=request.user)
                messages.success(
                    request,
                    _(
                        "已保存{year}年节假日安排：放假{rest}天，调休上班{work}天"
                        "（新增{created}条，修改{updated}条）。"
                    ).format(year=parsed.year, **counts),
                )
                return HttpResponseRedirect(f"{reverse('manage-calendar')}?year={parsed.year}")
            existing = {
                c.date: c
                for c in CalendarDay.objects.filter(date__in=[d.date for d in parsed.days])
            }
        else:
            status = 400
    else:
        form = HolidayNoticeForm(initial={"year": missing[0] if missing else None})
    rows = []
    if parsed is not None:
        for day in parsed.days:
            old = existing.get(day.date)
            rows.append(
                {
                    "day": day,
                    "old": old,
                    "changes": old is not None
                    and (old.is_workday, old.note) != (day.is_workday, day.note),
                }
            )
    return render(
        request,
        "org/calendar_notice.html",
        {"form": form, "parsed": parsed, "rows": rows, "missing_years": missing},
        status=status,
    )


@office_only
@require_POST
def calendar_delete(request: HttpRequest, pk: int) -> HttpResponse:
    day = get_object_or_404(CalendarDay, pk=pk)
    year = day.date.year
    day.delete()
    messages.success(request, _("已删除。"))
    return HttpResponseRedirect(f"{reverse('manage-calendar')}?year={year}")


@office_only
def thresholds(request: HttpRequest) -> HttpResponse:
    """The lights' thresholds and the chasing ladder's timings."""
    current = SupervisionSettings.current()
    status, conflict = 200, ""
    if request.method == "POST":
        form = SupervisionSettingsForm(request.POST, instance=current)
        if form.is_valid():
            obj = form.save(commit=False)
            if form.cleaned_data["version"] is not None:
                obj.version = form.cleaned_data["version"]
            try:
                with transaction.atomic():
                    obj.save()
            except ConflictError as exc:
                status, conflict = 409, str(exc)
                form = SupervisionSettingsForm(
                    rebind_with_version(request.POST, exc.found),
                    instance=SupervisionSettings.current(),
                )
            else:
                messages.success(request, _("督办参数已保存，下次计算亮灯和催办时生效。"))
                return HttpResponseRedirect(reverse("manage-settings"))
        else:
            status = 400
    else:
        form = SupervisionSettingsForm(instance=current, initial={"version": current.version})
    return render(request, "org/settings.html", {"form": form, "conflict": conflict}, status=status)
