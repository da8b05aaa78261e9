"""Uploaded files kept between a preview and its confirmation (``PendingUpload``, in the database).

The database, not one server's disk: the preview may be answered by one app server or a background
worker, and the confirmation by another. A file is removed when its preview is refused or fails,
when it is confirmed or cancelled, and when a new preview replaces it; whatever a closed browser
or a killed worker leaves behind is removed by ``manage.py cleanup_uploads`` (run daily from cron),
once older than a day.
"""

import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from django.utils import timezone

from pdca.models import PendingUpload

PENDING_HOURS = 24  # a preview's file is useless long before: sessions last 30 minutes


def store(upload, *, user) -> PendingUpload:
    """Keep an uploaded file under a random token, for ``user`` only."""
    token = secrets.token_hex(16) + Path(upload.name).suffix.lower()
    content = b"".join(upload.chunks())
    return PendingUpload.objects.create(
        token=token, user=user, name=upload.name, content=content, size=len(content)
    )


def pending(token: str, *, user) -> PendingUpload | None:
    """The file waiting under ``token`` if ``user`` uploaded it (its content is read when used)."""
    if not token:
        return None
    return PendingUpload.objects.defer("content").filter(token=token, user=user).first()


def discard(token: str) -> None:
    PendingUpload.objects.filter(token=token).delete()


@contextmanager
def local_copy(upload: PendingUpload) -> Iterator[Path]:
    """The file's content in a temporary file of this process, for the reader; removed after."""
    content = PendingUpload.objects.filter(pk=upload.pk).values_list("content", flat=True).first()
    if content is None:
        raise PendingUpload.DoesNotExist
    with tempfile.TemporaryDirectory(prefix="shizuoka-dx-upload-") as folder:
        path = Path(folder) / upload.token
        path.write_bytes(bytes(content))
        yield path


def remove_older_than(hours: float, *, now=None) -> int:
    """Delete the uploads kept for more than ``hours``; returns how many."""
    cutoff = (now or timezone.now()) - timedelta(hours=hours)
    deleted, _ = PendingUpload.objects.filter(created_at__lt=cutoff).delete()
    return deleted
