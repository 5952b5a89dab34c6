"""core.audit: who/what/where of every write; sensitive values never in clear; append-only at every level."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import RequestFactory

from gongjian.accounts.choices import Role
from gongjian.core import audit, pii
from gongjian.core.middleware import _current, bind_request_context
from gongjian.core.models import AuditEvent
from gongjian.testing import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def request_context():
    req = RequestFactory().get("/x", REMOTE_ADDR="10.1.2.3", HTTP_USER_AGENT="TestAgent/1.0", HTTP_X_REQUEST_ID="req-12345678")
    token = bind_request_context(req)
    yield req
    _current.reset(token)


def test_record_writes_actor_target_context_and_changes(tree, request_context):
    actor = factories.user(Role.DISTRICT_ADMIN, region=tree.erqi, username="erqi_admin")
    event = audit.record(actor=actor, verb="region.update", target=tree.comm_a1, changes={"name": {"before": "甲", "after": "乙"}})
    event.refresh_from_db()
    assert event.actor_id == actor.pk and event.actor_label == "erqi_admin"
    assert event.verb == "region.update"
    assert event.target_type == "regions.region" and event.target_id == str(tree.comm_a1.pk)
    assert event.target_label == str(tree.comm_a1)
    assert event.region_path == tree.comm_a1.path  # taken from the target's path
    assert event.ip == "10.1.2.3" and event.user_agent == "TestAgent/1.0" and event.request_id == "req-12345678"
    assert event.changes == {"name": {"before": "甲", "after": "乙"}}
    assert event.at is not None


def test_record_without_request_or_actor_is_the_system(tree):
    event = audit.record(actor=None, verb="demo.build", target=("demo", "small"), region_path="/410100/")
    assert event.actor is None and event.actor_label == "system"
    assert event.target_type == "demo" and event.target_id == "small"
    assert event.ip is None and event.request_id == "" and event.region_path == "/410100/"


def test_record_region_path_of_record_with_region_path(tree):
    unit = factories.unit(tree.comm_b1)
    event = audit.record(actor=None, verb="unit.create", target=unit)
    assert event.region_path == tree.comm_b1.path


def test_values_are_made_json_safe(tree):
    import datetime as dt
    from decimal import Decimal

    event = audit.record(actor=None, verb="x", changes={"d": dt.date(2024, 7, 1), "n": Decimal("1.5"), "r": tree.erqi, "s": {1, 2}})
    event.refresh_from_db()
    assert event.changes["d"] == "2024-07-01" and event.changes["n"] == "1.5" and event.changes["r"] == tree.erqi.pk
    assert sorted(event.changes["s"]) == [1, 2]


def test_diff_shows_changed_fields_only_and_hides_sensitive_ones():
    before = {"name": "张三", "id_number": "410103198506150031", "phone": "13800138000", "in_service": False}
    after = {"name": "张三", "id_number": "410103198506150047", "phone": "13900139000", "in_service": True}
    d = audit.diff(before, after, sensitive={"id_number", "phone"})
    assert d == {
        "id_number": {"before": "***", "after": "***"},
        "in_service": {"before": False, "after": True},
        "phone": {"before": "***", "after": "***"},
    }


def test_sensitive_values_never_stored_in_clear_even_if_a_service_forgets(tree):
    idn = factories.new_id_number()
    enc = pii.encrypt(idn)
    event = audit.record(
        actor=None,
        verb="member.update",
        changes={
            "id_number": {"before": idn, "after": idn},
            "phone": "13800138000",
            "id_number_enc": enc,
            "id_number_hash": pii.lookup_hash(idn),
            "nested": {"password": "Secret-123456", "ok": 1},
            "rows": [{"phone": "13900139000"}],
            "home_address": "淮河路1号",
        },
        sensitive={"home_address"},
    )
    event.refresh_from_db()
    stored = str(event.changes)
    for secret in (idn, "13800138000", "13900139000", enc, pii.lookup_hash(idn), "Secret-123456", "淮河路1号"):
        assert secret not in stored
    assert event.changes["id_number"] == {"before": "***", "after": "***"}
    assert event.changes["nested"]["ok"] == 1


def test_pii_read_is_recorded(tree):
    reader = factories.user(Role.COMMUNITY_ADMIN, region=tree.comm_a1)
    org = factories.party_org(tree.comm_a1)
    m = factories.member(org)
    event = audit.record_pii_read(actor=reader, target=m, fields=["id_number"])
    assert event.verb == "pii.read" and event.changes == {"fields": ["id_number"]}
    assert event.region_path == m.region_path
    assert pii.decrypt(m.id_number_enc) not in str(event.changes)


# --- append-only -------------------------------------------------------------------------------


def _event() -> AuditEvent:
    return audit.record(actor=None, verb="test.write", target=("t", "1"), changes={"a": 1})


def test_model_refuses_update_and_delete():
    event = _event()
    event.verb = "changed"
    with pytest.raises(RuntimeError):
        event.save()
    with pytest.raises(RuntimeError):
        event.delete()
    assert AuditEvent.objects.get(pk=event.pk).verb == "test.write"


def test_queryset_update_and_delete_are_refused_by_the_database():
    event = _event()
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(verb="changed")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.filter(pk=event.pk, verb="test.write").exists()


def test_raw_sql_update_and_delete_are_refused_by_the_trigger():
    """The trigger of migration 0002, on SQLite and on PostgreSQL (run with TEST_DATABASE_URL)."""
    event = _event()
    table = AuditEvent._meta.db_table
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cur:
        cur.execute(f"UPDATE {table} SET verb = %s WHERE id = %s", ["changed", event.pk])  # noqa: S608 - constant table name
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cur:
        cur.execute(f"DELETE FROM {table} WHERE id = %s", [event.pk])  # noqa: S608
    assert AuditEvent.objects.filter(pk=event.pk, verb="test.write").exists()


def test_trigger_exists_for_this_database():
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SELECT tgname FROM pg_trigger WHERE tgrelid = 'core_auditevent'::regclass AND NOT tgisinternal")
        else:
            cur.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'core_auditevent'")
        names = {row[0] for row in cur.fetchall()}
    assert "core_audit_no_update" in names
