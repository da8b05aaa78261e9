"""Several app servers, one database (README, "Production"): nothing a request needs lives on one
server's disk or in its memory.

Two gunicorn processes and one background worker (`manage.py db_worker`, as `make worker` runs
it) share a database of their own (on PostgreSQL when the suite runs on PostgreSQL, else a SQLite
file). One browser (one cookie jar) previews an upload on the first server and confirms it on the
second, at once for a small file and through the worker for a large one; a workbook written by
the worker is downloaded from either.
"""

import http.cookiejar
import io
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

import pytest
from django.conf import settings
from openpyxl import load_workbook

from tests.helpers import run_python

WAIT = 60  # seconds: a guard against a hung test, never part of the expected timing
PASSWORD = "shizuoka-demo-2025"  # create_demo_users


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def cluster(scratch_database_url, tmp_path):
    """Two app servers and a worker on one database: (first URL, second URL)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "PYTEST_", "REDIS_URL"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="shizuoka_dx.settings",
        DATABASE_URL=scratch_database_url,
        DEBUG="true",  # plain HTTP and the demo users; nothing else differs here
        BACKGROUND_IMPORT_KB="1",  # a file of 1 KB or more goes to the worker
        WEB_CONCURRENCY="1",
    )
    for command in (["migrate", "--noinput"], ["load_plan"], ["create_demo_users"]):
        run_python(env, "manage.py", *command)
    processes = []
    logs = []

    def start(name, command):
        log = open(tmp_path / f"{name}.log", "w")
        logs.append(log)
        processes.append(
            subprocess.Popen(
                [sys.executable, *command],
                cwd=settings.BASE_DIR,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )

    urls = []
    for name in ("first", "second"):
        port = free_port()
        gunicorn = ["-m", "gunicorn", "--config", "python:shizuoka_dx.gunicorn_conf"]
        start(name, [*gunicorn, "--bind", f"127.0.0.1:{port}", "shizuoka_dx.wsgi"])
        urls.append(f"http://127.0.0.1:{port}")
    start("worker", ["manage.py", "db_worker", "--no-reload", "--interval", "0.2"])
    try:
        for url in urls:
            deadline = time.monotonic() + WAIT
            while True:
                try:
                    urllib.request.urlopen(url + "/healthz", timeout=2)
                    break
                except OSError:
                    assert time.monotonic() < deadline, (tmp_path / "first.log").read_text()
                    time.sleep(0.1)
        yield urls
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)
        for log in logs:
            log.close()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """One person's browser: one cookie jar, whichever server answers."""

    def __init__(self):
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), NoRedirect
        )

    def open(self, url, data=None, headers=None):
        request = urllib.request.Request(url, data=data, headers=headers or {})
        try:
            response = self.opener.open(request, timeout=30)
        except urllib.error.HTTPError as error:
            response = error
        return response.status, response.headers, response.read()

    def get(self, url):
        return self.open(url)

    def csrf(self):
        return next(cookie.value for cookie in self.jar if cookie.name == "csrftoken")

    def post(self, url, fields, files=None):
        fields = {**fields, "csrfmiddlewaretoken": self.csrf()}
        headers = {"Referer": url}
        if files is None:
            body = urllib.parse.urlencode(fields).encode()
        else:
            boundary = uuid.uuid4().hex
            parts = []
            for key, value in fields.items():
                parts.append(
                    f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n'
                    f"{value}\r\n".encode()
                )
            for key, (filename, content) in files.items():
                parts.append(
                    f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"; '
                    f'filename="{filename}"\r\nContent-Type: text/csv\r\n\r\n'.encode()
                    + content
                    + b"\r\n"
                )
            body = b"".join(parts) + f"--{boundary}--\r\n".encode()
            headers["Content-Type"] = f"multipart/form-data; boundary={boundary}"
        return self.open(url, data=body, headers=headers)

    def log_in(self, base, username):
        self.get(base + "/accounts/login/")
        status, _, _ = self.post(
            base + "/accounts/login/", {"username": username, "password": PASSWORD}
        )
        assert status == 302, "login failed"

    def until_finished(self, url):
        """Reload a status page (as its refresh does) until it answers with the result."""
        deadline = time.monotonic() + WAIT
        while True:
            status, headers, body = self.get(url)
            page = body.decode("utf-8", "replace")
            if 'http-equiv="refresh"' not in page:
                return status, headers, page
            assert time.monotonic() < deadline, page
            time.sleep(0.2)


def location(headers) -> str:
    return urllib.parse.urlparse(headers["Location"]).path


CSV = "kpi_code,fiscal_year,value,note\r\n"


def test_preview_on_one_app_server_confirm_on_the_other(cluster):
    first, second = cluster
    browser = Browser()
    browser.log_in(first, "dx-staff")

    # A small file: checked at once by the first server, saved by the second.
    small = (CSV + "1-1-K01,R6,324081,\r\n").encode()
    status, _, body = browser.post(
        first + "/staff/actuals/import/preview/", {}, files={"file": ("small.csv", small)}
    )
    assert status == 200 and "取り込むと 追加 1 件" in body.decode()
    status, headers, _ = browser.post(second + "/staff/actuals/import/confirm/", {})
    assert (status, location(headers)) == (302, "/staff/actuals/import/")
    _, _, body = browser.get(second + "/staff/actuals/import/")
    assert "small.csv を取り込みました: 追加 1 件" in body.decode()

    # A large one: queued by the first server, checked by the worker, its preview read from the
    # second; confirmed on the second, saved by the worker, the result read from the first.
    note = "前年度の集計方法に合わせて補正した速報値" * 10
    large = (CSV + f"1-1-K01,R7,330000,{note}\r\n1-3-K02,R7,10,{note}\r\n").encode()
    assert len(large) > 1024
    status, headers, _ = browser.post(
        first + "/staff/actuals/import/preview/", {}, files={"file": ("large.csv", large)}
    )
    assert status == 302
    job = location(headers)
    assert re.fullmatch(r"/staff/jobs/[0-9a-f-]{36}/", job)
    status, _, page = browser.until_finished(second + job)
    assert status == 200 and "取り込むと 追加 2 件" in page, page
    token = re.search(r'name="upload" value="([^"]+)"', page)[1]
    status, headers, _ = browser.post(second + "/staff/actuals/import/confirm/", {"upload": token})
    assert status == 302
    status, headers, _ = browser.until_finished(first + location(headers))
    assert (status, location(headers)) == (302, "/staff/actuals/import/")
    _, _, body = browser.get(first + "/staff/actuals/import/")
    assert "large.csv を取り込みました: 追加 2 件" in body.decode()

    # The Form ①/② workbook: asked of the second server, written by the worker, downloaded
    # from the first.
    status, headers, _ = browser.get(second + "/staff/forms.xlsx?fiscal_year=R7&scope=item-1-3")
    assert status == 302
    status, _, page = browser.until_finished(first + location(headers))
    assert status == 200 and "様式の Excel ファイルができました" in page
    link = re.search(r'href="(/staff/jobs/[^"]+/download/)"', page)[1]
    status, headers, content = browser.get(first + link)
    assert status == 200 and "attachment" in headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(content))
    assert "様式①_1-3" in book.sheetnames
