"""The community secretary's day-one journey (issue #2): sign in, browse the tree, add a member with a bad
ID number and see the error next to the field, add one correctly, see the ID masked, fail to open another
community's member, switch the language — and the same member pages on a 375 px phone."""

import pytest

from gongjian.accounts.choices import Role
from gongjian.core import pii
from gongjian.orgs.models import Member
from gongjian.testing import factories

from .conftest import login

pytestmark = pytest.mark.django_db(transaction=True)


def _world():
    t = factories.tree()
    secretary = factories.user(Role.COMMUNITY_ADMIN, region=t.comm_a1, username="huaihe_sj", display_name="淮河社区书记")
    branch = factories.party_org(t.comm_a1, name="淮河社区第一党支部")
    other_branch = factories.party_org(t.comm_b1, name="省供销社社区党支部")
    outsider = factories.member(other_branch, name="外社区党员")
    return t, secretary, branch, outsider


def test_secretary_adds_a_member_and_cannot_see_another_community(desktop, live_server):
    page, shot = desktop
    _t, _secretary, branch, outsider = _world()
    login(page, live_server.url, "huaihe_sj", factories.PASSWORD)
    shot("home")

    # The tree starts at the secretary's own community; other communities are not offered.
    page.goto(f"{live_server.url}/regions/")
    body = page.locator("main").inner_text() if page.locator("main").count() else page.inner_text("body")
    assert "淮河社区" in body
    assert "省供销社社区" not in body
    shot("tree")

    # A wrong check character is refused with the reason next to the field, and nothing is written.
    good = factories.new_id_number("410103", "female")
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    page.goto(f"{live_server.url}/orgs/members/new/")
    page.fill("#id_name", "王秀英")
    page.fill("#id_id_number", bad)
    page.select_option("#id_org", str(branch.pk))
    page.click("#member-form button[type=submit]")
    field_error = page.locator("#id_id_number ~ .invalid-feedback, #id_id_number + .invalid-feedback")
    assert field_error.count() >= 1
    assert "校验" in field_error.first.inner_text()
    assert Member.objects.filter(name="王秀英").count() == 0
    shot("bad-id-number")

    # Corrected, the member is saved; the page shows the ID masked (first 6 + last 4), never in full.
    page.fill("#id_id_number", good)
    page.fill("#id_phone", "13812345678")
    page.click("#member-form button[type=submit]")
    page.wait_for_url("**/orgs/members/*/")
    html = page.content()
    assert good not in html and "13812345678" not in html
    assert pii.mask_id_number(good) in html
    assert pii.mask_phone("13812345678") in html
    member = Member.objects.get(name="王秀英")
    assert pii.decrypt(member.id_number_enc) == good and member.gender == "female"
    shot("member-saved-masked")

    # Another community's member: not found, and the list does not mention it.
    resp = page.goto(f"{live_server.url}/orgs/members/{outsider.pk}/")
    assert resp is not None and resp.status == 404
    shot("other-community-404")
    page.goto(f"{live_server.url}/orgs/members/?q={outsider.name}")
    assert outsider.name not in page.locator("table").inner_text() if page.locator("table").count() else True

    # English, then back to Chinese, on the member list.
    page.goto(f"{live_server.url}/orgs/members/")
    with page.expect_navigation():
        page.select_option("#language-select", "en")
    assert page.locator("html").get_attribute("lang") == "en"
    assert "Party members" in page.inner_text("body") or "Members" in page.inner_text("body")
    shot("member-list-en")
    with page.expect_navigation():
        page.select_option("#language-select", "zh-hans")
    assert "党员" in page.inner_text("body")


def test_member_sees_own_card_on_a_phone(phone, live_server):
    page, shot = phone
    t, _secretary, branch, _outsider = _world()
    account = factories.user(Role.MEMBER, region=t.comm_a1, username="dangyuan")
    factories.member(branch, name="李建国", home=t.comm_a1, in_service=True, user=account)
    login(page, live_server.url, "dangyuan", factories.PASSWORD)
    page.goto(f"{live_server.url}/orgs/me/")
    assert "李建国" in page.inner_text("body")
    shot("my-membership-375")
    # The page fits a 375 px screen: nothing scrolls sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
