"""Who may do what: the one place that says it.

Roles (Django groups, created by ``setup_roles``, which ``make run`` and migrations call):
- DX推進課職員 (DX staff): every item; plan maintenance in the admin; publishing a fiscal year;
  reopening an approved evaluation with a reason.
- 所管課長 (department head): the items their departments own; enter actuals, write, submit
  and approve their items' evaluations (never one they submitted or last edited: four eyes,
  see pdca/workflow.py, which holds the evaluation's rules).
A user belongs to one or more departments (Department.members). Anyone logged in who is in
neither group sees no item. Anonymous users see only what is published.

Views never decide these rules themselves: they call the functions below, and reads go through
the ``for_user(user)`` queryset methods, so a foreign object is simply not found (404).
"""

DX_STAFF_GROUP = "DX推進課職員"
DEPARTMENT_HEAD_GROUP = "所管課長"


def _in_group(user, name: str) -> bool:
    if not user.is_authenticated:
        return False
    cache = getattr(user, "_role_cache", None)
    if cache is None:
        cache = set(user.groups.values_list("name", flat=True))
        user._role_cache = cache
    return name in cache


def is_dx_staff(user) -> bool:
    return user.is_authenticated and (user.is_superuser or _in_group(user, DX_STAFF_GROUP))


def is_department_head(user) -> bool:
    return _in_group(user, DEPARTMENT_HEAD_GROUP)


def department_ids(user) -> set[int]:
    if not user.is_authenticated:
        return set()
    cache = getattr(user, "_department_cache", None)
    if cache is None:
        cache = set(user.departments.values_list("pk", flat=True))
        user._department_cache = cache
    return cache


def owns(user, item) -> bool:
    """The user belongs to one of the item's owning departments (departments prefetched)."""
    mine = department_ids(user)
    return any(department.pk in mine for department in item.departments.all())


def can_view_item(user, item) -> bool:
    return is_dx_staff(user) or (is_department_head(user) and owns(user, item))


def can_edit_item(user, item) -> bool:
    """Enter actuals and write the evaluation of this item (while it is a draft)."""
    return can_view_item(user, item)


def can_publish(user) -> bool:
    return is_dx_staff(user)


def can_maintain_plan(user) -> bool:
    return is_dx_staff(user)


def can_manage_round(user) -> bool:
    """Open the yearly update round, move its due dates, see every department's progress in it
    (the overview) and send reminders: DX staff."""
    return is_dx_staff(user)


def can_manage_users(user) -> bool:
    """Invite department heads, assign their departments, deactivate leavers: DX staff."""
    return is_dx_staff(user)


DX_DEPARTMENT = "DX推進課"


def is_head_of_dx(user) -> bool:
    """The head of DX: a 所管課長 who belongs to DX推進課. Approves revisions of the plan."""
    if not is_department_head(user):
        return False
    cache = getattr(user, "_dx_head_cache", None)
    if cache is None:
        cache = user.departments.filter(name=DX_DEPARTMENT).exists()
        user._dx_head_cache = cache
    return cache
