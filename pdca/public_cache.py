"""Public pages drawn once per publication and kept, as bytes, in Django's cache.

What a public page shows depends only on the published snapshots (or, before the first
publication, on the plan itself) and on the code that draws it. So each page is drawn once and
kept under a key made of:

- the **publication state**: how many snapshots there are, the newest id and the newest
  publication time, read from the database (one small query). Publishing a version or deleting
  one (``load_plan --remove-demo``), by any channel and in any process, changes it; ids and times
  only grow, so an old state never comes back. The database is the one thing every gunicorn
  worker, command and app server shares, whatever the cache is, so nothing can miss a change.
  A process reads it at most every ``STATE_INTERVAL`` seconds (0.1 s) and keeps it meanwhile:
  a page served again then costs no query and no trip to Redis, and a publication shows
  everywhere within that interval (at once in the process that published: ``publication_changed``);
- before the first publication, a **plan token** kept in the cache and replaced whenever a record
  of the plan (priorities, KPIs, systems) is saved or deleted, by any channel (``plan_changed``,
  signals in pdca/apps.py). With Redis (REDIS_URL) every process sees the new token within
  ``STATE_INTERVAL``; with each process's own memory as the cache, a process other than the one
  that made the change may show the plan-only page up to ``PLAN_ONLY_TIMEOUT`` longer;
- the **render version**: a hash of the templates, the apps' code and the static files' manifest,
  so that a deployment never serves pages drawn by the previous code;
- the database (several databases may share one Redis) and the page's path.

The pages are kept in Django's cache (Redis when REDIS_URL is set: drawn once for every app
server; else each process's memory) and, for the pages a process served lately, in that
process's own memory too (no copy from Redis per request).

Public pages set no cookie and no ``Vary: Cookie`` (the session is not touched: see
``shizuoka_dx.middleware.SessionMiddleware`` and ``templates/base.html``), and carry an ``ETag``
with ``Cache-Control: public, no-cache``: a browser or proxy may keep the page and asks each
time whether it changed (answered ``304`` without reading the page).
"""

import hashlib
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from functools import wraps
from pathlib import Path
from uuid import uuid4

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.locmem import LocMemCache
from django.db import connection, transaction
from django.http import HttpResponse
from django.utils.cache import get_conditional_response

from pdca.models import PublishedSnapshot
from priorities.models import PlanEdition

PREFIX = "public-page"
# How long a process trusts the publication state (and plan token) it last read, in seconds.
STATE_INTERVAL = 0.1
# A published page is kept a day (then drawn again): keys of earlier publications expire.
TIMEOUT = 24 * 60 * 60
# Before the first publication, with each process's own memory as the cache (no REDIS_URL).
PLAN_ONLY_TIMEOUT = 60
CACHE_CONTROL = "public, no-cache"
KEPT_HEADERS = ("Content-Disposition",)
SOURCES = ("templates", "shizuoka_dx", "priorities", "kpis", "systems", "pdca")
# The pages a process served lately are kept in its own memory too, least recently used out
# first once there are more than this many pages or bytes.
MEMORY_PAGES = 512
MEMORY_BYTES = 64 * 1024 * 1024


# ---- this process's memory ---------------------------------------------------------------


class _Recent:
    """The last pages served by this process (a small LRU, safe for threaded workers)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.entries: OrderedDict[str, tuple] = OrderedDict()
        self.size = 0

    def get(self, key):
        with self.lock:
            entry = self.entries.get(key)
            if entry is not None:
                self.entries.move_to_end(key)
            return entry

    def put(self, key, entry):
        with self.lock:
            if key in self.entries:
                return
            self.entries[key] = entry
            self.size += len(entry[0])
            while len(self.entries) > MEMORY_PAGES or self.size > MEMORY_BYTES:
                _, dropped = self.entries.popitem(last=False)
                self.size -= len(dropped[0])

    def clear(self):
        with self.lock:
            self.entries.clear()
            self.size = 0


_recent = _Recent()


@dataclass(frozen=True)
class _Known:
    """The publication state as this process last read it, and what follows from it."""

    read_at: float
    state: str
    database: str  # a short hash: several databases may share one Redis
    remember: bool  # whether this process keeps its own copies of the pages
    timeout: int  # how long the cache keeps a page


_known: _Known | None = None
# (state, database, path) → (cache key, ETag), so that a page served again hashes nothing.
_keys: dict[tuple[str, str, str], tuple[str, str]] = {}
MAX_KEYS = 4096
_render_version: str | None = None


def forget() -> None:
    """Drop what this process keeps: the state it read, its copies of pages (tests use it; the
    shared cache is left alone)."""
    forget_state()
    _recent.clear()
    _keys.clear()


# ---- the key --------------------------------------------------------------------------------


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
        for path in files:
            digest.update(str(path.relative_to(base)).encode())
            digest.update(path.read_bytes())
        manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
        if manifest.is_file():
            digest.update(manifest.read_bytes())
        digest.update(f"{settings.DEBUG}:{settings.STATIC_URL}".encode())
        _render_version = digest.hexdigest()[:16]
    return _render_version


def _database() -> str:
    config = connection.settings_dict
    identity = f"{config['ENGINE']}:{config['HOST']}:{config['PORT']}:{config['NAME']}"
    return hashlib.sha256(identity.encode()).hexdigest()[:16]


def _key(name: str, database: str | None = None) -> str:
    """A key of this database's public pages (several databases may share one Redis)."""
    return f"{PREFIX}:{database or _database()}:{name}"


