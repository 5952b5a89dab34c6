from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.urls import reverse

from gongjian.accounts.choices import Role
from gongjian.core import pii
from gongjian.core.models import AuditEvent
from gongjian.orgs.models import Member
from gongjian.testing import factories
from gongjian.testing import factories as f


@pytest.fixture
def login(client):
    def _login(user):
        client.force_login(user)
        return client

    return _login


def test_member_list_masks_and_searches(world, login):
    c = login(world.users["community_admin"])
    resp = c.get(reverse("orgs:member_list"))
    assert resp.status_code == 200
    html = resp.content.decode()
    idn = pii.decrypt(world.m_a1.id_number_enc)
    assert "张伟" in html and "李娜" not in html and "王强" not in html
    assert idn not in html and pii.mask_id_number(idn) in html
    assert "13800001111" not in html and "138****1111" in html
    assert 'data-label="' in html and "table-responsive-stack" in html
    resp = c.get(reverse("orgs:member_list"), {"q": "没有这个人"})
    assert "member-table" not in resp.content.decode()


def test_member_list_page_query_count_is_fixed(world, login, django_assert_max_num_queries):
    for i in range(60):
        f.member(world.org_a1, name=f"成员{i}", home=world.tree.comm_a1, employer=world.unit_a)
    c = login(world.users["community_admin"])
    counts = []
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for size in (20, 50, 100):
        cache.clear()  # the list's count is counted again (it is kept in the cache: see test_list_counts_are_kept_until_a_change)
        with CaptureQueriesContext(connection) as ctx:
            assert c.get(reverse("orgs:member_list"), {"size": size}).status_code == 200
        counts.append(len(ctx.captured_queries))
    assert len(set(counts)) == 1, counts
    with django_assert_max_num_queries(12):
        c.get(reverse("orgs:member_list"), {"q": "成员", "size": 100})


def test_views_answer_404_out_of_scope(world, login):
    c = login(world.users["community_admin"])
    for name, pk in [("orgs:member_detail", world.m_b1.pk), ("orgs:member_edit", world.m_b1.pk), ("orgs:member_transfer", world.m_b1.pk),
                     ("orgs:member_deactivate", world.m_b1.pk), ("orgs:org_detail", world.org_b1.pk), ("orgs:org_edit", world.org_b1.pk),
                     ("orgs:unit_detail", world.unit_b.pk), ("orgs:unit_edit", world.unit_b.pk)]:
        assert c.get(reverse(name, args=[pk])).status_code == 404, name
    assert c.post(reverse("orgs:member_reveal", args=[world.m_b1.pk])).status_code == 404
    # a role without the page at all
    c = login(world.users["resident"])
    assert c.get(reverse("orgs:member_list")).status_code == 404
    assert c.get(reverse("orgs:me")).status_code == 404


def test_anonymous_is_sent_to_login(client, world):
    resp = client.get(reverse("orgs:member_list"))
    assert resp.status_code == 302 and "login" in resp["Location"]


