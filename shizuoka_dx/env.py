"""Strict little readers for settings that come from environment variables.

Each one either returns a clean value or raises ImproperlyConfigured with a message that says
which variable is wrong and what a good value looks like, so a bad deployment fails at start-up.
"""

import os
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean: use true or false.")


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [part.strip() for part in raw.split(",") if part.strip()]


def parse_database_url(url: str, *, base_dir: Path) -> dict:
    """Turn DATABASE_URL into a Django DATABASES entry.

    Accepted: ``postgres://user:pass@host:port/name`` (also ``postgresql://``),
    ``sqlite:////absolute/path.sqlite3`` and ``sqlite:///relative.sqlite3`` (relative to the project).
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme in {"postgres", "postgresql"}:
        name = unquote(parts.path.lstrip("/"))
        if not name or "/" in name:
            raise ImproperlyConfigured(
                f"DATABASE_URL {url!r} names no database: use postgres://user:pass@host:port/name."
            )
        try:
            port = parts.port
        except ValueError as exc:
            raise ImproperlyConfigured(f"DATABASE_URL {url!r} has a bad port number.") from exc
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": name,
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(port or ""),
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
        }
    if scheme == "sqlite":
        if parts.netloc:
            raise ImproperlyConfigured(
                f"DATABASE_URL {url!r}: a SQLite URL has no host; use sqlite:////absolute/path.sqlite3."
            )
        raw_path = unquote(parts.path)
        if raw_path in {"", "/"}:
            raise ImproperlyConfigured(f"DATABASE_URL {url!r} names no SQLite file.")
        # sqlite:////abs/path has the path "//abs/path"; sqlite:///rel has "/rel".
        relative = raw_path[1:]
        path = Path(relative) if relative.startswith("/") else base_dir / relative
        return sqlite_database(path)
    raise ImproperlyConfigured(
        f"DATABASE_URL {url!r} is not supported: use postgres://user:pass@host:port/name "
        "or sqlite:////absolute/path.sqlite3."
    )


def sqlite_database(path: Path) -> dict:
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(path),
        # Writers wait for each other instead of failing with "database is locked".
        "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20},
        # Tests use a file too (not shared-cache memory), so concurrent writers behave as in use.
        "TEST": {"NAME": str(path.with_name(f"test_{path.stem}.sqlite3"))},
    }
