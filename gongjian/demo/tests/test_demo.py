"""The demo city (small scale): seed places with their real codes, valid identifiers, one account
per role, the accounts file, determinism for a seed, reset, the step registry, production refusal."""

from __future__ import annotations

import datetime as dt
import io
import json
from collections import Counter
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from stdnum.cn import ric, uscc

from gongjian.accounts import services as account_services
from gongjian.accounts.choices import Role
from gongjian.accounts.models import Scope, User
from gongjian.core import pii
from gongjian.core.errors import ValidationError
from gongjian.core.models import AuditEvent
from gongjian.demo import build as demo_build
from gongjian.demo import city
from gongjian.demo.steps import DemoContext, register_step, registered_steps, run_steps, unregister_step
from gongjian.orgs.models import Member, PartyOrg, Policy, ResidentUnit
from gongjian.regions.models import DelegatedPower, Department, GovernanceCommittee, Office, OfficeTemplate, Region, StaffQuota

SEED_PLACES = {
    "410100": "郑州市",
    "410102": "中原区",
    "410103": "二七区",
    "410104": "管城回族区",
    "410105": "金水区",
    "410103001000": "淮河路街道",
    "410103001001": "淮河社区",
    "410103001014": "路砦社区",
    "410105002000": "花园路街道",
    "410105002003": "省供销社社区",
    "410105002012": "通信花园社区",
    "410104008000": "紫荆山南路街道",
}


@pytest.fixture
def var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    return tmp_path


@pytest.fixture
def small(db, var_dir):
    return demo_build.build(scale="small", seed=11, out=lambda _s: None)


def test_seed_places_exist_with_real_codes(small):
    regions = {r.code: r for r in Region.objects.all()}
    for code, name in SEED_PLACES.items():
        assert regions[code].name == name
    xinwan = Region.objects.get(name="馨湾社区")
    csv_codes = {row["code"] for row in city.read_divisions()}
    assert xinwan.parent is not None and xinwan.parent.code == "410104008000"
    assert len(xinwan.code) == 12 and xinwan.code.startswith("410104008") and xinwan.code not in csv_codes
    assert xinwan.level == "community" and xinwan.kind == "community"
    assert Region.objects.filter(code__in=csv_codes).count() == Region.objects.count() - 1


def test_tree_paths_depths_and_org_paths_are_consistent(small):
    by_id = {r.id: r for r in Region.objects.all()}
    for r in by_id.values():
        parent = by_id.get(r.parent_id) if r.parent_id else None
        assert r.path == (parent.path if parent else "/") + r.code + "/"
        assert r.depth == r.path.count("/") - 2
        assert r.full_name == (parent.full_name if parent else "") + r.name
        assert len(r.code) == (6 if r.level in ("city", "district") else 12)
    orgs = {o.id: o for o in PartyOrg.objects.all()}
    for o in orgs.values():
        parent_org = orgs.get(o.parent_id) if o.parent_id else None
        assert o.org_path == (parent_org.org_path if parent_org else "/") + f"{o.id}/"
        assert o.region_path == by_id[o.region_id].path
    for m in Member.objects.select_related("org", "home_community"):
        assert m.region_path == m.org.region_path
        assert m.home_path == (m.home_community.path if m.home_community else "")
    assert not PartyOrg.objects.filter(rank="branch", secretary__isnull=True).exists()
    assert all(o.secretary is not None and o.secretary.org_id == o.id for o in PartyOrg.objects.filter(rank="branch").select_related("secretary"))


