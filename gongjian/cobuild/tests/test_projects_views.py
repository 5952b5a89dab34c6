"""Project pages: list (filters, pagination, export, empty states), detail, create by hand, status actions,
milestones, progress notes with photos, the scoped photo view, nav and home panels."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook
from PIL import Image

from gongjian.cobuild import services
from gongjian.cobuild.choices import NeedStatus, ProjectStatus
from gongjian.cobuild.models import Need, Project, ProjectMilestone, ProjectNote, ProjectPhoto, Resource
from gongjian.cobuild.projects import services as psvc
from gongjian.core.models import AuditEvent

# --- helpers shared by the project test files --------------------------------------------------


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def login(client, user):
    client.logout()
    client.force_login(user)
    return client


def jpeg(size: tuple[int, int] = (40, 30), gps: bool = True) -> bytes:
    im = Image.new("RGB", size, (120, 60, 30))
    buf = io.BytesIO()
    exif = Image.Exif()
    if gps:
        exif[0x010F] = "PhoneMaker"
        exif[0x8825] = {1: "N", 2: (34.0, 45.0, 12.5), 3: "E", 4: (113.0, 38.0, 1.2)}
    im.save(buf, format="JPEG", exif=exif.tobytes())
    return buf.getvalue()


def upload(name: str = "p.jpg", data: bytes | None = None, content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, jpeg() if data is None else data, content_type=content_type)


def side(world: Any, b: bool = False) -> tuple[Any, Any, Any, Any]:
    """(admin, liaison, community, unit) of community A1 / unit A, or of community B1 / unit B."""
    u = world.users
    if b:
        return u["community_admin_b"], u["unit_liaison_b"], world.tree.comm_b1, world.unit_b
    return u["community_admin"], u["unit_liaison"], world.tree.comm_a1, world.unit_a


def make_need(world: Any, title: str = "楼道加装扶手", b: bool = False, publish: bool = True) -> Need:
    admin, _l, comm, _u = side(world, b)
    return services.need_create(actor=admin, title=title, community=comm.pk, publish=publish)


def make_resource(world: Any, b: bool = False, capacity: str = "10", title: str = "志愿服务") -> Resource:
    _a, liaison, _c, unit = side(world, b)
    return services.resource_create(actor=liaison, unit=unit.pk, title=title, kind="volunteers", capacity=capacity,
                                    capacity_unit="hours", offer=True)


def make_project(world: Any, status: str = ProjectStatus.PROPOSED, b: bool = False, title: str = "适老化改造",
                 amount: str = "4") -> Project:
    admin, liaison, comm, unit = side(world, b)
    n = make_need(world, f"{title}需求", b=b)
    r = make_resource(world, b=b)
    p = services.project_create(actor=admin, title=title, community=comm, unit=unit, needs=[n], resources=[(r, amount)],
                                plan="分两批完成")
    order: list[str] = [ProjectStatus.AGREED, ProjectStatus.IN_PROGRESS, ProjectStatus.DONE, ProjectStatus.RATED]
    if status == ProjectStatus.CANCELLED:
        return services.project_cancel(actor=admin, project=p, reason="单位无法承担")
    steps = order[: order.index(status) + 1] if status in order else []
    for step in steps:
        if step == ProjectStatus.AGREED:
            p = services.project_agree(actor=liaison, project=p)
        elif step == ProjectStatus.IN_PROGRESS:
            p = services.project_start(actor=liaison, project=p)
        elif step == ProjectStatus.DONE:
            p = services.project_complete(actor=liaison, project=p, outcome="已完成")
        else:
            p = services.project_rate(actor=admin, project=p, rating=5, remark="满意")
    assert p.status == status
    return p


def rows(html: str) -> int:
    return html.count("<tr data-project=")


# --- list ------------------------------------------------------------------------------------


def test_list_empty_states_for_admin_and_liaison(world, client):
    html = login(client, world.users["community_admin"]).get("/cobuild/projects/").content.decode()
    assert "暂无项目" in html and 'id="project-create-link"' in html and "/cobuild/projects/new/" in html
    html = login(client, world.users["unit_liaison"]).get("/cobuild/projects/").content.decode()
    assert "暂无项目" in html and 'id="project-create-link"' not in html
    make_project(world)
    html = login(client, world.users["community_admin"]).get("/cobuild/projects/", {"q": "不存在的项目"}).content.decode()
    assert "没有符合条件的项目" in html and rows(html) == 0


def test_list_scope_filters_search_and_pagination(world, client, django_assert_max_num_queries):
    a1 = make_project(world, title="楼道扶手")
    a2 = make_project(world, ProjectStatus.IN_PROGRESS, title="老年食堂")
    b1 = make_project(world, b=True, title="通信花园绿化")
    c = login(client, world.users["community_admin"])
    html = c.get("/cobuild/projects/").content.decode()
    assert rows(html) == 2 and "通信花园绿化" not in html
    assert rows(c.get("/cobuild/projects/", {"status": "in_progress"}).content.decode()) == 1
    assert "老年食堂" in c.get("/cobuild/projects/", {"q": "食堂"}).content.decode()
    assert rows(c.get("/cobuild/projects/", {"q": "食堂 扶手"}).content.decode()) == 0  # all words must match
    assert rows(c.get("/cobuild/projects/", {"community": world.tree.comm_a1.pk}).content.decode()) == 2
    assert rows(c.get("/cobuild/projects/", {"community": world.tree.comm_b1.pk}).content.decode()) == 0  # another scope's id
    assert rows(c.get("/cobuild/projects/", {"unit": world.unit_b.pk}).content.decode()) == 0
    # hostile filter values: ignored or empty, never an error
    for bad in ({"status": "nope"}, {"community": "-1"}, {"unit": "1e99"}, {"page": "-3"}, {"size": "100000"},
                {"community": "9" * 40}):
        r = c.get("/cobuild/projects/", bad)
        assert r.status_code == 200, bad
    assert c.get("/cobuild/projects/", {"q": "a\x00b"}).status_code == 400  # refused for the whole site by the middleware
    city = login(client, world.users["city_admin"])
    assert rows(city.get("/cobuild/projects/").content.decode()) == 3
    # the liaison of unit A sees his unit's projects only; the filter lists only their communities
    html = login(client, world.users["unit_liaison"]).get("/cobuild/projects/").content.decode()
    assert rows(html) == 2 and "通信花园绿化" not in html and "省供销社社区</option>" not in html
    assert {a1.pk, a2.pk} == {p for p in Project.objects.filter(unit=world.unit_a).values_list("pk", flat=True)}
    assert b1.unit_id == world.unit_b.pk
    for i in range(25):
        make_project(world, title=f"批量项目{i}")
    city = login(client, world.users["city_admin"])
    with django_assert_max_num_queries(14):
        r = city.get("/cobuild/projects/")
    assert rows(r.content.decode()) == 20 and "1 / 2" in r.content.decode()
    with django_assert_max_num_queries(14):
        r = city.get("/cobuild/projects/?size=50")
    assert rows(r.content.decode()) == 28


def test_list_shows_latest_progress_and_rating(world, client):
    p = make_project(world, ProjectStatus.IN_PROGRESS)
    psvc.note_add(actor=world.users["unit_liaison"], project=p, text="第一批完成", progress=40)
    psvc.note_add(actor=world.users["unit_liaison"], project=p, text="补充说明")
    psvc.note_add(actor=world.users["unit_liaison"], project=p, text="第二批开始", progress=70)
    r = make_project(world, ProjectStatus.RATED, title="已评价项目")
    html = login(client, world.users["community_admin"]).get("/cobuild/projects/").content.decode()
    assert 'aria-valuenow="70"' in html and "★★★★★" in html and r.title in html


def test_export_xlsx_and_csv_follow_scope_and_filters(world, client):
    make_project(world, ProjectStatus.RATED, title="楼道扶手")
    make_project(world, ProjectStatus.IN_PROGRESS, title="老年食堂")
    make_project(world, b=True, title="通信花园绿化")
    c = login(client, world.users["community_admin"])
    r = c.get("/cobuild/projects/export/", {"format": "csv"})
    assert r.status_code == 200 and "text/csv" in r["Content-Type"]
    table = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert table[0][:6] == ["标题", "社区代码", "社区（村）", "责任单位", "状态", "需求数"]
    titles = {row[0] for row in table[1:]}
    assert titles == {"楼道扶手", "老年食堂"}
    rated = next(row for row in table[1:] if row[0] == "楼道扶手")
    assert rated[2] == "淮河社区" and rated[3] == world.unit_a.name and rated[4] == "已评价" and rated[5] == "1" and rated[11] == "5"
    r = c.get("/cobuild/projects/export/", {"format": "xlsx", "status": "in_progress"})
    assert r.status_code == 200 and "spreadsheet" in r["Content-Type"]
    ws: Any = load_workbook(io.BytesIO(r.content)).active
    values = [[cell.value for cell in row] for row in ws.iter_rows()]
    assert len(values) == 2 and values[1][0] == "老年食堂" and values[1][4] == "实施中"
    # the liaison of unit B exports only his unit's project
    r = login(client, world.users["unit_liaison_b"]).get("/cobuild/projects/export/", {"format": "csv"})
    assert [row[0] for row in csv.reader(io.StringIO(r.content.decode("utf-8-sig")))][1:] == ["通信花园绿化"]
    # roles without projects: not found
    assert login(client, world.users["resident"]).get("/cobuild/projects/export/").status_code == 404


def test_export_neutralises_formula_text(world, client):
    admin, _l, comm, unit = side(world)
    n = make_need(world)
    services.project_create(actor=admin, title="=HYPERLINK(\"http://x\")", community=comm, unit=unit, needs=[n])
    r = login(client, admin).get("/cobuild/projects/export/", {"format": "csv"})
    body = r.content.decode("utf-8-sig")
    assert "=HYPERLINK" in body and "\n=HYPERLINK" not in body.replace("\r", "")


# --- detail ----------------------------------------------------------------------------------


def test_detail_shows_needs_resources_plan_history_and_escapes_text(world, client, django_assert_max_num_queries):
    admin, liaison, comm, unit = side(world)
    n = make_need(world, "<script>alert(1)</script>")
    r = make_resource(world, title="周末志愿服务队")
    p = services.project_create(actor=admin, title="<b>项目</b>", community=comm, unit=unit, needs=[n], resources=[(r, "6")],
                                plan="第一步：<img src=x onerror=alert(1)>")
    services.project_agree(actor=liaison, project=p)
    psvc.milestone_add(actor=admin, project=p, title="采购扶手", due_on="2030-01-15")
    c = login(client, admin)
    with django_assert_max_num_queries(30):
        resp = c.get(f"/cobuild/projects/{p.pk}/")
    html = resp.content.decode()
    assert resp.status_code == 200
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html and "<img src=x" not in html and "<b>项目</b>" not in html
    assert f'href="/cobuild/needs/{n.pk}/"' in html and f'href="/cobuild/resources/{r.pk}/"' in html
    assert 'data-amount="6"' in html and "周末志愿服务队" in html and "采购扶手" in html and "2030-01-15" in html
    assert 'data-history="create"' in html and 'data-history="agree"' in html and admin.username in html
    assert 'id="project-status" data-status="agreed"' in html
    # the liaison sees the project but cannot open needs (no links), and sees his own resource link
    html = login(client, liaison).get(f"/cobuild/projects/{p.pk}/").content.decode()
    assert f'href="/cobuild/needs/{n.pk}/"' not in html and "&lt;script&gt;" in html
    assert f'href="/cobuild/resources/{r.pk}/"' in html


def test_detail_out_of_scope_and_hostile_ids_are_404(world, client):
    p = make_project(world)
    for user in ("community_admin_b", "unit_liaison_b", "resident", "member", "instructor", "nobody"):
        assert login(client, world.users[user]).get(f"/cobuild/projects/{p.pk}/").status_code == 404, user
    c = login(client, world.users["community_admin"])
    assert c.get("/cobuild/projects/999999/").status_code == 404
    assert c.get("/cobuild/projects/-1/").status_code == 404
    assert c.get(f"/cobuild/projects/{'9' * 30}/").status_code == 404
    client.logout()
    assert client.get(f"/cobuild/projects/{p.pk}/").status_code == 302  # to sign in


def _actions(html: str) -> set[str]:
    import re

    return set(re.findall(r'data-action="(agree|start|complete|rate|cancel)"', html))


def test_action_buttons_only_when_allowed(world, client):
    admin, liaison = world.users["community_admin"], world.users["unit_liaison"]
    p = make_project(world)
    assert _actions(login(client, admin).get(f"/cobuild/projects/{p.pk}/").content.decode()) == {"agree", "cancel"}
    assert _actions(login(client, liaison).get(f"/cobuild/projects/{p.pk}/").content.decode()) == {"agree"}
    services.project_agree(actor=liaison, project=p)
    assert _actions(login(client, liaison).get(f"/cobuild/projects/{p.pk}/").content.decode()) == {"start"}
    services.project_start(actor=liaison, project=p)
    assert _actions(login(client, liaison).get(f"/cobuild/projects/{p.pk}/").content.decode()) == {"complete"}
    assert _actions(login(client, admin).get(f"/cobuild/projects/{p.pk}/").content.decode()) == {"complete", "cancel"}
    services.project_complete(actor=liaison, project=p, outcome="完成")
    assert _actions(login(client, liaison).get(f"/cobuild/projects/{p.pk}/").content.decode()) == set()
    assert _actions(login(client, admin).get(f"/cobuild/projects/{p.pk}/").content.decode()) == {"rate"}
    services.project_rate(actor=admin, project=p, rating=4)
    html = login(client, admin).get(f"/cobuild/projects/{p.pk}/").content.decode()
    assert _actions(html) == set() and 'data-rating="4"' in html and "★★★★☆" in html


def test_run_a_project_to_rated_through_the_pages(world, client):
    admin, liaison = world.users["community_admin"], world.users["unit_liaison"]
    p = make_project(world)
    c = login(client, liaison)
    assert c.post(f"/cobuild/projects/{p.pk}/agree/").status_code == 302
    assert c.post(f"/cobuild/projects/{p.pk}/start/").status_code == 302
    r = c.post(f"/cobuild/projects/{p.pk}/complete/", {"outcome": "  "})
    assert r.status_code == 400 and 'data-error-for="outcome"' in r.content.decode() and "请填写项目实施成效" in r.content.decode()
    p.refresh_from_db()
    assert p.status == ProjectStatus.IN_PROGRESS
    assert c.post(f"/cobuild/projects/{p.pk}/complete/", {"outcome": "扶手安装完毕"}).status_code == 302
    assert c.post(f"/cobuild/projects/{p.pk}/rate/", {"rating": "5"}).status_code == 403  # not the liaison's to rate
    c = login(client, admin)
    r = c.post(f"/cobuild/projects/{p.pk}/rate/", {"rating": "9"})
    assert r.status_code == 400 and 'data-error-for="rating"' in r.content.decode()
    r = c.post(f"/cobuild/projects/{p.pk}/rate/", {"remark": "没选星级"})
    assert r.status_code == 400 and 'data-error-for="rating"' in r.content.decode()
    r = c.post(f"/cobuild/projects/{p.pk}/rate/", {"rating": "4", "remark": "居民满意"}, follow=True)
    assert "已评价" in r.content.decode()
    p.refresh_from_db()
    assert (p.status, p.rating, p.rating_remark, p.outcome) == (ProjectStatus.RATED, 4, "居民满意", "扶手安装完毕")
    assert Need.objects.get().status == NeedStatus.MET
    # a second rating is an invalid transition: a message, nothing changes
    r = c.post(f"/cobuild/projects/{p.pk}/rate/", {"rating": "1"}, follow=True)
    assert "不能" in r.content.decode()
    p.refresh_from_db()
    assert p.rating == 4


def test_cancel_needs_a_reason_and_releases_capacity(world, client):
    p = make_project(world, ProjectStatus.AGREED)
    c = login(client, world.users["community_admin"])
    r = c.post(f"/cobuild/projects/{p.pk}/cancel/", {"reason": ""})
    assert r.status_code == 400 and 'data-error-for="reason"' in r.content.decode()
    assert c.post(f"/cobuild/projects/{p.pk}/cancel/", {"reason": "单位调整"}).status_code == 302
    p.refresh_from_db()
    assert p.status == ProjectStatus.CANCELLED and p.cancel_reason == "单位调整"
    assert Resource.objects.get().remaining == 10
    assert login(client, world.users["unit_liaison"]).post(f"/cobuild/projects/{p.pk}/cancel/", {"reason": "x"}).status_code == 403


def test_unknown_action_and_get_on_actions(world, client):
    p = make_project(world)
    c = login(client, world.users["community_admin"])
    assert c.post(f"/cobuild/projects/{p.pk}/explode/").status_code == 404
    assert c.get(f"/cobuild/projects/{p.pk}/agree/").status_code == 405


# --- create by hand --------------------------------------------------------------------------


def test_create_form_lists_the_communitys_needs_and_offered_resources(world, client):
    admin = world.users["community_admin"]
    n1 = make_need(world, "加装扶手")
    make_need(world, "草稿需求", publish=False)
    nb = make_need(world, "别的社区", b=True)
    r = make_resource(world)
    c = login(client, admin)
    html = c.get("/cobuild/projects/new/").content.decode()  # one community: chosen already
    assert f'value="{n1.pk}"' in html and "草稿需求" not in html and f'value="{nb.pk}"' not in html
    assert f'<option value="{r.pk}"' in html and 'id="project-form"' in html
    html = c.get("/cobuild/projects/new/needs/", {"community": world.tree.comm_b1.pk}).content.decode()
    assert "别的社区" not in html and "没有可纳入的" in html
    html = c.get("/cobuild/projects/new/needs/", {"community": "abc"}).content.decode()
    assert "请先选择社区" in html
    assert 'name="resource"' in c.get("/cobuild/projects/new/resource-row/").content.decode()
    assert login(client, world.users["unit_liaison"]).get("/cobuild/projects/new/").status_code == 404


def test_create_by_hand_validates_everything_and_writes_nothing_on_error(world, client):
    admin = world.users["community_admin"]
    n = make_need(world)
    nb = make_need(world, "别的社区", b=True)
    r = make_resource(world, capacity="5")
    c = login(client, admin)
    r1 = c.post("/cobuild/projects/new/", {"title": "", "community": world.tree.comm_a1.pk, "unit": world.unit_a.pk,
                                           "needs": [nb.pk, "-1", "x"], "resource": [r.pk, r.pk], "amount": ["-2", "1"]})
    html = r1.content.decode()
    assert r1.status_code == 400
    for field in ("title", "needs", "resources"):
        assert f'data-error-for="{field}"' in html, field
    r2 = c.post("/cobuild/projects/new/", {"title": "项目\x00", "community": world.tree.comm_b1.pk, "unit": world.unit_b.pk,
                                           "needs": [n.pk], "resource": [r.pk], "amount": ["6"]})
    assert r2.status_code == 400 and 'data-error-for="community"' in r2.content.decode()
    r3 = c.post("/cobuild/projects/new/", {"title": "项目", "community": world.tree.comm_a1.pk, "unit": world.unit_a.pk,
                                           "needs": [n.pk], "resource": [r.pk], "amount": ["6"]})
    assert r3.status_code == 400 and "剩余" in r3.content.decode()  # only 5 remain
    assert Project.objects.count() == 0 and Need.objects.get(pk=n.pk).status == NeedStatus.PUBLISHED
    assert Resource.objects.get(pk=r.pk).remaining == 5
    r4 = c.post("/cobuild/projects/new/", {"title": "楼道扶手", "community": world.tree.comm_a1.pk, "unit": world.unit_a.pk,
                                           "needs": [n.pk], "resource": [r.pk, ""], "amount": ["3", ""], "plan": "两周完成"})
    assert r4.status_code == 302
    p = Project.objects.get()
    assert r4["Location"] == f"/cobuild/projects/{p.pk}/"
    assert (p.title, p.plan, p.status, p.proposed_by) == ("楼道扶手", "两周完成", ProjectStatus.PROPOSED, admin)
    assert Resource.objects.get(pk=r.pk).remaining == 2


# --- milestones ------------------------------------------------------------------------------


def test_milestones_add_edit_done_reopen_remove_through_the_page(world, client):
    p = make_project(world, ProjectStatus.AGREED)
    c = login(client, world.users["unit_liaison"])
    r = c.post(f"/cobuild/projects/{p.pk}/milestones/", {"title": "", "due_on": "2030-02-01"})
    assert r.status_code == 400 and 'data-error-for="title"' in r.content.decode()
    assert c.post(f"/cobuild/projects/{p.pk}/milestones/", {"title": "采购材料", "due_on": "2030-02-01"}).status_code == 302
    m = ProjectMilestone.objects.get()
    assert c.post(f"/cobuild/projects/{p.pk}/milestones/{m.pk}/edit/", {"title": "采购扶手材料", "due_on": "2030-03-01"}).status_code == 302
    m.refresh_from_db()
    assert m.title == "采购扶手材料" and str(m.due_on) == "2030-03-01"
    c.post(f"/cobuild/projects/{p.pk}/milestones/{m.pk}/done/")
    m.refresh_from_db()
    assert m.done_on is not None
    html = c.get(f"/cobuild/projects/{p.pk}/").content.decode()
    assert 'data-done="1"' in html and 'data-milestone-action="reopen"' in html
    c.post(f"/cobuild/projects/{p.pk}/milestones/{m.pk}/reopen/")
    m.refresh_from_db()
    assert m.done_on is None
    assert c.post(f"/cobuild/projects/{p.pk}/milestones/{m.pk}/fly/").status_code == 404
    assert c.post(f"/cobuild/projects/{p.pk}/milestones/{m.pk}/remove/").status_code == 302
    assert not ProjectMilestone.objects.exists()
    verbs = set(AuditEvent.objects.filter(verb__startswith="cobuild.project.milestone").values_list("verb", flat=True))
    assert verbs == {"cobuild.project.milestone_add", "cobuild.project.milestone_update", "cobuild.project.milestone_done",
                     "cobuild.project.milestone_reopen", "cobuild.project.milestone_remove"}


def test_milestone_of_another_project_is_404(world, client):
    p = make_project(world)
    other = make_project(world, b=True)
    m = psvc.milestone_add(actor=world.users["community_admin_b"], project=other, title="别人的里程碑")
    c = login(client, world.users["community_admin"])
    assert c.post(f"/cobuild/projects/{p.pk}/milestones/{m.pk}/remove/").status_code == 404
    assert c.post(f"/cobuild/projects/{other.pk}/milestones/{m.pk}/remove/").status_code == 404
    assert ProjectMilestone.objects.filter(pk=m.pk).exists()


# --- progress notes and photos ---------------------------------------------------------------


def test_note_with_photos_from_the_page_and_photo_served_only_in_scope(world, client):
    p = make_project(world, ProjectStatus.IN_PROGRESS)
    c = login(client, world.users["unit_liaison"])
    r = c.post(f"/cobuild/projects/{p.pk}/notes/", {"text": "扶手安装一半", "progress": "50",
                                                   "photos": [upload("IMG_1.jpg"), upload("IMG_2.jpg")]})
    assert r.status_code == 302 and r["Location"].endswith("#progress")
    note = ProjectNote.objects.get()
    assert (note.text, note.progress, note.author) == ("扶手安装一半", 50, world.users["unit_liaison"])
    photos = list(ProjectPhoto.objects.order_by("id"))
    assert len(photos) == 2 and all(str(ph.file.name).startswith(f"cobuild/projects/{p.pk}/") for ph in photos)
    assert all("IMG_" not in str(ph.file.name) for ph in photos)
    html = c.get(f"/cobuild/projects/{p.pk}/").content.decode()
    url = f"/cobuild/projects/{p.pk}/photos/{photos[0].pk}/"
    assert url in html and 'data-progress="50"' in html and "/media/" not in html
    resp = c.get(url)
    assert resp.status_code == 200 and resp["Content-Type"] == "image/jpeg" and "private" in resp["Cache-Control"]
    body = b"".join(resp.streaming_content)
    assert b"PhoneMaker" not in body and not Image.open(io.BytesIO(body)).getexif()
    assert login(client, world.users["community_admin"]).get(url).status_code == 200
    for user in ("community_admin_b", "unit_liaison_b", "resident", "nobody"):
        assert login(client, world.users[user]).get(url).status_code == 404, user
    # a photo id through another project's URL
    other = make_project(world, ProjectStatus.IN_PROGRESS, title="另一个项目")
    assert login(client, world.users["community_admin"]).get(f"/cobuild/projects/{other.pk}/photos/{photos[0].pk}/").status_code == 404
    # the media URL is not served at all
    assert client.get(f"/media/{photos[0].file.name}").status_code == 404


def test_a_bad_photo_refuses_the_whole_note(world, client):
    p = make_project(world, ProjectStatus.IN_PROGRESS)
    c = login(client, world.users["unit_liaison"])
    exe = upload("扶手.jpg", b"MZ\x90\x00" + b"\x00" * 500)
    r = c.post(f"/cobuild/projects/{p.pk}/notes/", {"text": "进展", "progress": "30", "photos": [upload(), exe]})
    html = r.content.decode()
    assert r.status_code == 400 and 'data-error-for="photos"' in html and "不是照片" in html and "扶手.jpg" in html
    assert not ProjectNote.objects.exists() and not ProjectPhoto.objects.exists()
    r = c.post(f"/cobuild/projects/{p.pk}/notes/", {"text": "进展", "photos": [upload(f"{i}.jpg") for i in range(7)]})
    assert r.status_code == 400 and "最多 6 张" in r.content.decode()
    r = c.post(f"/cobuild/projects/{p.pk}/notes/", {"text": "", "progress": "150"})
    html = r.content.decode()
    assert r.status_code == 400 and 'data-error-for="text"' in html and 'data-error-for="progress"' in html
    assert not ProjectNote.objects.exists()


def test_notes_only_while_open_and_only_by_managers(world, client):
    proposed = make_project(world)
    c = login(client, world.users["unit_liaison"])
    r = c.post(f"/cobuild/projects/{proposed.pk}/notes/", {"text": "提前汇报"}, follow=True)
    assert "同意" in r.content.decode() and not ProjectNote.objects.exists()
    html = c.get(f"/cobuild/projects/{proposed.pk}/").content.decode()
    assert 'id="note-form"' not in html and 'id="milestone-form"' in html
    done = make_project(world, ProjectStatus.DONE, title="已完成项目")
    assert c.post(f"/cobuild/projects/{done.pk}/notes/", {"text": "完工照片"}).status_code == 302
    assert ProjectNote.objects.filter(project=done).count() == 1
    html = c.get(f"/cobuild/projects/{done.pk}/").content.decode()
    assert 'id="note-form"' in html and 'id="milestone-form"' not in html
    assert login(client, world.users["unit_liaison_b"]).post(f"/cobuild/projects/{done.pk}/notes/", {"text": "x"}).status_code == 404
    assert login(client, world.users["resident"]).post(f"/cobuild/projects/{done.pk}/notes/", {"text": "x"}).status_code == 404


# --- nav and panels --------------------------------------------------------------------------


def test_nav_entry_and_home_panels(world, client):
    make_project(world)
    make_project(world, ProjectStatus.IN_PROGRESS, title="进行中")
    make_project(world, ProjectStatus.DONE, title="待评价")
    html = login(client, world.users["unit_liaison"]).get("/").content.decode()
    assert 'data-nav="cobuild.projects"' in html and "项目清单" in html
    assert 'data-panel="cobuild.projects.unit"' in html and 'data-panel="cobuild.projects.area"' not in html
    assert '<div class="h2 m-0" data-stat="awaiting_agreement">1</div>' in html
    assert '<div class="h2 m-0" data-stat="in_progress">1</div>' in html
    html = login(client, world.users["community_admin"]).get("/").content.decode()
    assert 'data-panel="cobuild.projects.area"' in html and 'data-panel="cobuild.projects.unit"' not in html
    assert '<div class="h2 m-0" data-stat="awaiting_rating">1</div>' in html
    html = login(client, world.users["community_admin_b"]).get("/").content.decode()
    assert '<div class="h2 m-0" data-stat="awaiting_rating">0</div>' in html
    html = login(client, world.users["resident"]).get("/").content.decode()
    assert 'data-nav="cobuild.projects"' not in html and "cobuild.projects" not in html


def test_plan_edit_through_the_page(world, client):
    p = make_project(world, ProjectStatus.IN_PROGRESS)
    c = login(client, world.users["community_admin"])
    assert 'id="plan-form"' in c.get(f"/cobuild/projects/{p.pk}/").content.decode()
    r = c.post(f"/cobuild/projects/{p.pk}/plan/", {"plan": "长" * 9000})
    assert r.status_code == 400 and 'data-error-for="plan"' in r.content.decode()
    assert c.post(f"/cobuild/projects/{p.pk}/plan/", {"plan": "新的方案"}).status_code == 302
    p.refresh_from_db()
    assert p.plan == "新的方案"
    assert login(client, world.users["community_admin_b"]).post(f"/cobuild/projects/{p.pk}/plan/", {"plan": "x"}).status_code == 404
    assert login(client, world.users["resident"]).post(f"/cobuild/projects/{p.pk}/plan/", {"plan": "x"}).status_code == 404
    rated = make_project(world, ProjectStatus.RATED, title="已评价")
    c = login(client, world.users["community_admin"])
    assert 'id="plan-form"' not in c.get(f"/cobuild/projects/{rated.pk}/").content.decode()
    r = c.post(f"/cobuild/projects/{rated.pk}/plan/", {"plan": "x"}, follow=True)
    assert "不能再修改" in r.content.decode()


def test_detail_query_count_does_not_grow_with_notes_photos_and_milestones(world, client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    admin = world.users["community_admin"]
    p = make_project(world, ProjectStatus.IN_PROGRESS)
    psvc.note_add(actor=admin, project=p, text="第一条", photos=[upload()])
    psvc.milestone_add(actor=admin, project=p, title="节点1")
    c = login(client, admin)
    c.get(f"/cobuild/projects/{p.pk}/")
    with CaptureQueriesContext(connection) as small:
        assert c.get(f"/cobuild/projects/{p.pk}/").status_code == 200
    for i in range(5):
        psvc.note_add(actor=admin, project=p, text=f"第{i}条", progress=10 * i, photos=[upload(), upload()])
        psvc.milestone_add(actor=admin, project=p, title=f"节点{i}")
    with CaptureQueriesContext(connection) as large:
        html = c.get(f"/cobuild/projects/{p.pk}/").content.decode()
    assert html.count("data-photo=") == 11 and html.count("data-milestone=") == 6
    assert len(large.captured_queries) == len(small.captured_queries) <= 30
