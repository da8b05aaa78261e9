import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from shizuoka_dx.env import (
    env_bool,
    env_choice,
    env_decimal,
    env_int,
    parse_database_url,
    parse_redis_url,
)

BASE = Path("/srv/app")


def test_it_reads_a_postgres_url():
    config = parse_database_url("postgres://user:p%40ss@db.example:6543/plan", base_dir=BASE)
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["NAME"], config["USER"], config["PASSWORD"]) == ("plan", "user", "p@ss")
    assert (config["HOST"], str(config["PORT"])) == ("db.example", "6543")


def test_it_keeps_postgres_connections_and_checks_them_before_reuse():
    config = parse_database_url("postgres://u@localhost/plan", base_dir=BASE)
    assert (config["CONN_MAX_AGE"], config["CONN_HEALTH_CHECKS"]) == (60, True)


def test_it_passes_postgres_query_options_to_the_driver():
    url = "postgres://u@db.example/plan?sslmode=require&connect_timeout=5"
    config = parse_database_url(url, base_dir=BASE)
    assert config["OPTIONS"] == {"sslmode": "require", "connect_timeout": 5}


def test_it_accepts_the_postgresql_scheme_too():
    config = parse_database_url("postgresql://u@localhost/plan", base_dir=BASE)
    assert config["NAME"] == "plan"
    assert config["PORT"] == ""


def test_it_reads_an_absolute_sqlite_path():
    config = parse_database_url("sqlite:////var/data/plan.sqlite3", base_dir=BASE)
    assert config["ENGINE"] == "django.db.backends.sqlite3"
    assert config["NAME"] == "/var/data/plan.sqlite3"
    assert config["OPTIONS"] == {"transaction_mode": "IMMEDIATE", "timeout": 20}
    assert config["TEST"]["NAME"] == "/var/data/test_plan.sqlite3"


def test_it_reads_a_relative_sqlite_path_from_the_project_folder():
    config = parse_database_url("sqlite:///local.sqlite3", base_dir=BASE)
    assert config["NAME"] == "/srv/app/local.sqlite3"


def test_a_sqlite_url_can_change_the_default_options():
    config = parse_database_url("sqlite:////var/data/plan.sqlite3?timeout=60", base_dir=BASE)
    assert config["OPTIONS"] == {"transaction_mode": "IMMEDIATE", "timeout": 60}


@pytest.mark.parametrize(
    "url",
    [
        "mysql://user@host/db",
        "postgis://user@host/db",
        "postgres://user@host/",
        "postgres://user@host:notaport/db",
        "sqlite://host/file.sqlite3",
        "sqlite:///",
        "sqlite://:memory:",
        "just-a-path.sqlite3",
    ],
)
def test_it_refuses_a_bad_database_url_with_a_clear_message(url):
    with pytest.raises(ImproperlyConfigured, match="DATABASE_URL") as refused:
        parse_database_url(url, base_dir=BASE)
    assert "postgres://ユーザー名:パスワード@ホスト名:5432/データベース名" in str(refused.value)


def test_a_refused_database_url_never_shows_its_password():
    with pytest.raises(ImproperlyConfigured) as refused:
        parse_database_url("postgres://user:s3cret-pw@host:bad/db", base_dir=BASE)
    assert "s3cret-pw" not in str(refused.value)
    assert "postgres://user:***@host:bad/db" in str(refused.value)


def test_it_refuses_a_boolean_it_cannot_read(monkeypatch):
    monkeypatch.setenv("DEBUG", "maybe")
    with pytest.raises(ImproperlyConfigured, match=r"DEBUG.*true か false"):
        env_bool("DEBUG", default=False)
    monkeypatch.setenv("DEBUG", "False")
    assert env_bool("DEBUG", default=True) is False


def test_it_reads_a_choice_in_any_case_and_refuses_another(monkeypatch):
    levels = ["DEBUG", "INFO", "WARNING"]
    assert env_choice("LOG_LEVEL", "INFO", levels) == "INFO"
    monkeypatch.setenv("LOG_LEVEL", "warning")
    assert env_choice("LOG_LEVEL", "INFO", levels) == "WARNING"
    monkeypatch.setenv("LOG_LEVEL", "loud")
    with pytest.raises(ImproperlyConfigured, match=r"LOG_LEVEL.*DEBUG、INFO、WARNING のどれか"):
        env_choice("LOG_LEVEL", "INFO", levels)


def band(monkeypatch, raw):
    monkeypatch.setenv("ACHIEVEMENT_B_BAND", raw)
    return env_decimal(
        "ACHIEVEMENT_B_BAND", Decimal("0.6"), above=Decimal(0), below=Decimal(1), meaning="割合"
    )


def test_it_reads_a_decimal_in_its_range(monkeypatch):
    assert band(monkeypatch, " 0.75 ") == Decimal("0.75")
    assert band(monkeypatch, "") == Decimal("0.6")


