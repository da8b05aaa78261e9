"""Shared test set-up: the real plan is loaded once per test database, users per test.

Each test runs in a transaction that is rolled back, so the plan stays as loaded.
Role users (the roles issue will widen these):
- ``staff``: a DX推進課 member who may log in to /staff/;
- anonymous: the public, who only reads.
"""

import pytest
from django.conf import settings

from priorities.loading import load_plan


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        load_plan(directory=settings.PLAN_FIXTURES_DIR)


@pytest.fixture
def staff_user(django_user_model):
    return django_user_model.objects.create_user(
        username="dx-staff", password="correct horse battery", last_name="DX推進課職員"
    )


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client
