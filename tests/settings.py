"""Settings for the test suite: the real settings, with a fast password hasher and background work
run at once.

Django's default hasher is deliberately slow (about 0.3 s a password here), and the suite creates
and logs in users in nearly every test. MD5 is only acceptable because these passwords protect
nothing; shizuoka_dx/settings.py, which production uses, never names it.
"""

import hashlib
import os

from shizuoka_dx.settings import *  # noqa: F403
from shizuoka_dx.settings import BASE_DIR, DATABASES

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Several checkouts on one machine share its PostgreSQL cluster: this checkout's test databases get
# a name of their own (pytest-xdist then adds _gw0, _gw1 … per worker), so two checkouts testing at
# once never drop each other's database. A database left by a killed run is replaced next time.
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    checkout = hashlib.sha256(str(BASE_DIR).encode()).hexdigest()[:8]
    # TEST_DATABASE_NAME names it outright, for a cluster that allows only some names.
    name = os.environ.get("TEST_DATABASE_NAME") or f"test_{DATABASES['default']['NAME']}_{checkout}"
    DATABASES["default"]["TEST"] = {"NAME": name}

# Background work runs at once, inside the request that starts it: a page then answers exactly as
# it would once a worker has finished. tests/pdca/test_background_jobs.py runs the real path (the
# database queue and a worker), and tests/pdca/test_two_app_servers.py real processes.
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

# Each test process keeps its own cache, even when the shell sets REDIS_URL: tests empty the cache
# between tests (tests/conftest.py), which must never flush a Redis others use. The tests of the
# Redis cache itself start processes with the real settings (tests/shizuoka_dx/test_cache.py).
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
