import os
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from pdca import scale
from shizuoka_dx.commands import Command as BaseCommand


class Command(BaseCommand):
    help = (
        "実際の計画を N 倍に複製した計画（実績・評価・公表つき）を、作業用のデータベースに"
        "書き込みます（規模の試験・make bench 用）。名前に「scale」を含むデータベースにだけ書き込み、"
        "書き込むものはすべて「生成」と分かるようにします。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--factor", type=int, required=True, help="何倍にするか（例: 100）")
        parser.add_argument(
            "--database-url",
            help="書き込む作業用データベース（例: sqlite:////tmp/scale_100.sqlite3）。"
            "省略時は DATABASE_URL。名前に「scale」を含むものだけを受け付けます。",
        )
        parser.add_argument(
            "--replace",
            action="store_true",
            help="生成した計画がすでにあるときは、消してから作り直します。",
        )
        parser.add_argument("--seed", type=int, default=1, help="実績値の乱数の種（既定: 1）")

    def handle(self, *args, factor, database_url, replace, seed, **options):
        if database_url and os.environ.get("DATABASE_URL") != database_url:
            # Settings are read once at start-up: run again with the scratch database as the
            # only one this process can reach, so nothing can be written to the default one.
            command = [sys.executable, str(settings.BASE_DIR / "manage.py"), "generate_scale_plan"]
            command += ["--factor", str(factor), "--seed", str(seed)]
            command += ["--replace"] if replace else []
            done = subprocess.run(command, env={**os.environ, "DATABASE_URL": database_url})
            if done.returncode:
                sys.exit(done.returncode)
            return
        if factor < 1:
            raise CommandError("--factor は1以上の整数にしてください。")
        problem = scale.name_problem()
        if problem:
            raise CommandError(problem)
        if scale.create_missing_database():
            self.stdout.write(f"データベース「{scale.database_name()}」を作りました。")
        call_command("migrate", interactive=False, verbosity=0)
        problem = scale.scratch_problem(replace=replace)
        if problem:
            raise CommandError(problem)
        if scale.holds_data():
            scale.clear_generated()
        started = time.perf_counter()
        try:
            counts = scale.generate(factor=factor, seed=seed, progress=self.stdout.write)
        except scale.ScaleError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"{factor}倍の計画を「{scale.database_name()}」に書き込みました"
                f"（{time.perf_counter() - started:.1f} 秒）: 重点項目 {counts['items']:,} 件、"
                f"KPI {counts['kpis']:,} 件、業務システム {counts['systems']:,} 件、"
                f"実績 {counts['actuals']:,} 件、経費の記録 {counts['cost_records']:,} 件、"
                f"評価 {counts['evaluations']:,} 件、公表 {counts['publications']} 版。"
            )
        )
