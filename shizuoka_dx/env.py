"""Strict little readers for settings that come from environment variables.

Each one either returns a clean value or raises ImproperlyConfigured with a Japanese message that
names the variable and says what a good value looks like, so a bad deployment fails at start-up.
"""

import os
import re
from decimal import Decimal, InvalidOperation
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}

POSTGRESQL = "django.db.backends.postgresql"
SQLITE = "django.db.backends.sqlite3"
GOOD_DATABASE_URLS = (
    "PostgreSQL なら postgres://ユーザー名:パスワード@ホスト名:5432/データベース名、"
    "SQLite なら sqlite:////絶対パス/db.sqlite3 の形で指定してください"
)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(
        f"環境変数 {name} の値 {raw!r} は真偽値として読めません。"
        "true か false で指定してください（1/0、yes/no、on/off も使えます）。"
    )


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [part.strip() for part in raw.split(",") if part.strip()]


def env_choice(name: str, default: str, choices: list[str]) -> str:
    """One of ``choices``, matched without regard to case (``info`` → ``INFO``)."""
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    for choice in choices:
        if raw.strip().lower() == choice.lower():
            return choice
    raise ImproperlyConfigured(
        f"環境変数 {name} の値 {raw!r} は使えません。{'、'.join(choices)} のどれかで指定してください"
        f"（省略時は {default}）。"
    )


def env_int(name: str, default: int, *, minimum: int, meaning: str) -> int:
    """A whole number of at least ``minimum``; ``meaning`` says what it is for."""
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    text = raw.strip()
    if not (text.isascii() and text.isdigit()) or int(text) < minimum:
        raise ImproperlyConfigured(
            f"環境変数 {name} の値 {raw!r} は使えません。{name} は{meaning}で、"
            f"{minimum} 以上の整数で指定してください（例: {default}）。"
        )
    return int(text)


def env_decimal(
    name: str, default: Decimal, *, above: Decimal, below: Decimal, meaning: str
) -> Decimal:
    """A decimal strictly between ``above`` and ``below``; ``meaning`` says what it is for."""
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = Decimal(raw.strip())
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or not above < value < below:
        raise ImproperlyConfigured(
            f"環境変数 {name} の値 {raw!r} は使えません。{name} は{meaning}で、"
            f"{above} より大きく {below} より小さい小数で指定してください（例: {default}）。"
        )
    return value


def parse_database_url(url: str, *, base_dir: Path) -> dict:
    """Turn DATABASE_URL into a Django DATABASES entry (read by dj-database-url).

    Accepted: ``postgres://user:pass@host:port/name`` (also ``postgresql://``), with query options
    such as ``?sslmode=require`` passed to the driver; ``sqlite:////absolute/path.sqlite3`` and
    ``sqlite:///relative.sqlite3`` (relative to the project folder).
    """
    try:
        config = dj_database_url.parse(url)
    except dj_database_url.UnknownSchemeError as exc:
        raise _bad_database_url(url, _unsupported(exc.scheme)) from None
    except ValueError:
        raise _bad_database_url(url, "ポート番号などの書き方が正しくありません") from None
    if config["ENGINE"] == POSTGRESQL:
        if not config["NAME"] or "/" in config["NAME"]:
            raise _bad_database_url(url, "データベース名がないか、正しくありません")
        # Keep connections for a minute, and check one before reusing it.
        config.update(CONN_MAX_AGE=60, CONN_HEALTH_CHECKS=True)
        return config
    if config["ENGINE"] == SQLITE:
        if config.get("HOST"):
            raise _bad_database_url(url, "SQLite の URL にホスト名は書けません")
        if config["NAME"] in {"", ":memory:"}:
            raise _bad_database_url(url, "SQLite のファイル名がありません")
        path = Path(config["NAME"])
        database = sqlite_database(path if path.is_absolute() else base_dir / path)
        database["OPTIONS"].update(config.get("OPTIONS", {}))
        return database
    raise _bad_database_url(url, _unsupported(url.partition(":")[0]))


REDIS_SCHEMES = ("redis://", "rediss://", "unix://")


def parse_redis_url(url: str) -> dict:
    """Django's own Redis cache for REDIS_URL (``redis://host:6379/0``, ``rediss://`` for TLS,
    ``unix:///path/redis.sock``). A Redis that stops answering fails a request after 2 s instead
    of holding a worker until gunicorn's timeout."""
    if not url.lower().startswith(REDIS_SCHEMES) or url.partition("://")[2] in {"", "/"}:
        raise ImproperlyConfigured(
            f"環境変数 REDIS_URL の値 {_without_password(url)!r} を読めません。redis://ホスト名:6379/0 "
            "（TLS なら rediss://、ソケットなら unix:///パス）の形で指定してください。"
        )
    return {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": url,
        "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
    }


def sqlite_database(path: Path) -> dict:
    return {
        "ENGINE": SQLITE,
        "NAME": str(path),
        # Writers wait for each other instead of failing with "database is locked".
        "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20},
        # Tests use a file too (not shared-cache memory), so concurrent writers behave as in use.
        # Under pytest-xdist, pytest-django appends the worker's name (…sqlite3_gw0): one file each.
        "TEST": {"NAME": str(path.with_name(f"test_{path.stem}.sqlite3"))},
    }


def _unsupported(scheme: str) -> str:
    if not scheme:
        return "先頭に postgres:// か sqlite:// がありません"
    return f"「{scheme}:」には対応していません（使えるのは PostgreSQL と SQLite）"


def _bad_database_url(url: str, reason: str) -> ImproperlyConfigured:
    return ImproperlyConfigured(
        f"環境変数 DATABASE_URL の値 {_without_password(url)!r} を読めません: {reason}。{GOOD_DATABASE_URLS}。"
    )


def _without_password(url: str) -> str:
    # The message may end up in a log: never repeat the password.
    return re.sub(r"(://[^/@:]*:)[^@]*@", r"\1***@", url, count=1)


def env_int_list(name: str, default: list[int], *, meaning: str) -> list[int]:
    """Whole numbers of at least 1, comma-separated (``14,7,1``); ``meaning`` says what for."""
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    parts = [part.strip() for part in raw.split(",") if part.strip()]
    if not parts or not all(p.isascii() and p.isdigit() and int(p) >= 1 for p in parts):
        raise ImproperlyConfigured(
            f"環境変数 {name} の値 {raw!r} は使えません。{name} は{meaning}で、1 以上の整数を"
            f"カンマ区切りで指定してください（例: {','.join(str(d) for d in default)}）。"
        )
    return sorted({int(p) for p in parts}, reverse=True)


def env_site_url(name: str, default: str) -> str:
    """The address people open the app at (links in e-mails): http(s)://host[:port][/path]."""
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    text = raw.strip().rstrip("/")
    if not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", text):
        raise ImproperlyConfigured(
            f"環境変数 {name} の値 {raw!r} は使えません。メールに書くリンクの先頭で、"
            "https://dx.city.example.jp のように http:// か https:// から書いてください。"
        )
    return text
