"""How long each file in tests/fixtures/bad_files/ takes to be refused (a printout, not a test).

    DJANGO_SETTINGS_MODULE=shizuoka_dx.settings .venv/bin/python tests/bad_files_benchmark.py [RUNS]

It uses the database of your settings (load the plan first, `manage.py load_plan`) and imports
with ``dry_run=True``, so nothing is ever saved. Each file is refused RUNS times (default 5);
the median and the slowest run are printed in milliseconds, slowest file first. A file that is
accepted, or that raises anything but ImportRefused, is marked and makes the script exit 1.
"""

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FOLDER = ROOT / "tests" / "fixtures" / "bad_files"


def main(runs: int) -> int:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shizuoka_dx.settings")
    import django

    django.setup()
    import openpyxl

    from kpis.importing import ImportRefused
    from tests.helpers import import_actuals

    print(f"openpyxl {openpyxl.__version__}, defusedxml in use: {openpyxl.DEFUSEDXML}")
    results = []
    failures = 0
    for path in sorted(FOLDER.iterdir()):
        times, outcome = [], ""
        for _ in range(runs):
            start = time.perf_counter()
            try:
                import_actuals(path=path, dry_run=True)
                outcome = "ACCEPTED (should be refused)"
            except ImportRefused as exc:
                outcome = exc.errors[0]
            except Exception as exc:  # the point is to see anything that escapes
                outcome = f"ESCAPED {type(exc).__name__}: {exc}"
            times.append((time.perf_counter() - start) * 1000)
        if outcome.startswith(("ACCEPTED", "ESCAPED")):
            failures += 1
        results.append((statistics.median(times), max(times), path, outcome))
    results.sort(key=lambda result: result[0], reverse=True)
    print(f"{'median ms':>9} {'max ms':>8}  {'size':>8}  file — first error")
    for median, slowest, path, outcome in results:
        size = path.stat().st_size
        print(f"{median:9.1f} {slowest:8.1f}  {size:8,}  {path.name} — {outcome[:90]}")
    total = sum(result[0] for result in results)
    print(f"{len(results)} files, {total:.0f} ms in all (medians), slowest {results[0][0]:.1f} ms")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 5))
