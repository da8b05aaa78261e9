"""What reading an upload costs: time and peak memory per file (a printout, not a test).

    .venv/bin/python tests/import_benchmark.py [RUNS] [--only NAME ...]

Every file of tests/fixtures/bad_files/ is imported as a dry run, then the worst cases this
script writes into a temporary folder, each in a process of its own: an xlsx of about 2.3 MB
whose shared strings unpack to about 45 MB, a 5 MB CSV, a 10,000-row xlsx, and files at the
reader's other limits. Nothing is ever saved: the plan is loaded into a throwaway SQLite database.

Per file it prints the median and slowest of RUNS imports (default 3) in milliseconds, the peak
of Python allocations during one import (tracemalloc), and the process's peak resident memory
(``ru_maxrss``, Django and the plan included; for the corpus, one process reads every file, so
its figure is the highest of all). The bounds are 2 s and 200 MB per file; the script exits 1
when a file is outside them, or when a corpus file is accepted or raises anything but
ImportRefused.
"""

import io
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "fixtures" / "bad_files"
MAX_SECONDS = 2.0
MAX_MEGABYTES = 200
SST_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
)
HEADER = ["KPIコード", "年度", "実績値", "備考"]


# ---- the worst cases -------------------------------------------------------------------


def _workbook(rows, *, shared_strings: bytes | None = None) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("実績")
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    if shared_strings is None:
        return buffer.getvalue()
    out = io.BytesIO()
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == "xl/_rels/workbook.xml.rels":
                content = content.replace(
                    b"</Relationships>",
                    b'<Relationship Id="rId99" Type="http://schemas.openxmlformats.org/'
                    b'officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
                    b"</Relationships>",
                )
            target.writestr(info.filename, content, zipfile.ZIP_DEFLATED)
        target.writestr("xl/sharedStrings.xml", shared_strings, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _rows(count: int, *, note: str = "") -> list[list]:
    codes = ["1-1-K01", "1-1-K02", "1-3-K01", "1-3-K02", "2-3-K01"]
    return [
        [codes[n % len(codes)], ["R6", "R7"][n // len(codes) % 2], 100 + n, note]
        for n in range(count)
    ]


def write_worst_cases(folder: Path) -> list[Path]:
    rng = random.Random(10)
    files = {}

    # 2.3 MB that unpack to 45 MB: the denial of service (23 s and 360 MB per preview
    # before). Each string is a long note with a few random digits, so it packs about 20:1.
    filler = "市民課集計の速報値。確定値は6月に報告予定。" * 6
    strings = [
        f"<si><t>{rng.randrange(10**15):015d}{filler}{rng.randrange(10**15):015d}</t></si>"
        for _ in range(109_000)
    ]
    sst = (SST_HEAD + "".join(strings) + "</sst>").encode()
    files["shared_strings_45mb.xlsx"] = _workbook(_rows(10), shared_strings=sst)

    # The same shape, under every count: 99,000 strings of 50 characters (the most the reader
    # builds before refusing).
    strings = [f"<si><t>{n:08d}{'備考の文字列' * 7}</t></si>" for n in range(99_000)]
    sst = (SST_HEAD + "".join(strings) + "</sst>").encode()
    files["shared_strings_at_limits.xlsx"] = _workbook(_rows(10), shared_strings=sst)

    # 10,000 rows (the row limit: a header and 9,999 rows), read and checked to the end.
    files["rows_10000.xlsx"] = _workbook(_rows(9_999, note="速報値"))

    # 10,000 rows of 20 filled cells (200,000 cells, the cell limit).
    wide = [[*row, *(f"列{c}" for c in range(16))] for row in _rows(9_999)]
    files["cells_200000.xlsx"] = _workbook(wide)

    # A CSV just under 5 MB: about 10,000 rows with long notes, read and checked to the end.
    note = "市民課集計の速報値です。確定値は6月に報告します。" * 7
    data = (",".join(HEADER) + "\r\n").encode()
    for code, year, value, _note in _rows(10_000):
        line = f"{code},{year},{value},{note}\r\n".encode()
        if len(data) + len(line) >= 5 * 1024 * 1024:
            break
        data += line
    files["rows_5mb.csv"] = data

    # A 5 MB CSV whose quote is never closed: the whole file would be one value.
    files["open_quote_5mb.csv"] = (
        ",".join(HEADER) + '\r\n1-1-K01,R6,1,"' + ("x" * 100 + "\r\n") * 50_000
    ).encode()[: 5 * 1024 * 1024 - 1]

    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, data in files.items():
        path = folder / name
        path.write_bytes(data)
        paths.append(path)
    return paths


def _unpacked_mb(path: Path) -> str:
    if path.suffix != ".xlsx":
        return ""
    try:
        with zipfile.ZipFile(path) as archive:
            return f"{sum(i.file_size for i in archive.infolist()) / 2**20:.0f}"
    except zipfile.BadZipFile:
        return "?"


# ---- measuring, in a child process -----------------------------------------------------


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


def child(paths: list[str], runs: int) -> None:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from kpis.importing import ImportRefused
    from tests.helpers import import_actuals

    base = _peak_rss_mb()  # Django, the app and the plan's database, before any file
    for name in paths:
        path = Path(name)

        def once(path=path):
            try:
                import_actuals(path=path, dry_run=True)
                return "ACCEPTED"
            except ImportRefused as exc:
                return f"{len(exc.errors)} error(s): {exc.errors[0]}"
            except Exception as exc:  # the point is to see anything that escapes
                return f"ESCAPED {type(exc).__name__}: {exc}"

        times = []
        for _ in range(runs):
            start = time.perf_counter()
            outcome = once()
            times.append(time.perf_counter() - start)
        tracemalloc.start()
        once()
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(
            json.dumps(
                {
                    "path": name,
                    "median": statistics.median(times),
                    "max": max(times),
                    "python_mb": peak / 2**20,
                    "rss_mb": _peak_rss_mb(),
                    "base_mb": base,
                    "outcome": outcome,
                },
                ensure_ascii=False,
            ),
            flush=True,
        )


def measure(paths: list[Path], runs: int, env: dict) -> list[dict]:
    command = [sys.executable, __file__, "--child", str(runs), *map(str, paths)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"the measuring process failed ({done.returncode})")
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


def prepare_database(folder: Path) -> dict:
    env = dict(os.environ)
    env["DATABASE_URL"] = f"sqlite:///{folder / 'benchmark.sqlite3'}"
    env["DJANGO_SETTINGS_MODULE"] = "shizuoka_dx.settings"
    for command in (["migrate", "--noinput"], ["load_plan"]):
        subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), *command],
            env=env,
            check=True,
            capture_output=True,
        )
    return env


