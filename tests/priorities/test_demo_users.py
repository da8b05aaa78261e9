import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

pytestmark = pytest.mark.django_db


def test_it_creates_the_readme_demo_user_who_can_log_in(client, settings):
    settings.DEBUG = True
    call_command("create_demo_users")
    call_command("create_demo_users")  # twice is fine
    assert client.login(username="admin", password="shizuoka-admin-2025")
    assert client.get("/admin/").status_code == 200


def test_it_refuses_to_create_known_passwords_in_production(settings, django_user_model):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG=false"):
        call_command("create_demo_users")
    assert not django_user_model.objects.filter(username="admin").exists()
