"""``make bench``: what the app costs at 1×, 10× and 100× the real plan (a printout, not a test).

    .venv/bin/python tests/bench.py [--sections staff,import,export,publish,public] [--factors 1,10,100]

Figures, not pass/fail. Every figure is measured in this run, on generated plans
(``generate_scale_plan``) kept in scratch databases: SQLite files under ``var/bench/`` and, when
``BENCH_POSTGRES_URL`` (default ``TEST_POSTGRES_URL``, else the local ``shizuoka_dx`` role)
answers, PostgreSQL databases named ``<BENCH_DB_PREFIX>_<factor>`` (default
``shizuoka_dx_scale_<factor>``). A scratch database is generated the first time and reused while
its plan is the one this version of the generator writes; ``BENCH_REGENERATE=1`` makes them again.
Whatever writes (an import, a publication) runs on a throwaway copy, so a run changes nothing.

Sections (each a function below; ``SECTIONS`` lists them, so another one plugs in the same way):
- ``staff``: the staff pages' median time over a few requests and their query count, in one
  process with Django's test client (DEBUG off), at each factor and on each database (each
  factor twice, there and back, keeping the lower median);
- ``import``: ``import_actuals`` of exactly 10,000 data rows (a header row above them) into the
  100× plan: its time and rows per second, with ``--dry-run`` first;
- ``export``: ``export_forms`` of the whole 100× plan: time, workbook size, the process's peak
  resident memory;
- ``publish``: ``publish_fiscal_year`` at each factor: time, the snapshot's size, peak memory;
- ``public``: the public pages' throughput beside a trivial view, from ``tests/bench_public.py``
  when that script exists (its own printout, run as it is).

Each measurement runs in a process of its own (``--worker NAME``) with ``DATABASE_URL`` set to
one scratch database, and prints one JSON line; this script gathers them into tables.
"""

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
WORK = ROOT / "var" / "bench"
FACTORS = (1, 10, 100)
IMPORT_ROWS = int(os.environ.get("BENCH_IMPORT_ROWS", 10_000))
STAFF_PAGES = (
    "/staff/",
    "/staff/items/1-3/",
    "/staff/kpis/1-3-K02/",
    "/staff/systems/",
    "/staff/publish/",
)
REQUESTS = 7  # timed requests per page (after one untimed)
PUBLISH_YEAR = 2025


# ---- the scratch databases ---------------------------------------------------------------


def postgres_url() -> str | None:
    """The PostgreSQL server to use (its URL without a database name), or None when none answers.
    Its own database need not exist: the server's ``postgres`` database is tried too."""
    url = os.environ.get("BENCH_POSTGRES_URL") or os.environ.get(
        "TEST_POSTGRES_URL", "postgres://shizuoka_dx:shizuoka_dx@127.0.0.1:5432/shizuoka_dx"
    )
    server = url.rsplit("/", 1)[0]
    try:
        import psycopg
    except ImportError:
        return None
    for candidate in (url, f"{server}/postgres"):
        try:
            psycopg.connect(candidate, connect_timeout=3).close()
        except Exception:
            continue
        return server
    return None


def scratch_urls(factor: int, backends) -> dict[str, str]:
    prefix = os.environ.get("BENCH_DB_PREFIX", "shizuoka_dx_scale")
    urls = {}
    if "SQLite" in backends:
        urls["SQLite"] = f"sqlite:///{WORK}/{prefix}_{factor}.sqlite3"
    if "PostgreSQL" in backends:
        urls["PostgreSQL"] = f"{backends['PostgreSQL']}/{prefix}_{factor}"
    return urls