def test_identifiers_are_valid_and_encrypted(small):
    members = list(Member.objects.all())
    assert 300 <= len(members) <= 1000  # "a few hundred members"
    seen = set()
    for m in members:
        idn = pii.decrypt(m.id_number_enc)
        assert ric.is_valid(idn), idn
        assert m.id_number_hash == pii.lookup_hash(idn)
        assert m.birth_date == ric.get_birth_date(idn)
        assert m.gender == pii.gender_from_id_number(idn)
        phone = pii.decrypt(m.phone_enc)
        assert pii.normalize_phone(phone) == phone and m.phone_hash == pii.lookup_hash(phone)
        assert idn not in m.id_number_enc
        seen.add(idn)
    assert len(seen) == len(members)
    units = list(ResidentUnit.objects.all())
    assert len({u.uscc for u in units}) == len(units)
    for u in units:
        assert uscc.is_valid(u.uscc), u.uscc
        assert pii.normalize_uscc(u.uscc) == u.uscc
    kinds = Counter(u.kind for u in units)
    assert {"organ", "provincial", "soe", "bank", "school", "hospital", "enterprise", "social_org"} <= set(kinds)
    assert kinds["organ"] + kinds["provincial"] == city.ORGAN_UNITS["small"]
    in_service = [m for m in members if m.in_service]
    assert len(in_service) == city.IN_SERVICE_MEMBERS["small"]
    assert all(m.home_community_id and m.employer_unit_id for m in in_service)


def test_structure_departments_committees_offices_quotas_powers(small):
    districts = Region.objects.filter(level="district")
    assert Department.objects.filter(name="二七区民政局", region__code="410103", kind="civil_affairs").exists()
    for d in districts:
        kinds = set(Department.objects.filter(region=d).values_list("kind", flat=True))
        assert {"civil_affairs", "finance", "urban_construction", "human_resources", "housing"} <= kinds
        gc = GovernanceCommittee.objects.get(region=d)
        assert gc.region_path == d.path
        assert sorted(gc.departments.values_list("kind", flat=True)) == sorted(city.names.COMMITTEE_KINDS)
    subdistricts = Region.objects.filter(level="subdistrict", kind="subdistrict")
    templates = OfficeTemplate.objects.filter(is_active=True).count()
    assert templates == 10
    assert Office.objects.count() == templates * subdistricts.count()
    assert sum(StaffQuota.objects.values_list("count", flat=True)) == 18 * subdistricts.count()
    assert DelegatedPower.objects.count() == 6
    assert Policy.objects.count() >= 5 and not Policy.objects.filter(search_tokens="").exists()
    assert Policy.objects.filter(role="framework").exists()


def test_city_quota_split_totals_2157():
    weights = [1.0 + (i % 17) for i in range(121)]
    parts = city._largest_remainder(2157, weights)
    assert sum(parts) == 2157 and min(parts) >= 1


def test_one_account_per_role_and_accounts_file(small, var_dir):
    data = json.loads((var_dir / "demo-accounts.json").read_text(encoding="utf-8"))
    assert isinstance(data, list) and all(set(row) == {"role", "username", "password", "scope_code"} for row in data)
    assert {row["role"] for row in data} == set(Role.values)
    community_codes = {row["scope_code"] for row in data if row["role"] == "community_admin"}
    xinwan = Region.objects.get(name="馨湾社区").code
    assert community_codes == {"410103001001", "410103001014", "410105002003", "410105002012", xinwan}
    for row in data:
        assert row["password"].startswith("Demo-")
        user = User.objects.get(username=row["username"])
        assert user.check_password(row["password"])
        scope = Scope.objects.get(user=user, is_active=True)
        assert scope.role == row["role"]
        if scope.region:
            target_code = scope.region.code
        elif scope.unit:
            target_code = scope.unit.uscc
        else:
            assert scope.department is not None
            target_code = scope.department.region.code
        assert target_code == row["scope_code"]
    by_role = {row["role"]: row for row in data}
    assert by_role["city_admin"]["scope_code"] == "410100"
    assert by_role["district_admin"]["scope_code"] == "410103"
    assert by_role["subdistrict_admin"]["scope_code"] == "410103001000"
    member = Member.objects.get(user__username=by_role["member"]["username"])
    # an in-service member living in 淮河社区 (his branch is his employer's): the one who reports in there (双报到)
    assert member.in_service and member.home_path == Region.objects.get(code="410103001001").path
    liaison_scope = Scope.objects.get(user__username=by_role["unit_liaison"]["username"])
    unit = liaison_scope.unit
    assert unit is not None and unit.liaison is not None
    assert unit.kind == "provincial" and unit.liaison.username == by_role["unit_liaison"]["username"]
    dept_scope = Scope.objects.get(user__username=by_role["department_handler"]["username"])
    assert dept_scope.department is not None and dept_scope.department.name == "二七区民政局"


