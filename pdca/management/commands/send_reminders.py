from django.core.management.base import CommandError

from pdca.rounds import today as local_today
from pdca.services.mail import DRY_RUN, SENT, send_reminders
from shizuoka_dx.commands import Command as BaseCommand
from shizuoka_dx.deadlines import format_date, parse_date
from shizuoka_dx.fiscal import format_fiscal_year


class Command(BaseCommand):
    help = (
        "実施中の更新ラウンドで、期限が近い（既定: 14日前・7日前・1日前）か過ぎた作業のある所管課長に、"
        "残っている作業を1通のメールで知らせます。同じ日に同じ人へ二度は送りません。cron で毎日実行します。"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="送らずに、送るメールの内容を表示します。"
        )
        parser.add_argument(
            "--today", metavar="YYYY-MM-DD", help="この日として実行します（試験用。既定は今日）。"
        )

    def handle(self, *args, dry_run, today, **options):
        if today:
            try:
                day = parse_date(today)
            except ValueError:
                raise CommandError(
                    f"--today の「{today}」は日付として読めません。2026-05-24 の形で指定してください。"
                ) from None
        else:
            day = local_today()
        report = send_reminders(today=day, dry_run=dry_run)
        for reminder in report.reminders:
            head = reminder.head
            self.stdout.write(
                f"{head.name}（{head.email or 'メールアドレス未登録'}）"
                f" {format_fiscal_year(reminder.round.fiscal_year, western=False)}: {reminder.outcome}"
            )
            if dry_run:
                self.stdout.write(f"件名: {reminder.subject}\n\n{reminder.body}\n{'=' * 60}")
        summary = (
            f"{format_date(day)}: お知らせの対象 {len(report.reminders)} 人"
            f"（{'送信予定' if dry_run else '送信'} "
            f"{report.count(DRY_RUN if dry_run else SENT)} 人）"
        )
        if not report.reminders:
            summary = f"{format_date(day)}: きょうお知らせを送る相手はいません。"
        if report.waiting_sent:
            summary += f"。送信待ちだったメール {report.waiting_sent} 通も送りました"
        self.stdout.write(self.style.SUCCESS(summary))
