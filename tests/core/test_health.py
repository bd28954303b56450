import pytest

pytestmark = pytest.mark.django_db


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_readyz_checks_database_and_queue(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "task_queue": "ok"}


def test_request_id_is_echoed_or_generated(client):
    kept = client.get("/healthz", headers={"X-Request-ID": "abcdef123456"})
    assert kept["X-Request-ID"] == "abcdef123456"
    generated = client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})
    assert generated["X-Request-ID"] != "bad id with spaces" and len(generated["X-Request-ID"]) == 32


def test_metrics_are_exposed_for_prometheus(client):
    client.get("/healthz")
    body = client.get("/metrics").content.decode()
    assert "django_http_requests_total_by_view_transport_method_total" in body


def test_metrics_are_refused_to_other_addresses(client, settings):
    settings.METRICS_ALLOWED_ADDRESSES = ["10.0.0.5"]
    response = client.get("/metrics")
    assert response.status_code == 403 and b"django_http" not in response.content
    assert client.get("/metrics", REMOTE_ADDR="10.0.0.5").status_code == 200
