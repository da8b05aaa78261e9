"""How fast the public pages are, as a share of the least a Django view can do (a printout).

    .venv/bin/python tests/bench_public.py [--database-url URL] [--redis-url URL]
        [--seconds 3] [--rounds 5] [--workers N] [--connections 50] [PATH ...]

gunicorn is started as `make serve` starts it (production settings, DEBUG=false, whitenoise,
``shizuoka_dx/gunicorn_conf.py``, as many workers unless ``--workers``; workers are not
recycled during the runs) on a scratch database holding the plan with the demo data and
its demo publication (令和6年度). The only difference is the URLconf (tests/bench_settings.py):
it adds ``/bench/trivial/<bytes>/``, a view returning a page of that many bytes through the same
middleware. For each page, wrk runs against the page and against the trivial view of the page's
size, alternately, ``rounds`` times each; the ratio is the median of the rounds' ratios (page's
requests per second over the trivial view's, measured one right after the other). Absolute figures swing twofold between runs on a shared machine
(/work/shared/ENVIRONMENT.md); the ratio is what to compare.

The scratch database is a temporary SQLite file, or, with ``--database-url postgres://…``, a new
database named after that one with ``_bench_public`` appended (created and dropped here; the
database named in the URL itself is never touched). With ``--redis-url`` the app's cache is
that Redis (as with REDIS_URL in production); otherwise each worker's own memory.

Other code (``make bench``) calls :func:`measure`, which returns the figures.
"""

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
PAGES = (
    "/",
    "/items/1-3/",
    "/items/1-3/kpis/1-3-K02/",
    "/opendata/plan.json",
    "/opendata/plan.csv",
)
GOAL = 0.70
SECRET_KEY = "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFG"
# What a proxy terminating TLS adds: without it production settings redirect to HTTPS.
HTTPS = {"X-Forwarded-Proto": "https"}


@dataclass
class PageFigures:
    path: str
    size: int  # bytes of the page's body; the trivial view returns as many
    page_rps: list[float] = field(default_factory=list)
    trivial_rps: list[float] = field(default_factory=list)
    errors: int = 0  # non-2xx/3xx answers and socket errors, page and trivial view together

    @property
    def ratio(self) -> float:
        """The median of each round's page / trivial ratio (the two runs of a round are next to
        each other in time, so a machine slowing down or speeding up affects both alike)."""
        return statistics.median(
            page / trivial for page, trivial in zip(self.page_rps, self.trivial_rps, strict=True)
        )

    def as_dict(self) -> dict:
        return {
            "path": self.path,
            "bytes": self.size,
            "page_rps": statistics.median(self.page_rps),
            "trivial_rps": statistics.median(self.trivial_rps),
            "ratio": self.ratio,
            "errors": self.errors,
            "runs": {"page": self.page_rps, "trivial": self.trivial_rps},
        }


# ---- the scratch database and the server ------------------------------------------------


def _run(args, env, timeout=600):
    done = subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


