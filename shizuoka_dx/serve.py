"""`make serve`: the app in production mode on one machine.

The Makefile runs, with DEBUG=false:
1. ``python -m shizuoka_dx.serve``: refuses to go on, with one line in Japanese and before
   anything else runs, when SECRET_KEY or ALLOWED_HOSTS is missing, the key is weak,
   WEB_CONCURRENCY is not a number, or any setting cannot be read (a bad DATABASE_URL …);
2. ``migrate`` and ``collectstatic`` (never the demo data);
3. gunicorn with ``shizuoka_dx/gunicorn_conf.py`` (workers, access log on stderr).

`make worker` runs the same check (``python -m shizuoka_dx.serve worker``), then the background
worker (``manage.py db_worker``), beside `make serve` (README, "Production").
"""

import os
import sys

# 2 × cores + 1 workers (gunicorn's advice) up to this many: each worker holds the whole app, and
# an upload being read can take a few hundred MB more (shared/RELIABILITY.md).
MAX_WORKERS = 8
REQUIRED = ("SECRET_KEY", "ALLOWED_HOSTS")
MAKE_A_KEY = "python3 -c 'import secrets; print(secrets.token_urlsafe(50))'"


class Refused(Exception):
    """A reason not to start, in one line of Japanese."""


def cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))  # the cores this process may use (containers)
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def default_workers(cpus: int) -> int:
    return max(1, min(2 * cpus + 1, MAX_WORKERS))


def workers(environ=os.environ) -> int:
    """WEB_CONCURRENCY when set, else 2 × cores + 1 up to MAX_WORKERS."""
    raw = environ.get("WEB_CONCURRENCY", "").strip()
    if not raw:
        return default_workers(cpu_count())
    if not raw.isascii() or not raw.isdigit() or int(raw) < 1:
        raise Refused(
            f"環境変数 WEB_CONCURRENCY の値 {raw!r} は使えません。gunicorn のワーカー数を 1 以上の"
            f"整数で指定してください（省略時は CPU コア数 × 2 + 1、最大 {MAX_WORKERS}）。"
        )
    return int(raw)


def check_environment(environ=os.environ) -> None:
    """What production needs from the environment before Django is even imported."""
    missing = [name for name in REQUIRED if not environ.get(name, "").strip()]
    if missing:
        raise Refused(
            f"環境変数 {' と '.join(missing)} が設定されていません。本番モードでは両方が必要です"
            "（例: SECRET_KEY=長いランダムな文字列 ALLOWED_HOSTS=dx.city.example.jp make serve、"
            "詳しくは README.md の「Production」の節）。"
        )
    key = environ["SECRET_KEY"].strip()
    # The rule of Django's own deploy check (security.W009).
    if len(key) < 50 or len(set(key)) < 5 or key.startswith("django-insecure-"):
        raise Refused(
            "環境変数 SECRET_KEY が短すぎるか単純すぎます。推測できない 50 文字以上の文字列を"
            f"指定してください（作り方: {MAKE_A_KEY}）。"
        )
    workers(environ)


def check_settings() -> None:
    """Read the settings as gunicorn will, so that a bad value is refused here, in one line."""
    import django
    from django.core.exceptions import ImproperlyConfigured

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shizuoka_dx.settings")
    try:
        django.setup()
    except ImproperlyConfigured as exc:
        raise Refused(str(exc).replace("\n", " ")) from None


def main(target: str = "serve") -> int:
    """``target``: the make target checked, `serve` or `worker` (the background worker, which
    needs the same environment)."""
    # `make serve` is production mode whatever the shell says.
    os.environ["DEBUG"] = "false"
    try:
        check_environment()
        check_settings()
    except Refused as reason:
        print(f"make {target} を開始できません: {reason}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:2]))