def publication_state_in_database() -> str:
    """One query: the number of snapshots, the newest id and publication time, and the plan's
    newest edition (publishing a revision of the plan changes /revisions/ and /editions/)."""
    table = connection.ops.quote_name(PublishedSnapshot._meta.db_table)
    editions = connection.ops.quote_name(PlanEdition._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(*), MAX(id), MAX(published_at), "
            f"(SELECT MAX(number) FROM {editions}) FROM {table}"
        )
        count, newest, published_at, edition = cursor.fetchone()
    return f"published:{count}:{newest}:{published_at}:e{edition}" if count else "none"


def _read() -> _Known:
    """What the public pages show now, read at most every STATE_INTERVAL seconds: the
    publication state or, before the first publication, ``plan:`` and the plan token."""
    global _known
    now = time.monotonic()
    known = _known
    if known is not None and now - known.read_at < STATE_INTERVAL:
        return known
    state = publication_state_in_database()
    if state == "none":
        state = f"plan:{plan_token()}"
    backend = caches["default"]
    # A plan-only page in a process's own memory expires (PLAN_ONLY_TIMEOUT) as the cache's
    # copy does; DummyCache in CACHES turns all keeping off, this process's copies included.
    plan_only_here = state.startswith("plan:") and isinstance(backend, LocMemCache)
    known = _Known(
        read_at=now,
        state=state,
        database=_database(),
        remember=not plan_only_here and not isinstance(backend, DummyCache),
        timeout=PLAN_ONLY_TIMEOUT if plan_only_here else TIMEOUT,
    )
    _known = known
    return known


def publication_state() -> str:
    return _read().state


def forget_state() -> None:
    global _known
    _known = None


def publication_changed() -> None:
    """A snapshot was saved or deleted: this process reads the state again for its next page,
    and again once the transaction commits. Other processes read it within STATE_INTERVAL."""
    forget_state()
    transaction.on_commit(forget_state)


def plan_token() -> str:
    key = _key("plan-token")
    token = cache.get(key)
    if token is None:
        cache.add(key, uuid4().hex, None)
        token = cache.get(key)
    return token


def _new_plan_token() -> None:
    cache.set(_key("plan-token"), uuid4().hex, None)
    forget_state()


def plan_changed() -> None:
    """A record of the plan changed: pages drawn from the plan-only document are out of date.
    The token is replaced now (this process's next page) and again when the transaction
    commits (a page drawn meanwhile from the old data is not kept)."""
    _new_plan_token()
    transaction.on_commit(_new_plan_token)


def page_key(path: str, known: _Known) -> tuple[str, str]:
    """The cache key and ETag of the page at ``path`` in state ``known``."""
    memo = (known.state, known.database, path)
    found = _keys.get(memo)
    if found is None:
        digest = hashlib.sha256(f"{render_version()}|{known.state}|{path}".encode()).hexdigest()
        if len(_keys) >= MAX_KEYS:
            _keys.clear()
        found = _keys[memo] = (_key(digest, known.database), f'"{digest[:32]}"')
    return found


# ---- serving -----------------------------------------------------------------------------

CONDITIONAL = ("HTTP_IF_NONE_MATCH", "HTTP_IF_MATCH", "HTTP_IF_MODIFIED_SINCE")


def _public_headers(response, etag: str):
    response["ETag"] = etag
    response["Cache-Control"] = CACHE_CONTROL
    return response


def public_page(view):
    """Serve the view's page from the cache, drawing it once per publication state; answer
    ``If-None-Match`` with 304. Only a 200 is kept; a 404 is drawn each time."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        # Read by templates/base.html (no user, no messages) and the session middleware.
        request.public_page = True
        known = _read()
        key, etag = page_key(request.path, known)
        if any(header in request.META for header in CONDITIONAL):
            not_modified = get_conditional_response(request, etag=etag)
            if not_modified is not None:
                return _public_headers(not_modified, etag)
        entry = _recent.get(key) if known.remember else None
        if entry is None:
            entry = cache.get(key)
            if entry is None:
                response = view(request, *args, **kwargs)
                if response.status_code != 200 or response.streaming:
                    return response
                headers = {name: response[name] for name in KEPT_HEADERS if name in response}
                entry = (response.content, response["Content-Type"], headers)
                cache.set(key, entry, known.timeout)
            if known.remember:
                _recent.put(key, entry)
        content, content_type, headers = entry
        response = HttpResponse(content, content_type=content_type)
        for name, value in headers.items():
            response[name] = value
        return _public_headers(response, etag)

    return wrapper
