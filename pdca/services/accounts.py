"""The one write path for department heads' accounts, used by DX staff on /staff/users/:
invite a head (an account without a password, and an e-mail with a set-password link made by
Django's password-reset machinery), change their name, e-mail, departments or role, deactivate
a leaver (and reactivate). Every change is an ``AccountEvent`` (who, what, why); department
membership is also kept in the departments' own history.

DX staff manage heads only: accounts of DX staff and system administrators stay with the system
administrator in /admin/, so nobody can give themselves or others more rights here. So does the
head of DX (a head in DX推進課), who approves the revisions DX staff write: DX staff can neither
make someone head of DX here nor change that head's address (and send the set-password link to
an address of their own).
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from pdca.models import AccountEvent
from pdca.services import mail
from priorities import permissions
from priorities.permissions import DEPARTMENT_HEAD_GROUP

ROLE_HEAD = "head"
ROLE_NONE = "none"
ROLES = {ROLE_HEAD: "所管課長", ROLE_NONE: "なし（どの重点項目も見られません）"}


class AccountRefused(Exception):
    """The change is not possible; the message says why, in Japanese."""


def _check_actor(actor) -> None:
    if not permissions.can_manage_users(actor):
        raise AccountRefused("職員の管理ができるのはDX推進課の職員です。")


def manageable(user) -> bool:
    """Whether DX staff may manage this account here (not DX staff, not an administrator, not
    the named system account)."""
    from priorities.roles import SYSTEM_USERNAME

    return not (
        user.is_superuser
        or user.is_staff
        or permissions.is_dx_staff(user)
        or user.username == SYSTEM_USERNAME
        or _heads_dx(role_of(user), user.departments.all())
    )


HEAD_OF_DX_REFUSED = (
    f"{permissions.DX_DEPARTMENT}の所管課長は計画の改訂を承認する人のため、"
    "システム管理者が管理画面で設定します。システム管理者に依頼してください。"
)


def _heads_dx(role: str, departments) -> bool:
    """A head in DX推進課: the head of DX, who approves revisions of the plan."""
    return role == ROLE_HEAD and any(d.name == permissions.DX_DEPARTMENT for d in departments)


def last_change(user) -> int:
    """The account's latest recorded change (0: none), which a page carries as ``seen``."""
    return (
        AccountEvent.objects.filter(user=user).order_by("-pk").values_list("pk", flat=True).first()
        or 0
    )


def role_of(user) -> str:
    return ROLE_HEAD if permissions.is_department_head(user) else ROLE_NONE


def _names(objects) -> str:
    return "、".join(sorted(o.name for o in objects)) or "（なし）"


def _set_departments(user, departments, *, actor, reason) -> None:
    # Recorded in each department's membership history with who and why.
    user._history_user = actor
    user._change_reason = reason[:100]
    user.departments.set(departments)


def _set_role(user, role: str) -> None:
    heads = Group.objects.get(name=DEPARTMENT_HEAD_GROUP)
    if role == ROLE_HEAD:
        user.groups.add(heads)
    else:
        user.groups.remove(heads)
    user.__dict__.pop("_role_cache", None)


@transaction.atomic
def user_invite(*, actor, username: str, full_name: str, email: str, departments, reason: str = ""):
    """Create a department head's account (no password yet) and send the invitation."""
    _check_actor(actor)
    User = get_user_model()
    username = username.strip()
    if User.objects.filter(username__iexact=username).exists():
        raise AccountRefused(
            f"ユーザー名「{username}」はすでに使われています。別の名前にしてください。"
        )
    if not email:
        raise AccountRefused("招待メールを送るため、メールアドレスを入力してください。")
    if User.objects.filter(email__iexact=email, is_active=True).exists():
        raise AccountRefused(f"メールアドレス「{email}」の職員はすでに登録されています。")
    if not departments:
        raise AccountRefused("所管課を1つ以上選んでください（担当する重点項目が決まります）。")
    if _heads_dx(ROLE_HEAD, departments):
        raise AccountRefused(HEAD_OF_DX_REFUSED)
    user = User(username=username, last_name=full_name.strip(), email=email, is_active=True)
    user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    _set_role(user, ROLE_HEAD)
    why = reason or "所管課長として招待"
    _set_departments(user, departments, actor=actor, reason=why)
    AccountEvent.objects.create(
        user=user,
        action=AccountEvent.Action.INVITED,
        changes=[
            ["名前", "", user.last_name],
            ["メールアドレス", "", email],
            ["役割", "", ROLES[ROLE_HEAD]],
            ["所管課", "", _names(departments)],
        ],
        reason=why,
        actor=actor,
    )
    message = mail.send_invitation(user, actor=actor)
    return user, message


