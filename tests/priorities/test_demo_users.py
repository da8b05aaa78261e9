import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("username", "home"),
    [
        ("admin", "/admin/"),
        ("dx-staff", "/staff/publish/"),
        ("dx-head", "/staff/"),
        ("kiki-head", "/staff/items/1-3/"),
    ],
)
def test_it_creates_the_readme_demo_users_who_can_log_in(client, settings, username, home):
    settings.DEBUG = True
    call_command("create_demo_users")
    call_command("create_demo_users")  # twice is fine
    response = client.post(
        "/accounts/login/", {"username": username, "password": "shizuoka-demo-2025"}
    )
    assert response.status_code == 302
    assert client.get(home).status_code == 200


def test_the_head_of_kikikanri_sees_only_their_items(client, settings):
    settings.DEBUG = True
    call_command("create_demo_users")
    client.post("/accounts/login/", {"username": "kiki-head", "password": "shizuoka-demo-2025"})
    page = client.get("/staff/").content.decode()
    assert "/staff/items/1-3/" in page
    assert "/staff/items/1-1/" not in page
    assert client.get("/staff/items/1-1/").status_code == 404


def test_it_refuses_to_create_known_passwords_in_production(settings, django_user_model):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG=false"):
        call_command("create_demo_users")
    assert not django_user_model.objects.filter(username="admin").exists()
