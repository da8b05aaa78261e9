"""Running one ``BackgroundJob``: its state, its progress and its result, all in the database.

``execute`` is what the worker runs (through pdca/tasks.py): it marks the job running, hands the
work a ``Progress`` to report through, and stores what came out: a result for the page, a file to
download, the reasons it could not be done (``Refused``), or that it failed. The work itself calls
the same services as the pages, as the person who started it.
"""

import logging
import re
import time
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.utils import timezone

from pdca.models import BackgroundJob

logger = logging.getLogger(__name__)

Status = BackgroundJob.Status
WRITE_EVERY = 0.5  # seconds between progress writes: a status page refreshes every 2
COUNTED = re.compile(r"(\d+)\s*/\s*(\d+)")


@dataclass
class Outcome:
    """What a finished job leaves: the result its page shows, and a file to download."""

    result: dict = field(default_factory=dict)
    file: bytes | None = None
    file_name: str = ""


class Refused(Exception):
    """The work was refused for reasons the person can act on (kept in ``result``)."""

    def __init__(self, result: dict):
        super().__init__(result)
        self.result = result


class Progress:
    """Reports how far the work is: ``progress("text", done, total)``. A line of text with
    「n / m」 in it (the importer's 「確認中: 200 / 10000 行」) counts too. Written at most twice a
    second, whatever the work's pace."""

    def __init__(self, job_id):
        self.job_id = job_id
        self.last = 0.0

    def __call__(self, text: str = "", done: int | None = None, total: int | None = None):
        if done is None and (counted := COUNTED.search(text)):
            done, total = int(counted[1]), int(counted[2])
        now = time.monotonic()
        last_step = done is not None and total is not None and done >= total
        if now - self.last < WRITE_EVERY and not last_step:
            return
        self.last = now
        fields = {"progress_text": text[:200], "progress_done": done or 0}
        fields["progress_total"] = total or 0
        BackgroundJob.objects.filter(pk=self.job_id).update(**fields)

    def stage(self, text: str):
        """A step whose length is not known (the bar shows activity, not a share)."""
        self.last = 0.0
        self(text)


def _finish(job_id, **fields):
    fields["finished_at"] = timezone.now()
    BackgroundJob.objects.filter(pk=job_id).update(**fields)


def execute(job_id: str, work) -> str:
    """Run ``work(job, progress) -> Outcome`` for a queued job; returns the job's final status.

    A job already started (a task delivered twice) or removed meanwhile is left alone. Whatever
    the work raises other than Refused or PermissionDenied marks the job failed and is raised
    again, for the worker's log and its record of the task.
    """
    job = BackgroundJob.objects.select_related("user").defer("file").filter(pk=job_id).first()
    if job is None:
        return "missing"
    claimed = BackgroundJob.objects.filter(pk=job_id, status=Status.QUEUED).update(
        status=Status.RUNNING, started_at=timezone.now()
    )
    if not claimed:
        return job.status
    progress = Progress(job_id)
    try:
        if not job.user.is_active:
            raise Refused(
                {"errors": ["始めた人のアカウントが使えなくなったため、取りやめました。"]}
            )
        outcome = work(job, progress)
    except Refused as exc:
        _finish(job_id, status=Status.REFUSED, result=exc.result)
        return Status.REFUSED
    except PermissionDenied:
        _finish(
            job_id, status=Status.REFUSED, result={"errors": ["この処理をする権限がありません。"]}
        )
        return Status.REFUSED
    except BaseException:
        logger.exception("バックグラウンド処理 %s（%s）が失敗しました。", job_id, job.kind)
        _finish(job_id, status=Status.FAILED)
        raise
    _finish(
        job_id,
        status=Status.DONE,
        result=outcome.result,
        file=outcome.file,
        file_name=outcome.file_name,
    )
    return Status.DONE
