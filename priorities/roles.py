"""The two staff roles as Django groups, kept in step with the code after every migrate."""

from django.contrib.auth.models import Group, Permission

from priorities.permissions import DEPARTMENT_HEAD_GROUP, DX_STAFF_GROUP

PLAN_APPS = ("priorities", "kpis", "systems", "pdca")
# Department heads work on /staff/ pages; these model permissions only matter in the admin,
# which they do not use, so they get view rights for reference.
HEAD_PERMISSIONS = ("view_",)


def ensure_roles() -> dict[str, Group]:
    """Create or update the groups; DX staff may maintain every plan model in the admin."""
    plan_permissions = Permission.objects.filter(content_type__app_label__in=PLAN_APPS)
    dx_staff, _ = Group.objects.get_or_create(name=DX_STAFF_GROUP)
    dx_staff.permissions.set(plan_permissions)
    heads, _ = Group.objects.get_or_create(name=DEPARTMENT_HEAD_GROUP)
    heads.permissions.set([p for p in plan_permissions if p.codename.startswith(HEAD_PERMISSIONS)])
    return {DX_STAFF_GROUP: dx_staff, DEPARTMENT_HEAD_GROUP: heads}


def create_roles_after_migrate(sender, **kwargs):
    if sender.name == "priorities":
        ensure_roles()


SYSTEM_USERNAME = "system"
SYSTEM_NAME = "システム（コマンド）"


def system_user():
    """The named account that commands act as when no ``--user`` is given: a DX staff member
    who cannot log in (no usable password, inactive), so the history always names someone."""
    from django.contrib.auth import get_user_model

    user, created = get_user_model().objects.get_or_create(
        username=SYSTEM_USERNAME, defaults={"last_name": SYSTEM_NAME, "is_active": False}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
        user.groups.add(ensure_roles()[DX_STAFF_GROUP])
    return user


def command_user(username: str | None):
    """The user a command acts for: ``--user NAME`` (an active account), else the system account.
    Raises LookupError with a Japanese message for an unknown or inactive name."""
    from django.contrib.auth import get_user_model

    if not username:
        return system_user()
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise LookupError(f"ユーザー「{username}」は登録されていないか、無効になっています。")
    return user
