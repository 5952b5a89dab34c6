"""Pages of unit report-in and partnerships: lists, per-community and per-unit pages, forms, actions, exports, scope."""

from __future__ import annotations

import io
import re
from typing import Any

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from gongjian.cobuild.choices import AgreementStatus, PartnershipStatus, ReportInStatus
from gongjian.cobuild.models import Partnership, PartnershipAgreement, UnitReportIn
from gongjian.cobuild.partners import services
from gongjian.core.registry import modules

from .test_partners_services import PW, agree, build_pw, partner, report


@pytest.fixture
def pw(world) -> PW:
    return build_pw(world)

PAGES = ["cobuild:partner_report_in_list", "cobuild:partner_list", "cobuild:partner_report_in_export", "cobuild:partner_export"]


@pytest.fixture
def login(client):
    def _as(user):
        client.logout()
        client.force_login(user)
        return client

    return _as


def test_liaison_reports_in_from_his_unit_page(pw: PW, login):
    c = login(pw.users["unit_liaison"])
    assert c.get(reverse("cobuild:partner_report_in_list")).url == reverse("cobuild:partner_mine")
    r = c.get(reverse("cobuild:partner_mine"))
    assert r.status_code == 302 and r.url == reverse("cobuild:partner_unit", args=[pw.w.unit_a.pk])
    page = c.get(r.url).content.decode()
    assert "尚未报到" in page and 'id="report-in-button"' in page
    # the form: his unit is chosen for him, the only community and organisation too (the unit has two orgs: a committee and a branch)
    form = c.get(reverse("cobuild:partner_report_in_create")).content.decode()
    assert "淮河社区" in form and "路砦社区" not in form and "二七区某机关机关党支部" in form
    # errors next to the fields, nothing written
    r = c.post(reverse("cobuild:partner_report_in_create"), {"unit": pw.w.unit_a.pk, "community": pw.w.tree.comm_a1.pk, "party_org": "",
                                                             "contact_name": ""})
    assert r.status_code == 400 and 'data-error-for="party_org"' in r.content.decode() and 'data-error-for="contact_name"' in r.content.decode()
    assert UnitReportIn.objects.count() == 0
    r = c.post(reverse("cobuild:partner_report_in_create"), {"unit": pw.w.unit_a.pk, "community": pw.w.tree.comm_a1.pk,
                                                             "party_org": pw.org_a.pk, "contact_name": "王建国", "offer": "会议室"})
    assert r.status_code == 302 and r.url == reverse("cobuild:partner_unit", args=[pw.w.unit_a.pk])
    ri = UnitReportIn.objects.get()
    assert ri.status == ReportInStatus.PENDING and ri.reported_by == pw.users["unit_liaison"]
    page = c.get(r.url).content.decode()
    assert "待确认" in page and f'data-report-in="{ri.pk}"' in page
    # twice: the clear message next to the community
    r = c.post(reverse("cobuild:partner_report_in_create"), {"unit": pw.w.unit_a.pk, "community": pw.w.tree.comm_a1.pk,
                                                             "party_org": pw.org_a.pk, "contact_name": "王建国"})
    assert r.status_code == 400 and "不能重复报到" in r.content.decode()
    # another unit's id in the hidden field: his own unit is used (the list of his units has one entry)
    r = c.post(reverse("cobuild:partner_report_in_create"), {"unit": pw.w.unit_b.pk, "community": pw.w.tree.comm_b1.pk,
                                                             "party_org": pw.org_b.pk, "contact_name": "王"})
    assert r.status_code == 400 and UnitReportIn.objects.filter(unit=pw.w.unit_b).count() == 0
    # withdraw it from the unit page
    r = c.post(reverse("cobuild:partner_report_in_action", args=[ri.pk, "end"]), {"reason": "", "next": r.request["PATH_INFO"]})
    assert UnitReportIn.objects.get(pk=ri.pk).status == ReportInStatus.PENDING
    r = c.post(reverse("cobuild:partner_report_in_action", args=[ri.pk, "end"]),
               {"reason": "填错了", "next": reverse("cobuild:partner_unit", args=[pw.w.unit_a.pk])})
    assert r.url == reverse("cobuild:partner_unit", args=[pw.w.unit_a.pk]) and UnitReportIn.objects.get(pk=ri.pk).status == "ended"
    # a liaison may not confirm (403), nor reject
    ri2 = report(pw)
    assert c.post(reverse("cobuild:partner_report_in_action", args=[ri2.pk, "confirm"])).status_code == 403
    assert c.post(reverse("cobuild:partner_report_in_action", args=[ri2.pk, "reject"]), {"reason": "x"}).status_code == 403
    assert UnitReportIn.objects.get(pk=ri2.pk).status == ReportInStatus.PENDING


