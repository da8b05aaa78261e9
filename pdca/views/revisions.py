"""Revisions of the plan: the staff pages (draft, submit, approve, publish) and the public change
log (/revisions/), each revision's side-by-side changes, and every edition's text (/editions/)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from kpis.models import Kpi
from pdca import workflow
from pdca.forms import KpiDefinitionForm, RevisionForm, TextChangeForm
from pdca.models import PlanRevision
from pdca.public_cache import public_page
from pdca.services.revisions import (
    TARGETS,
    RevisionRefused,
    describe,
    field_value,
    revision_act,
    revision_create,
    revision_drop,
    revision_publish,
    revision_set,
)
from pdca.views.public import index_context, item_context
from pdca.workflow import Action
from priorities import permissions
from priorities.models import Initiative, NarrativeBullet, Plan, PlanEdition, RoadmapEntry
from shizuoka_dx.fiscal import format_fiscal_year
from shizuoka_dx.history import entries
from shizuoka_dx.numbers import query_number
from systems.models import System

# ---- what the pages show of a revision ------------------------------------------------------


def _shown(value, field=None) -> str:
    """A stored value as people read it: labels of choices, years as 令和N年度, never codes."""
    if value is None or value == "":
        return "（空欄）"
    if field is not None and field.is_relation:
        related = field.related_model.objects.filter(pk=value).first()
        return str(related) if related else str(value)
    if field is not None and field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if field is not None and field.name.endswith("fiscal_year") and isinstance(value, int):
        return format_fiscal_year(value)
    if value is True:
        return "はい"
    if value is False:
        return "いいえ"
    return str(value)


def change_rows(changes: list[dict]) -> list[dict]:
    """Each change as a row of the side-by-side table: what, field, before, after."""
    rows = []
    for index, change in enumerate(changes):
        target = TARGETS[change["target"]]
        field = target.model._meta.get_field(change["field"])
        rows.append(
            {
                "index": index,
                "what": describe(change["target"], change["key"]),
                "field": target.field_label(change["field"]),
                "old": _shown(change["old"], field),
                "new": _shown(change["new"], field),
            }
        )
    return rows


def text_choices() -> list[tuple[str, str]]:
    """Every text a revision may reword, as 「target|key|field」 → a label in the plan's order."""
    choices = [("", "選んでください")]
    plan = Plan.objects.order_by("pk").first()
    if plan:
        choices += [
            ("plan||purpose", "計画: 策定の目的"),
            ("plan||supplement", "計画: 全庁的な取組"),
        ]
    for bullet in NarrativeBullet.objects.select_related("item").order_by(
        "item__pillar__number", "item__order", "section", "order"
    ):
        key = f"{bullet.item.code}/{bullet.section}/{bullet.order}"
        choices.append((f"bullet|{key}|text", f"{describe('bullet', key)}: {bullet.text[:30]}"))
    for initiative in Initiative.objects.select_related("item").order_by(
        "item__pillar__number", "item__order", "number"
    ):
        key = f"{initiative.item.code}/{initiative.number}"
        choices.append((f"initiative|{key}|name", f"{describe('initiative', key)}: 取組名"))
        choices.append(
            (f"initiative|{key}|kpi_note", f"{describe('initiative', key)}: KPIについての記載")
        )
    for entry in RoadmapEntry.objects.select_related("initiative__item").order_by(
        "initiative__item__pillar__number", "initiative__item__order", "initiative__number", "order"
    ):
        key = f"{entry.initiative.item.code}/{entry.initiative.number}/{entry.order}"
        choices.append((f"roadmap|{key}|text", f"{describe('roadmap', key)}: {entry.text[:30]}"))
    for system in System.objects.order_by("name"):
        for field in ("overview", "effects", "issues", "actions"):
            label = TARGETS["system"].field_label(field)
            choices.append((f"system|{system.pk}|{field}", f"{system.name}: {label}"))
    return choices


# ---- staff pages ---------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def staff_revisions(request):
    if not (permissions.is_dx_staff(request.user) or permissions.is_head_of_dx(request.user)):
        raise PermissionDenied
    form = RevisionForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                revision = revision_create(**form.cleaned_data, user=request.user)
            except RevisionRefused as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, "改訂案を作りました。変更を加えてから提出してください。")
                return redirect("staff:revision", pk=revision.pk)
        status = 400
    return render(
        request,
        "staff/revisions.html",
        {
            "revisions": PlanRevision.objects.select_related(
                "edition", "submitted_by", "approved_by"
            ),
            "editions": PlanEdition.objects.order_by("-number"),
            "form": form,
            "can_create": permissions.is_dx_staff(request.user),
        },
        status=status,
    )


