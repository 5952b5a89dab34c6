"""core.kernel.audited_save: the one audited save every service writes through."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction

from gongjian.core import registry
from gongjian.core.errors import Conflict, ValidationError
from gongjian.core.kernel import audited_save, snapshot
from gongjian.core.models import AuditEvent
from gongjian.regions.models import Department
from gongjian.testing import factories as f

pytestmark = pytest.mark.django_db


def _events(verb: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(verb=verb).order_by("id"))


def test_a_new_record_is_audited_with_every_value_it_has() -> None:
    t = f.tree()
    d = Department(region=t.erqi, region_path=t.erqi.path, name="二七区城管局", kind="other")
    diff = audited_save(d, actor=None, verb="test.dept.create", fields=["name", "kind", "region"])
    assert d.pk is not None
    assert diff == {"kind": {"before": None, "after": "other"}, "name": {"before": None, "after": "二七区城管局"},
                    "region": {"before": None, "after": t.erqi.pk}}
    (ev,) = _events("test.dept.create")
    assert ev.changes == diff


def test_an_update_audits_only_what_changed_and_nothing_when_nothing_did() -> None:
    t = f.tree()
    d = t.dept_erqi
    old_name = d.name
    diff = audited_save(d, actor=None, verb="test.dept.update", changes={"name": "二七区民政局（新）", "phone": d.phone})
    assert diff == {"name": {"before": old_name, "after": "二七区民政局（新）"}}
    d.refresh_from_db()
    assert d.name == "二七区民政局（新）"
    assert audited_save(d, actor=None, verb="test.dept.update", changes={"name": d.name}) == {}
    assert len(_events("test.dept.update")) == 1
    audited_save(d, actor=None, verb="test.dept.update", changes={"name": d.name}, always=True, extra={"reason": "x"})
    assert _events("test.dept.update")[-1].changes == {"reason": "x"}


def test_a_custom_snapshot_an_earlier_before_and_an_apply() -> None:
    t = f.tree()
    d = t.dept_erqi

    def snap(o: Any) -> dict[str, Any]:
        return {"label": f"{o.phone}:{o.name}"}

    before = snap(d)
    d.name = "改过一次"  # changed by the caller after its snapshot: still part of the diff

    def apply(o: Any, clean: dict[str, Any]) -> None:
        o.phone = clean["phone"].upper()

    diff = audited_save(d, actor=None, verb="test.dept.label", snap=snap, before=before, changes={"phone": "x-9"}, apply=apply,
                        extra={"note": 1})
    assert diff == {"label": {"before": before["label"], "after": "X-9:改过一次"}}
    assert _events("test.dept.label")[0].changes == {**diff, "note": 1}


def test_sensitive_fields_are_noted_never_shown() -> None:
    t = f.tree()
    d = t.dept_erqi
    audited_save(d, actor=None, verb="test.dept.secret", changes={"name": "秘密的名字"}, sensitive={"name"})
    (ev,) = _events("test.dept.secret")
    assert "秘密的名字" not in str(ev.changes)
    assert set(ev.changes) == {"name"}


def test_a_uniqueness_error_becomes_the_fields_error_and_the_transaction_goes_on() -> None:
    t = f.tree()
    other = Department.objects.create(region=t.erqi, region_path=t.erqi.path, name="另一个部门", phone="D-2")
    d = Department(region=t.erqi, region_path=t.erqi.path, name=other.name, phone="D-3")
    with transaction.atomic():
        with pytest.raises(ValidationError) as err:
            audited_save(d, actor=None, verb="test.dept.create", fields=["name"], unique={"name": ("name", "重名")})
        assert err.value.details == {"name": ["重名"]}
        assert Department.objects.filter(phone="D-2").exists()  # the outer transaction is usable
    assert _events("test.dept.create") == []


def test_validate_refuses_before_anything_is_written() -> None:
    t = f.tree()
    d = t.dept_erqi
    name = d.name

    def validate(o: Any) -> None:
        raise ValidationError.for_field("name", "不行")

    with pytest.raises(ValidationError):
        audited_save(d, actor=None, verb="test.dept.update", changes={"name": "新名字"}, validate=validate)
    d.refresh_from_db()
    assert d.name == name
    assert _events("test.dept.update") == []


def test_the_modules_version_moves_only_when_something_changed(django_capture_on_commit_callbacks: Any) -> None:
    t = f.tree()
    d = t.dept_erqi
    with django_capture_on_commit_callbacks(execute=True):
        v0 = registry.version("testmod")
        audited_save(d, actor=None, verb="test.dept.update", changes={"name": d.name}, module="testmod")
    assert registry.version("testmod") == v0
    with django_capture_on_commit_callbacks(execute=True):
        audited_save(d, actor=None, verb="test.dept.update", changes={"name": "又一个名字"}, module="testmod")
    assert registry.version("testmod") != v0


def test_snapshot_reads_foreign_keys_by_id() -> None:
    t = f.tree()
    assert snapshot(t.dept_erqi, ["region", "name"]) == {"region": t.erqi.pk, "name": t.dept_erqi.name}


def test_a_record_another_request_created_is_the_callers_conflict() -> None:
    t = f.tree()
    Department.objects.create(region=t.erqi, region_path=t.erqi.path, name="同名部门")
    d = Department(region=t.erqi, region_path=t.erqi.path, name="同名部门")
    with transaction.atomic():
        with pytest.raises(Conflict):
            audited_save(d, actor=None, verb="test.dept.create", fields=["name"], conflict=lambda: Conflict("已有同名部门", code="duplicate"))
        assert Department.objects.filter(name="同名部门").count() == 1
    assert _events("test.dept.create") == []