def test_district_unit_community_search(pw: PW, login):
    c = login(pw.users["liaison_d"])
    url = reverse("cobuild:partner_report_in_create")
    page = c.get(url).content.decode()
    assert "淮河社区" in page and "路砦社区" in page and "省供销社社区" not in page and 'id="community-search"' in page
    page = c.get(url, {"cq": "路砦"}).content.decode()
    assert "路砦社区" in page and "淮河社区</option>" not in page
    partial = c.get(url, {"unit": pw.district_unit.pk, "partial": "communities", "cq": "淮河社区"}).content.decode()
    assert "淮河社区" in partial and "路砦" not in partial and "<html" not in partial
    # a community elsewhere posted by hand
    r = c.post(url, {"unit": pw.district_unit.pk, "community": pw.w.tree.comm_b1.pk, "party_org": pw.org_d.pk, "contact_name": "李"})
    assert r.status_code == 400 and "只能向单位所在的社区报到" in r.content.decode()
    # city-level unit: a clear notice instead of a form
    page = login(pw.users["liaison_c"]).get(url).content.decode()
    assert 'id="no-community"' in page and 'id="report-in-form"' not in page


def test_admin_picks_a_unit_then_reports_it_in(pw: PW, login):
    c = login(pw.users["subdistrict_admin"])
    page = c.get(reverse("cobuild:partner_report_in_create")).content.decode()
    assert "二七区某机关" in page and "省供销合作总社" not in page
    page = c.get(reverse("cobuild:partner_report_in_create"), {"uq": "网格"}).content.decode()
    assert "网格内某单位" in page and "二七区某机关" not in page
    # a unit outside the area given in the URL: the picker again
    page = c.get(reverse("cobuild:partner_report_in_create"), {"unit": pw.w.unit_b.pk}).content.decode()
    assert 'id="unit-choices"' in page
    r = c.post(reverse("cobuild:partner_report_in_create") + f"?unit={pw.w.unit_a.pk}",
               {"unit": pw.w.unit_a.pk, "community": pw.w.tree.comm_a1.pk, "party_org": pw.org_a.pk, "contact_name": "王"})
    assert r.status_code == 302 and UnitReportIn.objects.get().reported_by == pw.users["subdistrict_admin"]


