from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from shizuoka_dx.env import env_bool, parse_database_url

BASE = Path("/srv/app")


def test_it_reads_a_postgres_url():
    config = parse_database_url("postgres://user:p%40ss@db.example:6543/plan", base_dir=BASE)
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["NAME"], config["USER"], config["PASSWORD"]) == ("plan", "user", "p@ss")
    assert (config["HOST"], config["PORT"]) == ("db.example", "6543")


def test_it_accepts_the_postgresql_scheme_too():
    config = parse_database_url("postgresql://u@localhost/plan", base_dir=BASE)
    assert config["NAME"] == "plan"
    assert config["PORT"] == ""


def test_it_reads_an_absolute_sqlite_path():
    config = parse_database_url("sqlite:////var/data/plan.sqlite3", base_dir=BASE)
    assert config["ENGINE"] == "django.db.backends.sqlite3"
    assert config["NAME"] == "/var/data/plan.sqlite3"
    assert config["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


def test_it_reads_a_relative_sqlite_path_from_the_project_folder():
    config = parse_database_url("sqlite:///local.sqlite3", base_dir=BASE)
    assert config["NAME"] == "/srv/app/local.sqlite3"


@pytest.mark.parametrize(
    "url",
    [
        "mysql://user@host/db",
        "postgres://user@host/",
        "postgres://user@host:notaport/db",
        "sqlite://host/file.sqlite3",
        "sqlite:///",
        "just-a-path.sqlite3",
    ],
)
def test_it_refuses_a_bad_database_url_with_a_clear_message(url):
    with pytest.raises(ImproperlyConfigured, match="DATABASE_URL"):
        parse_database_url(url, base_dir=BASE)


def test_it_refuses_a_boolean_it_cannot_read(monkeypatch):
    monkeypatch.setenv("DEBUG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="DEBUG"):
        env_bool("DEBUG", default=False)
    monkeypatch.setenv("DEBUG", "False")
    assert env_bool("DEBUG", default=True) is False
