"""`make serve`: production mode refuses to start without its settings, never loads the demo,
and gunicorn serves the app with hashed, compressed, long-cached static files, /healthz, a
Japanese 404 page and one access-log line per request on stderr."""

import gzip
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from gunicorn.config import Config

from shizuoka_dx import gunicorn_conf, serve, staticfinders

KEY = "a-long-random-production-secret-key-for-the-tests-0123456789abcdef"
YEAR = 60 * 60 * 24 * 365
GUNICORN = ["--config", "python:shizuoka_dx.gunicorn_conf", "shizuoka_dx.wsgi"]


def production_env(**extra):
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in {"DJANGO_SETTINGS_MODULE", "REDIS_URL", "WEB_CONCURRENCY"}
    }
    env.update(DEBUG="false", SECRET_KEY=KEY, ALLOWED_HOSTS="127.0.0.1")
    env.update(extra)
    return env


def run(args, env, timeout=300):
    return subprocess.run(
        args, cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=timeout
    )


def preflight(**environ):
    env = {"PATH": os.environ["PATH"], **environ}
    return run([sys.executable, "-m", "shizuoka_dx.serve"], env, timeout=60)


# --- refusing to start ---------------------------------------------------------------------


def test_it_refuses_to_start_without_a_secret_key_or_allowed_hosts_in_one_japanese_line():
    result = preflight()
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("make serve を開始できません: 環境変数 SECRET_KEY と ALLOWED_HOSTS")


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({"SECRET_KEY": KEY}, "ALLOWED_HOSTS"),
        ({"ALLOWED_HOSTS": "dx.example.jp"}, "SECRET_KEY"),
        ({"SECRET_KEY": "short", "ALLOWED_HOSTS": "x"}, "SECRET_KEY が短すぎる"),
        ({"SECRET_KEY": "a" * 60, "ALLOWED_HOSTS": "x"}, "SECRET_KEY が短すぎるか単純すぎます"),
        ({"SECRET_KEY": KEY, "ALLOWED_HOSTS": "x", "WEB_CONCURRENCY": "four"}, "WEB_CONCURRENCY"),
        ({"SECRET_KEY": KEY, "ALLOWED_HOSTS": "x", "DATABASE_URL": "mysql://db/x"}, "DATABASE_URL"),
        ({"SECRET_KEY": KEY, "ALLOWED_HOSTS": "x", "REDIS_URL": "cache:6379"}, "REDIS_URL"),
    ],
)
def test_each_missing_or_bad_setting_is_named_in_one_line(environ, named):
    result = preflight(**environ)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and named in lines[0], result.stderr
    assert "Traceback" not in result.stderr


def test_it_starts_in_production_mode_even_when_the_shell_says_debug():
    assert preflight(SECRET_KEY=KEY, ALLOWED_HOSTS="x", DEBUG="true").returncode == 0
    # DEBUG=true would have accepted a missing SECRET_KEY.
    assert preflight(ALLOWED_HOSTS="x", DEBUG="true").returncode == 2


def test_make_serve_checks_first_then_migrates_and_collects_and_never_loads_the_demo():
    result = run(["make", "-n", "serve"], {**os.environ, "MAKEFLAGS": ""}, timeout=60)
    assert result.returncode == 0, result.stderr
    commands = result.stdout.splitlines()
    steps = [
        next(i for i, line in enumerate(commands) if needle in line)
        for needle in ("-m shizuoka_dx.serve", "migrate", "collectstatic", "gunicorn")
    ]
    assert steps == sorted(steps), commands
    assert "load_plan" not in result.stdout and "create_demo_users" not in result.stdout


# --- gunicorn's settings -------------------------------------------------------------------


@pytest.mark.parametrize(("cores", "workers"), [(1, 3), (2, 5), (3, 7), (4, 8), (64, 8)])
def test_workers_are_twice_the_cores_plus_one_up_to_a_cap(cores, workers):
    assert serve.default_workers(cores) == workers


def test_web_concurrency_sets_the_workers():
    assert serve.workers({"WEB_CONCURRENCY": "3"}) == 3
    assert serve.workers({}) == serve.default_workers(serve.cpu_count())
    for bad in ["0", "-1", "two", "1.5", "３"]:
        with pytest.raises(serve.Refused, match="WEB_CONCURRENCY"):
            serve.workers({"WEB_CONCURRENCY": bad})


def test_gunicorns_own_lines_are_in_djangos_time_zone():
    assert gunicorn_conf.TIME_ZONE == settings.TIME_ZONE


def test_the_access_log_goes_to_stderr():
    config = Config()
    config.set("accesslog", gunicorn_conf.accesslog)
    logger = gunicorn_conf.StderrLogger(config)
    streams = [getattr(h, "stream", None) for h in logger.access_log.handlers]
    assert streams == [sys.stderr]


