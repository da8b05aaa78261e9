"""An uploaded file waits only between its preview and the confirmation: refused, failed,
cancelled or confirmed, it is gone; what a closed browser leaves is removed by cleanup_uploads."""

import os
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError

from kpis.models import Actual

pytestmark = pytest.mark.django_db

GOOD = "kpi_code,fiscal_year,value\r\n1-1-K01,R6,324081\r\n"
BAD = "kpi_code,fiscal_year,value\r\n1-1-K01,R6,たくさん\r\n"


@pytest.fixture
def folder(settings, tmp_path):
    settings.UPLOAD_DIR = tmp_path / "uploads"
    return settings.UPLOAD_DIR


def preview(client, text, name="actuals.csv"):
    file = SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")
    return client.post("/staff/actuals/import/preview/", {"file": file})


def pending(folder) -> list[str]:
    return sorted(path.name for path in folder.iterdir()) if folder.exists() else []


def test_a_refused_file_is_not_kept(client, dx_staff, folder):
    client.force_login(dx_staff)
    assert preview(client, BAD).status_code == 400
    assert pending(folder) == []
    assert preview(client, 'a,b\r\n1,"open\r\n', name="broken.csv").status_code == 400
    assert pending(folder) == []


def test_a_preview_that_fails_unexpectedly_keeps_nothing(client, dx_staff, folder, monkeypatch):
    def fail(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("pdca.views.excel.import_actuals", fail)
    client.force_login(dx_staff)
    client.raise_request_exception = False
    assert preview(client, GOOD).status_code == 500
    assert pending(folder) == []


def test_a_preview_keeps_one_file_until_confirmed(client, dx_staff, folder):
    client.force_login(dx_staff)
    preview(client, GOOD)
    first = pending(folder)
    assert len(first) == 1
    preview(client, GOOD)  # a second preview replaces the first
    assert len(pending(folder)) == 1 and pending(folder) != first
    assert client.post("/staff/actuals/import/confirm/").status_code == 302
    assert pending(folder) == []
    assert Actual.objects.count() == 1


def test_a_cancelled_preview_keeps_nothing(client, dx_staff, folder):
    client.force_login(dx_staff)
    preview(client, GOOD)
    client.post("/staff/actuals/import/cancel/")
    assert pending(folder) == []


def test_a_confirmation_refused_keeps_nothing(client, dx_staff, folder):
    client.force_login(dx_staff)
    preview(client, GOOD)
    (path,) = folder.iterdir()
    path.write_text(BAD, encoding="utf-8")  # whatever refuses the confirmation
    assert client.post("/staff/actuals/import/confirm/").status_code == 400
    assert pending(folder) == []


def test_cleanup_removes_only_files_older_than_asked(folder, capsys):
    folder.mkdir(parents=True)
    now = time.time()
    for name, hours in [("old.csv", 30), ("yesterday.xlsx", 25), ("recent.csv", 2)]:
        path = folder / name
        path.write_bytes(b"x")
        os.utime(path, (now - hours * 3600, now - hours * 3600))
    (folder / "kept-folder").mkdir()
    os.utime(folder / "kept-folder", (now - 99 * 3600, now - 99 * 3600))

    call_command("cleanup_uploads")
    assert pending(folder) == ["kept-folder", "recent.csv"]
    assert "24時間より前のアップロードファイルを 2 件削除しました" in capsys.readouterr().out

    call_command("cleanup_uploads", "--older-than-hours", "1")
    assert pending(folder) == ["kept-folder"]
    with pytest.raises(CommandError, match="0以上"):
        call_command("cleanup_uploads", "--older-than-hours", "-1")
