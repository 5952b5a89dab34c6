"""The volunteering journey (issue #4): an in-service member reports in to her home community from her phone (ID number
checked), the community confirms; she signs up for a shift, checks in and out by scanning the QR codes the community's
screen shows, and sees her hours waiting; the community confirms them; she sees them confirmed; the community issues the
half-year receipt and the employer unit's liaison finds it on the unit's page and downloads the PDF — and the figures
move."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from gongjian.accounts.choices import Role
from gongjian.testing import factories
from gongjian.volunteering.activities import services as activities
from gongjian.volunteering.models import HourRecord, MemberReportIn, Signup

from .conftest import Shots, login

pytestmark = pytest.mark.django_db(transaction=True)
FIGURES = ("volunteering.members_reported_in", "volunteering.hours_served")


def _figures(page, base: str) -> dict[str, float]:
    page.goto(f"{base}/figures/")
    out = {}
    for key in FIGURES:
        cell = page.locator(f"tr[data-figure='{key}'] .figure-value")
        out[key] = float(cell.inner_text().replace(",", "")) if cell.count() else float("nan")
    return out


def _fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= 375 + 1


def _half_year(day: dt.date) -> str:
    return f"{day.year}H{1 if day.month <= 6 else 2}"


def test_member_reports_in_serves_a_shift_and_the_unit_sees_the_receipt(browser, desktop, live_server, request):
    page, shot = desktop
    base = live_server.url
    t = factories.tree()
    unit = factories.unit(t.erqi, name="二七区委组织部")
    org = factories.party_org(t.erqi, name="二七区委组织部机关党支部", unit=unit)
    account = factories.user(Role.MEMBER, region=t.comm_a1, username="wangfang", display_name="王芳")
    id_number = factories.new_id_number("410103", "female")
    member = factories.member(org, name="王芳", id_number=id_number, home=t.comm_a1, employer=unit, in_service=True, user=account,
                              gender="female")
    secretary = factories.user(Role.COMMUNITY_ADMIN, region=t.comm_a1, username="huaihe_sj", display_name="淮河社区书记")
    factories.user(Role.UNIT_LIAISON, unit=unit, username="zzb_ll", display_name="组织部联络员")
    factories.user(Role.DISTRICT_ADMIN, region=t.erqi, username="erqi_admin", display_name="二七区管理员")

    login(page, base, "erqi_admin", factories.PASSWORD)
    before = _figures(page, base)
    assert all(v == v for v in before.values()), before  # both figures are registered and shown
    shot("figures-before")

    phone = browser.new_context(locale="zh-CN", viewport={"width": 375, "height": 812})
    ph = phone.new_page()
    ph.set_default_timeout(15_000)
    ph_shot = Shots(ph, request.node.name + "-member")
    try:
        # 1. She reports in from her phone: finds 淮河社区 by name, gives her ID number; a wrong one changes nothing.
        login(ph, base, "wangfang", factories.PASSWORD)
        ph.goto(f"{base}/volunteering/report-in/")
        ph.fill("input[name=q]", "淮河")
        ph.locator("form[role=search] button[type=submit]").click()
        ph.locator("#community-options a", has_text="淮河社区").first.click()
        ph.wait_for_load_state("networkidle")
        assert ph.locator("#chosen-community").inner_text().strip() == "淮河社区"
        wrong = id_number[:-2] + ("10" if id_number[-2:] != "10" else "20")
        ph.fill("#report-in-form [name=id_number]", wrong)
        ph.click("#report-in-form button[type=submit]")
        ph.wait_for_load_state("networkidle")
        assert MemberReportIn.objects.count() == 0
        assert ph.locator(".invalid-feedback, .alert-danger").count() >= 1
        ph.fill("#report-in-form [name=id_number]", id_number)
        ph.fill("#report-in-form [name=skills]", "周末有空，会做宣传海报")
        ph.click("#report-in-form button[type=submit]")
        ph.wait_for_load_state("networkidle")
        assert _fits(ph)
        ph_shot("reported-in")
        r = MemberReportIn.objects.get(member=member)
        assert r.status == "pending" and r.community_id == t.comm_a1.pk and r.unit_id == unit.pk

        # 2. The community confirms the report-in.
        sec = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
        sp = sec.new_page()
        sp.set_default_timeout(15_000)
        sp_shot = Shots(sp, request.node.name + "-community")
        login(sp, base, "huaihe_sj", factories.PASSWORD)
        sp.goto(f"{base}/volunteering/report-ins/?status=pending")
        sp.locator("button[data-action=confirm]").first.click()
        sp.wait_for_load_state("networkidle")
        r.refresh_from_db()
        assert r.status == "confirmed"
        sp_shot("report-in-confirmed")

        # The community publishes an activity with a shift that starts soon (set up through the services).
        start = timezone.now() + dt.timedelta(minutes=10)
        act = activities.activity_create(actor=secretary, community=t.comm_a1, title="清洁家园·楼道大扫除", place="淮河社区3号楼")
        shift = activities.shift_create(actor=secretary, activity=act, starts_at=start, ends_at=start + dt.timedelta(hours=2), capacity=10,
                                        place="3号楼楼下")
        activities.activity_publish(actor=secretary, activity=act)

        # 3. She signs up from her phone.
        ph.goto(f"{base}/volunteering/activities/")
        ph.locator("a", has_text="清洁家园·楼道大扫除").first.click()
        ph.wait_for_load_state("networkidle")
        ph.locator("button[data-action=signup]").first.click()
        ph.wait_for_load_state("networkidle")
        su = Signup.objects.get(shift=shift, member=member)
        assert su.status == "confirmed"
        assert _fits(ph)
        ph_shot("signed-up")

        # 4. At the place, the community's screen shows the check-in code; she scans it (opens its URL) and confirms.
        sp.goto(f"{base}/volunteering/activities/shifts/{shift.pk}/qr/?kind=in")
        url_in = sp.locator("#checkin-qr").get_attribute("data-url")
        assert url_in and "/volunteering/activities/c/" in url_in
        sp_shot("qr-check-in")
        ph.goto(url_in if url_in.startswith("http") else base + url_in)
        ph.locator("button[data-action=confirm-check]").click()
        ph.wait_for_load_state("networkidle")
        su.refresh_from_db()
        assert su.checked_in_at is not None
        ph_shot("checked-in")
        # the same code again is refused and changes nothing
        ph.goto(url_in if url_in.startswith("http") else base + url_in)
        if ph.locator("button[data-action=confirm-check]").count():
            ph.locator("button[data-action=confirm-check]").click()
            ph.wait_for_load_state("networkidle")
        assert Signup.objects.get(pk=su.pk).checked_in_at == su.checked_in_at

        # Two hours of work pass (the journey moves the check-in back instead of waiting).
        Signup.objects.filter(pk=su.pk).update(checked_in_at=timezone.now() - dt.timedelta(hours=2))

        # 5. She checks out with the check-out code and sees her hours waiting for confirmation.
        sp.goto(f"{base}/volunteering/activities/shifts/{shift.pk}/qr/?kind=out")
        url_out = sp.locator("#checkin-qr").get_attribute("data-url")
        assert url_out and url_out != url_in
        ph.goto(url_out if url_out.startswith("http") else base + url_out)
        ph.locator("button[data-action=confirm-check]").click()
        ph.wait_for_load_state("networkidle")
        rec = HourRecord.objects.get(signup=su)
        assert rec.status == "pending" and float(rec.hours) == pytest.approx(2.0, abs=0.15)
        ph.goto(f"{base}/volunteering/activities/hours/mine/")
        assert float(ph.locator("[data-total=pending]").inner_text()) == pytest.approx(float(rec.hours))
        assert _fits(ph)
        ph_shot("hours-waiting")

        # 6. The community confirms the hours; she sees them confirmed, with points.
        sp.goto(f"{base}/volunteering/activities/hours/?status=pending")
        sp.locator(f"input[name=records][value='{rec.pk}']").check()
        sp.locator("button[data-action=confirm-hours]").click()
        sp.wait_for_load_state("networkidle")
        rec.refresh_from_db()
        assert rec.status == "confirmed" and rec.points > 0
        sp_shot("hours-confirmed")
        ph.goto(f"{base}/volunteering/activities/hours/mine/")
        assert float(ph.locator("[data-total=hours]").inner_text()) == pytest.approx(float(rec.hours))
        ph_shot("hours-confirmed")

        # 7. The community issues her half-year receipt.
        sp.goto(f"{base}/volunteering/report-ins/?status=confirmed")
        row = sp.locator("form", has=sp.locator("button[data-action=receipt]")).first
        row.locator("input[name=period]").fill(_half_year(timezone.localdate()))
        row.locator("button[data-action=receipt]").click()
        sp.wait_for_load_state("networkidle")
        sp_shot("receipt-issued")
        sec.close()
    finally:
        phone.close()

    # 8. The unit's liaison sees where his members reported in and downloads her receipt as PDF.
    liaison = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    lp = liaison.new_page()
    lp.set_default_timeout(15_000)
    lp_shot = Shots(lp, request.node.name + "-unit")
    try:
        login(lp, base, "zzb_ll", factories.PASSWORD)
        lp.goto(f"{base}/volunteering/unit/")
        body = lp.locator("body").inner_text()
        assert "王芳" in body and "淮河社区" in body
        lp_shot("unit-members")
        lp.goto(f"{base}/volunteering/receipts/")
        assert "王芳" in lp.locator("body").inner_text()
        link = lp.locator("a", has_text="PDF").first.get_attribute("href")
        assert link
        resp = lp.request.get(base + link)
        assert resp.status == 200 and resp.body()[:5] == b"%PDF-" and "pdf" in resp.headers.get("content-type", "")
        lp_shot("unit-receipts")
    finally:
        liaison.close()

    # 9. The figures moved: one more member reported in, two more confirmed hours.
    after = _figures(page, base)
    assert after["volunteering.members_reported_in"] == before["volunteering.members_reported_in"] + 1
    assert after["volunteering.hours_served"] == pytest.approx(before["volunteering.hours_served"] + float(rec.hours), abs=0.05)
    shot("figures-after")