def test_member_form_shows_id_error_next_to_field_and_writes_nothing(world, login):
    c = login(world.users["community_admin"])
    before = Member.objects.count()
    resp = c.post(reverse("orgs:member_create"), {"name": "<script>x</script>", "id_number": "410103199001011234", "org": world.org_a1.pk,
                                                  "status": "full"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert resp.status_code == 400
    html = resp.content.decode()
    assert 'data-error-for="id_number"' in html
    assert "<script>x</script>" not in html and "&lt;script&gt;" in html
    assert Member.objects.count() == before


def test_member_create_edit_transfer_deactivate_through_pages(world, login):
    c = login(world.users["subdistrict_admin"])
    idn = f.new_id_number("410103", "male", dt.date(1985, 7, 15))
    resp = c.post(reverse("orgs:member_create"), {"name": "孙磊", "id_number": idn, "org": world.org_a1.pk, "status": "full", "phone": "13612345678",
                                                  "employer_uscc": world.unit_a.uscc, "home_community": world.tree.comm_a1.pk, "in_service": "on",
                                                  "join_date": "2010-07-01"})
    assert resp.status_code == 302, resp.content.decode()[:2000]
    m = Member.objects.get(name="孙磊")
    assert m.employer_unit == world.unit_a and m.in_service
    resp = c.post(reverse("orgs:member_create"), {"name": "孙磊", "id_number": idn, "org": world.org_a1.pk, "status": "full",
                                                  "employer_uscc": "91410100MA0000000X"})
    assert resp.status_code == 400
    html = resp.content.decode()
    assert 'data-error-for="id_number"' in html and 'data-error-for="employer_uscc"' in html
    # edit: a subdistrict admin sees full values in the form, which is audited
    resp = c.get(reverse("orgs:member_edit", args=[m.pk]))
    assert idn in resp.content.decode()
    assert AuditEvent.objects.filter(verb="pii.read", target_id=str(m.pk)).exists()
    resp = c.post(reverse("orgs:member_edit", args=[m.pk]), {"name": "孙磊磊", "id_number": idn, "status": "full", "phone": "13612345678",
                                                             "employer_uscc": world.unit_a.uscc, "in_service": "on"})
    assert resp.status_code == 302
    resp = c.post(reverse("orgs:member_transfer", args=[m.pk]), {"to_org": world.org_a2.pk, "note": "搬迁"})
    assert resp.status_code == 302
    resp = c.get(reverse("orgs:member_deactivate", args=[m.pk]))
    assert resp.status_code == 200 and "confirm-form" in resp.content.decode()
    resp = c.post(reverse("orgs:member_deactivate", args=[m.pk]), {"status": "transferred_out", "reason": "转出"})
    assert resp.status_code == 302
    m.refresh_from_db()
    assert m.name == "孙磊磊" and m.org == world.org_a2 and not m.is_active


def test_district_admin_edits_without_seeing_full_numbers(world, login):
    c = login(world.users["district_admin"])
    idn = pii.decrypt(world.m_a1.id_number_enc)
    resp = c.get(reverse("orgs:member_edit", args=[world.m_a1.pk]))
    html = resp.content.decode()
    assert idn not in html and "13800001111" not in html and pii.mask_id_number(idn) in html
    resp = c.post(reverse("orgs:member_edit", args=[world.m_a1.pk]), {"name": "张伟", "id_number": "", "phone": "", "status": "full",
                                                                      "home_community": world.tree.comm_a1.pk})
    assert resp.status_code == 302
    world.m_a1.refresh_from_db()
    assert pii.decrypt(world.m_a1.id_number_enc) == idn and pii.decrypt(world.m_a1.phone_enc) == "13800001111"


def test_show_full_is_audited_and_only_for_roles_that_need_it(world, login):
    c = login(world.users["community_admin"])
    idn = pii.decrypt(world.m_a1.id_number_enc)
    detail = c.get(reverse("orgs:member_detail", args=[world.m_a1.pk])).content.decode()
    assert idn not in detail and 'id="reveal"' in detail
    resp = c.post(reverse("orgs:member_reveal", args=[world.m_a1.pk]))
    assert resp.status_code == 200 and idn in resp.content.decode() and resp["Cache-Control"] == "no-store"
    ev = AuditEvent.objects.get(verb="pii.read", target_id=str(world.m_a1.pk))
    assert ev.actor == world.users["community_admin"]
    c = login(world.users["district_admin"])
    assert 'id="reveal"' not in c.get(reverse("orgs:member_detail", args=[world.m_a1.pk])).content.decode()
    assert c.post(reverse("orgs:member_reveal", args=[world.m_a1.pk])).status_code == 404
    assert c.get(reverse("orgs:member_reveal", args=[world.m_a1.pk])).status_code == 405


def test_exports_masked_unless_full_and_full_is_audited(world, login):
    c = login(world.users["district_admin"])
    idn = pii.decrypt(world.m_a1.id_number_enc)
    resp = c.get(reverse("orgs:member_export"), {"format": "csv"})
    body = resp.content.decode("utf-8-sig")
    assert resp.status_code == 200 and "张伟" in body and idn not in body and pii.mask_id_number(idn) in body
    assert c.get(reverse("orgs:member_export"), {"format": "csv", "full": "1"}).status_code == 403
    c = login(world.users["community_admin"])
    resp = c.get(reverse("orgs:member_export"), {"format": "csv", "full": "1"})
    body = resp.content.decode("utf-8-sig")
    assert idn in body and "13800001111" in body and "李娜" not in body
    ev = AuditEvent.objects.get(verb="pii.export")
    assert ev.changes["count"] == 1
    resp = c.get(reverse("orgs:member_export"))
    assert resp["Content-Type"].startswith("application/vnd.openxmlformats")


def test_export_neutralises_formulas(world, login):
    Member.objects.filter(pk=world.m_a1.pk).update(name="=HYPERLINK(\"x\")")
    c = login(world.users["community_admin"])
    body = c.get(reverse("orgs:member_export"), {"format": "csv"}).content.decode("utf-8-sig")
    assert "'=HYPERLINK" in body


def test_me_page_for_the_member(world, login):
    c = login(world.users["member"])
    resp = c.get(reverse("orgs:me"))
    html = resp.content.decode()
    assert resp.status_code == 200 and "张伟" in html and "淮河社区第一党支部" in html
    assert pii.decrypt(world.m_a1.id_number_enc) not in html
    assert c.get(reverse("orgs:member_list")).status_code == 404
    assert c.get(reverse("orgs:member_detail", args=[world.m_a2.pk])).status_code == 404


def test_org_unit_policy_pages(world, login, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    c = login(world.users["district_admin"])
    html = c.get(reverse("orgs:org_list")).content.decode()
    assert "淮河路街道党工委" in html and "省供销社社区党支部" not in html
    assert c.get(reverse("orgs:org_detail", args=[world.committee_a.pk])).status_code == 200
    resp = c.post(reverse("orgs:org_create"), {"name": "新支部", "rank": "branch", "parent": world.committee_a.pk, "region": world.tree.comm_a2.pk,
                                               "sector": "community", "formation": "standalone", "basis": "location"})
    assert resp.status_code == 302
    resp = c.post(reverse("orgs:org_create"), {"name": "", "rank": "", "sector": "", "formation": "standalone", "basis": "location"})
    assert resp.status_code == 400 and 'data-error-for="name"' in resp.content.decode()
    assert c.get(reverse("orgs:org_export"), {"format": "csv"}).status_code == 200
    assert "二七区某机关" in c.get(reverse("orgs:unit_list")).content.decode()
    assert c.get(reverse("orgs:unit_export")).status_code == 200
    resp = c.post(reverse("orgs:unit_create"), {"name": "坏单位", "uscc": "123", "kind": "enterprise", "region": world.tree.erqi.pk})
    assert resp.status_code == 400 and 'data-error-for="uscc"' in resp.content.decode()
    resp = c.post(reverse("orgs:policy_create"), {"title": "社区治理办法", "level": "district", "role": "supporting", "issuer": "二七区委",
                                                  "issued_on": "2024-03-01", "region": world.tree.erqi.pk, "body": "社区治理的具体办法。"})
    assert resp.status_code == 302
    pid = int(resp["Location"].rstrip("/").split("/")[-1])
    from django.core.files.uploadedfile import SimpleUploadedFile

    c.post(reverse("orgs:attachment_add", args=[pid]), {"file": SimpleUploadedFile("办法.pdf", b"%PDF-1.7 x")})
    html = c.get(reverse("orgs:policy_detail", args=[pid])).content.decode()
    assert "办法.pdf" in html
    html = c.get(reverse("orgs:policy_list"), {"q": "社区治理"}).content.decode()
    assert "社区治理办法" in html and "<mark>" in html
    # a resident can read the library but not manage it
    r = login(world.users["resident"])
    assert r.get(reverse("orgs:policy_detail", args=[pid])).status_code == 200
    assert r.get(reverse("orgs:policy_edit", args=[pid])).status_code == 404
    assert r.get(reverse("orgs:policy_create")).status_code == 404


def test_nav_and_home_panels(world, login):
    c = login(world.users["community_admin"])
    html = c.get("/").content.decode()
    assert 'data-nav="orgs.members"' in html and 'data-panel="orgs.area"' in html and "淮河社区" in html
    assert '<div class="h2 m-0" data-stat="members">1</div>' in html
    assert 'data-nav="orgs.me"' not in html
    c = login(world.users["member"])
    html = c.get("/").content.decode()
    assert 'data-nav="orgs.me"' in html and 'data-nav="orgs.members"' not in html and 'data-panel="orgs.me"' in html


@pytest.mark.django_db
def test_member_without_home_community_or_employer_renders(client, tree):
    admin = factories.user(Role.COMMUNITY_ADMIN, region=tree.comm_a1)
    m = factories.member(factories.party_org(tree.comm_a1))  # no home community, no employer
    client.force_login(admin)
    resp = client.get(f"/orgs/members/{m.pk}/")
    assert resp.status_code == 200
    assert m.name in resp.content.decode()


def test_home_area_panel_is_computed_once_per_scope_and_moves_with_the_data(world, login, django_capture_on_commit_callbacks):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def member_count(c) -> str:
        html = c.get("/").content.decode()
        return html.split('data-stat="members">', 1)[1].split("<", 1)[0]

    c = login(world.users["community_admin"])
    with CaptureQueriesContext(connection) as first:  # the first visit computes every panel
        assert member_count(c) == "1"
    # a second administrator of the same community: the panel comes from the cache, not from counting again
    other = f.user(Role.COMMUNITY_ADMIN, region=world.tree.comm_a1)
    c2 = login(other)
    with CaptureQueriesContext(connection) as again:
        assert member_count(c2) == "1"
    counts = [q["sql"] for q in again.captured_queries if "orgs_member" in q["sql"] and "COUNT" in q["sql"].upper()]
    assert counts == [], counts
    assert len(again.captured_queries) <= len(first.captured_queries)
    # a new member bumps the module's version: the next visit counts again
    with django_capture_on_commit_callbacks(execute=True):
        f.member(world.org_a1, name="新成员", home=world.tree.comm_a1)
        from gongjian.core import registry

        registry.bump("orgs")
    assert member_count(c2) == "2"
    # another community's administrator never gets this community's panel
    c3 = login(f.user(Role.COMMUNITY_ADMIN, region=world.tree.comm_b1))
    expected = Member.objects.filter(is_active=True, org__region=world.tree.comm_b1).count()
    assert expected != 2 and member_count(c3) == str(expected)
