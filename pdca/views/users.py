"""Staff accounts, for DX staff: the list (with who cannot be reached by e-mail), inviting a
department head, one page per head for their departments, role and e-mail, deactivating a
leaver; every change through pdca/services/accounts.py, with its history on the page."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from pdca.forms import AccountForm, InviteForm
from pdca.models import AccountEvent
from pdca.services import accounts
from priorities import permissions


def _dx_only(user) -> None:
    if not permissions.can_manage_users(user):
        raise PermissionDenied


def _invitation_message(request, message) -> None:
    if message is not None and message.status == message.Status.UNREACHABLE:
        messages.error(request, "メールアドレスがないため、招待メールを送れませんでした。")
    else:
        messages.success(
            request,
            f"{message.to_address} に、パスワードを設定するリンクを送りました（7日間有効）。",
        )


@login_required
@require_safe
def user_list(request):
    _dx_only(request.user)
    users = (
        get_user_model()
        .objects.prefetch_related("groups", "departments")
        .order_by("-is_active", "last_name", "username")
    )
    rows = [
        {
            "user": user,
            "role": "DX推進課職員"
            if permissions.is_dx_staff(user)
            else accounts.ROLES[accounts.role_of(user)],
            "departments": "、".join(d.name for d in user.departments.all()) or "（なし）",
            "manageable": accounts.manageable(user),
            "password_set": user.has_usable_password(),
        }
        for user in users
        if user.username != "system"
    ]
    return render(request, "staff/users.html", {"rows": rows})


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def user_invite(request):
    _dx_only(request.user)
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user, message = accounts.user_invite(actor=request.user, **form.cleaned_data)
        except accounts.AccountRefused as exc:
            form.add_error(None, str(exc))
        else:
            _invitation_message(request, message)
            return redirect("staff:user_edit", pk=user.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "staff/user_invite.html", {"form": form}, status=status)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def user_edit(request, pk):
    _dx_only(request.user)
    user = get_object_or_404(
        get_user_model().objects.prefetch_related("groups", "departments"), pk=pk
    )
    editable = accounts.manageable(user) and user.pk != request.user.pk
    initial = {
        "full_name": user.last_name,
        "email": user.email,
        "role": accounts.role_of(user),
        "departments": list(user.departments.all()),
        "is_active": user.is_active,
        "seen": accounts.last_change(user),
    }
    form = AccountForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if not editable:
            raise PermissionDenied
        if form.is_valid():
            try:
                changes = accounts.user_update(actor=request.user, user=user, **form.cleaned_data)
            except accounts.AccountRefused as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, "変更しました：" + "、".join(c[0] for c in changes))
                return redirect("staff:user_edit", pk=user.pk)
        status = 400
    events = AccountEvent.objects.filter(user=user).select_related("actor")
    context = {
        "account": user,
        "form": form,
        "editable": editable,
        "events": events,
        "password_set": user.has_usable_password(),
    }
    return render(request, "staff/user_edit.html", context, status=status)


@login_required
@require_POST
def user_resend(request, pk):
    _dx_only(request.user)
    user = get_object_or_404(get_user_model(), pk=pk)
    try:
        message = accounts.resend_invitation(actor=request.user, user=user)
    except accounts.AccountRefused as exc:
        messages.error(request, str(exc))
    else:
        _invitation_message(request, message)
    return redirect("staff:user_edit", pk=user.pk)
