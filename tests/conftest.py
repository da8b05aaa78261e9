"""Shared test set-up: the real plan is loaded once per test database, users per test.

Each test runs in a transaction that is rolled back, so the plan stays as loaded.
The role users, and what each may do:
- ``dx_staff``: DX推進課職員 — every item, plan maintenance, publishing;
- ``head_a``: 所管課長 of 危機管理課 — owns 1-3 (with 河川課): its actuals and evaluation;
- ``head_b``: 所管課長 of 広報課 — owns 1-4, must never reach 1-3's drafts;
- anonymous (``client`` without login): the public, who only read what is published.
"""

import uuid

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db import connection
from hypothesis import settings as hypothesis_settings

from pdca import public_cache
from pdca.loading import load_plan
from pdca.models import Evaluation
from pdca.services.publication import publish_fiscal_year
from priorities.models import Department, PriorityItem
from priorities.permissions import DEPARTMENT_HEAD_GROUP, DX_STAFF_GROUP
from priorities.roles import ensure_roles, system_user

# Property tests check values, not speed: on a machine shared with other work a pure example
# took 269 ms once (over hypothesis's 200 ms deadline) and 0.07 ms when run again.
hypothesis_settings.register_profile("shared-machine", deadline=None)
hypothesis_settings.load_profile("shared-machine")

PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    """The URL of a Redis of this test process's own (tests/redis_server.py): never skipped."""
    from tests.redis_server import private_redis

    with private_redis(tmp_path_factory.mktemp("redis")) as url:
        yield url


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        load_plan(directory=settings.PLAN_FIXTURES_DIR)
        ensure_roles()


@pytest.fixture(autouse=True)
def _empty_cache(monkeypatch):
    """Each test starts with an empty cache: a page kept by an earlier test (whose data was
    rolled back) is never served to the next one. Public pages read the publication state on
    every request (query counts do not depend on timing); tests of the interval set their own."""
    cache.clear()
    public_cache.forget()
    monkeypatch.setattr(public_cache, "STATE_INTERVAL", 0)
    yield
    cache.clear()
    public_cache.forget()


@pytest.fixture
def scratch_database_url(tmp_path):
    """An empty database of the test's own (for other processes), on the engine the suite runs on, removed afterwards."""
    if connection.vendor != "postgresql":
        yield f"sqlite:///{tmp_path / 'apps.sqlite3'}"
        return
    import psycopg

    params = settings.DATABASES["default"]
    name = f"test_apps_{uuid.uuid4().hex[:12]}"
    admin = psycopg.connect(
        dbname="postgres",
        user=params["USER"],
        password=params["PASSWORD"],
        host=params["HOST"] or "127.0.0.1",
        port=params["PORT"] or 5432,
        autocommit=True,
    )
    admin.execute(f'CREATE DATABASE "{name}"')
    host = params["HOST"] or "127.0.0.1"
    port = params["PORT"] or 5432
    try:
        yield f"postgres://{params['USER']}:{params['PASSWORD']}@{host}:{port}/{name}"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def make_user(django_user_model, username, *, group=None, departments=(), **extra):
    user = django_user_model.objects.create_user(
        username=username, password=PASSWORD, last_name=username, **extra
    )
    if group:
        user.groups.add(Group.objects.get(name=group))
    for name in departments:
        Department.objects.get_or_create(name=name)[0].members.add(user)
    return user


@pytest.fixture
def dx_staff(django_user_model):
    return make_user(
        django_user_model, "dx-staff", group=DX_STAFF_GROUP, departments=["DX推進課"], is_staff=True
    )


@pytest.fixture
def head_a(django_user_model):
    return make_user(
        django_user_model, "kiki-head", group=DEPARTMENT_HEAD_GROUP, departments=["危機管理課"]
    )


@pytest.fixture
def head_a2(django_user_model):
    """A second head in 危機管理課: approves what head_a last edited."""
    return make_user(
        django_user_model, "kiki-head-2", group=DEPARTMENT_HEAD_GROUP, departments=["危機管理課"]
    )


@pytest.fixture
def head_b(django_user_model):
    return make_user(
        django_user_model, "koho-head", group=DEPARTMENT_HEAD_GROUP, departments=["広報課"]
    )


@pytest.fixture
def staff_user(dx_staff):
    return dx_staff


@pytest.fixture
def staff_client(client, dx_staff):
    client.force_login(dx_staff)
    return client


def approve_all(year):
    """Every item's evaluation for ``year``, approved (what a finished yearly round leaves)."""
    for item in PriorityItem.objects.all():
        Evaluation.objects.update_or_create(
            item=item,
            fiscal_year=year,
            defaults={"status": Evaluation.Status.APPROVED, "qualitative": "テスト"},
        )


@pytest.fixture
def publish():
    """Approve every item for a FY and publish it, as the public will then see it."""

    def publish_year(year=2025):
        approve_all(year)
        return publish_fiscal_year(fiscal_year=year, user=system_user())

    return publish_year