@transaction.atomic
def user_update(
    *,
    actor,
    user,
    full_name: str,
    email: str,
    departments,
    role: str,
    is_active: bool,
    reason: str,
    seen: int | None = None,
):
    """Change a head's account; returns the changes made as (label, old, new). ``seen``: the
    account's latest change (``last_change``) on the page the person saved from."""
    _check_actor(actor)
    User = get_user_model()
    current = User.objects.select_for_update().get(pk=user.pk)
    if not manageable(current):
        raise AccountRefused(
            "DX推進課の職員とシステム管理者のアカウントは、ここでは変更できません。システム管理者に依頼してください。"
        )
    if current.pk == actor.pk:
        raise AccountRefused("自分のアカウントはここでは変更できません。")
    if seen is not None and seen != last_change(current):
        raise AccountRefused(
            "この画面を開いたあとに、別の人がこのアカウントを変更しました。開き直してください。"
        )
    reason = (reason or "").strip()
    if not reason:
        raise AccountRefused("変更の理由を記入してください（履歴に残ります）。")
    if is_active and role == ROLE_HEAD and not departments:
        raise AccountRefused("所管課長には所管課を1つ以上選んでください。")
    if _heads_dx(role, departments):
        raise AccountRefused(HEAD_OF_DX_REFUSED)
    if (
        email
        and User.objects.filter(email__iexact=email, is_active=True).exclude(pk=current.pk).exists()
    ):
        raise AccountRefused(f"メールアドレス「{email}」はほかの職員が使っています。")
    changes = []
    old_departments = list(current.departments.all())
    if current.last_name != full_name.strip():
        changes.append(["名前", current.last_name, full_name.strip()])
        current.last_name = full_name.strip()
    if current.email != email:
        changes.append(["メールアドレス", current.email or "（未登録）", email or "（未登録）"])
        current.email = email
    old_role = role_of(current)
    if old_role != role:
        changes.append(["役割", ROLES[old_role], ROLES[role]])
    if {d.pk for d in old_departments} != {d.pk for d in departments}:
        changes.append(["所管課", _names(old_departments), _names(departments)])
    action = AccountEvent.Action.CHANGED
    if current.is_active != is_active:
        changes.append(
            ["利用", "可" if current.is_active else "停止", "可" if is_active else "停止"]
        )
        action = AccountEvent.Action.REACTIVATED if is_active else AccountEvent.Action.DEACTIVATED
        current.is_active = is_active
    if not changes:
        raise AccountRefused("変更された項目がありません。")
    current.full_clean(exclude=["password"])
    current.save()
    if old_role != role:
        _set_role(current, role)
    if {d.pk for d in old_departments} != {d.pk for d in departments}:
        _set_departments(current, departments, actor=actor, reason=reason)
    AccountEvent.objects.create(
        user=current, action=action, changes=changes, reason=reason, actor=actor, at=timezone.now()
    )
    return changes


@transaction.atomic
def resend_invitation(*, actor, user):
    """Send the set-password e-mail again (a new link; also for a head who forgot the password).
    Once a day per person."""
    _check_actor(actor)
    if not manageable(user) or not user.is_active:
        raise AccountRefused(
            "この職員には招待メールを送れません（利用停止中か、DX推進課・管理者のアカウントです）。"
        )
    if not user.email:
        raise AccountRefused(
            "メールアドレスが登録されていません。先にメールアドレスを登録してください。"
        )
    message = mail.send_invitation(user, actor=actor)
    if message is None:
        raise AccountRefused(
            "この職員には今日すでに招待メールを送っています。届かない場合は明日もう一度送ってください。"
        )
    AccountEvent.objects.create(
        user=user,
        action=AccountEvent.Action.INVITATION_SENT,
        changes=[],
        reason="パスワード設定のご案内を送信",
        actor=actor,
    )
    return message