def _seen(request) -> int | None:
    raw = request.POST.get("version", "")
    if raw == "":
        return None
    seen = query_number(raw)
    return -1 if seen is None else seen  # not a version this page wrote: never matches


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def staff_revision(request, pk):
    if not (permissions.is_dx_staff(request.user) or permissions.is_head_of_dx(request.user)):
        raise PermissionDenied
    revision = get_object_or_404(PlanRevision, pk=pk)
    user = request.user
    kpi = Kpi.objects.filter(code=request.GET.get("kpi") or request.POST.get("kpi_code")).first()
    kpi_form = None
    if kpi is not None:
        proposed = {
            c["field"]: c["new"]
            for c in revision.changes
            if c["target"] == "kpi" and c["key"] == kpi.code
        }
        initial = {
            field: proposed.get(field, field_value(kpi, field))
            for field in KpiDefinitionForm.Meta.fields
        }
        kpi_form = KpiDefinitionForm(
            request.POST if request.POST.get("step") == "kpi" else None,
            instance=Kpi.objects.get(pk=kpi.pk),
            initial=initial,
        )
    text_form = TextChangeForm(
        request.POST if request.POST.get("step") == "text" else None, choices=text_choices()
    )
    status = 200
    if request.method == "POST":
        step = request.POST.get("step")
        try:
            done = _post(request, revision, step, kpi, kpi_form, text_form)
        except RevisionRefused as exc:
            messages.error(request, str(exc))
            status = 400
        else:
            if done:
                messages.success(request, done)
                if step == "publish":
                    return redirect("public:revision", number=revision.edition.number)
                return redirect("staff:revision", pk=revision.pk)
            status = 400
        revision.refresh_from_db()
    allowed = workflow.revision_allowed(user, revision)
    return render(
        request,
        "staff/revision.html",
        {
            "revision": revision,
            "rows": change_rows(revision.changes),
            "allowed": {action.value for action in allowed},
            "refusals": {
                action.value: workflow.revision_refusal(user, revision, action)
                for action in (Action.SUBMIT, Action.APPROVE, Action.PUBLISH)
            },
            "kpi": kpi,
            "kpi_form": kpi_form,
            "text_form": text_form,
            "kpis": Kpi.objects.order_by("code").only("code", "name"),
            "history": entries(
                revision.history.select_related("history_user"),
                describe=lambda record: f"改訂案「{record.title}」",
            )[:30],
        },
        status=status,
    )


def _post(request, revision, step, kpi, kpi_form, text_form) -> str | None:
    """One action of the revision page; returns the success message (None: the form is wrong)."""
    user, seen = request.user, _seen(request)
    if step == "kpi":
        if kpi is None or kpi_form is None:
            raise RevisionRefused("KPIを選んでください。")
        if not kpi_form.is_valid():
            return None
        values = {field: kpi_form.cleaned_data[field] for field in KpiDefinitionForm.Meta.fields}
        revision_set(revision=revision, target="kpi", key=kpi.code, values=values, user=user,
                     seen=seen)  # fmt: skip
        return f"KPI {kpi.code} の変更を改訂案に加えました。"
    if step == "text":
        if not text_form.is_valid():
            return None
        target, key, field = text_form.cleaned_data["target"].split("|")
        revision_set(revision=revision, target=target, key=key,
                     values={field: text_form.cleaned_data["text"]}, user=user, seen=seen)  # fmt: skip
        return f"{describe(target, key)}の変更を改訂案に加えました。"
    if step == "drop":
        index = query_number(request.POST.get("index"))
        revision_drop(revision=revision, index=-1 if index is None else index, user=user,
                      seen=seen)  # fmt: skip
        return "変更を1件取り消しました。"
    if step in ("submit", "approve", "return"):
        action = Action(step)
        revision_act(revision=revision, action=action, user=user,
                     comment=request.POST.get("comment", ""), seen=seen)  # fmt: skip
        return f"改訂案を{workflow.ACTION_LABELS[action]}しました。"
    if step == "publish":
        edition = revision_publish(revision=revision, user=user, seen=seen)
        revision.edition = edition
        return f"計画の第{edition.number}版を公表しました。"
    raise RevisionRefused("操作が分かりません。画面を開き直してください。")


# ---- public pages --------------------------------------------------------------------------


def _edition_or_404(number: int) -> PlanEdition:
    edition = PlanEdition.objects.filter(number=number).first()
    if edition is None:
        raise Http404(f"計画の第{number}版はありません。")
    return edition


@require_safe
@public_page
def revisions(request):
    editions = list(PlanEdition.objects.select_related("revision").order_by("-number"))
    return render(request, "public/revisions.html", {"editions": editions})


@require_safe
@public_page
def revision(request, number):
    edition = _edition_or_404(number)
    revision = PlanRevision.objects.filter(edition=edition).first()
    return render(
        request,
        "public/revision.html",
        {
            "edition": edition,
            "revision": revision,
            "rows": change_rows(revision.changes) if revision else [],
            "previous": number - 1 if number > 1 else None,
        },
    )


@require_safe
@public_page
def edition_index(request, number):
    edition = _edition_or_404(number)
    context = index_context(edition.document)
    context["edition"] = edition
    return render(request, "public/edition.html", context)


@require_safe
@public_page
def edition_item(request, number, code):
    edition = _edition_or_404(number)
    context = item_context(edition.document, code)
    context.update({"edition": edition, "previous_code": None, "next_code": None})
    return render(request, "priorities/item.html", context)
