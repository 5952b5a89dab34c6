from __future__ import annotations

from gongjian.cobuild import services
from gongjian.cobuild.models import Need, Resource


def login(client, user):
    client.logout()
    client.force_login(user)
    return client


def _needs(world, k=3):
    admin = world.users["community_admin"]
    return [services.need_create(actor=admin, title=f"需求{i}", community=world.tree.comm_a1.pk, category=world.cat.pk) for i in range(k)]


def test_need_list_empty_search_filters_and_query_count(world, client, django_assert_max_num_queries):
    c = login(client, world.users["community_admin"])
    r = c.get("/cobuild/needs/")
    assert r.status_code == 200 and "暂无需求" in r.content.decode()
    _needs(world, 3)
    with django_assert_max_num_queries(12):
        r = c.get("/cobuild/needs/")
    html = r.content.decode()
    assert r.status_code == 200 and html.count('data-label="标题"') == 3
    _needs(world, 20)
    with django_assert_max_num_queries(12):
        c.get("/cobuild/needs/?size=50")
    assert c.get("/cobuild/needs/", {"q": "需求1"}).content.decode().count('data-label="标题"') == 12
    assert "没有符合条件的需求" in c.get("/cobuild/needs/", {"q": "不存在"}).content.decode()
    assert c.get("/cobuild/needs/", {"status": "published"}).content.decode().count('data-label="标题"') == 0


def test_need_pages_escape_user_text(world, client):
    n = services.need_create(actor=world.users["community_admin"], title="<script>alert(1)</script>", community=world.tree.comm_a1.pk)
    c = login(client, world.users["community_admin"])
    html = c.get(f"/cobuild/needs/{n.pk}/").content.decode()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html


def test_need_form_errors_next_to_fields_and_nothing_written(world, client):
    c = login(client, world.users["community_admin"])
    r = c.post("/cobuild/needs/new/", {"title": "", "community": world.tree.comm_a1.pk, "lat": "100", "lng": "113",
                                       "wanted_from": "2027-03-01", "wanted_to": "2027-01-01", "urgency": "normal", "source": "staff"})
    html = r.content.decode()
    assert r.status_code == 400
    for field in ("title", "lat", "wanted_to"):
        assert f'data-error-for="{field}"' in html
    assert "结束日期不能早于开始日期" in html
    assert Need.objects.count() == 0
    r = c.post("/cobuild/needs/new/", {"title": "加装扶手", "community": world.tree.comm_a1.pk, "urgency": "high", "source": "meeting"})
    assert r.status_code == 302
    n = Need.objects.get()
    assert n.source == "meeting" and n.urgency == "high"
    r = c.post(f"/cobuild/needs/{n.pk}/met/")
    n.refresh_from_db()
    assert n.status == "draft"  # forbidden transition: message, nothing changed
    c.post(f"/cobuild/needs/{n.pk}/publish/")
    n.refresh_from_db()
    assert n.status == "published"


def test_out_of_scope_pages_are_404(world, client):
    n = _needs(world, 1)[0]
    c = login(client, world.users["community_admin_b"])
    assert c.get(f"/cobuild/needs/{n.pk}/").status_code == 404
    assert c.get(f"/cobuild/needs/{n.pk}/edit/").status_code == 404
    assert c.post(f"/cobuild/needs/{n.pk}/publish/").status_code == 404
    n.refresh_from_db()
    assert n.status == "draft"
    r = services.resource_create(actor=world.users["unit_liaison"], unit=world.unit_a.pk, title="活动室", kind="venue")
    c2 = login(client, world.users["unit_liaison_b"])
    assert c2.get(f"/cobuild/resources/{r.pk}/").status_code == 404
    assert c2.post(f"/cobuild/resources/{r.pk}/offer/").status_code == 404
    assert c2.get("/cobuild/needs/").status_code == 404  # a liaison has no needs list
    assert c2.get("/cobuild/categories/").status_code == 404


