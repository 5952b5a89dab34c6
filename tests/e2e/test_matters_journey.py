"""The matters and meetings journey (issue #5): a resident raises a matter from his phone, the community accepts and
escalates it, the subdistrict finds it proposed on its quarterly coordination meeting's agenda, the meeting's decision
assigns 城建, the department's handler takes it up and reports the result from his phone, the subdistrict resolves
it, the community records the callback — and the figures move."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from gongjian.accounts.choices import Role
from gongjian.matters.models import Assignment, Matter
from gongjian.meetings.models import Meeting
from gongjian.regions.models import Department
from gongjian.testing import factories

from .conftest import Shots, login

pytestmark = pytest.mark.django_db(transaction=True)
FIGURES = ("matters.raised", "matters.coordinated", "matters.resolved", "meetings.held")


def _figures(page, base: str, keys=FIGURES) -> dict[str, float]:
    page.goto(f"{base}/figures/")
    out = {}
    for key in keys:
        cell = page.locator(f"tr[data-figure='{key}'] .figure-value")
        out[key] = float(cell.inner_text().replace(",", "")) if cell.count() else float("nan")
    return out


def _phone(browser, request, name: str):
    ctx = browser.new_context(locale="zh-CN", viewport={"width": 375, "height": 812})
    page = ctx.new_page()
    page.set_default_timeout(15_000)
    return ctx, page, Shots(page, request.node.name + "-" + name)


def _fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= 375 + 1


def test_matter_from_resident_to_meeting_decision_to_callback(browser, desktop, live_server, request):
    page, shot = desktop
    base = live_server.url
    t = factories.tree()
    chengjian = Department.objects.create(name="二七区城建局", kind="urban_construction", region=t.erqi, region_path=t.erqi.path)
    factories.user(Role.RESIDENT, region=t.comm_a1, username="jumin", display_name="张大爷")
    factories.user(Role.COMMUNITY_ADMIN, region=t.comm_a1, username="huaihe_sj", display_name="淮河社区书记")
    factories.user(Role.SUBDISTRICT_ADMIN, region=t.sub_a, username="huaihelu_sj", display_name="淮河路街道书记")
    factories.user(Role.DEPARTMENT_HANDLER, department=chengjian, username="chengjian_cb", display_name="城建局承办人")

    login(page, base, "huaihelu_sj", factories.PASSWORD)
    before = _figures(page, base)
    assert all(v == v for v in before.values()), before  # every figure is registered and shown
    shot("figures-before")

    # 1. A resident reports from his phone; the community comes from his scope.
    ctx, ph, ph_shot = _phone(browser, request, "resident")
    try:
        login(ph, base, "jumin", factories.PASSWORD)
        ph.goto(f"{base}/matters/report/")
        ph.fill("#report-form [name=title]", "3号楼电动车充电桩不够用")
        ph.fill("#report-form [name=description]", "楼下只有两个充电口，晚上排队充电，有人从楼上拉线充电，很危险。")
        ph.fill("#report-form [name=address]", "淮河社区3号楼北侧")
        ph.click("#report-form button[type=submit]")
        ph.wait_for_load_state("networkidle")
        assert "3号楼电动车充电桩不够用" in ph.locator("body").inner_text()
        assert _fits(ph)
        ph_shot("reported")
    finally:
        ctx.close()
    matter = Matter.objects.get(title="3号楼电动车充电桩不够用")
    assert matter.status == "reported" and matter.community_id == t.comm_a1.pk

    # 2. The community accepts it as first receiver and escalates it: it cannot add charging posts alone.
    ctx2 = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    cp = ctx2.new_page()
    cp.set_default_timeout(15_000)
    try:
        login(cp, base, "huaihe_sj", factories.PASSWORD)
        cp.goto(f"{base}/matters/{matter.pk}/")
        cp.click("#action-accept [data-action=accept]")
        cp.wait_for_load_state("networkidle")
        cp.click("#action-escalate summary")
        cp.fill("#action-escalate textarea", "需要在小区内新建充电设施，涉及规划和供电，社区无法单独解决。")
        cp.click("#action-escalate [data-action=escalate]")
        cp.wait_for_load_state("networkidle")
    finally:
        ctx2.close()
    matter.refresh_from_db()
    assert matter.status == "escalated" and matter.owner_id == t.sub_a.pk

    # 3. The subdistrict plans its quarterly coordination meeting: the escalated matter is proposed on the agenda.
    page.goto(f"{base}/meetings/new/")
    if page.locator("#id_kind").count():
        page.select_option("#id_kind", "coordination")
    page.select_option("#id_region", str(t.sub_a.pk))
    page.fill("#id_title", "淮河路街道第四季度党建协调会议")
    when = timezone.localtime() + dt.timedelta(hours=1)
    if when.month != timezone.localtime().month:  # stay inside this quarter
        when = timezone.localtime()
    page.fill("#id_starts_at", when.strftime("%Y-%m-%dT%H:%M"))
    page.fill("#id_place", "淮河路街道党群服务中心三楼会议室")
    page.click("#meeting-form button[type=submit]")
    page.wait_for_url(re.compile(r"/meetings/\d+/$"))
    meeting = Meeting.objects.get(title="淮河路街道第四季度党建协调会议")
    agenda = page.locator("#agenda").inner_text()
    assert "3号楼电动车充电桩不够用" in agenda, agenda
    shot("meeting-agenda")

    # 4. Hold it with minutes, and decide: 城建 leads.
    page.fill("#hold-form [name=minutes]", "会议研究了3号楼充电难问题，议定由区城建局牵头新建充电设施。")
    page.click("#hold-form [data-action=hold]")
    page.wait_for_load_state("networkidle")
    page.fill("#decision-text", "由二七区城建局牵头，在3号楼北侧新建10个充电口，月底前完成。")
    item = page.locator("#decision-item option", has_text="3号楼电动车充电桩不够用").get_attribute("value")
    page.select_option("#decision-item", item)
    page.select_option("#decision-lead", str(chengjian.pk))
    page.fill("#decision-deadline", (timezone.localdate() + dt.timedelta(days=20)).isoformat())
    page.click("#decision-form [data-action=decision-add]")
    page.wait_for_load_state("networkidle")
    shot("decision")
    matter.refresh_from_db()
    meeting.refresh_from_db()
    assert meeting.status == "held"
    assert matter.status == "assigned" and matter.coordinated_at is not None
    assignment = Assignment.objects.get(matter=matter, department=chengjian)

    # 5. The handler takes it up and reports the result from his phone.
    ctx3, hp, hp_shot = _phone(browser, request, "handler")
    try:
        login(hp, base, "chengjian_cb", factories.PASSWORD)
        hp.goto(f"{base}/matters/departments/")
        assert "3号楼电动车充电桩不够用" in hp.locator("body").inner_text()
        hp.goto(f"{base}/matters/assignments/{assignment.pk}/")
        hp.click("#assignment-accept [data-action=accept]")
        hp.wait_for_load_state("networkidle")
        hp.click("#assignment-result summary")
        hp.fill("#assignment-result textarea", "已在3号楼北侧新建10个充电口并通电使用。")
        hp.click("#assignment-result [data-action=result]")
        hp.wait_for_load_state("networkidle")
        assert _fits(hp)
        hp_shot("result")
    finally:
        ctx3.close()
    assignment.refresh_from_db()
    assert assignment.status == "done"

    # 6. The subdistrict resolves it; the community calls the resident back.
    page.goto(f"{base}/matters/{matter.pk}/")
    page.click("#action-resolve summary")
    page.fill("#action-resolve textarea", "新建10个充电口，已投入使用。")
    page.click("#action-resolve [data-action=resolve]")
    page.wait_for_load_state("networkidle")
    ctx4 = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    cp = ctx4.new_page()
    cp.set_default_timeout(15_000)
    try:
        login(cp, base, "huaihe_sj", factories.PASSWORD)
        cp.goto(f"{base}/matters/{matter.pk}/")
        cp.click("#action-callback summary")
        cp.select_option("#action-callback select", "satisfied")
        cp.click("#action-callback [data-action=callback]")
        cp.wait_for_load_state("networkidle")
        Shots(cp, request.node.name + "-community")("closed")
    finally:
        ctx4.close()
    matter.refresh_from_db()
    assert matter.status == "closed" and matter.satisfaction == "satisfied"

    # The timeline tells the whole story, and the figures moved.
    page.goto(f"{base}/matters/{matter.pk}/")
    timeline = page.locator("body").inner_text()
    for word in ("上报", "受理", "上交", "会议", "城建", "回访"):
        assert word in timeline, word
    shot("timeline")
    after = _figures(page, base)
    shot("figures-after")
    assert after["matters.raised"] == before["matters.raised"] + 1
    assert after["matters.coordinated"] == before["matters.coordinated"] + 1
    assert after["matters.resolved"] == before["matters.resolved"] + 1
    assert after["meetings.held"] == before["meetings.held"] + 1
