"""Background work on the real path: the database queue of django-tasks and its worker.

The rest of the suite runs tasks at once (tests/settings.py); here a page only queues the work,
the status page shows it waiting with a progress bar that refreshes without JavaScript, the
worker (django_tasks_db's own, run in this process until the queue is empty) does it as the person
who started it, and the status page then shows the result. tests/pdca/test_two_app_servers.py
runs the same with real processes.
"""

import io
import json
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult
from openpyxl import load_workbook

from kpis.models import Actual, Kpi
from pdca.jobs import Progress
from pdca.models import BackgroundJob, PendingUpload, PublishedSnapshot
from priorities.models import Department
from priorities.permissions import DX_STAFF_GROUP
from tests.conftest import approve_all

pytestmark = pytest.mark.django_db

CSV = "kpi_code,fiscal_year,value,note\r\n{rows}"
JOB_URL = re.compile(r"^/staff/jobs/[0-9a-f-]{36}/$")


@pytest.fixture
def queue(settings, monkeypatch):
    """Tasks go to the database queue; nothing runs until ``run_worker()``."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.BACKGROUND_IMPORT_KB = 0  # every upload in the background
    # The worker drops connections it thinks stale between tasks; the test's one holds the
    # test's transaction, which the worker must see (real processes: test_two_app_servers.py).
    monkeypatch.setattr(
        "django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None
    )


def run_worker() -> int:
    """django_tasks_db's worker, as `manage.py db_worker --batch` runs it; returns how many
    tasks it ran."""
    before = DBTaskResult.objects.finished().count()
    Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
        excluded_queue_names=[],
    ).run()
    return DBTaskResult.objects.finished().count() - before


def upload(client, text, name="actuals.csv"):
    file = SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")
    return client.post("/staff/actuals/import/preview/", {"file": file})


def waiting_page(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    assert '<noscript><meta http-equiv="refresh" content="2"></noscript>' in page
    assert '<progress id="job-progress" max="100"' in page
    assert '<label for="job-progress">進み具合</label>' in page
    assert "順番を待っています" in page
    assert "js/job.js" in page
    return page


def test_the_forms_workbook_is_written_by_the_worker_then_downloaded(client, head_a, queue):
    client.force_login(head_a)
    response = client.get("/staff/forms.xlsx?fiscal_year=R7")
    assert response.status_code == 302 and JOB_URL.match(response.url)
    waiting_page(client, response.url)
    status = client.get(response.url + "status.json").json()
    assert status["finished"] is False and status["state"] == "順番を待っています"

    assert run_worker() == 1
    page = client.get(response.url).content.decode()
    assert "様式の Excel ファイルができました" in page
    assert "http-equiv" not in page
    link = re.search(r'href="(/staff/jobs/[^"]+/download/)"', page)[1]
    download = client.get(link)
    assert download.status_code == 200
    assert "attachment" in download["Content-Disposition"]
    assert "%E6%A7%98%E5%BC%8F_R7_" in download["Content-Disposition"]  # 様式_R7_…
    book = load_workbook(io.BytesIO(download.content))
    # head_a (危機管理課) sees 1-3 only: the worker wrote the workbook with their rights.
    assert [name for name in book.sheetnames if name.startswith("様式①")] == ["様式①_1-3"]
    assert client.get(response.url + "status.json").json()["finished"] is True


def test_a_large_upload_is_previewed_and_saved_by_the_worker(client, head_a, queue):
    client.force_login(head_a)
    response = upload(client, CSV.format(rows="1-3-K02,R7,１０時間,速報\r\n"))
    assert response.status_code == 302 and JOB_URL.match(response.url)
    preview_job = response.url
    waiting_page(client, preview_job)
    assert PendingUpload.objects.get().seen is None  # not previewed yet: nothing to confirm
    assert client.post("/staff/actuals/import/confirm/").status_code == 302
    assert PendingUpload.objects.count() == 1

    run_worker()
    page = client.get(preview_job).content.decode()
    assert "取り込むと 追加 1 件" in page
    assert "1-3-K02 令和7年度（2025年度） = 10（備考: 速報）" in page
    token = re.search(r'name="upload" value="([^"]+)"', page)[1]
    assert token == PendingUpload.objects.get().token
    assert not Actual.objects.exists()

    response = client.post("/staff/actuals/import/confirm/", {"upload": token})
    assert response.status_code == 302 and JOB_URL.match(response.url)
    assert not Actual.objects.exists()
    run_worker()
    done = client.get(response.url)
    assert done.status_code == 302 and done.url == "/staff/actuals/import/"
    assert "取り込みました: 追加 1 件" in client.get(done.url).content.decode()
    actual = Actual.objects.get(kpi__code="1-3-K02", fiscal_year=2025)
    assert (actual.value, actual.entered_by, actual.note) == (Decimal(10), head_a, "速報")
    assert actual.history.latest().history_user == head_a
    assert not PendingUpload.objects.exists()


def test_a_refused_large_upload_says_why_on_the_status_page(client, head_a, queue):
    """The worker checks with the head's rights: another department's KPI is refused, as at once."""
    client.force_login(head_a)
    response = upload(client, CSV.format(rows="1-1-K01,R6,324081,\r\n"))
    run_worker()
    refused = client.get(response.url)
    page = refused.content.decode()
    assert refused.status_code == 400
    assert "actuals.csv は取り込めません（何も保存していません）" in page
    assert "1-1-K01" in page
    assert not PendingUpload.objects.exists()
    follow = client.post("/staff/actuals/import/confirm/", follow=True).content.decode()
    assert "確認した内容が見つかりません" in follow


def test_a_figure_changed_while_the_confirmation_waits_is_refused(client, head_a, queue):
    client.force_login(head_a)
    upload(client, CSV.format(rows="1-3-K02,R7,10,\r\n"))
    run_worker()
    response = client.post("/staff/actuals/import/confirm/")
    Actual.objects.create(kpi=Kpi.objects.get(code="1-3-K02"), fiscal_year=2025, value=7)
    run_worker()
    refused = client.get(response.url)
    assert refused.status_code == 400
    assert Actual.objects.get(kpi__code="1-3-K02", fiscal_year=2025).value == 7


def test_publication_is_done_by_the_worker_as_the_person_who_asked(client, dx_staff, queue):
    approve_all(2025)
    client.force_login(dx_staff)
    response = client.post("/staff/publish/", {"confirmed": "True", "fiscal_year": "R7"})
    assert response.status_code == 302 and JOB_URL.match(response.url)
    waiting_page(client, response.url)
    assert not PublishedSnapshot.objects.exists()
    run_worker()
    done = client.get(response.url)
    assert done.status_code == 302 and done.url == "/staff/publish/"
    assert "令和7年度（2025年度）の進捗を公表しました。" in client.get(done.url).content.decode()
    snapshot = PublishedSnapshot.objects.get()
    assert (snapshot.fiscal_year, snapshot.published_by) == (2025, dx_staff)


def test_unapproved_items_are_refused_at_once_without_queueing(client, dx_staff, queue):
    client.force_login(dx_staff)
    response = client.post("/staff/publish/", {"confirmed": "True", "fiscal_year": "R7"})
    assert response.status_code == 400
    assert "承認されていない重点項目があります" in response.content.decode()
    assert not BackgroundJob.objects.exists() and not DBTaskResult.objects.exists()


def test_work_never_runs_with_rights_the_person_lost_meanwhile(client, dx_staff, head_a, queue):
    approve_all(2025)
    client.force_login(dx_staff)
    publish = client.post("/staff/publish/", {"confirmed": "True", "fiscal_year": "R7"}).url
    dx_staff.groups.remove(Group.objects.get(name=DX_STAFF_GROUP))
    client.force_login(head_a)
    forms = client.get("/staff/forms.xlsx").url
    Department.objects.get(name="危機管理課").members.remove(head_a)

    run_worker()
    assert not PublishedSnapshot.objects.exists()
    job = BackgroundJob.objects.get(kind=BackgroundJob.Kind.PUBLISH)
    assert job.status == BackgroundJob.Status.REFUSED
    assert job.result == {"errors": ["この処理をする権限がありません。"]}
    page = client.get(forms)
    assert page.status_code == 400
    assert "この処理をする権限がありません。" in page.content.decode()
    client.force_login(dx_staff)
    assert client.get(publish).status_code == 403  # no longer DX staff: not even the result


def test_a_deactivated_account_stops_its_queued_work(client, dx_staff, queue):
    approve_all(2025)
    client.force_login(dx_staff)
    client.post("/staff/publish/", {"confirmed": "True", "fiscal_year": "R7"})
    dx_staff.is_active = False
    dx_staff.save()
    run_worker()
    assert not PublishedSnapshot.objects.exists()
    assert BackgroundJob.objects.get().status == BackgroundJob.Status.REFUSED


def test_only_the_person_who_started_the_work_sees_it(client, head_a, head_a2, dx_staff, queue):
    client.force_login(head_a)
    url = client.get("/staff/forms.xlsx").url
    run_worker()
    for other in (head_a2, dx_staff):
        client.force_login(other)
        assert client.get(url).status_code == 404
        assert client.get(url + "status.json").status_code == 404
        assert client.get(url + "download/").status_code == 404
    client.logout()
    assert client.get(url).status_code == 302


def test_work_that_fails_says_so_in_japanese_and_the_queue_keeps_the_traceback(
    client, dx_staff, queue, monkeypatch
):
    def fail(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("pdca.tasks.build_document", fail)
    client.force_login(dx_staff)
    url = client.get("/staff/forms.xlsx").url
    run_worker()
    response = client.get(url)
    page = response.content.decode()
    assert response.status_code == 500
    assert "処理の途中で問題が起きたため、止まりました。" in page
    assert "boom" not in page and "Traceback" not in page
    assert BackgroundJob.objects.get().status == BackgroundJob.Status.FAILED
    task = DBTaskResult.objects.get()
    assert task.status == "FAILED" and "RuntimeError: boom" in task.traceback


def test_the_status_page_shows_how_far_the_work_is(client, dx_staff, queue):
    client.force_login(dx_staff)
    url = client.get("/staff/forms.xlsx").url
    job = BackgroundJob.objects.get()
    BackgroundJob.objects.update(status=BackgroundJob.Status.RUNNING)
    Progress(job.pk)("確認中: 200 / 800 行")
    page = client.get(url).content.decode()
    assert 'value="25"' in page and "25%（200 / 800）" in page
    assert "確認中: 200 / 800 行" in page and "処理しています" in page
    status = client.get(url + "status.json").json()
    assert (status["done"], status["total"], status["percent"]) == (200, 800, 25)
    Progress(job.pk).stage("ファイルにまとめています")
    page = client.get(url).content.decode()
    assert re.search(r'<progress id="job-progress" max="100">', page)  # no value: a step
    assert "ファイルにまとめています" in page


def test_work_waiting_long_for_a_worker_says_to_check_it(client, dx_staff, queue):
    client.force_login(dx_staff)
    url = client.get("/staff/forms.xlsx").url
    assert "ワーカーが動いているか" not in client.get(url).content.decode()
    BackgroundJob.objects.update(created_at=timezone.now() - timedelta(minutes=2))
    assert "ワーカーが動いているか" in client.get(url).content.decode()
    assert "ワーカーが動いているか" in json.dumps(
        client.get(url + "status.json").json(), ensure_ascii=False
    )


@pytest.mark.parametrize("limit_kb", [0, 32])
def test_a_page_answers_the_same_whether_the_work_ran_in_the_background_or_not(
    client, head_a, settings, limit_kb
):
    """With tasks run at once (the rest of the suite), a large upload answers as a small one."""
    settings.BACKGROUND_IMPORT_KB = limit_kb
    client.force_login(head_a)
    response = upload(client, CSV.format(rows="1-3-K02,R7,10,\r\n"))
    assert response.status_code == 200
    assert "取り込むと 追加 1 件" in response.content.decode()
    assert BackgroundJob.objects.count() == (1 if limit_kb == 0 else 0)
    assert client.post("/staff/actuals/import/confirm/").status_code == 302
    assert Actual.objects.filter(kpi__code="1-3-K02", fiscal_year=2025).exists()


def test_a_submission_s_notice_waits_in_the_queue_and_the_worker_sends_it(
    client, queue, head_a, head_a2, mailoutbox
):
    """The notice is recorded with the submission and queued with it; the worker sends it. Without
    a worker, the next send_reminders sends what is still waiting."""
    from django.core.management import call_command

    from pdca.models import EmailMessageRecord

    head_a2.email = "kiki2@example.jp"
    head_a2.save()
    client.force_login(head_a)
    fields = dict.fromkeys(
        ["quantitative", "qualitative", "issues", "countermeasures", "next_plan"], "記入"
    )
    response = client.post(
        "/staff/items/1-3/evaluations/2025/", {**fields, "version": 1, "action": "submit"}
    )
    assert response.status_code == 302
    record = EmailMessageRecord.objects.get()
    assert (record.kind, record.status) == ("submitted", "pending")
    assert mailoutbox == []
    assert run_worker() == 1
    record.refresh_from_db()
    assert record.status == "sent" and [m.to for m in mailoutbox] == [["kiki2@example.jp"]]

    # No worker: the daily command sends what waits (never twice: the worker finds it sent).
    EmailMessageRecord.objects.filter(pk=record.pk).update(status="pending")
    call_command("send_reminders", "--today", "2026-05-24")
    assert len(mailoutbox) == 2
    assert run_worker() == 0
