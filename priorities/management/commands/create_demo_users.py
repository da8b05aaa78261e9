from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import CommandError

from priorities.models import Department
from priorities.permissions import DEPARTMENT_HEAD_GROUP, DX_STAFF_GROUP
from priorities.roles import ensure_roles, system_user
from shizuoka_dx.commands import Command as BaseCommand

# Local demo accounts only: the README lists them. Never use these passwords on a real server.
DEMO_PASSWORD = "shizuoka-demo-2025"
DEMO_USERS = [
    {"username": "admin", "last_name": "システム管理者（デモ）", "superuser": True},
    {
        "username": "dx-staff",
        "last_name": "DX推進課 職員（デモ）",
        "group": DX_STAFF_GROUP,
        "departments": ["DX推進課"],
        "is_staff": True,
        "email": "dx-staff@example.jp",
    },
    {
        "username": "dx-head",
        "last_name": "DX推進課長（デモ）",
        "group": DEPARTMENT_HEAD_GROUP,
        "departments": ["DX推進課"],
        "email": "dx-head@example.jp",
    },
    {
        "username": "kiki-head",
        "last_name": "危機管理課長（デモ）",
        "group": DEPARTMENT_HEAD_GROUP,
        "departments": ["危機管理課"],
        "email": "kiki-head@example.jp",
    },
    # A second head of the same department: approves what kiki-head submitted (four eyes).
    {
        "username": "kiki-head-2",
        "last_name": "危機管理課 副課長（デモ）",
        "group": DEPARTMENT_HEAD_GROUP,
        "departments": ["危機管理課"],
        "email": "kiki-head-2@example.jp",
    },
    # A head with no e-mail address: listed on the round's overview as unreachable.
    {
        "username": "kasen-head",
        "last_name": "河川課長（デモ）",
        "group": DEPARTMENT_HEAD_GROUP,
        "departments": ["河川課"],
    },
]


class Command(BaseCommand):
    help = "ローカル確認用のデモユーザーを作成します（DEBUG=true のときだけ）。"

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="DEBUG=false でも作成します（非推奨）。"
        )

    def handle(self, *args, force, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "本番設定（DEBUG=false）ではデモユーザーを作成しません。パスワードが公開されているためです。"
            )
        groups = ensure_roles()
        actor = system_user()
        User = get_user_model()
        for spec in DEMO_USERS:
            user, created = User.objects.get_or_create(username=spec["username"])
            user.last_name = spec["last_name"]
            user.is_superuser = user.is_staff = bool(spec.get("superuser"))
            user.is_staff = user.is_staff or bool(spec.get("is_staff"))
            user.email = spec.get("email", "")
            if not user.check_password(DEMO_PASSWORD):
                user.set_password(DEMO_PASSWORD)
            user.save()
            user.groups.set([groups[spec["group"]]] if spec.get("group") else [])
            departments = [
                Department.objects.get_or_create(name=name)[0]
                for name in spec.get("departments", [])
            ]
            # Recorded in each department's membership history as the system account's.
            user._history_user = actor
            user._change_reason = "デモユーザーの所属を設定"
            user.departments.set(departments)
            state = "作成しました" if created else "確認しました"
            self.stdout.write(f"デモユーザー {spec['username']} を{state}")
