"""Uploaded files kept between a preview and its confirmation (``settings.UPLOAD_DIR``).

A file is removed when its preview is refused or fails, when it is confirmed or cancelled, and
when a new preview replaces it; whatever a closed browser or a killed worker leaves behind is
removed by ``manage.py cleanup_uploads`` (run daily from cron), once older than a day.
"""

import secrets
import time
from pathlib import Path

from django.conf import settings

PENDING_HOURS = 24  # a preview's file is useless long before: sessions last 30 minutes


def upload_dir() -> Path:
    folder = Path(settings.UPLOAD_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def store(upload) -> tuple[Path, str]:
    """Write an uploaded file under a random name; returns its path and that name."""
    token = secrets.token_hex(16) + Path(upload.name).suffix.lower()
    path = upload_dir() / token
    with path.open("wb") as target:
        for chunk in upload.chunks():
            target.write(chunk)
    return path, token


def remove_older_than(hours: float, *, now: float | None = None) -> list[Path]:
    """Delete the files in the upload folder last written more than ``hours`` ago; returns
    them. Folders and anything else that is not a plain file are left alone."""
    cutoff = (time.time() if now is None else now) - hours * 3600
    removed = []
    for path in sorted(upload_dir().iterdir()):
        try:
            stat = path.lstat()
        except FileNotFoundError:  # removed meanwhile by its own request
            continue
        if path.is_file() and not path.is_symlink() and stat.st_mtime < cutoff:
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed
