"""The cache is Redis when REDIS_URL is set (shared by every app server), this process's memory
otherwise; sessions stay in the database either way."""

import os
import subprocess
import sys
import uuid

from django.conf import settings


def in_new_process(code, **environ):
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DJANGO_SETTINGS_MODULE"}}
    env.update(DJANGO_SETTINGS_MODULE="shizuoka_dx.settings", **environ)
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()\n" + code],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_without_redis_url_the_cache_is_local_memory_and_sessions_the_database():
    shown = in_new_process(
        "from django.conf import settings as s\n"
        "print(s.CACHES['default']['BACKEND'], s.SESSION_ENGINE)"
    )
    assert shown == (
        "django.core.cache.backends.locmem.LocMemCache django.contrib.sessions.backends.db"
    )


def test_with_redis_url_two_processes_share_one_cache(redis_url):
    key = f"test-shared-{uuid.uuid4().hex}"
    written = in_new_process(
        "from django.core.cache import cache, caches\n"
        f"cache.set({key!r}, 'written by the first app server', 60)\n"
        "print(type(caches['default']).__name__)",
        REDIS_URL=redis_url,
    )
    assert written == "RedisCache"
    read = in_new_process(
        f"from django.core.cache import cache\nprint(cache.get({key!r}))\ncache.delete({key!r})",
        REDIS_URL=redis_url,
    )
    assert read == "written by the first app server"
