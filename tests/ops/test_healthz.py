import pytest

pytestmark = pytest.mark.django_db


def test_healthz_reports_ok_with_database_reachable(client, settings):
    settings.CELERY_BROKER_URL = "filesystem://"

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "broker": "not configured",
        "cache": "not configured",
        "scheduler_last_run": None,
    }


def test_healthz_is_503_when_the_broker_is_unreachable(client, settings):
    # Port 9 on loopback: nothing listens there, so the connection is refused at once.
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:9/0"

    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["database"] == "ok"
    assert body["broker"] == "error: ConnectionError"


@pytest.mark.redis
def test_healthz_checks_a_real_redis_broker(client, settings):
    import os

    settings.CELERY_BROKER_URL = os.environ["REDIS_URL"]

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json()["broker"] == "ok"


def test_healthz_refuses_post(client):
    assert client.post("/healthz").status_code == 405