@pytest.mark.parametrize("raw", ["abc", "7", "1", "0", "-0.5", "NaN", "Infinity", "0,6"])
def test_it_refuses_a_decimal_it_cannot_read_or_out_of_range(monkeypatch, raw):
    with pytest.raises(ImproperlyConfigured) as refused:
        band(monkeypatch, raw)
    message = str(refused.value)
    assert "ACHIEVEMENT_B_BAND" in message
    assert "0 より大きく 1 より小さい小数" in message and "例: 0.6" in message


def test_it_reads_a_whole_number_of_at_least_its_minimum(monkeypatch):
    def size(raw):
        monkeypatch.setenv("BACKGROUND_IMPORT_KB", raw)
        return env_int("BACKGROUND_IMPORT_KB", 32, minimum=0, meaning="大きさ（KB）")

    assert (size(" 64 "), size("0"), size("")) == (64, 0, 32)
    for raw in ("-1", "1.5", "abc", "３２", "32KB"):
        with pytest.raises(
            ImproperlyConfigured, match=r"BACKGROUND_IMPORT_KB.*0 以上の整数.*例: 32"
        ):
            size(raw)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ACHIEVEMENT_B_BAND", "abc"),
        ("BACKGROUND_IMPORT_KB", "-1"),
        ("ACHIEVEMENT_B_BAND", "7"),
        ("DATABASE_URL", "mysql://user:pw@host/db"),
        ("DEBUG", "maybe"),
        ("LOG_LEVEL", "loud"),
        ("REDIS_URL", "localhost:6379"),
    ],
)
def test_a_bad_setting_stops_start_up_with_a_message_naming_it(name, value):
    result = subprocess.run(
        [sys.executable, "-c", "import shizuoka_dx.settings"],
        cwd=settings.BASE_DIR,
        env={"PATH": "/usr/bin:/bin", name: value},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith("django.core.exceptions.ImproperlyConfigured: 環境変数 " + name)
    assert "InvalidOperation" not in result.stderr


@pytest.mark.parametrize(
    "url", ["redis://127.0.0.1:6379/0", "rediss://:pw@cache.example:6380/1", "unix:///run/r.sock"]
)
def test_it_reads_a_redis_url_into_djangos_redis_cache(url):
    config = parse_redis_url(url)
    assert config["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert config["LOCATION"] == url
    # A Redis that stops answering fails fast instead of holding a worker.
    assert config["OPTIONS"]["socket_timeout"] <= 5


@pytest.mark.parametrize(
    "url", ["localhost:6379", "http://cache:6379", "redis://", "memcached://x"]
)
def test_it_refuses_a_redis_url_it_cannot_read_without_showing_the_password(url):
    with pytest.raises(ImproperlyConfigured, match=r"REDIS_URL.*redis://ホスト名:6379/0"):
        parse_redis_url(url)
    with pytest.raises(ImproperlyConfigured) as refused:
        parse_redis_url("http://:secret-pw@cache:6379/0")
    assert "secret-pw" not in str(refused.value)


def test_production_needs_allowed_hosts_as_well_as_a_secret_key():
    result = subprocess.run(
        [sys.executable, "-c", "import shizuoka_dx.settings"],
        cwd=settings.BASE_DIR,
        env={"PATH": "/usr/bin:/bin", "DEBUG": "false", "SECRET_KEY": "k" * 60},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith(
        "django.core.exceptions.ImproperlyConfigured: 環境変数 ALLOWED_HOSTS"
    )


def test_reminder_days_are_read_as_whole_numbers_latest_first(monkeypatch):
    from shizuoka_dx.env import env_int_list

    monkeypatch.setenv("REMINDER_DAYS", "1, 7,14,7")
    assert env_int_list("REMINDER_DAYS", [14, 7, 1], meaning="m") == [14, 7, 1]
    monkeypatch.delenv("REMINDER_DAYS")
    assert env_int_list("REMINDER_DAYS", [14, 7, 1], meaning="m") == [14, 7, 1]


@pytest.mark.parametrize("raw", ["7,a", "0", "-1", "7;1"])
def test_bad_reminder_days_stop_start_up_in_japanese(monkeypatch, raw):
    from shizuoka_dx.env import env_int_list

    monkeypatch.setenv("REMINDER_DAYS", raw)
    with pytest.raises(
        ImproperlyConfigured, match="1 以上の整数をカンマ区切りで指定してください（例: 14,7,1）"
    ):
        env_int_list("REMINDER_DAYS", [14, 7, 1], meaning="期限の何日前にお知らせを送るか")


def test_the_site_url_for_e_mail_links(monkeypatch):
    from shizuoka_dx.env import env_site_url

    monkeypatch.setenv("SITE_URL", "https://dx.city.example.jp/")
    assert env_site_url("SITE_URL", "http://127.0.0.1:8000") == "https://dx.city.example.jp"
    monkeypatch.setenv("SITE_URL", "dx.city.example.jp")
    with pytest.raises(ImproperlyConfigured, match="http:// か https:// から書いてください"):
        env_site_url("SITE_URL", "http://127.0.0.1:8000")
