"""The generic import flow (core.services + core.views): upload → check → review → import all rows
or only the valid rows; nothing written on error; idempotent re-import; jobs private to their actor."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse

from gongjian.accounts.choices import Role
from gongjian.core import audit, permissions, registry, services
from gongjian.core.errors import NotFound, PermissionDenied, TransitionError, ValidationError
from gongjian.core.models import AuditEvent, ImportJob
from gongjian.core.permissions import Reach
from gongjian.core.tabular import Column, FileRejected, Importer
from gongjian.regions.choices import DepartmentKind
from gongjian.regions.models import Department, Region
from gongjian.testing import factories

pytestmark = pytest.mark.django_db

KIND = "coretest-departments"
permissions.register({"coretest.dept_import": {Role.DISTRICT_ADMIN: Reach.SCOPE}})


class DepartmentImporter(Importer):
    """Tiny importer for the tests: departments of a district, natural key = name."""

    kind = KIND
    name = "部门"
    key = "name"
    columns = (
        Column("name", "部门名称", required=True, example="二七区民政局"),
        Column("kind", "类别", required=True, example="civil_affairs"),
        Column("region", "所属区代码", required=True, example="410103"),
    )

    def prepare(self, actor: Any) -> dict[str, Any]:
        return {"regions": {r.code: r for r in Region.objects.filter(level="district")}}

    def clean_row(self, values: dict[str, str], context: dict[str, Any]) -> dict[str, Any]:
        region = context["regions"].get(values["region"])
        if region is None:
            raise ValidationError.for_field("region", "没有这个区")
        if values["kind"] not in DepartmentKind.values:
            raise ValidationError.for_field("kind", "类别不正确")
        return {"name": values["name"], "kind": values["kind"], "region": region}

    def write_row(self, data: dict[str, Any], *, actor: Any, context: dict[str, Any]) -> str:
        dept = Department.objects.filter(region=data["region"], name=data["name"]).first()
        if dept is None:
            dept = Department.objects.create(name=data["name"], kind=data["kind"], region=data["region"], region_path=data["region"].path)
            audit.record(actor=actor, verb="department.create", target=dept)
            return "created"
        if dept.kind == data["kind"]:
            return "unchanged"
        dept.kind = data["kind"]
        dept.save(update_fields=["kind", "updated_at"])
        audit.record(actor=actor, verb="department.update", target=dept)
        return "updated"


@pytest.fixture(autouse=True)
def departments_importer():
    """Registered for these tests only (at import it was listed on every later test's import pages)."""
    registry.register_importer(
        registry.ImporterDef(kind=KIND, factory=DepartmentImporter, permission="coretest.dept_import", back_url_name="core:audit_list")
    )
    yield
    registry.unregister_importer(KIND)


def _csv(rows: list[list[str]]) -> bytes:
    buf = io.StringIO()
    csv.writer(buf).writerows([["部门名称", "类别", "所属区代码"], *rows])
    return buf.getvalue().encode("utf-8")


GOOD = [["二七区财政局", "finance", "410103"], ["金水区房管局", "housing", "410105"]]
BAD = [["坏部门", "finance", "999999"], ["坏类别", "nonsense", "410103"]]


@pytest.fixture
def admin(tree):
    return factories.user(Role.DISTRICT_ADMIN, region=tree.erqi)


def _check(actor, rows, filename="d.csv"):
    return services.import_check(actor=actor, kind=KIND, upload=io.BytesIO(_csv(rows)), filename=filename)


def _names() -> set[str]:
    return set(Department.objects.values_list("name", flat=True))


def test_check_writes_nothing_but_the_job_and_its_audit(admin):
    before = _names()
    job, result = _check(admin, GOOD + BAD)
    assert _names() == before
    assert job.status == ImportJob.Status.CHECKED and job.total == 4 and job.error_rows == 2
    assert result.total == 4 and len(result.valid) == 2
    assert AuditEvent.objects.filter(verb="import.check", target_id=str(job.pk), actor=admin).exists()


def test_apply_all_with_errors_writes_nothing(admin):
    before = _names()
    job, _r = _check(admin, GOOD + BAD)
    with pytest.raises(ValidationError):
        services.import_apply(actor=admin, token=job.token, mode="all")
    assert _names() == before
    job.refresh_from_db()
    assert job.status == ImportJob.Status.CHECKED  # the user may still choose the valid rows


def test_apply_valid_rows_only(admin):
    job, _r = _check(admin, GOOD + BAD)
    outcome = services.import_apply(actor=admin, token=job.token, mode="valid")
    assert outcome.as_dict() == {"created": 2, "updated": 0, "unchanged": 0, "skipped": 2}
    assert {"二七区财政局", "金水区房管局"} <= _names() and "坏部门" not in _names()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.APPLIED and job.outcome["mode"] == "valid"
    assert AuditEvent.objects.filter(verb="department.create").count() == 2
    assert AuditEvent.objects.filter(verb="import.apply", target_id=str(job.pk)).exists()
    with pytest.raises(TransitionError):
        services.import_apply(actor=admin, token=job.token, mode="valid")


def test_apply_all_of_a_clean_file_and_reimport_is_idempotent(admin):
    job, _r = _check(admin, GOOD)
    assert services.import_apply(actor=admin, token=job.token, mode="all").created == 2
    count, events = Department.objects.count(), AuditEvent.objects.filter(verb__startswith="department.").count()
    job2, _r = _check(admin, GOOD)
    out = services.import_apply(actor=admin, token=job2.token, mode="all")
    assert out.as_dict() == {"created": 0, "updated": 0, "unchanged": 2, "skipped": 0}
    assert Department.objects.count() == count
    assert AuditEvent.objects.filter(verb__startswith="department.").count() == events
    job3, _r = _check(admin, [["二七区财政局", "housing", "410103"]])
    assert services.import_apply(actor=admin, token=job3.token, mode="all").updated == 1


def test_bad_mode_is_refused(admin):
    job, _r = _check(admin, GOOD)
    with pytest.raises(ValidationError):
        services.import_apply(actor=admin, token=job.token, mode="everything")
    assert "二七区财政局" not in _names()


def test_a_failing_row_rolls_back_the_whole_import(admin, monkeypatch):
    job, _r = _check(admin, GOOD)
    original = DepartmentImporter.write_row
    calls = {"n": 0}

    def flaky(self, data, *, actor, context):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("database went away")
        return original(self, data, actor=actor, context=context)

    monkeypatch.setattr(DepartmentImporter, "write_row", flaky)
    with pytest.raises(RuntimeError):
        services.import_apply(actor=admin, token=job.token, mode="all")
    assert "二七区财政局" not in _names()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.CHECKED


def test_job_belongs_to_its_actor(admin, tree):
    other = factories.user(Role.DISTRICT_ADMIN, region=tree.jinshui)
    job, _r = _check(admin, GOOD)
    with pytest.raises(NotFound):
        services.import_job_get(actor=other, token=job.token)
    with pytest.raises(NotFound):
        services.import_apply(actor=other, token=job.token, mode="all")
    with pytest.raises(NotFound):
        services.import_discard(actor=other, token=job.token)
    assert "二七区财政局" not in _names()


def test_permission_and_unknown_kind(tree):
    resident = factories.user(Role.RESIDENT, region=tree.comm_a1)
    with pytest.raises(PermissionDenied):
        _check(resident, GOOD)
    admin = factories.user(Role.DISTRICT_ADMIN, region=tree.erqi)
    with pytest.raises(NotFound):
        services.import_check(actor=admin, kind="no-such-list", upload=io.BytesIO(b"a"), filename="a.csv")


@override_settings(GONGJIAN_IMPORT_MAX_BYTES=64)
def test_size_limit_before_reading_everything(admin):
    with pytest.raises(FileRejected):
        _check(admin, GOOD * 10)
    upload = SimpleUploadedFile("big.csv", b"x" * 65)
    with pytest.raises(FileRejected):
        services.import_check(actor=admin, kind=KIND, upload=upload, filename="big.csv")
    assert not ImportJob.objects.exists()


def test_discard(admin):
    job, _r = _check(admin, GOOD)
    services.import_discard(actor=admin, token=job.token)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DISCARDED
    with pytest.raises(TransitionError):
        services.import_apply(actor=admin, token=job.token, mode="all")


# --- pages -------------------------------------------------------------------------------------


def test_pages_full_journey(client, admin):
    client.force_login(admin)
    start = reverse("core:import_start", args=[KIND])
    page = client.get(start)
    assert page.status_code == 200 and "部门名称" in page.content.decode()
    tpl = client.get(reverse("core:import_template", args=[KIND]) + "?format=csv")
    assert tpl.status_code == 200 and tpl.content.decode("utf-8-sig").startswith("部门名称*,类别*,所属区代码*")
    resp = client.post(start, {"file": SimpleUploadedFile("d.csv", _csv(GOOD + BAD), content_type="text/csv")})
    assert resp.status_code == 302
    job = ImportJob.objects.get(actor=admin)
    review = client.get(resp["Location"])
    body = review.content.decode()
    assert review.status_code == 200 and 'id="import-errors"' in body and "没有这个区" in body and "类别不正确" in body
    errors = client.get(reverse("core:import_errors", args=[KIND, job.token]) + "?format=csv")
    lines = list(csv.reader(io.StringIO(errors.content.decode("utf-8-sig"))))
    assert lines[1:] == [["4", "所属区代码", "没有这个区"], ["5", "类别", "类别不正确"]]
    apply_url = reverse("core:import_apply", args=[KIND, job.token])
    refused = client.post(apply_url, {"action": "apply", "mode": "all"})
    assert refused.status_code == 400 and "二七区财政局" not in _names()
    done = client.post(apply_url, {"action": "apply", "mode": "valid"})
    assert done.status_code == 200 and 'id="import-outcome"' in done.content.decode()
    assert {"二七区财政局", "金水区房管局"} <= _names()


def test_pages_refuse_bad_files_next_to_the_field(client, admin):
    client.force_login(admin)
    start = reverse("core:import_start", args=[KIND])
    resp = client.post(start, {"file": SimpleUploadedFile("a.pdf", b"%PDF-1.4 ...", content_type="application/pdf")})
    assert resp.status_code == 400 and 'data-error-for="file"' in resp.content.decode() and "PDF" in resp.content.decode()
    resp = client.post(start, {})
    assert resp.status_code == 400 and 'data-error-for="file"' in resp.content.decode()
    assert not ImportJob.objects.exists()


def test_pages_of_another_actors_job_are_404(client, admin, tree):
    job, _r = _check(admin, GOOD)
    other = factories.user(Role.DISTRICT_ADMIN, region=tree.jinshui)
    client.force_login(other)
    for name in ("core:import_review", "core:import_errors"):
        assert client.get(reverse(name, args=[KIND, job.token])).status_code == 404
    assert client.post(reverse("core:import_apply", args=[KIND, job.token]), {"action": "apply", "mode": "valid"}).status_code == 404
    assert client.post(reverse("core:import_apply", args=[KIND, job.token]), {"action": "discard"}).status_code == 404
    assert "二七区财政局" not in _names()


def test_pages_without_permission_or_unknown_kind_are_404(client, tree):
    client.force_login(factories.user(Role.RESIDENT, region=tree.comm_a1))
    assert client.get(reverse("core:import_start", args=[KIND])).status_code == 404
    client.force_login(factories.user(Role.DISTRICT_ADMIN, region=tree.erqi))
    assert client.get(reverse("core:import_start", args=["no-such-list"])).status_code == 404


def test_pages_need_sign_in(client):
    resp = client.get(reverse("core:import_start", args=[KIND]))
    assert resp.status_code == 302 and reverse("accounts:login") in resp["Location"]