def test_wish_page_for_resident(world, client):
    c = login(client, world.users["resident"])
    r = c.get("/cobuild/wish/")
    assert r.status_code == 200 and "您还没有提交过心愿" in r.content.decode()
    r = c.post("/cobuild/wish/", {"title": ""})
    assert r.status_code == 400 and 'data-error-for="title"' in r.content.decode()
    r = c.post("/cobuild/wish/", {"title": "想要一盏台灯", "description": "孙子写作业"}, follow=True)
    html = r.content.decode()
    assert "想要一盏台灯" in html and "待审核" in html
    w = Need.objects.get()
    assert w.source == "wish" and w.status == "draft" and w.submitted_by == world.users["resident"]
    assert c.get("/cobuild/needs/").status_code == 404
    admin = login(client, world.users["community_admin"])
    html = admin.get("/cobuild/needs/?review=1").content.decode()
    assert "想要一盏台灯" in html
    admin.post(f"/cobuild/needs/{w.pk}/reject/", {"reason": "已由网格员解决"})
    w.refresh_from_db()
    assert w.status == "withdrawn"
    c = login(client, world.users["resident"])
    html = c.get("/cobuild/wish/").content.decode()
    assert "未采纳" in html and "已由网格员解决" in html


def test_resource_pages(world, client, django_assert_max_num_queries):
    c = login(client, world.users["unit_liaison"])
    assert "暂无资源" in c.get("/cobuild/resources/").content.decode()
    r = c.post("/cobuild/resources/new/", {"unit": world.unit_a.pk, "title": "活动室", "kind": "venue", "capacity": "-1",
                                           "capacity_unit": "m2"})
    assert r.status_code == 400 and 'data-error-for="capacity"' in r.content.decode() and Resource.objects.count() == 0
    r = c.post("/cobuild/resources/new/", {"unit": world.unit_a.pk, "title": "活动室", "kind": "venue", "capacity": "120",
                                           "capacity_unit": "m2", "service_regions": [world.tree.comm_a2.pk]})
    assert r.status_code == 302
    res = Resource.objects.get()
    c.post(f"/cobuild/resources/{res.pk}/offer/")
    res.refresh_from_db()
    assert res.status == "offered"
    for i in range(10):
        services.resource_create(actor=world.users["unit_liaison"], unit=world.unit_a.pk, title=f"资源{i}", kind="goods")
    with django_assert_max_num_queries(12):
        html = c.get("/cobuild/resources/").content.decode()
    assert html.count('data-label="标题"') == 11
    assert c.get("/cobuild/resources/", {"kind": "venue"}).content.decode().count('data-label="标题"') == 1


def test_exports(world, client):
    _needs(world, 2)
    services.need_create(actor=world.users["community_admin"], title="=HYPERLINK(\"x\")", community=world.tree.comm_a1.pk)
    c = login(client, world.users["community_admin"])
    r = c.get("/cobuild/needs/export/?format=csv")
    body = r.content.decode("utf-8-sig")
    assert r.status_code == 200 and "需求0" in body and "'=HYPERLINK" in body
    r = c.get("/cobuild/needs/export/?format=xlsx")
    assert r.status_code == 200 and r.content[:2] == b"PK"
    r = c.get("/cobuild/resources/export/?format=csv")
    assert r.status_code == 200


def test_categories_page(world, client):
    c = login(client, world.users["district_admin"])
    assert "助老" in c.get("/cobuild/categories/").content.decode()
    r = c.post("/cobuild/categories/new/", {"name": "助老", "applies_to": "both"})
    assert r.status_code == 400 and "已有同名类别" in r.content.decode()
    assert c.post("/cobuild/categories/new/", {"name": "托育服务", "applies_to": "needs", "sort_order": "1"}).status_code == 302
    c.post(f"/cobuild/categories/{world.cat.pk}/toggle/")
    world.cat.refresh_from_db()
    assert not world.cat.is_active
    assert login(client, world.users["community_admin"]).get("/cobuild/categories/").status_code == 404
