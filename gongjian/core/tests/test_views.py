"""Core pages: health check, the audit page (permission, scope, filters, pagination), request context."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from gongjian.accounts.choices import Role
from gongjian.core import audit
from gongjian.core.middleware import current_request_context
from gongjian.core.models import AuditEvent
from gongjian.core.tests.test_imports import departments_importer  # noqa: F401 - the fixture, used by name
from gongjian.testing import factories

pytestmark = pytest.mark.django_db
URL = "/audit/"


def test_healthz_reports_the_database(client):
    resp = client.get("/healthz")
    assert resp.status_code == 200
    assert resp.json()["status"] == "ok" and resp.json()["database"] in {"sqlite", "postgresql"}


def test_healthz_answers_503_when_the_database_is_down(client, monkeypatch):
    from django.db import DatabaseError, connection

    def broken(*a, **kw):
        raise DatabaseError("down")

    monkeypatch.setattr(connection, "cursor", broken)
    resp = client.get("/healthz")
    assert resp.status_code == 503 and resp.json()["status"] == "error"


@pytest.fixture
def events(tree):
    erqi_actor = factories.user(Role.COMMUNITY_ADMIN, region=tree.comm_a1, username="huaihe_sec")
    jinshui_actor = factories.user(Role.COMMUNITY_ADMIN, region=tree.comm_b1, username="gongxiao_sec")
    e1 = audit.record(actor=erqi_actor, verb="member.create", target=tree.comm_a1)
    e2 = audit.record(actor=erqi_actor, verb="member.update", target=tree.comm_a2, changes={"name": {"before": "<b>旧</b>", "after": "新"}})
    e3 = audit.record(actor=jinshui_actor, verb="unit.create", target=tree.comm_b1)
    e4 = audit.record(actor=None, verb="demo.build", target=("demo", "small"))  # no region: only the superuser sees it
    return e1, e2, e3, e4


def _ids(resp) -> set[int]:
    return {e.pk for e in resp.context["page"].object_list}


def test_audit_page_needs_sign_in_and_permission(client, tree, events):
    resp = client.get(URL)
    assert resp.status_code == 302
    for role, region in ((Role.COMMUNITY_ADMIN, tree.comm_a1), (Role.MEMBER, tree.comm_a1), (Role.RESIDENT, tree.comm_a1)):
        client.force_login(factories.user(role, region=region))
        assert client.get(URL).status_code == 403


def test_district_admin_sees_only_its_region(client, tree, events):
    e1, e2, _e3, _e4 = events
    client.force_login(factories.user(Role.DISTRICT_ADMIN, region=tree.erqi))
    resp = client.get(URL)
    assert resp.status_code == 200
    assert _ids(resp) == {e1.pk, e2.pk}
    body = resp.content.decode()
    assert "huaihe_sec" in body and "gongxiao_sec" not in body
    assert "<b>旧</b>" not in body and "&lt;b&gt;旧&lt;/b&gt;" in body  # user text is escaped


def test_subdistrict_admin_and_superuser(client, tree, events):
    e1, e2, e3, e4 = events
    client.force_login(factories.user(Role.SUBDISTRICT_ADMIN, region=tree.sub_b))
    assert _ids(client.get(URL)) == {e3.pk}
    client.force_login(factories.user(is_superuser=True))
    assert {e1.pk, e2.pk, e3.pk, e4.pk} <= _ids(client.get(URL))


def test_filters(client, tree, events):
    e1, e2, e3, _e4 = events
    client.force_login(factories.user(Role.CITY_ADMIN, region=tree.city))
    assert _ids(client.get(URL, {"actor": "HUAIHE"})) == {e1.pk, e2.pk}
    assert _ids(client.get(URL, {"verb": "member."})) == {e1.pk, e2.pk}
    assert _ids(client.get(URL, {"verb": "member.update"})) == {e2.pk}
    assert _ids(client.get(URL, {"target_type": "regions.region", "target_id": str(tree.comm_b1.pk)})) == {e3.pk}
    today = timezone.localdate()
    assert _ids(client.get(URL, {"start": today.isoformat(), "end": today.isoformat()})) == {e1.pk, e2.pk, e3.pk}
    assert _ids(client.get(URL, {"start": (today + dt.timedelta(days=1)).isoformat()})) == set()
    assert _ids(client.get(URL, {"end": (today - dt.timedelta(days=1)).isoformat()})) == set()
    # impossible or garbage dates are ignored, not a server error
    for bad in ("2024-02-30", "yesterday", "2024-13-01"):
        resp = client.get(URL, {"start": bad, "end": bad})
        assert resp.status_code == 200 and _ids(resp) == {e1.pk, e2.pk, e3.pk}
    empty = client.get(URL, {"actor": "nobody-like-this"})
    assert empty.status_code == 200 and "没有符合条件的审计记录" in empty.content.decode()


def test_pagination_with_a_fixed_number_of_queries(client, tree, django_assert_max_num_queries):
    actor = factories.user(Role.COMMUNITY_ADMIN, region=tree.comm_a1)
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(actor=actor, actor_label=actor.username, verb="x.y", target_type="t", target_id=str(i), region_path=tree.comm_a1.path)
            for i in range(130)
        ]
    )
    client.force_login(factories.user(Role.DISTRICT_ADMIN, region=tree.erqi))
    first = client.get(URL)
    assert len(first.context["page"].object_list) == 50 and first.context["page"].paginator.count == 130
    last = client.get(URL, {"page": 3})
    assert len(last.context["page"].object_list) == 30
    assert client.get(URL, {"page": 99}).context["page"].number == 3
    assert client.get(URL, {"page": "abc"}).context["page"].number == 1
    with django_assert_max_num_queries(12):
        client.get(URL, {"size": 100})
    with django_assert_max_num_queries(12):
        client.get(URL, {"size": 20})


def test_requests_carry_a_request_id_and_the_audit_uses_it(client, tree):
    resp = client.get("/healthz", HTTP_X_REQUEST_ID="trace-abc-123")
    assert resp["X-Request-ID"] == "trace-abc-123"
    generated = client.get("/healthz", HTTP_X_REQUEST_ID="bad id with spaces")["X-Request-ID"]
    assert len(generated) == 36 and generated != "bad id with spaces"
    assert current_request_context() is None  # reset after the request


@pytest.mark.usefixtures("departments_importer")
def test_import_check_audit_carries_ip_and_request_id(client, tree):
    """A write made during a request records the request's address, agent and id."""
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile

    from . import test_imports

    admin = factories.user(Role.DISTRICT_ADMIN, region=tree.erqi)
    client.force_login(admin)
    data = test_imports._csv(test_imports.GOOD)
    resp = client.post(
        f"/imports/{test_imports.KIND}/",
        {"file": SimpleUploadedFile("d.csv", io.BytesIO(data).getvalue())},
        REMOTE_ADDR="192.0.2.7",
        HTTP_USER_AGENT="Firefox",
        HTTP_X_REQUEST_ID="req-import-0001",
    )
    assert resp.status_code == 302
    event = AuditEvent.objects.get(verb="import.check")
    assert (event.ip, event.user_agent, event.request_id, event.actor_id) == ("192.0.2.7", "Firefox", "req-import-0001", admin.pk)


def test_forwarded_for_is_ignored_in_embedded_mode(client, tree, settings):
    from django.test import RequestFactory

    from gongjian.core.middleware import client_ip

    req = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4")
    settings.PRODUCTION = False
    assert client_ip(req) == "10.0.0.1"
    settings.PRODUCTION = True
    settings.GONGJIAN_PROXY_COUNT = 1
    assert client_ip(req) == "1.2.3.4"
    spoofed = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 1.2.3.4")
    assert client_ip(spoofed) == "1.2.3.4"  # the client's own entry is not trusted
    garbage = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="not-an-ip")
    assert client_ip(garbage) == "10.0.0.1"


def test_embedded_mode_serves_static_files_without_collectstatic(client, settings, tmp_path):
    """whitenoise reads the apps' and node_modules' files directly (WHITENOISE_USE_FINDERS)."""
    settings.STATIC_ROOT = tmp_path / "never-collected"
    resp = client.get("/static/gongjian/app.css")
    assert resp.status_code == 200 and b"table-responsive-stack" in b"".join(resp.streaming_content)