def test_community_page_confirm_reject_and_agreements(pw: PW, login):
    r1 = report(pw)
    r2 = report(pw, actor="liaison_d", unit=pw.district_unit, org=pw.org_d)
    p = partner(pw)
    c = login(pw.users["community_admin"])
    home = c.get(reverse("core:home")).content.decode()
    assert 'data-panel="cobuild.partners"' in home and reverse("cobuild:partner_community", args=[pw.w.tree.comm_a1.pk]) in home
    list_page = c.get(reverse("cobuild:partner_report_in_list")).content.decode()
    assert 'id="my-community"' in list_page
    url = reverse("cobuild:partner_community", args=[pw.w.tree.comm_a1.pk])
    page = c.get(url).content.decode()
    assert f'data-report-in="{r1.pk}"' in page and f'data-report-in="{r2.pk}"' in page and f'data-partnership="{p.pk}"' in page
    assert "未签订" in page or "没有签订" in page or 'data-count="missing"' in page
    r = c.post(reverse("cobuild:partner_report_in_action", args=[r1.pk, "confirm"]), {"next": url})
    assert r.status_code == 302 and r.url == url and UnitReportIn.objects.get(pk=r1.pk).status == ReportInStatus.CONFIRMED
    r = c.post(reverse("cobuild:partner_report_in_action", args=[r2.pk, "reject"]), {"next": url, "reason": ""}, follow=True)
    assert "请填写原因" in r.content.decode() and UnitReportIn.objects.get(pk=r2.pk).status == ReportInStatus.PENDING
    c.post(reverse("cobuild:partner_report_in_action", args=[r2.pk, "reject"]), {"next": url, "reason": "不在本社区"})
    assert UnitReportIn.objects.get(pk=r2.pk).status_note == "不在本社区"
    # an open redirect in "next" is ignored
    r3 = report(pw, actor="liaison_d", unit=pw.district_unit, org=pw.org_d)
    r = c.post(reverse("cobuild:partner_report_in_action", args=[r3.pk, "confirm"]), {"next": "https://evil.example/"})
    assert r.url == reverse("cobuild:partner_report_in_detail", args=[r3.pk])
    # the agreement: draft, edit, sign
    r = c.post(reverse("cobuild:partner_agreement_create", args=[p.pk]), {"year": "", "branch_commitments": "", "community_commitments": "场地"})
    assert r.status_code == 400 and 'data-error-for="branch_commitments"' in r.content.decode()
    r = c.post(reverse("cobuild:partner_agreement_create", args=[p.pk]),
               {"year": timezone.localdate().year, "branch_commitments": "每季度一次志愿服务", "community_commitments": "提供场地"})
    assert r.status_code == 302
    a = PartnershipAgreement.objects.get()
    r = c.post(reverse("cobuild:partner_agreement_edit", args=[a.pk]),
               {"year": a.year, "branch_commitments": "每月一次志愿服务", "community_commitments": "提供场地"})
    assert r.status_code == 302 and PartnershipAgreement.objects.get().branch_commitments == "每月一次志愿服务"
    page = c.get(url).content.decode()
    assert f'data-agreement="{a.pk}"' in page and 'data-action="sign"' in page
    r = c.post(reverse("cobuild:partner_agreement_sign", args=[a.pk]), {"signed_on": "2999-01-01", "next": url}, follow=True)
    assert PartnershipAgreement.objects.get().status == AgreementStatus.DRAFT and "签订日期" in r.content.decode()
    c.post(reverse("cobuild:partner_agreement_sign", args=[a.pk]), {"signed_on": "", "next": url})
    assert PartnershipAgreement.objects.get().status == AgreementStatus.SIGNED
    page = c.get(url).content.decode()
    assert 'data-count="missing"' not in page and 'data-action="sign"' not in page
    # editing a signed agreement sends back with a message
    r = c.get(reverse("cobuild:partner_agreement_edit", args=[a.pk]))
    assert r.status_code == 302


