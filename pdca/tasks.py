"""Background work for the staff pages, through django-tasks (README, "Background work").

One task, ``run_job``, runs a ``BackgroundJob`` by its kind: the Form ①/② workbook, the preview
and the confirmation of a large upload, and publishing a year. Each calls the same service as the
page or command does, as the person who started it: permissions are checked again when the work
runs, so it never has more rights than that person has then. ``start`` records a job and queues
it; with the database backend a worker (``manage.py db_worker``) picks it up, with the immediate
backend (the tests) it has run by the time ``start`` returns.
"""

from datetime import date

from django.core.exceptions import PermissionDenied
from django_tasks import task

from kpis.importing import ImportRefused
from pdca import uploads
from pdca.jobs import Outcome, Progress, Refused, execute
from pdca.models import BackgroundJob
from pdca.opendata import build_document
from pdca.services import mail, publication
from pdca.services.imports import GONE, confirm_upload, preview_upload
from pdca.workbooks import forms_workbook, scope_codes, scope_label, workbook_year
from priorities import permissions
from priorities.models import PriorityItem
from shizuoka_dx.fiscal import FiscalYearError, format_fiscal_year, short_fiscal_year
from shizuoka_dx.spreadsheets import xlsx_bytes

Kind = BackgroundJob.Kind


def write_forms_workbook(job: BackgroundJob, progress: Progress) -> Outcome:
    """Form ① and Form ② for the items the person may see, limited to the scope they chose."""
    items = list(PriorityItem.objects.for_user(job.user).select_related("pillar").in_plan_order())
    if not items:
        raise PermissionDenied
    scope = job.params.get("scope") or ""
    progress.stage("計画のデータを集めています")
    document = build_document()
    year = job.params.get("fiscal_year") or workbook_year(document)
    book = forms_workbook(
        document,
        fiscal_year=year,
        item_codes=scope_codes(items, scope),
        progress=lambda done, total: progress(f"様式を書いています（{done} / {total} 項目）"),
    )
    progress.stage("ファイルにまとめています")
    return Outcome(
        result={"fiscal_year": year},
        file=xlsx_bytes(book),
        file_name=f"様式_{short_fiscal_year(year)}_{scope_label(scope)}.xlsx",
    )


def _upload(job: BackgroundJob):
    upload = uploads.pending(job.params.get("upload", ""), user=job.user)
    if upload is None:  # cancelled, replaced by another file, or removed by cleanup_uploads
        raise Refused({"errors": [GONE], "file_name": job.params.get("file_name", "")})
    return upload


def preview_import(job: BackgroundJob, progress: Progress) -> Outcome:
    upload = _upload(job)
    progress.stage(f"{upload.name} を読み込んでいます")
    try:
        return Outcome(result=preview_upload(upload, user=job.user, progress=progress))
    except ImportRefused as exc:
        raise Refused({"errors": exc.errors, "file_name": upload.name}) from None


def confirm_import(job: BackgroundJob, progress: Progress) -> Outcome:
    upload = _upload(job)
    progress.stage(f"{upload.name} を読み込んでいます")
    try:
        return Outcome(result={"message": confirm_upload(upload, user=job.user, progress=progress)})
    except ImportRefused as exc:
        raise Refused({"errors": exc.errors, "file_name": upload.name}) from None


def publish_year(job: BackgroundJob, progress: Progress) -> Outcome:
    year = job.params["fiscal_year"]
    progress.stage(f"{format_fiscal_year(year)}の公表する内容を作っています")
    try:
        snapshot = publication.publish_fiscal_year(
            fiscal_year=year,
            user=job.user,
            force_reason=job.params.get("force_reason", ""),
            correction_reason=job.params.get("correction_reason", ""),
        )
    except publication.PublishBlocked as exc:
        blocked = [{"code": item.code, "title": item.title} for item in exc.unapproved]
        raise Refused({"blocked": blocked}) from None
    except FiscalYearError as exc:
        raise Refused({"errors": [str(exc)]}) from None
    return Outcome(result={"fiscal_year": year, "version": snapshot.version})


def send_round_reminders(job: BackgroundJob, progress: Progress) -> Outcome:
    """Today's reminders of one round, sent from its page (the same as send_reminders)."""
    if not permissions.can_manage_round(job.user):
        raise PermissionDenied
    progress.stage("期限のお知らせを送っています")
    report = mail.send_reminders(
        today=date.fromisoformat(job.params["today"]), fiscal_year=job.params["fiscal_year"]
    )
    counts = {
        key: report.count(outcome)
        for key, outcome in (
            ("sent", mail.SENT),
            ("already", mail.ALREADY),
            ("unreachable", mail.UNREACHABLE),
            ("failed", mail.FAILED),
        )
    }
    return Outcome(result={"fiscal_year": job.params["fiscal_year"], **counts})


WORK = {
    Kind.FORMS_WORKBOOK: write_forms_workbook,
    Kind.IMPORT_PREVIEW: preview_import,
    Kind.IMPORT_CONFIRM: confirm_import,
    Kind.PUBLISH: publish_year,
    Kind.REMINDERS: send_round_reminders,
}


@task()
def run_job(job_id: str) -> str:
    """Run one BackgroundJob (its id): what the worker calls. Returns its final status."""
    kind = BackgroundJob.objects.filter(pk=job_id).values_list("kind", flat=True).first()
    if kind is None:  # removed meanwhile (cleanup_uploads)
        return "missing"
    return execute(job_id, WORK[kind])


def start(kind: str, *, user, params: dict) -> BackgroundJob:
    """Record a job for ``user`` and queue it; the job as it stands once queued (already
    finished when tasks run at once)."""
    job = BackgroundJob.objects.create(kind=kind, user=user, params=params)
    run_job.enqueue(str(job.pk))
    return BackgroundJob.objects.defer("file").get(pk=job.pk)