# --- the real thing: gunicorn in production mode -------------------------------------------


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def server(tmp_path):
    """gunicorn as `make serve` starts it, on a SQLite file and a static folder of its own.

    Used by one test only: collectstatic compresses plotly.js (about 10 s), and a fixture shared
    by several tests would run once in each pytest-xdist worker that gets one of them."""
    root = tmp_path
    env = production_env(
        DATABASE_URL=f"sqlite:///{root}/db.sqlite3",
        STATIC_ROOT=str(root / "static"),
        WEB_CONCURRENCY="1",
    )
    for step in (["-m", "shizuoka_dx.serve"], ["manage.py", "migrate", "--noinput"]):
        done = run([sys.executable, *step], env)
        assert done.returncode == 0, done.stderr
    done = run([sys.executable, "manage.py", "collectstatic", "--noinput"], env)
    assert done.returncode == 0, done.stderr
    port = free_port()
    log_path = root / "stderr.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", *GUNICORN, "--bind", f"127.0.0.1:{port}"],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=2)
                break
            except OSError:
                assert process.poll() is None, log_path.read_text()
                time.sleep(0.1)
        yield base, root, log_path
    finally:
        process.terminate()
        process.wait(timeout=30)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def get(url, **headers):
    """(status, headers, body) without following redirects; body decompressed when gzip."""
    opener = urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(url, headers=headers)
    try:
        response = opener.open(request, timeout=30)
    except urllib.error.HTTPError as error:
        response = error
    body = response.read()
    if response.headers.get("Content-Encoding") == "gzip":
        body = gzip.decompress(body)
    return response.status, response.headers, body


HTTPS = {"X-Forwarded-Proto": "https"}


def check_healthz_answers_over_plain_http_for_load_balancers(server):
    base, _, _ = server
    status, headers, body = get(base + "/healthz")
    assert (status, body) == (200, b"ok\n")
    assert "Set-Cookie" not in headers
    # Every other page is redirected to HTTPS.
    status, headers, _ = get(base + "/")
    assert status == 301 and headers["Location"].startswith("https://127.0.0.1")


def check_pages_link_hashed_static_files_that_are_served_compressed_and_cached_a_year(server):
    base, _, _ = server
    status, _, body = get(base + "/", **HTTPS)
    assert status == 200
    page = body.decode()
    stylesheet = re.search(r'href="(/static/css/site\.[0-9a-f]{12}\.css)"', page).group(1)
    for encoding in ("br", "gzip"):
        status, headers, body = get(base + stylesheet, **HTTPS, **{"Accept-Encoding": encoding})
        assert status == 200
        assert headers["Content-Encoding"] == encoding
        assert f"max-age={10 * YEAR}" in headers["Cache-Control"]
        assert "immutable" in headers["Cache-Control"]
    assert body == (settings.BASE_DIR / "static/css/site.css").read_bytes()
    # The unhashed name is not kept: nothing can be cached a year under a name that changes.
    assert get(base + "/static/css/site.css", **HTTPS)[0] == 404


def check_plotly_js_is_served_hashed_and_compressed_the_basic_build_when_installed(server):
    base, root, _ = server
    hashed = sorted(p.name for p in (root / "static" / "vendor").iterdir())
    script = next(name for name in hashed if re.fullmatch(r"plotly\.min\.[0-9a-f]{12}\.js", name))
    assert {script + ".br", script + ".gz"} <= set(hashed)
    status, headers, _ = get(
        base + f"/static/vendor/{script}", **HTTPS, **{"Accept-Encoding": "br"}
    )
    assert status == 200
    assert headers["Content-Encoding"] == "br"
    assert "immutable" in headers["Cache-Control"]
    # The basic build (`make setup`, from npm) is 330 KB as sent; the full build 1.1 MB.
    basic = (settings.BASE_DIR / staticfinders.BASIC).is_file()
    assert int(headers["Content-Length"]) < (400_000 if basic else 2_000_000)


def check_a_missing_page_is_answered_in_japanese(server):
    base, _, _ = server
    status, _, body = get(base + "/no-such-page/", **HTTPS)
    assert status == 404
    assert "ページが見つかりません" in body.decode()
    assert "Traceback" not in body.decode()


def check_each_request_leaves_one_access_line_on_stderr(server):
    base, _, log_path = server
    get(base + "/healthz?probe=access-log", **{"X-Forwarded-For": "203.0.113.7"})
    for _ in range(50):
        lines = [line for line in log_path.read_text().splitlines() if "probe=access-log" in line]
        if lines:
            break
        time.sleep(0.1)
    assert len(lines) == 1
    assert re.match(
        r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO gunicorn\.access: 127\.0\.0\.1 203\.0\.113\.7 "
        r'"GET /healthz\?probe=access-log HTTP/1\.1" 200 3 \d+ms "Python-urllib/',
        lines[0],
    ), lines[0]
    assert Path(log_path).read_text().count("Booting worker") == 1


def test_gunicorn_serves_the_app_in_production_mode(server):
    check_healthz_answers_over_plain_http_for_load_balancers(server)
    check_pages_link_hashed_static_files_that_are_served_compressed_and_cached_a_year(server)
    check_plotly_js_is_served_hashed_and_compressed_the_basic_build_when_installed(server)
    check_a_missing_page_is_answered_in_japanese(server)
    check_each_request_leaves_one_access_line_on_stderr(server)
