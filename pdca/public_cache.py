"""Public pages rendered once per publication and kept, as bytes, in Django's cache.

What a public page shows depends only on the published snapshots (or, before the first
publication, on the plan itself) and on the code that draws it. So each page is rendered once and
kept under a key made of:

- the **publication state**, read from the database on every request with one small query (how
  many snapshots there are, the newest id and the newest publication time): publishing a version,
  or deleting one (``load_plan --remove-demo``), changes it at once for every process and every
  app server, whatever the cache is, with nothing to forget to invalidate;
- before the first publication, a **plan token** kept in the cache and replaced whenever a record
  of the plan (priorities, KPIs, systems) is saved or deleted, by any channel (pages, admin,
  commands): see ``plan_changed``. With Redis (REDIS_URL) every process sees the new token at
  once. With each process's own memory, a process other than the one that made the change may
  show the plan-only page up to ``PLAN_ONLY_TIMEOUT`` longer;
- the **render version**: a hash of the templates, the apps' code and the static files' manifest,
  so that a deployment never serves pages drawn by the previous code;
- the database (several databases may share one Redis) and the page's path.

Public pages set no cookie and no ``Vary: Cookie`` (the session is not touched: see
``shizuoka_dx.middleware.SessionMiddleware`` and ``templates/base.html``), and carry an ``ETag``
with ``Cache-Control: public, no-cache``: a browser or proxy may keep the page and asks each
time whether it changed (answered ``304`` without rendering or reading the cache).
"""

import hashlib
from functools import wraps
from pathlib import Path
from uuid import uuid4

from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.locmem import LocMemCache
from django.db import connection, transaction
from django.http import HttpResponse
from django.utils.cache import get_conditional_response

from pdca.models import PublishedSnapshot

PREFIX = "public-page"
PLAN_TOKEN_KEY = "public-page:plan-token"
# A published page is kept a day (then drawn again): keys of earlier publications expire.
TIMEOUT = 24 * 60 * 60
# Before the first publication, with each process's own memory as the cache (no REDIS_URL).
PLAN_ONLY_TIMEOUT = 60
CACHE_CONTROL = "public, no-cache"
KEPT_HEADERS = ("Content-Disposition",)
SOURCES = ("templates", "shizuoka_dx", "priorities", "kpis", "systems", "pdca")

_render_version: str | None = None


def render_version() -> str:
    """A hash of what draws the pages: templates, the apps' code, the static files' manifest
    (hashed file names) and the settings that change URLs. Computed once per process."""
    global _render_version
    if _render_version is None:
        digest = hashlib.sha256()
        base = Path(settings.BASE_DIR)
        files = sorted(
            path
            for folder in SOURCES
            for pattern in ("*.py", "*.html")
            for path in (base / folder).rglob(pattern)
        )
        manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
        for path in [*files, manifest]:
            if path.is_file():
                digest.update(
                    str(path.relative_to(base) if path.is_relative_to(base) else path).encode()
                )
                digest.update(path.read_bytes())
        digest.update(f"{settings.DEBUG}:{settings.STATIC_URL}".encode())
        _render_version = digest.hexdigest()[:16]
    return _render_version


def _database() -> str:
    config = connection.settings_dict
    return f"{config['ENGINE']}:{config['HOST']}:{config['PORT']}:{config['NAME']}"


def publication_state() -> str:
    """One query: the number of snapshots, the newest id and publication time. Any publication
    or deletion changes it (ids and times only grow, so a deleted version never comes back)."""
    table = connection.ops.quote_name(PublishedSnapshot._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*), MAX(id), MAX(published_at) FROM {table}")
        count, newest, published_at = cursor.fetchone()
    if not count:
        return f"plan:{plan_token()}"
    return f"published:{count}:{newest}:{published_at}"


def plan_token() -> str:
    token = cache.get(PLAN_TOKEN_KEY)
    if token is None:
        cache.add(PLAN_TOKEN_KEY, uuid4().hex, None)
        token = cache.get(PLAN_TOKEN_KEY)
    return token


def _new_plan_token() -> None:
    cache.set(PLAN_TOKEN_KEY, uuid4().hex, None)


def plan_changed() -> None:
    """A record of the plan changed: pages drawn from the plan-only document are out of date.
    The token is replaced now (this process's next page) and again when the transaction
    commits (a page drawn meanwhile from the old data is not kept)."""
    _new_plan_token()
    transaction.on_commit(_new_plan_token)


def page_key(path: str, state: str) -> str:
    parts = f"{render_version()}|{_database()}|{state}|{path}"
    return f"{PREFIX}:{hashlib.sha256(parts.encode()).hexdigest()}"


def _etag(key: str) -> str:
    return f'"{key.rsplit(":", 1)[1][:32]}"'


def _timeout(state: str) -> int:
    if state.startswith("plan:") and isinstance(cache, LocMemCache):
        return PLAN_ONLY_TIMEOUT
    return TIMEOUT


def _public_headers(response, etag: str):
    response["ETag"] = etag
    response["Cache-Control"] = CACHE_CONTROL
    return response


def public_page(view):
    """Serve the view's page from the cache (rendering it once per publication state); answer
    ``If-None-Match`` with 304. Only a 200 is kept; a 404 is drawn each time."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        # Read by templates/base.html (no user, no messages) and the session middleware.
        request.public_page = True
        state = publication_state()
        key = page_key(request.path, state)
        etag = _etag(key)
        not_modified = get_conditional_response(request, etag=etag)
        if not_modified is not None:
            return _public_headers(not_modified, etag)
        entry = cache.get(key)
        if entry is None:
            response = view(request, *args, **kwargs)
            if response.status_code != 200 or response.streaming:
                return response
            headers = {name: response[name] for name in KEPT_HEADERS if name in response}
            entry = (response.content, response["Content-Type"], headers)
            cache.set(key, entry, _timeout(state))
        content, content_type, headers = entry
        response = HttpResponse(content, content_type=content_type)
        for name, value in headers.items():
            response[name] = value
        return _public_headers(response, etag)

    return wrapper
