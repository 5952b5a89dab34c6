"""Pages of members' report-in, receipts and pledges: the member's pages, the community's lists and actions, the unit's
page, PDF receipts, exports, scope (404 outside it), query counts that do not grow with the rows, navigation and panels."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from typing import Any

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from gongjian.core.registry import modules
from gongjian.testing import factories as f
from gongjian.volunteering.choices import ReportInStatus
from gongjian.volunteering.members import manifest, pdf, services
from gongjian.volunteering.members.views import other_links
from gongjian.volunteering.models import FeedbackReceipt, MemberReportIn, Pledge

from .domain import World, w_fixture  # noqa: F401
from .test_members_services import confirmed, report

pytestmark = pytest.mark.django_db


@pytest.fixture
def login(client):
    def _as(user: Any) -> Any:
        client.logout()
        client.force_login(user)
        return client

    return _as


def pdf_text(data: bytes) -> str:
    """The text of an uncompressed reportlab PDF written in a UCS-2 CID font (literal strings shown with Tj)."""
    out = []
    for raw in re.findall(rb"\(((?:[^\\)]|\\.)*)\) Tj", data, flags=re.S):
        buf, i = bytearray(), 0
        while i < len(raw):
            ch = raw[i]
            if ch == 0x5C:  # backslash
                nxt = raw[i + 1:i + 4]
                m = re.match(rb"[0-7]{1,3}", nxt)
                if m:
                    buf.append(int(m.group(0), 8))
                    i += 1 + len(m.group(0))
                    continue
                buf.append({ord("n"): 10, ord("r"): 13, ord("t"): 9}.get(raw[i + 1], raw[i + 1]))
                i += 2
                continue
            buf.append(ch)
            i += 1
        out.append(bytes(buf).decode("utf-16-be", errors="replace") if len(buf) % 2 == 0 else bytes(buf).decode("latin-1"))
    return "\n".join(out)


def _many_members(w: World, n: int, community: Any) -> None:
    """n more in-service members of unit_a with accounts, reported in (and confirmed) to ``community``."""
    start = MemberReportIn.objects.count()
    for i in range(n):
        idn = f.new_id_number("410103", "male")
        account = f.user("member", region=community, username=f"v_extra{start + i}")
        m = f.member(w.org_a, name=f"党员{i}", id_number=idn, home=community, employer=w.unit_a, in_service=True, user=account)
        r = services.report_in(actor=account, community=community, id_number=idn)
        if i % 2 == 0:
            services.report_in_confirm(actor=w.u["city"], report_in=r)
            services.pledge_make(actor=account, content=f"承诺{i}", due_date=dt.date(timezone.localdate().year, 12, 31))
        assert m.pk


def test_member_reports_in_from_his_phone(w: World, login):
    c = login(w.u["m1"])
    home = c.get(reverse("volunteering:my_community")).content.decode()
    assert 'id="report-in-link"' in home
    page = c.get(reverse("volunteering:report_in"), {"q": "淮河社区"}).content.decode()
    assert "淮河社区" in page and 'id="community-options"' in page and "路砦社区" not in page
    page = c.get(reverse("volunteering:report_in"), {"community": w.tree.comm_a1.pk}).content.decode()
    assert 'id="chosen-community"' in page
    # a wrong ID number: the error next to the field, nothing written
    r = c.post(reverse("volunteering:report_in") + f"?community={w.tree.comm_a1.pk}",
               {"community": w.tree.comm_a1.pk, "id_number": w.id_numbers["m2"]})
    assert r.status_code == 400 and 'data-error-for="id_number"' in r.content.decode()
    assert MemberReportIn.objects.count() == 0
    r = c.post(reverse("volunteering:report_in"), {"community": w.tree.comm_a1.pk, "id_number": w.id_numbers["m1"], "skills": "急救"})
    assert r.status_code == 302 and r.url == reverse("volunteering:my_community")
    home = c.get(r.url).content.decode()
    assert 'id="my-community-name"' in home and "淮河社区" in home and 'data-status="pending"' in home
    # reporting in again: sent home; moving: the form with the move flag
    assert c.get(reverse("volunteering:report_in")).status_code == 302
    assert c.get(reverse("volunteering:report_in"), {"move": "1"}).status_code == 200
    r = c.post(reverse("volunteering:report_in"), {"community": w.tree.comm_b2.pk, "id_number": w.id_numbers["m1"], "move": "1"})
    assert r.status_code == 302
    assert list(MemberReportIn.objects.order_by("id").values_list("status", flat=True)) == [ReportInStatus.ENDED, ReportInStatus.PENDING]


def test_location_without_known_coordinates_degrades_to_search(w: World, login):
    c = login(w.u["m1"])
    page = c.get(reverse("volunteering:report_in"), {"lat": "34.75", "lng": "113.62"}).content.decode()
    assert 'id="no-near"' in page
    assert c.get(reverse("volunteering:report_in"), {"lat": "nan", "lng": "x"}).status_code == 200
    u = f.unit(w.tree.comm_a1, name="淮河社区服务站")
    u.lat, u.lng = 34.75, 113.62
    u.save()
    page = c.get(reverse("volunteering:report_in"), {"lat": "34.751", "lng": "113.621"}).content.decode()
    assert 'id="no-near"' not in page and "淮河社区" in page and " km" in page


def test_outside_city_community_by_post_shows_the_error(w: World, login):
    from gongjian.regions.choices import Level

    other = f.region("410200", "开封市", Level.CITY)
    far = f.region("410202001001", "北书店社区", Level.COMMUNITY, f.region("410202001000", "北书店街道", Level.SUBDISTRICT,
                                                                         f.region("410202", "龙亭区", Level.DISTRICT, other)))
    r = login(w.u["m1"]).post(reverse("volunteering:report_in"), {"community": far.pk, "id_number": w.id_numbers["m1"]})
    assert r.status_code == 400 and "北书店社区" in r.content.decode() and MemberReportIn.objects.count() == 0


def test_community_confirms_rejects_and_other_community_gets_404(w: World, login):
    r1 = report(w, "m1")
    c = login(w.u["comm_a1"])
    page = c.get(reverse("volunteering:report_in_list"), {"status": "pending"}).content.decode()
    assert f'data-report-in="{r1.pk}"' in page and 'data-action="confirm"' in page
    # another community's admin: the list does not show it, the action is not found
    c2 = login(w.u["comm_b1"])
    assert f'data-report-in="{r1.pk}"' not in c2.get(reverse("volunteering:report_in_list")).content.decode()
    assert c2.post(reverse("volunteering:report_in_action", args=[r1.pk, "confirm"])).status_code == 404
    # the member himself: the page is not found for him
    cm = login(w.u["m1"])
    assert cm.post(reverse("volunteering:report_in_action", args=[r1.pk, "confirm"])).status_code == 404
    assert cm.get(reverse("volunteering:report_in_list")).status_code == 404
    r1.refresh_from_db()
    assert r1.status == ReportInStatus.PENDING
    c = login(w.u["comm_a1"])
    assert c.post(reverse("volunteering:report_in_action", args=[r1.pk, "nonsense"])).status_code == 404
    r = c.post(reverse("volunteering:report_in_action", args=[r1.pk, "reject"]), {"reason": ""})
    assert r.status_code == 302
    r1.refresh_from_db()
    assert r1.status == ReportInStatus.PENDING
    c.post(reverse("volunteering:report_in_action", args=[r1.pk, "confirm"]))
    r1.refresh_from_db()
    assert r1.status == ReportInStatus.CONFIRMED
    # a subdistrict administrator filters by community
    r2 = report(w, "m2")
    s = login(w.u["sub_a"])
    page = s.get(reverse("volunteering:report_in_list")).content.decode()
    assert f'data-report-in="{r1.pk}"' in page and f'data-report-in="{r2.pk}"' in page and 'name="community"' in page
    page = s.get(reverse("volunteering:report_in_list"), {"community": w.tree.comm_a2.pk}).content.decode()
    assert f'data-report-in="{r1.pk}"' not in page and f'data-report-in="{r2.pk}"' in page


def test_list_pages_query_counts_do_not_grow(w: World, login):
    year = timezone.localdate().year
    _many_members(w, 2, w.tree.comm_a1)
    services.receipt_issue_all(actor=w.u["comm_a1"], community=w.tree.comm_a1, period=f"{year}H1")
    pages = [
        ("comm_a1", reverse("volunteering:report_in_list"), {}),
        ("comm_a1", reverse("volunteering:receipt_list"), {}),
        ("comm_a1", reverse("volunteering:pledge_list"), {}),
        ("liaison_a", reverse("volunteering:unit_members"), {}),
        ("liaison_a", reverse("volunteering:unit_members"), {"show": "missing"}),
        ("liaison_a", reverse("volunteering:receipt_list"), {}),
        ("m1", reverse("volunteering:my_community"), {}),
    ]
    confirmed(w, "m1")
    counts = {}
    for key, url, params in pages:
        c = login(w.u[key])
        c.get(url, params)
        with CaptureQueriesContext(connection) as ctx:
            assert c.get(url, params).status_code == 200
        counts[(key, url, str(params))] = len(ctx.captured_queries)
    _many_members(w, 8, w.tree.comm_a1)
    for i in range(6):
        f.member(w.org_a, name=f"未报到{i}", employer=w.unit_a, in_service=True)
    services.receipt_issue_all(actor=w.u["comm_a1"], community=w.tree.comm_a1, period=f"{year}H1")
    for key, url, params in pages:
        c = login(w.u[key])
        c.get(url, params)  # warm, as above: the writes moved the versions the frame's and the list's kept counts are read at
        with CaptureQueriesContext(connection) as ctx:
            html = c.get(url, params).content.decode()
        assert len(ctx.captured_queries) == counts[(key, url, str(params))], (key, url, params)
        assert len(ctx.captured_queries) <= 25
        if url == reverse("volunteering:unit_members") and not params:
            assert html.count("<tr>") >= 10
    # the member's wall of cards
    c = login(w.u["m1"])
    with CaptureQueriesContext(connection) as ctx:
        html = c.get(reverse("volunteering:community_cards")).content.decode()
    assert html.count("data-card=") == 6 and len(ctx.captured_queries) <= 20


def test_unit_page_lists_reported_and_missing_and_exports_masked(w: World, login):
    r1 = confirmed(w, "m1")
    report(w, "m3")
    c = login(w.u["liaison_a"])
    page = c.get(reverse("volunteering:unit_members")).content.decode()
    assert "王芳" in page and "淮河社区" in page and "赵磊" not in page
    missing = c.get(reverse("volunteering:unit_members"), {"show": "missing"}).content.decode()
    assert "李强" in missing and "陈静" in missing and "王芳" not in missing
    data = c.get(reverse("volunteering:unit_members_export"), {"format": "csv"}).content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(data)))
    assert rows[1][0] == "王芳" and "*" in rows[1][1] and len(rows) == 2
    wb = openpyxl.load_workbook(io.BytesIO(c.get(reverse("volunteering:unit_members_export"), {"show": "missing"}).content))
    sheet: Any = wb.active
    names = [row[0].value for row in sheet.iter_rows(min_row=2)]
    assert set(names) == {"李强", "陈静"}
    # another unit's liaison: not his unit
    c2 = login(w.u["liaison_b"])
    assert c2.get(reverse("volunteering:unit_members"), {"unit": w.unit_a.pk}).status_code == 404
    assert "王芳" not in c2.get(reverse("volunteering:unit_members")).content.decode()
    # a member has no unit page
    assert login(w.u["m1"]).get(reverse("volunteering:unit_members")).status_code == 404
    # the community's export is masked as well
    data = login(w.u["comm_a1"]).get(reverse("volunteering:report_in_export"), {"format": "csv"}).content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(data)))
    assert rows[1][0] == "王芳" and "*" in rows[1][1] and r1.community.name in rows[1]


def test_receipt_pdf_scoped_and_readable(w: World, login, tmp_path):
    r = confirmed(w, "m1")
    rc = services.receipt_issue(actor=w.u["comm_a1"], report_in=r, period=services.current_period(), remark="积极参加社区服务")
    for key in ("liaison_a", "m1", "comm_a1"):
        resp = login(w.u[key]).get(reverse("volunteering:receipt_pdf", args=[rc.pk]))
        assert resp.status_code == 200 and resp["Content-Type"] == "application/pdf"
        body = resp.content
        assert body.startswith(b"%PDF") and b"/Type /Page" in body and b"STSong-Light" in body
    for key in ("liaison_b", "m2", "comm_b1"):
        assert login(w.u[key]).get(reverse("volunteering:receipt_pdf", args=[rc.pk])).status_code == 404
    # the text is written in the CID font: the page's content stream holds it as UCS-2 strings
    text = pdf_text(pdf.receipt_pdf(rc))
    for expected in (pdf.TITLE, "王芳", "二七区委组织部", "淮河社区", "积极参加社区服务", rc.period[:4]):
        assert expected in text, expected
    page = login(w.u["liaison_a"]).get(reverse("volunteering:receipt_list")).content.decode()
    assert reverse("volunteering:receipt_pdf", args=[rc.pk]) in page
    assert reverse("volunteering:receipt_pdf", args=[rc.pk]) in login(w.u["m1"]).get(reverse("volunteering:my_community")).content.decode()


def test_receipt_issue_page_actions(w: World, login):
    year = timezone.localdate().year
    r = confirmed(w, "m1")
    c = login(w.u["comm_a1"])
    assert 'id="issue-all"' in c.get(reverse("volunteering:receipt_list")).content.decode()
    c.post(reverse("volunteering:receipt_issue"), {"report_in": r.pk, "period": "bad"})
    assert FeedbackReceipt.objects.count() == 0
    c.post(reverse("volunteering:receipt_issue"), {"report_in": r.pk, "period": f"{year}H1"})
    c.post(reverse("volunteering:receipt_issue"), {"community": w.tree.comm_a1.pk, "period": f"{year}H1", "remark": "好"})
    assert FeedbackReceipt.objects.get().remark == "好"
    assert login(w.u["comm_b1"]).post(reverse("volunteering:receipt_issue"), {"community": w.tree.comm_a1.pk,
                                                                               "period": f"{year}H1"}).status_code == 404
    assert login(w.u["liaison_a"]).post(reverse("volunteering:receipt_issue"), {"report_in": r.pk, "period": f"{year}H1"}).status_code == 404


def test_pledge_pages(w: World, login):
    year = timezone.localdate().year
    c = login(w.u["m1"])
    assert "alert-warning" in c.get(reverse("volunteering:my_pledge")).content.decode()
    confirmed(w, "m1")
    r = c.post(reverse("volunteering:my_pledge"), {"content": "", "due_date": f"{year}-12-31"})
    assert r.status_code == 400 and 'data-error-for="content"' in r.content.decode() and Pledge.objects.count() == 0
    assert c.post(reverse("volunteering:my_pledge"), {"content": "每月服务4小时", "due_date": f"{year}-12-31"}).status_code == 302
    assert c.post(reverse("volunteering:my_pledge"), {"content": "每月服务8小时", "due_date": f"{year}-12-31"}).status_code == 302
    p = Pledge.objects.get()
    assert p.content == "每月服务8小时"
    assert "每月服务8小时" in c.get(reverse("volunteering:my_community")).content.decode()
    a = login(w.u["comm_a1"])
    assert f'data-pledge="{p.pk}"' in a.get(reverse("volunteering:pledge_list")).content.decode()
    assert login(w.u["comm_b1"]).post(reverse("volunteering:pledge_assess", args=[p.pk]), {"fulfilled": "1"}).status_code == 404
    a = login(w.u["comm_a1"])
    a.post(reverse("volunteering:pledge_assess", args=[p.pk]), {"fulfilled": "1", "remark": "按时完成"})
    p.refresh_from_db()
    assert p.status == "fulfilled"
    assert login(w.u["m1"]).get(reverse("volunteering:member_card", args=[w.m["m1"].pk])).status_code == 200
    assert login(w.u["m3"]).get(reverse("volunteering:member_card", args=[w.m["m1"].pk])).status_code == 404


def test_home_routes_by_role_and_guards_other_parts(w: World, login):
    assert login(w.u["comm_a1"]).get(reverse("volunteering:my_community")).url.startswith(reverse("volunteering:report_in_list"))
    assert login(w.u["liaison_a"]).get(reverse("volunteering:my_community")).url == reverse("volunteering:unit_members")
    assert login(w.u["resident"]).get(reverse("volunteering:my_community")).status_code == 404
    assert login(w.u["nobody"]).get(reverse("volunteering:my_community")).status_code == 404
    for link in other_links():
        assert link["url"].startswith("/volunteering/")


def test_navigation_panels_and_exports(w: World):
    mod = next(m for m in modules() if m.key == "volunteering")
    keys = {e.key for e in mod.nav}
    assert {"volunteering.my_community", "volunteering.report_ins", "volunteering.unit_members"} <= keys
    assert any(e.url_name == "volunteering:report_in_export" for e in mod.exports)
    report(w, "m1")
    panels = {p["key"]: p for fn in manifest.MANIFEST.panels if (p := fn(w.u["comm_a1"]))}
    assert panels["volunteering.report_ins"]["stats"][0]["value"] == 1
    elsewhere = [p for p in (fn(w.u["comm_b1"]) for fn in manifest.MANIFEST.panels) if p]
    assert not [p for p in elsewhere if p["stats"][0]["value"]]
    liaison = {p["key"]: p for fn in manifest.MANIFEST.panels if (p := fn(w.u["liaison_a"]))}
    assert liaison["volunteering.unit_members"]["stats"][2]["value"] == 1
    member = {p["key"]: p for fn in manifest.MANIFEST.panels if (p := fn(w.u["m1"]))}
    assert "volunteering.my_community" in member and "volunteering.report_ins" not in member
