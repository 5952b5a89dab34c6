"""A hostile tester's attempts on organisations: foreign ids in filters and writes, out-of-scope
reveals and attachments, PII in the audit log, markup and formulas in every text."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.test import Client
from openpyxl import load_workbook

from gongjian.accounts.models import ApiToken
from gongjian.core import pii
from gongjian.core.models import AuditEvent
from gongjian.orgs import services
from gongjian.orgs.models import Member
from gongjian.testing import factories as f

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def _sheet(content: bytes) -> Any:
    """The first sheet of an exported workbook."""
    return load_workbook(io.BytesIO(content)).active


def _api(user) -> Client:
    _row, raw = ApiToken.issue(user)
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}", HTTP_ACCEPT_LANGUAGE="zh-hans")


def _web(client, user) -> Client:
    client.force_login(user)
    return client


# --- foreign keys in API writes ------------------------------------------------------------------


def test_api_employer_by_id_is_limited_to_units_the_caller_sees(world):
    """Before: any unit id was accepted, and the answer and member page then showed another area's unit."""
    c = _api(world.users["community_admin"])
    idn = f.new_id_number("410103", "male", dt.date(1990, 5, 5))
    body = {"name": "赵磊", "id_number": idn, "org_id": world.org_a1.pk, "in_service": True}
    foreign = c.post("/api/v1/orgs/members", {**body, "employer_unit_id": world.unit_b.pk}, content_type="application/json")
    absent = c.post("/api/v1/orgs/members", {**body, "employer_unit_id": 987654}, content_type="application/json")
    assert foreign.status_code == absent.status_code == 400
    assert foreign.json() == absent.json()  # no oracle: another area's unit looks like no unit
    assert world.unit_b.name not in foreign.content.decode()
    assert not Member.objects.filter(id_number_hash=pii.lookup_hash(idn)).exists()
    # a unit of the caller's own area by id, any registered unit by the code the caller knows
    own = c.post("/api/v1/orgs/members", {**body, "employer_unit_id": world.unit_a.pk}, content_type="application/json")
    assert own.status_code == 201 and own.json()["employer_unit_id"] == world.unit_a.pk
    idn2 = f.new_id_number("410103", "female", dt.date(1991, 6, 6))
    by_code = c.post("/api/v1/orgs/members", {**body, "id_number": idn2, "employer_uscc": world.unit_b.uscc.lower()},
                     content_type="application/json")
    assert by_code.status_code == 201 and by_code.json()["employer_unit_id"] == world.unit_b.pk
    unknown = c.post("/api/v1/orgs/members", {**body, "id_number": idn2, "employer_uscc": "91410100MA00000000"}, content_type="application/json")
    assert unknown.status_code == 400 and "employer_uscc" in unknown.json()["details"]


def test_api_patch_employer_by_foreign_id_is_refused_but_the_current_one_is_kept(world):
    c = _api(world.users["community_admin"])
    url = f"/api/v1/orgs/members/{world.m_a1.pk}"
    resp = c.patch(url, {"employer_unit_id": world.unit_b.pk}, content_type="application/json")
    assert resp.status_code == 400 and world.unit_b.name not in resp.content.decode()
    world.m_a1.refresh_from_db()
    assert world.m_a1.employer_unit_id is None
    # an employer set by code (outside the area) survives a PATCH that sends it back unchanged
    Member.objects.filter(pk=world.m_a1.pk).update(employer_unit=world.unit_b)
    ok = c.patch(url, {"employer_unit_id": world.unit_b.pk, "name": "张伟"}, content_type="application/json")
    assert ok.status_code == 200 and ok.json()["employer_unit_id"] == world.unit_b.pk
    assert _api(world.users["community_admin"]).patch(f"/api/v1/orgs/members/{world.m_b1.pk}", {"employer_unit_id": None},
                                                      content_type="application/json").status_code == 404


def test_api_org_and_unit_writes_pointing_outside_the_area_disclose_nothing(world):
    c = _api(world.users["community_admin"])
    org = c.post("/api/v1/orgs/orgs", {"name": "新支部", "rank": "branch", "region_id": world.tree.comm_a1.pk, "sector": "community",
                                       "unit_id": world.unit_b.pk}, content_type="application/json")
    assert org.status_code == 400 and "unit" in org.json()["details"] and world.unit_b.name not in org.content.decode()
    member = c.post("/api/v1/orgs/members", {"name": "x", "id_number": f.new_id_number(), "org_id": world.org_b1.pk},
                    content_type="application/json")
    assert member.status_code == 400 and world.org_b1.name not in member.content.decode()
    unit = c.post("/api/v1/orgs/units", {"name": "u", "uscc": world.unit_b.uscc, "kind": "organ", "region_id": world.tree.comm_b1.pk},
                  content_type="application/json")
    assert unit.status_code == 400 and world.unit_b.name not in unit.content.decode()


