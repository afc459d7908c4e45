"""Business rules for units and users: one transaction each, audited by the models."""

from __future__ import annotations

from django.db import transaction

from duban.org.choices import Role
from duban.org.models import Membership, Unit, User
from duban.org.unitnames import EXACT, match_unit


def find_unit(name: str) -> Unit | None:
    """A unit, active or not, by full name, short name or alias (exact), or ``None``."""
    return match_unit(name, mode=EXACT, units=Unit.objects.all())


@transaction.atomic
def create_user(
    username: str,
    *,
    password: str,
    display_name: str = "",
    unit: str | Unit | None = None,
    role: str | None = None,
    superuser: bool = False,
) -> User:
    """Create a login and, when given, its role in a unit."""
    if User.objects.filter(username=username).exists():
        raise ValueError(f"用户名“{username}”已存在 (user exists)")
    if role is not None and role not in Role.values:
        raise ValueError(f"未知角色“{role}” (unknown role)")
    unit_obj: Unit | None = None
    if unit is not None:
        unit_obj = unit if isinstance(unit, Unit) else find_unit(unit)
        if unit_obj is None:
            raise ValueError(f"找不到单位“{unit}” (no such unit)")
    if role and unit_obj is None:
        raise ValueError("指定角色时必须同时指定单位 (a role needs a unit)")
    user = User(username=username, display_name=display_name)
    user.set_password(password)
    if superuser:
        user.is_staff = True
        user.is_superuser = True
    user.save()
    if role and unit_obj is not None:
        grant_role(user, unit_obj, role)
    return user


@transaction.atomic
def grant_role(user: User, unit: Unit, role: str) -> Membership:
    membership, _ = Membership.objects.get_or_create(user=user, unit=unit, role=role)
    if role == Role.OFFICE and not user.is_staff:
        # The office manages units, users and calendars in the admin site.
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    return membership


@transaction.atomic
def revoke_role(user: User, unit: Unit, role: str) -> bool:
    """Remove a role; returns whether there was one. The last office role keeps is_staff off."""
    deleted = False
    for membership in Membership.objects.filter(user=user, unit=unit, role=role):
        membership.delete()  # one by one, so each removal is in the audit log
        deleted = True
    if role == Role.OFFICE and not user.memberships.filter(role=Role.OFFICE).exists():
        if user.is_staff and not user.is_superuser:
            user.is_staff = False
            user.save(update_fields=["is_staff"])
    return deleted


@transaction.atomic
def reset_password(user: User, *, password: str) -> User:
    """Set a new password (the office resets a forgotten one; the user changes it later)."""
    user.set_password(password)
    user.save(update_fields=["password"])
    return user