def test_partnership_pages(pw: PW, login):
    c = login(pw.users["district_admin"])
    page = c.get(reverse("cobuild:partner_create"), {"bq": "供销"}).content.decode()
    assert "省供销合作总社机关党支部" in page and "淮河路小学党支部" not in page and "二七区某机关党委" not in page
    r = c.post(reverse("cobuild:partner_create"), {"branch": pw.org_b.pk, "community": pw.w.tree.comm_b1.pk, "started_on": ""})
    assert r.status_code == 400 and 'data-error-for="community"' in r.content.decode()
    r = c.post(reverse("cobuild:partner_create"), {"branch": pw.community_branch.pk, "community": pw.w.tree.comm_a1.pk})
    assert r.status_code == 400 and "机关" in r.content.decode()
    r = c.post(reverse("cobuild:partner_create"), {"branch": pw.org_b.pk, "community": pw.w.tree.comm_a1.pk, "started_on": "2024-01-15"})
    assert r.status_code == 302
    p = Partnership.objects.get()
    r = c.post(reverse("cobuild:partner_create"), {"branch": pw.org_b.pk, "community": pw.w.tree.comm_a1.pk})
    assert r.status_code == 400 and "不能重复联建" in r.content.decode()
    listing = c.get(reverse("cobuild:partner_list")).content.decode()
    assert f'href="{reverse("cobuild:partner_detail", args=[p.pk])}"' in listing and 'data-signed="0"' in listing
    assert c.get(reverse("cobuild:partner_list"), {"missing": "1"}).content.decode().count("partner_detail") == 0
    assert str(p.pk) in c.get(reverse("cobuild:partner_list"), {"missing": "1"}).content.decode()
    detail = c.get(reverse("cobuild:partner_detail", args=[p.pk])).content.decode()
    assert 'id="missing-agreement"' in detail and 'id="partner-end"' in detail
    r = c.post(reverse("cobuild:partner_end", args=[p.pk]), {"reason": "", "ended_on": ""}, follow=True)
    assert "请填写原因" in r.content.decode() and Partnership.objects.get().status == PartnershipStatus.ACTIVE
    c.post(reverse("cobuild:partner_end", args=[p.pk]), {"reason": "机关职能调整", "ended_on": "2025-06-30"})
    p.refresh_from_db()
    assert p.status == PartnershipStatus.ENDED and str(p.ended_on) == "2025-06-30"
    detail = c.get(reverse("cobuild:partner_detail", args=[p.pk])).content.decode()
    assert 'id="partner-end"' not in detail and "机关职能调整" in detail
    assert c.get(reverse("cobuild:partner_agreement_create", args=[p.pk])).status_code == 302


def test_the_branch_liaison_sees_his_partnership_and_drafts(pw: PW, login):
    p = partner(pw)
    c = login(pw.users["unit_liaison_b"])
    assert c.get(reverse("cobuild:partner_list")).url.startswith(reverse("cobuild:partner_mine"))
    page = c.get(reverse("cobuild:partner_unit", args=[pw.w.unit_b.pk])).content.decode()
    assert f'data-partnership="{p.pk}"' in page and "淮河社区" in page
    r = c.post(reverse("cobuild:partner_agreement_create", args=[p.pk]),
               {"year": timezone.localdate().year, "branch_commitments": "助老", "community_commitments": "场地"})
    assert r.status_code == 302
    a = PartnershipAgreement.objects.get()
    assert c.post(reverse("cobuild:partner_agreement_sign", args=[a.pk]), {"signed_on": ""}).status_code == 403
    assert PartnershipAgreement.objects.get().status == AgreementStatus.DRAFT  # signing is the community side's
    assert 'data-action="sign"' not in c.get(reverse("cobuild:partner_detail", args=[p.pk])).content.decode()
    assert c.get(reverse("cobuild:partner_end", args=[p.pk])).status_code == 405
    assert c.post(reverse("cobuild:partner_end", args=[p.pk]), {"reason": "x"}).status_code == 403
    assert Partnership.objects.get().status == PartnershipStatus.ACTIVE