# --- foreign ids in filters and exports ----------------------------------------------------------


@pytest.mark.parametrize("param", ["org", "home", "employer"])
def test_filters_with_another_areas_ids_show_nothing(world, client, param):
    foreign = {"org": world.org_b1.pk, "home": world.tree.comm_b1.pk, "employer": world.unit_a.pk}[param]
    admin = world.users["community_admin"]  # m_b1 works for unit_a of this community but lives and belongs elsewhere
    api = _api(admin).get("/api/v1/orgs/members", {param: foreign})
    assert api.status_code == 200 and api.json()["count"] == 0
    page = _web(client, admin).get("/orgs/members/", {param: foreign})
    assert page.status_code == 200 and world.m_b1.name not in page.content.decode()
    export = client.get("/orgs/members/export/", {param: foreign})
    rows = list(_sheet(export.content).iter_rows(values_only=True))
    assert len(rows) == 1  # the header only


def test_reveal_of_an_out_of_scope_member_is_404_everywhere(world, client):
    admin = world.users["community_admin"]
    assert _api(admin).post(f"/api/v1/orgs/members/{world.m_b1.pk}/pii", {}, content_type="application/json").status_code == 404
    assert _web(client, admin).post(f"/orgs/members/{world.m_b1.pk}/reveal/").status_code == 404
    assert not AuditEvent.objects.filter(verb="pii.read").exists()


