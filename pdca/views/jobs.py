"""The status page of background work (/staff/jobs/<id>/): a progress bar that keeps itself up to
date without JavaScript (the page reloads every 2 seconds; with JavaScript, static/js/job.js
updates it in place instead), then, once the work is over, its result: the page it was started
from, as it would have answered at once (a preview, a message, the reasons it was refused), or
the file to download. Only the person who started the work sees it; anyone else gets 404.
"""

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from pdca.models import BackgroundJob
from shizuoka_dx.spreadsheets import xlsx_file_response

Kind = BackgroundJob.Kind
Status = BackgroundJob.Status
REFRESH_SECONDS = 2
WAITING_TOO_LONG = timedelta(minutes=1)
STARTED_FROM = {
    Kind.FORMS_WORKBOOK: ("staff:actuals_import", "Excelでの入力と書き出しのページ"),
    Kind.IMPORT_PREVIEW: ("staff:actuals_import", "Excelでの入力と書き出しのページ"),
    Kind.IMPORT_CONFIRM: ("staff:actuals_import", "Excelでの入力と書き出しのページ"),
    Kind.PUBLISH: ("staff:publish", "進捗の公表のページ"),
    Kind.REMINDERS: ("staff:round_overview", "更新ラウンドの状況のページ"),
}


def job_for(user, pk) -> BackgroundJob:
    job = BackgroundJob.objects.defer("file").filter(pk=pk, user=user).first()
    if job is None:
        raise Http404("この処理は見つかりません。")
    return job


def respond(request, job: BackgroundJob):
    """What a page that started ``job`` answers: its result when it is already over (tasks run
    at once), otherwise a redirect to its status page."""
    if job.finished:
        return finished(request, job, at_once=True)
    return redirect("staff:job", pk=job.pk)


def finished(request, job: BackgroundJob, *, at_once: bool = False):
    """The result of finished work; ``at_once`` when it is the answer to the request that
    started it (a workbook is then the download itself, as it was before the work moved)."""
    if job.status == Status.FAILED:
        return render(request, "staff/job.html", status_context(job), status=500)
    from pdca.views import excel, staff  # they start jobs through respond()
    from pdca.views import round as round_views

    answer = {
        Kind.FORMS_WORKBOOK: staff.forms_workbook_finished,
        Kind.IMPORT_PREVIEW: excel.preview_finished,
        Kind.IMPORT_CONFIRM: excel.confirm_finished,
        Kind.PUBLISH: staff.publish_finished,
        Kind.REMINDERS: round_views.reminders_finished,
    }[job.kind]
    return answer(request, job, at_once=at_once)


def status_context(job: BackgroundJob) -> dict:
    waited = timezone.now() - job.created_at
    hint = ""
    if job.status == Status.QUEUED and waited > WAITING_TOO_LONG:
        hint = (
            "1分以上たっても始まりません。バックグラウンド処理を受け持つワーカーが動いているか、"
            "管理者に確かめてください。"
        )
    url, page = STARTED_FROM[job.kind]
    return {
        "job": job,
        "state": job.get_status_display(),
        "text": job.progress_text,
        "hint": hint,
        "percent": job.percent,
        "refresh_seconds": REFRESH_SECONDS,
        "back_url": url,
        "back_page": page,
    }


@never_cache
@login_required
@require_safe
def job_page(request, pk):
    job = job_for(request.user, pk)
    if job.finished:
        return finished(request, job)
    return render(request, "staff/job.html", status_context(job))


@never_cache
@login_required
@require_safe
def job_status(request, pk):
    """The same as the page, for static/js/job.js."""
    context = status_context(job_for(request.user, pk))
    job = context["job"]
    return JsonResponse(
        {
            "finished": job.finished,
            "state": context["state"],
            "text": context["text"],
            "hint": context["hint"],
            "done": job.progress_done,
            "total": job.progress_total,
            "percent": context["percent"],
        }
    )


@never_cache
@login_required
@require_safe
def job_download(request, pk):
    job = BackgroundJob.objects.filter(
        pk=pk, user=request.user, status=Status.DONE, file__isnull=False
    ).first()
    if job is None:
        raise Http404("このファイルは見つかりません。")
    return xlsx_file_response(bytes(job.file), job.file_name)
