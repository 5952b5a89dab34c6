"""The co-building journey (issue #3): a community secretary publishes a need, sees the suggested resources
with their reasons, rejects one and accepts another; the unit's liaison agrees, starts the work and reports
progress with a photo from a phone; the secretary rates the finished project — and the figures move."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from gongjian.accounts.choices import Role
from gongjian.cobuild import services
from gongjian.cobuild.models import Category, MatchDecision, Need, Project
from gongjian.testing import factories

from .conftest import Shots, login

pytestmark = pytest.mark.django_db(transaction=True)


def _figure(page, base: str, key: str) -> float:
    page.goto(f"{base}/figures/")
    return float(page.locator(f"tr[data-figure='{key}'] .figure-value").inner_text().replace(",", ""))


def _world():
    t = factories.tree()
    elderly, _ = Category.objects.get_or_create(name="助老")
    youth, _ = Category.objects.get_or_create(name="青少年")
    secretary = factories.user(Role.COMMUNITY_ADMIN, region=t.comm_a1, username="huaihe_sj", display_name="淮河社区书记")
    unit = factories.unit(t.comm_a1, name="二七区民政局", kind="organ")
    liaison = factories.user(Role.UNIT_LIAISON, unit=unit, username="minzheng_ll", display_name="民政局联络员")
    meals = services.resource_create(
        actor=liaison, offer=True, unit=unit.pk, title="爱心助餐：为高龄独居老人送餐上门", category=elderly.pk, kind="volunteers",
        description="机关党员志愿者每周三次为辖区高龄、独居老人送午餐，可服务 20 人。", capacity="20", capacity_unit="people",
        service_regions=[t.sub_a.pk],
    )
    classroom = services.resource_create(
        actor=liaison, offer=True, unit=unit.pk, title="四点钟课堂志愿辅导", category=youth.pk, kind="volunteers",
        description="放学后为双职工家庭的小学生辅导作业，也可陪伴老人读报聊天。", capacity="10", capacity_unit="people",
        service_regions=[t.sub_a.pk],
    )
    return t, elderly, secretary, liaison, meals, classroom


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buf, format="PNG")
    return buf.getvalue()


def test_need_to_rated_project_moves_the_figures(browser, desktop, live_server, request):
    page, shot = desktop
    base = live_server.url
    t, elderly, _secretary, _liaison, meals, classroom = _world()

    login(page, base, "huaihe_sj", factories.PASSWORD)
    before = {k: _figure(page, base, k) for k in ("cobuild.needs_published", "cobuild.needs_met", "cobuild.problems_solved")}
    shot("figures-before")

    # The secretary writes the need down and publishes it.
    page.goto(f"{base}/cobuild/needs/new/")
    page.fill("#id_title", "高龄独居老人午餐没人做")
    page.fill("#id_description", "社区有 12 位 80 岁以上独居老人，子女不在身边，中午常常凑合，希望有人送餐。")
    page.select_option("#id_category", str(elderly.pk))
    page.select_option("#id_community", str(t.comm_a1.pk))
    page.fill("#id_quantity", "12")
    page.fill("#id_quantity_unit", "人")
    page.click("#need-form button[type=submit]")
    page.wait_for_url("**/cobuild/needs/*/")
    need = Need.objects.get(title="高龄独居老人午餐没人做")
    page.click("#need-actions [data-action=publish]")
    page.wait_for_load_state("networkidle")
    assert page.locator("#need-status").get_attribute("data-status") == "published"

    # Suggestions load on the need page, best first, each with its reasons in Chinese.
    table = page.locator("#suggestion-table")
    table.wait_for()
    rows = table.locator("tbody tr")
    assert rows.count() >= 2
    first = rows.first.inner_text()
    assert "爱心助餐" in first
    assert "同类" in first  # the category reason
    shot("suggestions")

    # The classroom is not what this need wants: reject it with a reason; it is remembered, not suggested again.
    row = rows.filter(has_text="四点钟课堂")
    row.locator("input[name=reason]").fill("这是青少年辅导，不是送餐")
    row.locator("[data-action=reject]").click()
    page.wait_for_load_state("networkidle")
    page.locator("#suggestion-table").wait_for()
    assert page.locator("#suggestion-table tbody tr", has_text="四点钟课堂").count() == 0
    assert "四点钟课堂" in page.locator("#rejected-pairs").inner_text()
    assert MatchDecision.objects.get(need=need, resource=classroom).verdict == "rejected"

    # Accept the meals for 12 people: a project is proposed to the unit and capacity is committed.
    row = page.locator("#suggestion-table tbody tr", has_text="爱心助餐")
    row.locator("input[name=amount]").fill("12")
    row.locator("[data-action=accept]").click()
    page.wait_for_load_state("networkidle")
    project = Project.objects.get(needs=need)
    meals.refresh_from_db()
    assert meals.remaining == 8
    page.locator("#accepted-pairs a").first.click()
    page.wait_for_url(f"**/cobuild/projects/{project.pk}/")
    assert page.locator("#project-status").get_attribute("data-status") == "proposed"
    shot("project-proposed")

    # The unit's liaison runs the project from his phone: agree, start, report progress with a photo, complete.
    phone_ctx = browser.new_context(locale="zh-CN", viewport={"width": 375, "height": 812})
    ph = phone_ctx.new_page()
    ph.set_default_timeout(15_000)
    phone_shot = Shots(ph, request.node.name + "-phone")
    try:
        login(ph, base, "minzheng_ll", factories.PASSWORD)
        ph.goto(f"{base}/cobuild/projects/{project.pk}/")
        ph.click("[data-action=agree]")
        ph.wait_for_load_state("networkidle")
        ph.click("[data-action=start]")
        ph.wait_for_load_state("networkidle")
        assert ph.locator("#project-status").get_attribute("data-status") == "in_progress"
        ph.fill("#note-form textarea[name=text]", "第一周已为 12 位老人送餐，老人反映饭菜软烂可口。")
        ph.fill("#note-form input[name=progress]", "60")
        ph.set_input_files("#id_photos", files=[{"name": "送餐.png", "mimeType": "image/png", "buffer": _png()}])
        ph.click("[data-action=note-add]")
        ph.wait_for_load_state("networkidle")
        assert "第一周已为 12 位老人送餐" in ph.locator("#progress-timeline").inner_text()
        assert ph.locator("#progress-timeline img").count() == 1
        assert ph.evaluate("document.documentElement.scrollWidth") <= 375 + 1  # no sideways scrolling on the phone
        phone_shot("progress")
        ph.fill("#project-action-complete textarea[name=outcome]", "三个月为 12 位老人送餐 900 余份，建立了长期送餐名单。")
        ph.click("#project-action-complete [data-action=complete]")
        ph.wait_for_load_state("networkidle")
        assert ph.locator("#project-status").get_attribute("data-status") == "done"
        phone_shot("done")
    finally:
        phone_ctx.close()

    # The secretary rates the unit's work: the project counts as a problem solved, and the need is met.
    page.goto(f"{base}/cobuild/projects/{project.pk}/")
    page.check("#rating-5")
    page.fill("#project-action-rate textarea[name=remark], #project-action-rate input[name=remark]", "送餐及时，老人满意")
    page.click("#project-action-rate [data-action=rate]")
    page.wait_for_load_state("networkidle")
    assert page.locator("#project-status").get_attribute("data-status") == "rated"
    assert page.locator("#project-rating").get_attribute("data-rating") == "5"
    shot("project-rated")
    need.refresh_from_db()
    assert need.status == "met"

    after = {k: _figure(page, base, k) for k in before}
    shot("figures-after")
    assert after["cobuild.needs_published"] == before["cobuild.needs_published"] + 1
    assert after["cobuild.needs_met"] == before["cobuild.needs_met"] + 1
    assert after["cobuild.problems_solved"] == before["cobuild.problems_solved"] + 1