def test_attachment_through_another_policys_url_is_404(world, client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    admin = world.users["district_admin"]
    p1 = services.policy_create(actor=admin, title="甲", level="district", issuer="二七区委", issued_on=dt.date(2024, 1, 1), body="正文",
                                region=world.tree.erqi)
    p2 = services.policy_create(actor=admin, title="乙", level="district", issuer="二七区委", issued_on=dt.date(2024, 1, 1), body="正文",
                                region=world.tree.erqi)
    att = services.policy_attachment_add(actor=admin, policy=p2, upload=io.BytesIO(b"%PDF-1.4 x"), filename="a.pdf")
    c = _web(client, world.users["resident"])
    assert c.get(f"/orgs/policies/{p1.pk}/attachments/{att.pk}/").status_code == 404
    assert c.get(f"/orgs/policies/{p2.pk}/attachments/{att.pk}/").status_code == 200


# --- personal data ---------------------------------------------------------------------------------


def test_a_full_id_number_typed_as_a_search_never_reaches_the_audit_log(world, client):
    admin = world.users["community_admin"]
    idn = pii.decrypt(world.m_a1.id_number_enc)
    resp = _web(client, admin).get("/orgs/members/export/", {"q": idn, "full": "1"})
    assert resp.status_code == 200
    resp = client.get("/orgs/members/export/", {"q": "13800001111", "full": "1"})
    event = AuditEvent.objects.filter(verb="pii.export").first()
    assert event is not None
    stored = str(list(AuditEvent.objects.values_list("changes", flat=True)))
    assert idn not in stored and "13800001111" not in stored
    assert pii.mask_id_number(idn) in stored


def test_validation_errors_never_echo_the_submitted_id_number(world):
    c = _api(world.users["community_admin"])
    idn = pii.decrypt(world.m_b1.id_number_enc)  # registered in another district
    resp = c.post("/api/v1/orgs/members", {"name": "x", "id_number": idn, "org_id": world.org_a1.pk}, content_type="application/json")
    assert resp.status_code == 400 and idn not in resp.content.decode() and world.m_b1.name not in resp.content.decode()
    typed = c.post("/api/v1/orgs/members", {"name": "x", "id_number": 410103199001010031, "org_id": "a"}, content_type="application/json")
    assert typed.status_code == 422 and "410103199001010031" not in typed.content.decode()


# --- hostile text ----------------------------------------------------------------------------------


def test_markup_in_every_text_is_escaped_on_every_page(world, client):
    admin = world.users["community_admin"]
    m = services.member_create(actor=admin, name=XSS[:64], id_number=f.new_id_number("410103", "male", dt.date(1988, 8, 8)),
                               org=world.org_a1)
    org = services.party_org_create(actor=admin, name=XSS, rank="branch", region=world.tree.comm_a1, sector="community",
                                    parent=world.committee_a.pk)
    unit = services.resident_unit_create(actor=admin, name=XSS, uscc=f.fakes.uscc_code(f._rng, area_code="410103"), kind="organ",
                                         region=world.tree.comm_a1, address=XSS, liaison_name=XSS[:64])
    c = _web(client, admin)
    for url in ("/orgs/members/", f"/orgs/members/{m.pk}/", f"/orgs/members/{m.pk}/edit/", "/orgs/", f"/orgs/{org.pk}/",
                f"/orgs/{org.pk}/edit/", "/orgs/units/", f"/orgs/units/{unit.pk}/", f"/orgs/units/{unit.pk}/edit/",
                f"/orgs/members/{m.pk}/transfer/", f"/orgs/members/{m.pk}/deactivate/", f"/orgs/{org.pk}/deactivate/"):
        resp = c.get(url)
        assert resp.status_code == 200, url
        html = resp.content.decode()
        assert "<script>alert" not in html and "<img src=x" not in html, url
    audit = _web(Client(), world.users["district_admin"]).get("/audit/")
    assert audit.status_code == 200 and "<script>alert" not in audit.content.decode()
    api = _api(admin).get(f"/api/v1/orgs/members/{m.pk}")
    assert api.json()["name"] == XSS[:64]  # JSON carries the text as data; pages escape it


def test_whitespace_and_overlong_text(world):
    c = _api(world.users["community_admin"])
    idn = f.new_id_number("410103", "male", dt.date(1987, 7, 7))
    long = c.post("/api/v1/orgs/members", {"name": "长" * 10_000, "id_number": idn, "org_id": world.org_a1.pk}, content_type="application/json")
    assert long.status_code == 400 and "name" in long.json()["details"]
    blank = c.post("/api/v1/orgs/members", {"name": " \u3000 ", "id_number": idn, "org_id": world.org_a1.pk}, content_type="application/json")
    assert blank.status_code == 400 and "name" in blank.json()["details"]
    ok = c.post("/api/v1/orgs/members", {"name": "  阿依古丽·买买提 ", "id_number": f" {idn[:6]}-{idn[6:14]}-{idn[14:].lower()} ",
                                         "org_id": world.org_a1.pk, "phone": "+86 138-0013-8000"}, content_type="application/json")
    assert ok.status_code == 201, ok.content
    assert ok.json()["name"] == "阿依古丽·买买提" and ok.json()["phone_masked"] == "138****8000"


def test_formula_looking_names_are_inert_in_exports(world, client):
    admin = world.users["community_admin"]
    evil = '=HYPERLINK("http://evil.example","点我")'
    services.member_create(actor=admin, name=evil, id_number=f.new_id_number("410103", "male", dt.date(1986, 6, 6)), org=world.org_a1)
    c = _web(client, admin)
    xlsx = c.get("/orgs/members/export/", {"q": "HYPERLINK"})
    cells = [r[0] for r in _sheet(xlsx.content).iter_rows(min_row=2, values_only=True)]
    assert cells == ["'" + evil]
    csv = c.get("/orgs/members/export/", {"q": "HYPERLINK", "format": "csv"}).content.decode("utf-8-sig")
    assert "\n'=HYPERLINK" in csv.replace('"', "").replace("\r", "")


def test_ids_beyond_64_bits_in_paths_and_filters_are_not_found_not_a_server_error(world, client):
    """Before: ?org=, ?home=, ?employer= with a 20-digit id answered 500 on SQLite (OverflowError)."""
    big = "99999999999999999999"
    api = _api(world.users["district_admin"])
    for path in (f"/api/v1/orgs/members/{big}", f"/api/v1/orgs/orgs/{big}", f"/api/v1/orgs/units/{big}", f"/api/v1/orgs/policies/{big}",
                 f"/api/v1/orgs/members?org={big}", f"/api/v1/orgs/members?home={big}&employer={big}", f"/api/v1/orgs/orgs?region={big}",
                 f"/api/v1/orgs/units?region={big}", f"/api/v1/orgs/members?page={big}", "/api/v1/orgs/members?size=-5&page=-1",
                 f"/api/v1/orgs/policies?year={big}", "/api/v1/orgs/members?q=" + "x" * 5000):
        assert api.get(path).status_code in (200, 404), path
    c = _web(client, world.users["district_admin"])
    for path in (f"/orgs/members/{big}/", f"/orgs/members/?org={big}&subtree=1", f"/orgs/members/?home={big}&employer={big}",
                 f"/orgs/members/?page={big}", f"/orgs/units/?region={big}", f"/orgs/?region={big}", f"/orgs/policies/{big}/",
                 f"/orgs/policies/?year={big}", f"/orgs/members/export/?org={big}&home={big}", f"/orgs/units/export/?region={big}",
                 f"/accounts/manage/{big}/", f"/imports/orgs-members/{big}/"):
        assert c.get(path).status_code in (200, 404), path


def test_search_by_an_id_number_or_phone_as_people_type_it(world):
    c = _api(world.users["community_admin"])
    idn = pii.decrypt(world.m_a1.id_number_enc)
    full_width = idn.translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ"))
    for q in (idn, idn.lower(), f"{idn[:6]}-{idn[6:14]}-{idn[14:]}", f" {idn[:6]} {idn[6:]} ", full_width, "138 0000 1111", "+86 138-0000-1111"):
        assert c.get("/api/v1/orgs/members", {"q": q}).json()["count"] == 1, q