def test_one_audit_event_for_the_build(small):
    events = AuditEvent.objects.filter(verb="demo.build")
    assert events.count() == 1
    assert events.get().changes["rows"]["orgs.Member"] == Member.objects.count()


def _fingerprint() -> dict:
    return {
        "counts": {m.__name__: m.objects.count() for m in (Region, ResidentUnit, PartyOrg, Member, Department, Office, StaffQuota, Policy)},
        "members": list(Member.objects.order_by("id").values_list("name", "gender", "birth_date", "id_number_hash")[:40]),
        "units": list(ResidentUnit.objects.order_by("id").values_list("name", "uscc", "kind")),
        "orgs": list(PartyOrg.objects.order_by("id").values_list("name", "rank", "region_path")[:80]),
        "xinwan": Region.objects.get(name="馨湾社区").code,
    }


def test_refuses_to_build_over_data_and_reset_is_deterministic(small, var_dir):
    first = _fingerprint()
    with pytest.raises(demo_build.DemoError):
        demo_build.build(scale="small", seed=11, out=lambda _s: None)
    demo_build.build(scale="small", seed=11, do_reset=True, out=lambda _s: None)
    assert _fingerprint() == first
    assert set(User.objects.filter(is_active=True).values_list("username", flat=True)) == set(city.DEMO_USERNAMES)
    assert AuditEvent.objects.filter(verb="demo.build").count() == 2  # audit events stay
    demo_build.build(scale="small", seed=12, do_reset=True, out=lambda _s: None)
    other = _fingerprint()
    assert other["counts"]["Region"] == first["counts"]["Region"]
    assert other["members"] != first["members"]


def test_reset_retires_demo_accounts_that_acted(small):
    user = User.objects.get(username="demo_city_admin")
    AuditEvent.objects.create(actor=user, actor_label=user.username, verb="test.act", target_type="x")
    demo_build.build(scale="small", seed=11, do_reset=True, out=lambda _s: None)
    assert User.objects.filter(username__startswith="demo_city_admin.retired.", is_active=False).count() == 1
    assert User.objects.get(username="demo_city_admin").is_active


def test_command_prints_accounts_and_refuses_second_run(db, var_dir):
    buf = io.StringIO()
    call_command("demo", "--scale", "small", "--seed", "5", "--no-migrate", stdout=buf)
    text = buf.getvalue()
    for username in city.DEMO_USERNAMES:
        assert username in text
    assert "orgs.Member" in text and (var_dir / "demo-accounts.json").exists()
    with pytest.raises(CommandError):
        call_command("demo", "--scale", "small", "--no-migrate", stdout=io.StringIO())


def test_demo_passwords_refused_in_production(db, settings, var_dir):
    settings.PRODUCTION = True
    with pytest.raises(ValidationError):
        account_services.user_create(actor=None, username="x_demo", password="Demo-abcdefgh12", validate=False)
    with pytest.raises(ValidationError):
        account_services.user_create(actor=None, username="x_demo2", password="Demo-abcdefgh12")
    assert not User.objects.filter(username__startswith="x_demo").exists()
    with pytest.raises(demo_build.DemoError):
        demo_build.build(scale="small", seed=1, out=lambda _s: None)
    assert not Region.objects.exists()


def test_registered_steps_run_in_order_and_report_rows(db):
    keys = [s.key for s in registered_steps()]
    assert keys[:5] == ["regions", "regions.structure", "orgs.units", "orgs.members", "orgs.policies"]
    seen: list[str] = []

    def late(ctx: DemoContext) -> None:
        seen.append("late")
        ctx.bulk(Region, [Region(id=ctx.new_id(Region), code="419900", name="测试市", level="city", kind="city", path="/419900/")])

    def early(ctx: DemoContext) -> None:
        seen.append("early")

    register_step("test.late", 9_002, late, models=[Region])
    register_step("test.early", 9_001, early)
    try:
        ctx = DemoContext(seed=1, scale="small", out=lambda _s: None)
        steps = [s for s in registered_steps() if s.key.startswith("test.")]
        report = run_steps(ctx, steps)
        assert seen == ["early", "late"]
        assert report[1][0] == "test.late" and report[1][2] == {"regions.Region": 1}
        assert ctx.rng_for("a").random() == DemoContext(seed=1, scale="city").rng_for("a").random()
    finally:
        unregister_step("test.late")
        unregister_step("test.early")
    assert "test.late" not in [s.key for s in registered_steps()]


