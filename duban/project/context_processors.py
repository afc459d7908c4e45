"""The navigation bar: the pages a user's roles open, in the order a clerk uses them."""

from __future__ import annotations

from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from duban.org.choices import Role

# (url name, label, roles that see it; empty = everyone logged in)
NAV = [
    ("home", _("工作台"), ()),
    ("battlemap", _("挂图作战"), (Role.OFFICE, Role.LEADER, Role.VIEWER)),
    ("roadmap", _("路线图"), ()),
    ("documents", _("文件审核"), (Role.OFFICE,)),
    ("taskbook", _("任务书导入导出"), (Role.OFFICE,)),
    ("desk", _("我的任务"), (Role.UNIT_LEADER, Role.CLERK)),
    ("office-desk", _("督查台"), (Role.OFFICE, Role.LEADER)),
    ("projects", _("重点项目"), ()),
    ("bulletins", _("通报"), (Role.OFFICE, Role.LEADER, Role.VIEWER)),
    ("instructions", _("领导批示"), ()),
    ("indicators", _("对标对表"), ()),
    ("assessment", _("考核"), (Role.OFFICE,)),
    (
        "assessment-releases",
        _("考核结果"),
        (Role.LEADER, Role.VIEWER, Role.UNIT_LEADER, Role.CLERK),
    ),
    ("manage", _("管理"), (Role.OFFICE,)),
]


def navigation(request: Any) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": []}
    from duban.plans.access import grants

    g = grants(user)
    roles = set(g.global_roles) | {r for rs in g.unit_roles.values() for r in rs}
    items = []
    for name, label, allowed in NAV:
        if allowed and not roles & set(allowed):
            continue
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue  # the page is not installed in this build
        active = request.path == url if url == "/" else request.path.startswith(url)
        items.append({"name": name, "label": label, "url": url, "active": active})
    return {"nav": items, "user_roles": sorted(roles)}