@contextmanager
def scratch_database(database_url: str | None, folder: Path):
    """A DATABASE_URL of a new, empty database, removed afterwards."""
    if not database_url or database_url.startswith("sqlite"):
        yield f"sqlite:///{folder}/bench.sqlite3"
        return
    import psycopg

    parts = urlsplit(database_url)
    name = parts.path.lstrip("/") + "_bench_public"
    with psycopg.connect(database_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(parts._replace(path="/" + name))
    finally:
        with psycopg.connect(database_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get(url: str) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, headers=HTTPS)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@contextmanager
def gunicorn(*, database_url, redis_url, workers, folder: Path, log=print):
    """gunicorn serving the app as `make serve` does; yields its base URL."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in {"DJANGO_SETTINGS_MODULE", "REDIS_URL", "WEB_CONCURRENCY", "DEBUG"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="tests.bench_settings",
        DATABASE_URL=database_url,
        STATIC_ROOT=str(folder / "static"),
        UPLOAD_DIR=str(folder / "uploads"),
        SECRET_KEY=SECRET_KEY,
        ALLOWED_HOSTS="127.0.0.1",
        WEB_CONCURRENCY=str(workers),
        # Workers are not replaced every thousand requests during the runs (gunicorn_conf's
        # max_requests, a guard against memory kept after a large upload): a worker booting
        # stops answering for a second, in whichever run it falls, page or trivial view.
        GUNICORN_CMD_ARGS="--max-requests 0",
    )
    if redis_url:
        env["REDIS_URL"] = redis_url
    log("準備: migrate、計画とデモの読み込み（令和6年度をデモとして公表）、collectstatic …")
    _run(["manage.py", "migrate", "--noinput"], {**env, "DEBUG": "true"})
    _run(["manage.py", "load_plan", "--demo"], {**env, "DEBUG": "true"})
    production = {**env, "DEBUG": "false"}
    _run(["manage.py", "collectstatic", "--noinput"], production)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    with open(folder / "gunicorn.log", "w") as stderr:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--config",
                "python:shizuoka_dx.gunicorn_conf",
                "--bind",
                f"127.0.0.1:{port}",
                "shizuoka_dx.wsgi",
            ],
            cwd=ROOT,
            env=production,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=2).close()
                break
            except OSError:
                if process.poll() is not None:
                    raise RuntimeError((folder / "gunicorn.log").read_text()) from None
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


# ---- wrk ----------------------------------------------------------------------------------


def wrk(url: str, *, seconds: int, connections: int, threads: int = 1) -> tuple[float, int]:
    """(requests per second, errors) of one wrk run."""
    headers = [arg for name, value in HTTPS.items() for arg in ("-H", f"{name}: {value}")]
    # A 10 s timeout: on a busy machine an answer may take seconds; wrk's default (2 s) would drop
    # it and count it as an error rather than as a slow answer.
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s"]
    done = subprocess.run(
        [*command, *headers, url],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=True,
    )
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", done.stdout).group(1))
    errors = 0
    if match := re.search(r"Non-2xx or 3xx responses:\s+(\d+)", done.stdout):
        errors += int(match.group(1))
    if match := re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", done.stdout
    ):
        # Sync workers close the connection after each answer: "read" errors are those closes.
        errors += int(match.group(1)) + int(match.group(3)) + int(match.group(4))
    return rps, errors


def _check(base: str, path: str) -> int:
    """The page answers 200 with no cookie and no Vary: Cookie; returns its size in bytes."""
    status, headers, body = _get(base + path)
    if status != 200:
        raise RuntimeError(f"{path} answered {status}")
    vary = headers.get("Vary", "")
    if "Set-Cookie" in headers or "cookie" in vary.lower():
        print(f"  注意: {path} は Cookie を送るか Vary: Cookie です（{vary}）", file=sys.stderr)
    return len(body)


def static_check(base: str) -> dict:
    """How the stylesheet the home page links to is served: its hashed name, status, the
    compression whitenoise chose for a browser that accepts brotli or gzip, and its caching."""
    status, _, body = _get(base + "/")
    found = re.search(rb'href="(/static/[^"]+\.css)"', body)
    if status != 200 or not found:
        raise RuntimeError("the home page links to no stylesheet under /static/")
    path = found.group(1).decode()
    request = urllib.request.Request(base + path, headers={**HTTPS, "Accept-Encoding": "br, gzip"})
    with urllib.request.urlopen(request, timeout=30) as response:
        headers = dict(response.headers)
        return {
            "path": path,
            "status": response.status,
            "hashed": bool(re.search(r"\.[0-9a-f]{12}\.css$", path)),
            "encoding": headers.get("Content-Encoding", "(none)"),
            "cache_control": headers.get("Cache-Control", ""),
        }


def measure(
    *,
    database_url: str | None = None,
    redis_url: str | None = None,
    workers: int | None = None,
    seconds: int = 3,
    rounds: int = 5,
    connections: int = 50,
    pages=PAGES,
    log=print,
) -> list[dict]:
    """Start gunicorn on a scratch database and return, per page, its requests per second and
    the trivial view's (medians of ``rounds`` alternate wrk runs), their ratio (median of the
    rounds' ratios) and the errors. ``workers``: gunicorn's, by default as many as `make serve`
    starts (WEB_CONCURRENCY, else 2 × cores + 1 up to 8)."""
    if workers is None:
        from shizuoka_dx.serve import workers as serve_workers

        workers = serve_workers()
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk がありません（apt-get install -y wrk）。")
    folder = Path(tempfile.mkdtemp(prefix="bench-public-"))
    try:
        with (
            scratch_database(database_url, folder) as url,
            gunicorn(
                database_url=url, redis_url=redis_url, workers=workers, folder=folder, log=log
            ) as base,
        ):
            static = static_check(base)
            log(
                f"{static['path']}: {static['status']}, {static['encoding']}, "
                f"{static['cache_control']}"
            )
            results = [{**static, "kind": "static"}]
            for path in pages:
                figures = PageFigures(path, _check(base, path))
                trivial = f"{base}/bench/trivial/{figures.size}/"
                _check(base, f"/bench/trivial/{figures.size}/")
                # Warm both up (first renders, connections, caches), then alternate which goes
                # first, so that a machine slowing down or speeding up hurts both alike.
                for url_ in (base + path, trivial):
                    wrk(url_, seconds=1, connections=connections)
                for round_ in range(rounds):
                    order = [("page", base + path), ("trivial", trivial)]
                    for which, target in order if round_ % 2 == 0 else order[::-1]:
                        rps, errors = wrk(target, seconds=seconds, connections=connections)
                        getattr(figures, f"{which}_rps").append(rps)
                        figures.errors += errors
                log(
                    f"{path:<26} {figures.size:>8,} B {statistics.median(figures.page_rps):>7.0f}"
                    f" req/s, trivial {statistics.median(figures.trivial_rps):>7.0f} req/s: "
                    f"{figures.ratio:6.1%}  (rounds: "
                    + " ".join(
                        f"{p / t:.0%}"
                        for p, t in zip(figures.page_rps, figures.trivial_rps, strict=True)
                    )
                    + f"; errors {figures.errors})"
                )
                results.append(figures.as_dict())
            return results
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL"))
    parser.add_argument("--seconds", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--workers", type=int, default=None, help="gunicorn workers (default: as make serve)"
    )
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("paths", nargs="*", default=list(PAGES))
    args = parser.parse_args(argv)
    database = "PostgreSQL" if (args.database_url or "").startswith("postgres") else "SQLite"
    if args.workers is None:
        sys.path.insert(0, str(ROOT))
        from shizuoka_dx.serve import workers

        args.workers = workers()
    print(
        f"gunicorn {args.workers} workers, {database}, cache: "
        f"{'Redis' if args.redis_url else 'local memory'}; wrk {args.connections} connections, "
        f"{args.rounds} rounds of {args.seconds} s each, alternating; goal ≥ {GOAL:.0%} of trivial"
    )
    results = measure(
        database_url=args.database_url,
        redis_url=args.redis_url,
        workers=args.workers,
        seconds=args.seconds,
        rounds=args.rounds,
        connections=args.connections,
        pages=args.paths,
    )
    worst = min(result["ratio"] for result in results if "ratio" in result)
    print(f"lowest ratio {worst:.1%} (goal ≥ {GOAL:.0%})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