def main(argv: list[str]) -> int:
    if argv[:1] == ["--child"]:
        child(argv[2:], int(argv[1]))
        return 0
    if argv[:1] == ["--generate"]:
        write_worst_cases(Path(argv[1]))
        return 0
    only = argv[argv.index("--only") + 1 :] if "--only" in argv else []
    argv = argv[: argv.index("--only")] if "--only" in argv else argv
    runs = int(argv[0]) if argv else 3
    with tempfile.TemporaryDirectory(prefix="import-benchmark-") as temp:
        folder = Path(temp)
        env = prepare_database(folder)
        # Written by a process of its own: Linux keeps a process's peak memory across exec, so
        # a parent that built them would lend its peak to every measuring child.
        subprocess.run([sys.executable, __file__, "--generate", str(folder / "worst")], check=True)
        generated = sorted((folder / "worst").iterdir())
        corpus = sorted(CORPUS.iterdir())
        if only:
            corpus = [path for path in corpus if path.name in only]
            generated = [path for path in generated if path.name in only]
        results = measure(corpus, runs, env) if corpus else []
        corpus_rss = max((r["rss_mb"] for r in results), default=0)
        for path in generated:
            results += measure([path], runs, env)
        return report(results, corpus_rss=corpus_rss, corpus=len(corpus))


def report(results: list[dict], *, corpus_rss: float, corpus: int) -> int:
    base = min(r["base_mb"] for r in results)
    failures = 0
    print(
        f"{'median ms':>9} {'max ms':>7} {'py MB':>6} {'rss MB':>6} {'size':>10} {'unpacked':>8}"
        "  file — outcome"
    )
    for result in sorted(results, key=lambda r: r["max"], reverse=True):
        path = Path(result["path"])
        in_corpus = path.parent == CORPUS
        rss = "" if in_corpus else f"{result['rss_mb']:.0f}"
        within = result["max"] <= MAX_SECONDS and result["rss_mb"] <= MAX_MEGABYTES
        wrong = in_corpus and result["outcome"].startswith(("ACCEPTED", "ESCAPED"))
        failures += (not within) + wrong
        mark = "" if within and not wrong else "  <-- !!"
        print(
            f"{result['median'] * 1000:9.1f} {result['max'] * 1000:7.1f} "
            f"{result['python_mb']:6.1f} {rss:>6} {path.stat().st_size:10,} "
            f"{_unpacked_mb(path):>8}  {path.name} — {result['outcome'][:80]}{mark}"
        )
    worst_time = max(results, key=lambda r: r["max"])
    worst_memory = max(results, key=lambda r: r["rss_mb"])
    print(
        f"{len(results)} files ({corpus} of the corpus, read by one process that peaked at "
        f"{corpus_rss:.0f} MB resident; a process holds {base:.0f} MB before reading any file). "
        f"Slowest: {Path(worst_time['path']).name} "
        f"{worst_time['max'] * 1000:.0f} ms; most memory: {Path(worst_memory['path']).name} "
        f"{worst_memory['rss_mb']:.0f} MB resident. Bounds: {MAX_SECONDS:g} s, {MAX_MEGABYTES} MB "
        f"— {'all within' if not failures else f'{failures} outside'}."
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