def test_build_leaves_planner_statistics(small):
    """The first list pages after a build must not plan with empty statistics (see build.analyze)."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'orgs_member'")
            assert cursor.fetchone()[0] >= Member.objects.count() * 0.9
        else:
            cursor.execute("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'orgs_member'")
            assert cursor.fetchone()[0] > 0


def test_community_branches_have_at_least_three_members(small):
    from django.db.models import Count

    branches = PartyOrg.objects.filter(rank="branch", sector="community").annotate(n=Count("members"))
    assert branches.exists()
    assert min(b.n for b in branches) >= 3


def test_seed_communities_host_resident_units(small):
    from gongjian.demo.city import SEED_COMMUNITIES

    for code in SEED_COMMUNITIES.values():
        assert ResidentUnit.objects.filter(region__code=code).exists(), code


@pytest.mark.django_db(transaction=True)
def test_statistics_refresh_vacuums_on_postgresql_outside_a_transaction():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from gongjian.demo.build import analyze

    with CaptureQueriesContext(connection) as ctx:
        analyze()
    expected = "VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE"
    assert [q["sql"] for q in ctx.captured_queries] == [expected]


def _values(obj: Any, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    return {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields if f.attname not in skip}


def test_make_builds_what_the_model_builds(db):
    ctx = DemoContext(seed=1, scale="small", out=lambda _s: None)
    city_region = Region(id=7, code="419900", name="测试市", level="city", kind="city", path="/419900/")
    fields = {"id": 8, "code": "419901", "name": "测试区", "level": "district", "kind": "district", "path": "/419900/419901/"}
    made, built = ctx.make(Region, parent=city_region, **fields), Region(parent=city_region, **fields)
    assert _values(made) == _values(built) and made.parent_id == 7 and made.depth == 0 and made.is_active
    assert (made._state.adding, made._state.db) == (built._state.adding, built._state.db) and made.parent is city_region
    power = ctx.make(DelegatedPower, region_id=7, name="x")
    assert _values(power) == _values(DelegatedPower(region_id=7, name="x")) and power.pk is None
    with pytest.raises(TypeError):
        ctx.make(Region, colour="red")


def test_bulk_writes_what_bulk_create_writes(db):
    """On PostgreSQL ``ctx.bulk`` writes with COPY: the rows read back are those bulk_create writes."""
    ctx = DemoContext(seed=1, scale="small", out=lambda _s: None)
    ids = ctx.new_ids(Region, 3)
    top = ctx.make(Region, id=ids[0], code="419900", name="测试市", level="city", kind="city", path="/419900/", full_name="测试市")
    ctx.bulk(Region, [top])
    fields = {"name": "测试区", "level": "district", "kind": "district", "depth": 1, "full_name": "测试市测试区\t\"a\\b\"\n"}
    ctx.bulk(Region, [ctx.make(Region, id=ids[1], code="419901", path="/419900/419901/", parent=top, **fields)])
    Region.objects.bulk_create([Region(id=ids[2], code="419902", path="/419900/419902/", parent=top, **fields)])
    copied, created = Region.objects.get(id=ids[1]), Region.objects.get(id=ids[2])
    skip = ("id", "code", "path", "created_at", "updated_at")
    assert _values(copied, skip) == _values(created, skip) and copied.parent_id == top.id
    assert copied.created_at is not None and abs((copied.created_at - created.created_at).total_seconds()) < 60
    # rows without a primary key get one from the sequence; dates and empty values as given
    written = ctx.bulk(DelegatedPower, [ctx.make(DelegatedPower, region_id=top.id, region_path=top.path, name=f"p{i}", legal_basis="",
                                                 effective_on=dt.date(2019, 6, 1) if i else None) for i in range(2)])
    assert written == 2 and ctx.counts["regions.DelegatedPower"] == 2 and ctx.counts["regions.Region"] == 2
    powers = list(DelegatedPower.objects.order_by("name"))
    assert [p.effective_on for p in powers] == [None, dt.date(2019, 6, 1)] and all(p.pk and p.is_active for p in powers)
