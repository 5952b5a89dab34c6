import pytest
from django.urls import reverse


@pytest.mark.django_db
def test_health_and_login_redirect(client):
    assert client.get("/healthz").status_code == 200
    resp = client.get("/")
    assert resp.status_code == 302
    assert reverse("accounts:login") in resp["Location"]
