"""/healthz: 200 while the database answers, 503 when it does not; plain, uncached, cookieless."""

import pytest
from django.db import OperationalError, connections

pytestmark = pytest.mark.django_db


def test_it_answers_ok_when_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok\n"
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert "no-cache" in response["Cache-Control"]
    assert not response.cookies
    assert "Cookie" not in response.get("Vary", "")


def test_a_head_request_is_answered_too(client):
    assert client.head("/healthz").status_code == 200


def test_it_answers_503_when_the_database_does_not(client, monkeypatch, caplog):
    def unreachable(*args, **kwargs):
        raise OperationalError('connection to server at "127.0.0.1", port 5432 failed')

    monkeypatch.setattr(connections["default"], "cursor", unreachable)
    client.raise_request_exception = False
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert "データベースに接続できません" in response.content.decode()
    assert not response.cookies
    assert "port 5432 failed" in caplog.text


def test_it_answers_503_when_the_query_fails(client, monkeypatch):
    class BrokenCursor:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def execute(self, sql, params=None):
            raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(connections["default"], "cursor", BrokenCursor)
    assert client.get("/healthz").status_code == 503


def test_it_only_reads(client):
    assert client.post("/healthz").status_code == 405