# (role, url name, args) → expected status: out of scope and not allowed are both 404 (pages), never 500
@pytest.mark.parametrize("role", ["community_admin_b", "jinshui_admin", "unit_liaison_b", "liaison_d", "resident", "member", "nobody"])
def test_out_of_scope_is_404(pw: PW, login, role):
    ri = report(pw)
    p = partner(pw, branch=pw.org_a)  # unit_a's branch ↔ 淮河社区: nothing for unit_b's liaison
    a = agree(pw, p)
    c = login(pw.users[role])
    for name, args in [("cobuild:partner_report_in_detail", [ri.pk]), ("cobuild:partner_detail", [p.pk]),
                       ("cobuild:partner_community", [pw.w.tree.comm_a1.pk]), ("cobuild:partner_unit", [pw.w.unit_a.pk]),
                       ("cobuild:partner_agreement_edit", [a.pk]), ("cobuild:partner_agreement_create", [p.pk])]:
        assert c.get(reverse(name, args=args)).status_code == 404, (role, name)
    posts: list[tuple[str, list[Any], dict[str, str]]] = [("cobuild:partner_report_in_action", [ri.pk, "confirm"], {}),
                             ("cobuild:partner_report_in_action", [ri.pk, "end"], {"reason": "x"}),
                             ("cobuild:partner_end", [p.pk], {"reason": "x"}), ("cobuild:partner_agreement_sign", [a.pk], {})]
    for name, args, data in posts:
        assert c.post(reverse(name, args=args), data).status_code == 404, (role, name)
    assert UnitReportIn.objects.get().status == ReportInStatus.PENDING and Partnership.objects.get().status == PartnershipStatus.ACTIVE
    assert PartnershipAgreement.objects.get().status == AgreementStatus.DRAFT


def test_pages_of_roles_without_the_module(pw: PW, login):
    for role in ("resident", "member", "instructor", "nobody"):
        c = login(pw.users[role])
        for name in [*PAGES, "cobuild:partner_report_in_create", "cobuild:partner_create", "cobuild:partner_mine"]:
            assert c.get(reverse(name)).status_code == 404, (role, name)
    c = login(pw.users["unit_liaison"])
    assert c.get(reverse("cobuild:partner_create")).status_code == 404
    assert c.get(reverse("cobuild:partner_community", args=[pw.w.tree.comm_a1.pk])).status_code == 404
    c = login(pw.users["community_admin"])
    assert c.get(reverse("cobuild:partner_report_in_action", args=[1, "confirm"])).status_code == 405
    assert c.post(reverse("cobuild:partner_report_in_action", args=[1, "explode"])).status_code == 404
    assert c.get(reverse("cobuild:partner_mine")).status_code == 404  # no unit of his own


def test_list_filters_pagination_and_hostile_params(pw: PW, login):
    for i in range(23):
        u = pw.w.unit_a if i == 0 else None
        if u is None:
            from gongjian.testing import factories as f

            u = f.unit(pw.w.tree.comm_a1, f"驻区单位{i:02d}")
            org = f.party_org(pw.w.tree.comm_a1, f"驻区单位{i:02d}党支部", sector="organ", unit=u)
        else:
            org = pw.org_a
        report(pw, actor="community_admin", unit=u, org=org)
    c = login(pw.users["community_admin"])
    url = reverse("cobuild:partner_report_in_list")
    page = c.get(url).content.decode()
    assert len(re.findall(r'href="/cobuild/partners/report-ins/\d+/"', page)) == 20 and "1 / 2" in page
    assert "2 / 2" in c.get(url, {"page": "2"}).content.decode()
    assert len(re.findall(r'href="/cobuild/partners/report-ins/\d+/"', c.get(url, {"q": "驻区单位05"}).content.decode())) == 1
    for params in ({"page": "abc"}, {"page": "99999999999999999999"}, {"size": "-1"}, {"community": "1e9"}, {"unit": "x"},
                   {"status": "<script>"}, {"q": "<script>alert(1)</script>"},
                   {"q": "a\x00b"}, {"q": "x" * 5000}, {"community": "99999999999999999999999"}):
        r = c.get(url, params)
        assert r.status_code == (400 if "\x00" in params.get("q", "") else 200), params  # NUL: refused by the middleware
        assert "<script>alert(1)" not in r.content.decode()
    assert len(re.findall(r'href="/cobuild/partners/report-ins/\d+/"', c.get(url, {"status": "confirmed"}).content.decode())) == 0


