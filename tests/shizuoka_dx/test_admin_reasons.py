"""Every save in the admin says why, and the history keeps the reason."""

import pytest

from priorities.models import PriorityItem

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, django_user_model):
    user = django_user_model.objects.create_superuser("root", password="x" * 12)
    client.force_login(user)
    return client


def _form(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return response


def _item_data(item, **changes):
    data = {
        "pillar": item.pillar_id,
        "code": item.code,
        "order": item.order,
        "title": item.title,
        "departments": [d.pk for d in item.departments.all()],
    }
    for prefix in ("bullets", "initiatives", "tools"):
        data.update({f"{prefix}-TOTAL_FORMS": 0, f"{prefix}-INITIAL_FORMS": 0})
    return {**data, **changes}


def test_an_admin_change_without_a_reason_is_refused_in_japanese(admin_client):
    item = PriorityItem.objects.get(code="1-1")
    url = f"/admin/priorities/priorityitem/{item.pk}/change/"
    response = admin_client.post(url, _item_data(item, title="新しい題名"))
    assert response.status_code == 200
    assert "このフィールドは必須です" in response.content.decode()
    item.refresh_from_db()
    assert item.title != "新しい題名"


def test_the_reason_is_kept_in_the_history(admin_client):
    item = PriorityItem.objects.get(code="1-1")
    url = f"/admin/priorities/priorityitem/{item.pk}/change/"
    data = _item_data(item, title="新しい題名", change_reason="計画書の誤記を訂正")
    assert admin_client.post(url, data).status_code == 302
    latest = item.history.latest()
    assert (latest.title, latest.history_change_reason) == ("新しい題名", "計画書の誤記を訂正")
    assert latest.history_user.username == "root"