def run_worker(name: str, url: str, *args: str) -> dict:
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "shizuoka_dx.settings"}
    done = subprocess.run(
        [PYTHON, str(Path(__file__).resolve()), "--worker", name, *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if done.returncode:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(f"bench: worker {name} failed on {url}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def ensure_scratch(url: str, factor: int) -> None:
    """Generate the plan into ``url`` unless it already holds this factor's generated plan."""
    if not os.environ.get("BENCH_REGENERATE"):
        info = run_worker("info", url) if _exists(url) else {}
        if info.get("factor") == factor and info.get("current"):
            return
    print(f"  … {factor}倍の計画を生成しています（{_name(url)}）", flush=True)
    command = [PYTHON, "manage.py", "generate_scale_plan", "--factor", str(factor), "--replace"]
    done = subprocess.run(
        [*command, "--database-url", url], cwd=ROOT, capture_output=True, text=True
    )
    if done.returncode:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(f"bench: generate_scale_plan failed for {url}")


def _name(url: str) -> str:
    return url.rsplit("/", 1)[-1]


def _exists(url: str) -> bool:
    if url.startswith("sqlite:"):
        return Path(url.removeprefix("sqlite:///")).exists()
    import psycopg

    server, name = url.rsplit("/", 1)
    with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
        return bool(
            connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        )


class Copy:
    """A throwaway copy of a scratch database (its name still says 「scale」), dropped after."""

    def __init__(self, url: str):
        self.source = url
        self.url = url.replace(_name(url), f"{_name(url).removesuffix('.sqlite3')}_copy") + (
            ".sqlite3" if url.startswith("sqlite:") else ""
        )

    def __enter__(self) -> str:
        if self.source.startswith("sqlite:"):
            shutil.copyfile(
                self.source.removeprefix("sqlite:///"), self.url.removeprefix("sqlite:///")
            )
        else:
            self._postgres(
                f'DROP DATABASE IF EXISTS "{_name(self.url)}"',
                f'CREATE DATABASE "{_name(self.url)}" TEMPLATE "{_name(self.source)}"',
            )
        return self.url

    def __exit__(self, *exc):
        if self.url.startswith("sqlite:"):
            Path(self.url.removeprefix("sqlite:///")).unlink(missing_ok=True)
        else:
            self._postgres(f'DROP DATABASE IF EXISTS "{_name(self.url)}"')

    def _postgres(self, *statements):
        import psycopg

        server = self.source.rsplit("/", 1)[0]
        with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
            for statement in statements:
                connection.execute(statement)


# ---- workers (one process each, DATABASE_URL set) ------------------------------------------


def _setup():
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings

    settings.DEBUG = False  # no query log while timing (counted apart, below)


def _peak_megabytes() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker_info(args) -> dict:
    _setup()
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    from pdca import scale

    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        return {"factor": None, "current": False}
    return {"factor": scale.generated_factor(), "current": scale.is_current()}


def worker_staff(args) -> dict:
    _setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client

    from pdca import scale

    client = Client()
    client.force_login(get_user_model().objects.get(username=scale.STAFF_USERNAME))
    pages = {}
    for path in STAFF_PAGES:
        connection.force_debug_cursor = True
        response = client.get(path)
        queries = len(connection.queries)
        connection.force_debug_cursor = False
        assert response.status_code == 200, (path, response.status_code)
        times = []
        for _ in range(REQUESTS):
            started = time.perf_counter()
            client.get(path)
            times.append(time.perf_counter() - started)
        pages[path] = {
            "ms": statistics.median(times) * 1000,
            "queries": queries,
            "kb": len(response.content) / 1024,
        }
    return pages


def worker_import_file(args) -> dict:
    """Write a file of exactly IMPORT_ROWS data rows the importer accepts: R9 figures to add,
    and R5 and R8 figures to change, none held by an approved evaluation."""
    _setup()
    import csv
    import random

    from kpis.models import Actual, Kpi
    from pdca import scale
    from pdca.selectors import LOCKING, evaluations_over

    rng = random.Random(7)
    kpis = list(Kpi.objects.order_by("pk"))
    pairs = [
        (kpi, year)
        for year in (2027, 2023, 2026)
        for kpi in kpis
        if kpi.fiscal_year_window()[0] <= year <= kpi.fiscal_year_window()[1]
    ]
    locks = evaluations_over({(kpi.pk, year) for kpi, year in pairs})
    free = [
        (kpi, year)
        for kpi, year in pairs
        if not any(e.status in LOCKING for e in locks.get((kpi.pk, year), []))
    ][:IMPORT_ROWS]
    assert len(free) == IMPORT_ROWS, f"only {len(free)} figures may be imported into this plan"
    existing = {(a.kpi_id, a.fiscal_year) for a in Actual.objects.all()}
    with open(args[0], "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["KPIコード", "年度", "実績値", "備考"])
        for kpi, year in free:
            value, stage = scale.actual_for(kpi, 2026, rng, missing=0) or (None, "")
            writer.writerow([kpi.code, year, stage or value, "規模の試験（取り込み）"])
    adds = sum(1 for kpi, year in free if (kpi.pk, year) not in existing)
    return {"rows": len(free), "adds": adds}


def worker_command(args) -> dict:
    """Run one management command and time it (its output is dropped)."""
    _setup()
    import io

    from django.core.management import call_command

    started = time.perf_counter()
    call_command(*args, stdout=io.StringIO(), stderr=io.StringIO())
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "peak_mb": _peak_megabytes()}


def worker_publish(args) -> dict:
    _setup()
    from django.contrib.auth import get_user_model

    from pdca import scale
    from pdca.services.publication import publish_fiscal_year
    from priorities.models import PriorityItem

    staff = get_user_model().objects.get(username=scale.STAFF_USERNAME)
    started = time.perf_counter()
    snapshot = publish_fiscal_year(fiscal_year=PUBLISH_YEAR, user=staff)
    seconds = time.perf_counter() - started
    size = len(json.dumps(snapshot.document, ensure_ascii=False).encode())
    return {
        "seconds": seconds,
        "snapshot_mb": size / 1e6,
        "items": PriorityItem.objects.count(),
        "peak_mb": _peak_megabytes(),
    }


WORKERS = {
    "info": worker_info,
    "staff": worker_staff,
    "import-file": worker_import_file,
    "command": worker_command,
    "publish": worker_publish,
}


# ---- sections (the orchestrator) ------------------------------------------------------------


def table(headings: list[str], rows: list[list[str]]) -> None:
    widths = [
        max(len(str(cell)) for cell in column) for column in zip(headings, *rows, strict=True)
    ]
    for line in (headings, ["-" * w for w in widths], *rows):
        print("  " + "  ".join(str(cell).ljust(w) for cell, w in zip(line, widths, strict=True)))
    print()


def section_staff(context) -> None:
    """Each factor measured twice, in the order 1×, 10×, 100×, then back: per page the lower
    of the two medians, so that a burst of other work on the machine weighs on no factor alone."""
    factors = context["factors"]
    for backend in context["backends"]:
        print(f"## Staff pages on {backend}: median of {REQUESTS} requests (queries)")
        results: dict[int, dict] = {}
        for factor in [*factors, *reversed(factors)]:
            pages = run_worker("staff", context["urls"][factor][backend])
            known = results.setdefault(factor, pages)
            for path, page in pages.items():
                if page["ms"] < known[path]["ms"]:
                    known[path] = page
        headings = ["page", *(f"{factor}×" for factor in factors)]
        if len(factors) > 1:
            headings.append(f"{factors[-1]}× / {factors[0]}×")
        rows = []
        for path in STAFF_PAGES:
            row = [path]
            for factor in factors:
                page = results[factor][path]
                row.append(f"{page['ms']:7.0f} ms ({page['queries']} q)")
            if len(factors) > 1:
                first, last = results[factors[0]], results[factors[-1]]
                row.append(f"{last[path]['ms'] / first[path]['ms']:.2f}")
            rows.append(row)
        table(headings, rows)


def section_import(context) -> None:
    factor = context["factors"][-1]
    print(
        f"## import_actuals: {IMPORT_ROWS:,} data rows (CSV, one header row) into the {factor}× plan"
    )
    rows = []
    for backend in context["backends"]:
        url = context["urls"][factor][backend]
        path = WORK / "import_10000.csv"
        made = run_worker("import-file", url, str(path))
        with Copy(url) as copy:
            dry = run_worker("command", copy, "import_actuals", str(path), "--dry-run")
            real = run_worker("command", copy, "import_actuals", str(path))
        for label, result in (("--dry-run", dry), ("saved", real)):
            rows.append(
                [
                    backend,
                    label,
                    f"{result['seconds']:.1f} s",
                    f"{made['rows'] / result['seconds']:,.0f} rows/s",
                    f"{made['adds']:,} added, {made['rows'] - made['adds']:,} changed or same",
                    f"{result['peak_mb']:.0f} MB",
                ]
            )
    table(["database", "run", "time", "rate", "rows", "peak RSS"], rows)


def section_export(context) -> None:
    factor = context["factors"][-1]
    print(f"## export_forms of the whole {factor}× plan")
    rows = []
    for backend in context["backends"]:
        path = WORK / "forms.xlsx"
        result = run_worker(
            "command", context["urls"][factor][backend], "export_forms", "--output", str(path)
        )
        rows.append(
            [
                backend,
                f"{result['seconds']:.1f} s",
                f"{result['peak_mb']:.0f} MB",
                f"{path.stat().st_size / 1e6:.1f} MB file",
            ]
        )
        path.unlink()
    table(["database", "time", "peak RSS", "workbook"], rows)


def section_publish(context) -> None:
    print(f"## publish_fiscal_year {PUBLISH_YEAR} (a second version) at each size")
    rows = []
    for backend in context["backends"]:
        for factor in context["factors"]:
            with Copy(context["urls"][factor][backend]) as copy:
                result = run_worker("publish", copy)
            rows.append(
                [
                    backend,
                    f"{factor}×",
                    f"{result['items']:,} items",
                    f"{result['seconds']:.2f} s",
                    f"{result['snapshot_mb']:.1f} MB snapshot",
                    f"{result['peak_mb']:.0f} MB",
                ]
            )
    table(["database", "size", "plan", "time", "stored", "peak RSS"], rows)


def section_public(context) -> None:
    """The public pages beside a trivial view of the same size under gunicorn, as `make serve`
    runs them (tests/bench_public.py): on SQLite with each worker's memory as the cache, and,
    when PostgreSQL answers, in production's shape: PostgreSQL and Redis (a redis-server of the
    run's own, tests/redis_server.py)."""
    sys.path.insert(0, str(ROOT))
    from tests import bench_public
    from tests.redis_server import private_redis

    shapes = [("SQLite, cache in memory", None, False)]
    if "PostgreSQL" in context["backends"]:
        server = context["urls"][context["factors"][0]]["PostgreSQL"]
        shapes.append(("PostgreSQL + Redis", server, True))
    for label, database_url, with_redis in shapes:
        print(f"## Public pages ({label}): requests per second beside a trivial view")
        with tempfile.TemporaryDirectory() as folder, private_redis(Path(folder)) as redis_url:
            results = bench_public.measure(
                database_url=database_url,
                redis_url=redis_url if with_redis else None,
                log=lambda line: None,
            )
        for static in [r for r in results if r.get("kind") == "static"]:
            print(
                f"  static files with DEBUG=false: {static['path']} answered {static['status']},"
                f" {'hashed name' if static['hashed'] else 'NOT hashed'}, {static['encoding']},"
                f" Cache-Control: {static['cache_control']}"
            )
        results = [r for r in results if r.get("kind") != "static"]
        table(
            ["page", "size", "page", "trivial view", "ratio", "errors"],
            [
                [
                    r["path"],
                    f"{r['bytes']:,} B",
                    f"{r['page_rps']:,.0f} req/s",
                    f"{r['trivial_rps']:,.0f} req/s",
                    f"{r['ratio']:.0%}",
                    str(r["errors"]),
                ]
                for r in results
            ],
        )


SECTIONS = {
    "staff": section_staff,
    "import": section_import,
    "export": section_export,
    "publish": section_publish,
    "public": section_public,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--sections", default=",".join(SECTIONS))
    parser.add_argument("--factors", default=",".join(str(f) for f in FACTORS))
    parser.add_argument("--backends", default="SQLite,PostgreSQL")
    options, rest = parser.parse_known_args()
    if options.worker:
        print(json.dumps(WORKERS[options.worker](rest)))
        return
    WORK.mkdir(parents=True, exist_ok=True)
    factors = [int(f) for f in options.factors.split(",")]
    backends = {}
    wanted = options.backends.split(",")
    if "SQLite" in wanted:
        backends["SQLite"] = "sqlite"
    if "PostgreSQL" in wanted:
        server = postgres_url()
        if server:
            backends["PostgreSQL"] = server
        else:
            print("!!! PostgreSQL に接続できないため、PostgreSQL の計測を省略します。\n")
    print(
        f"# make bench ({time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f})\n"
    )
    urls = {factor: scratch_urls(factor, backends) for factor in factors}
    for factor in factors:
        for url in urls[factor].values():
            ensure_scratch(url, factor)
    context = {"factors": factors, "backends": list(backends), "urls": urls}
    for name in options.sections.split(","):
        SECTIONS[name](context)


if __name__ == "__main__":
    main()