def test_query_counts_do_not_grow_with_rows(pw: PW, login, django_assert_max_num_queries):
    from gongjian.testing import factories as f

    for i in range(12):
        u = f.unit(pw.w.tree.comm_a1, f"单位{i}")
        org = f.party_org(pw.w.tree.comm_a1, f"单位{i}机关党支部", sector="organ", unit=u)
        report(pw, actor="community_admin", unit=u, org=org)
        p = partner(pw, branch=org)
        agree(pw, p)
    c = login(pw.users["community_admin"])
    c.get(reverse("core:home"))  # warm the session
    for url in (reverse("cobuild:partner_report_in_list"), reverse("cobuild:partner_list"),
                reverse("cobuild:partner_community", args=[pw.w.tree.comm_a1.pk])):
        with django_assert_max_num_queries(20, info=url):
            assert c.get(url).status_code == 200
    # the unit page of a district unit that reported in to both communities, several times
    for i in range(6):
        r = report(pw, actor="liaison_d", unit=pw.district_unit, org=pw.org_d, community=pw.w.tree.comm_a1 if i % 2 else pw.w.tree.comm_a2)
        if i < 4:
            services.report_in_end(actor=pw.users["liaison_d"], report_in=r, reason="重报")
        partner(pw, actor="district_admin", branch=pw.org_d, community=pw.w.tree.comm_a2) if i == 0 else None
    c = login(pw.users["liaison_d"])
    c.get(reverse("core:home"))
    with django_assert_max_num_queries(20):
        assert c.get(reverse("cobuild:partner_unit", args=[pw.district_unit.pk])).status_code == 200
    # the home panels: a fixed number of queries
    from gongjian.cobuild.partners.panels import admin_panel, liaison_panel

    for make, role in ((admin_panel, "community_admin"), (liaison_panel, "liaison_d")):
        user = type(pw.users[role]).objects.get(pk=pw.users[role].pk)
        with django_assert_max_num_queries(8):
            panel = make(user)
        assert panel and panel["stats"]


def test_exports(pw: PW, login):
    ri = report(pw)
    services.report_in_confirm(actor=pw.users["community_admin"], report_in=ri)
    report(pw, actor="unit_liaison_b", unit=pw.w.unit_b, community=pw.w.tree.comm_b1, org=pw.org_b, contact_name="=HYPERLINK(1)")
    p = partner(pw)
    agree(pw, p)
    c = login(pw.users["community_admin"])
    r = c.get(reverse("cobuild:partner_report_in_export"), {"format": "xlsx"})
    assert r.status_code == 200
    ws = openpyxl.load_workbook(io.BytesIO(r.content)).active
    assert ws is not None
    rows = list(ws.iter_rows(values_only=True))
    assert len(rows) == 2 and rows[1][1] == "二七区某机关" and rows[1][7] == "已确认"
    r = c.get(reverse("cobuild:partner_export"), {"format": "csv"})
    text = r.content.decode("utf-8-sig")
    assert "省供销合作总社机关党支部" in text and "草拟" in text and len(text.strip().splitlines()) == 2
    # the other community's admin exports only his own, formulas neutralised
    c = login(pw.users["community_admin_b"])
    text = c.get(reverse("cobuild:partner_report_in_export"), {"format": "csv"}).content.decode("utf-8-sig")
    assert "二七区某机关" not in text and "'=HYPERLINK(1)" in text


def test_nav_entries_and_liaison_panel(pw: PW, login):
    entries = {n.key: n for m in modules() for n in m.nav}
    assert str(entries["cobuild.report_ins"].label) and entries["cobuild.report_ins"].url_name == "cobuild:partner_report_in_list"
    assert entries["cobuild.partnerships"].url_name == "cobuild:partner_list"
    report(pw)
    c = login(pw.users["unit_liaison"])
    home = c.get(reverse("core:home")).content.decode()
    assert 'data-panel="cobuild.my_report_ins"' in home and 'data-panel="cobuild.partners"' not in home
    assert "单位报到" in home and "联建" in home
    c = login(pw.users["resident"])
    home = c.get(reverse("core:home")).content.decode()
    assert "cobuild.my_report_ins" not in home and "单位报到" not in home
