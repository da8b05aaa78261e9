"""An uploaded file waits only between its preview and the confirmation, in the database (any app
server may answer the confirmation): refused, failed, cancelled or confirmed, it is gone; what a
closed browser leaves is removed by cleanup_uploads, with old background work."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from kpis.models import Actual
from pdca.models import BackgroundJob, PendingUpload

pytestmark = pytest.mark.django_db

GOOD = "kpi_code,fiscal_year,value\r\n1-1-K01,R6,324081\r\n"
BAD = "kpi_code,fiscal_year,value\r\n1-1-K01,R6,たくさん\r\n"


def preview(client, text, name="actuals.csv"):
    file = SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")
    return client.post("/staff/actuals/import/preview/", {"file": file})


def pending() -> list[str]:
    return sorted(PendingUpload.objects.values_list("token", flat=True))


def test_a_refused_file_is_not_kept(client, dx_staff):
    client.force_login(dx_staff)
    assert preview(client, BAD).status_code == 400
    assert pending() == []
    assert preview(client, 'a,b\r\n1,"open\r\n', name="broken.csv").status_code == 400
    assert pending() == []


def test_a_preview_that_fails_unexpectedly_keeps_nothing(client, dx_staff, monkeypatch):
    def fail(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("pdca.services.imports.import_actuals", fail)
    client.force_login(dx_staff)
    client.raise_request_exception = False
    assert preview(client, GOOD).status_code == 500
    assert pending() == []


def test_a_preview_keeps_one_file_until_confirmed(client, dx_staff):
    client.force_login(dx_staff)
    preview(client, GOOD)
    first = pending()
    assert len(first) == 1
    stored = PendingUpload.objects.get()
    assert (stored.name, bytes(stored.content), stored.user) == (
        "actuals.csv",
        GOOD.encode(),
        dx_staff,
    )
    preview(client, GOOD)  # a second preview replaces the first
    assert len(pending()) == 1 and pending() != first
    assert client.post("/staff/actuals/import/confirm/").status_code == 302
    assert pending() == []
    assert Actual.objects.count() == 1


def test_a_cancelled_preview_keeps_nothing(client, dx_staff):
    client.force_login(dx_staff)
    preview(client, GOOD)
    client.post("/staff/actuals/import/cancel/")
    assert pending() == []


def test_a_confirmation_refused_keeps_nothing(client, dx_staff):
    client.force_login(dx_staff)
    preview(client, GOOD)
    PendingUpload.objects.update(content=BAD.encode())  # whatever refuses the confirmation
    assert client.post("/staff/actuals/import/confirm/").status_code == 400
    assert pending() == []


def test_nobody_else_can_confirm_a_file_kept_for_someone(client, dx_staff, head_a):
    """The session names the file, and the file names its owner: both must match."""
    client.force_login(dx_staff)
    preview(client, GOOD)
    PendingUpload.objects.update(user=head_a)
    response = client.post("/staff/actuals/import/confirm/", follow=True)
    assert "確認した内容が見つかりません" in response.content.decode()
    assert Actual.objects.count() == 0


def test_cleanup_removes_only_what_is_older_than_asked(dx_staff, capsys):
    now = timezone.now()
    for token, hours in [("old.csv", 30), ("yesterday.xlsx", 25), ("recent.csv", 2)]:
        PendingUpload.objects.create(
            token=token,
            user=dx_staff,
            name=token,
            content=b"x",
            size=1,
            created_at=now - timedelta(hours=hours),
        )
    for hours in (26, 3):
        BackgroundJob.objects.create(
            kind=BackgroundJob.Kind.PUBLISH,
            user=dx_staff,
            created_at=now - timedelta(hours=hours),
            file=b"a workbook",
        )

    call_command("cleanup_uploads")
    assert pending() == ["recent.csv"]
    out = capsys.readouterr().out
    assert "24時間より前のアップロードファイルを 2 件削除しました" in out
    assert "24時間より前に始めたバックグラウンド処理の記録を 1 件削除しました" in out
    assert BackgroundJob.objects.count() == 1

    call_command("cleanup_uploads", "--older-than-hours", "1")
    assert pending() == [] and BackgroundJob.objects.count() == 0
    with pytest.raises(CommandError, match="0以上"):
        call_command("cleanup_uploads", "--older-than-hours", "-1")
