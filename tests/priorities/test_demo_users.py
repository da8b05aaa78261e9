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
        ("kiki-head-2", "/staff/items/1-3/"),
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


def test_the_two_kikikanri_heads_can_run_the_four_eyes_cycle_on_the_demo(client, settings):
    """The README's walk-through: kiki-head writes and submits 1-3, kiki-head-2 approves it."""
    settings.DEBUG = True
    call_command("create_demo_users")
    url = "/staff/items/1-3/evaluations/2026/"
    text = dict.fromkeys(["quantitative", "qualitative", "issues", "countermeasures", "next_plan"])
    text = {name: "記入" for name in text}
    client.post("/accounts/login/", {"username": "kiki-head", "password": "shizuoka-demo-2025"})
    assert client.post(url, {**text, "version": 1, "action": "submit"}).status_code == 302
    page = client.get(url).content.decode()
    assert "承認できる人：危機管理課 副課長（デモ）" in page
    assert "提出した人は承認できません" in page
    client.post("/accounts/login/", {"username": "kiki-head-2", "password": "shizuoka-demo-2025"})
    client.post(url + "approve/", {"version": 3})
    from pdca.models import Evaluation

    evaluation = Evaluation.objects.get(item__code="1-3", fiscal_year=2026)
    assert evaluation.status == "approved"
    assert evaluation.approved_by.username == "kiki-head-2"
