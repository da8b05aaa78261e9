"""The two staff roles as Django groups, kept in step with the code after every migrate."""

from django.contrib.auth.models import Group, Permission

from priorities.permissions import DEPARTMENT_HEAD_GROUP, DX_STAFF_GROUP

PLAN_APPS = ("priorities", "kpis", "systems")
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
