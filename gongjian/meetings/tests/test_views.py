from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from gongjian.meetings import services
from gongjian.meetings.choices import MeetingStatus
from gongjian.meetings.models import Decision, Meeting

from .conftest import World, escalated, exchange, hold, plan, soon

pytestmark = pytest.mark.django_db


def client_for(user: Any) -> Client:
    c = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    c.force_login(user)
    return c


def test_list_filters_export_and_scope(world: World) -> None:
    plan(world)
    plan(world, actor_key="sub_b", region=world.tree.sub_b, title="花园路街道协调会")
    c = client_for(world.u("erqi"))
    r = c.get("/meetings/")
    assert r.status_code == 200
    body = r.content.decode()
    assert "二季度党建协调会" in body and "花园路街道协调会" not in body and "协调会议" in body
    assert "二季度党建协调会" not in c.get("/meetings/?status=held").content.decode()
    assert "二季度党建协调会" in c.get("/meetings/?level=subdistrict&kind=coordination&q=二季度").content.decode()
    # hostile filters give a list, never a 500
    for qs in ["?year=abc", "?quarter=9", "?region=-1", "?year=99999999999999999999", "?q=%3Cscript%3E", "?page=zzz"]:
        assert c.get("/meetings/" + qs).status_code == 200
    assert c.get("/meetings/?q=%00").status_code == 400  # refused before the view (core middleware)
    r = c.get("/meetings/export/?format=csv")
    assert r.status_code == 200 and "二季度党建协调会" in r.content.decode("utf-8-sig")
    assert client_for(world.u("resident")).get("/meetings/").status_code == 404


def test_plan_page_and_errors_next_to_fields(world: World) -> None:
    c = client_for(world.u("sub_a"))
    assert c.get("/meetings/new/").status_code == 200
    r = c.post("/meetings/new/", {"kind": "coordination", "region": world.tree.sub_a.pk, "title": "", "starts_at": ""})
    assert r.status_code == 400 and 'data-error-for="title"' in r.content.decode()
    assert not Meeting.objects.exists()
    escalated(world)
    when = soon().strftime("%Y-%m-%dT%H:%M")
    r = c.post("/meetings/new/", {"kind": "coordination", "region": world.tree.sub_a.pk, "title": "三季度协调会", "starts_at": when,
                                  "place": "会议室"})
    m = Meeting.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/meetings/{m.pk}/"
    assert m.agenda.count() == 1
    assert client_for(world.u("handler_build")).get("/meetings/new/").status_code == 404


def test_meeting_page_and_actions(world: World) -> None:
    ma = escalated(world)
    m = plan(world)
    c = client_for(world.u("sub_a"))
    body = c.get(f"/meetings/{m.pk}/").content.decode()
    assert ma.number in body and 'data-source="escalated"' in body and 'id="hold-form"' in body
    # others in sight read it without the forms; out of sight 404
    ro = client_for(world.u("erqi")).get(f"/meetings/{m.pk}/").content.decode()
    assert ma.number in ro and 'id="hold-form"' not in ro and 'id="agenda-form"' not in ro
    assert client_for(world.u("sub_b")).get(f"/meetings/{m.pk}/").status_code == 404
    assert client_for(world.u("erqi")).post(f"/meetings/{m.pk}/hold/", {"minutes": "x"}).status_code == 403
    assert client_for(world.u("sub_b")).post(f"/meetings/{m.pk}/hold/", {"minutes": "x"}).status_code == 404
    # attendee, agenda
    r = c.post(f"/meetings/{m.pk}/attendees/", {"kind": "department", "department": world.dept_build.pk, "present": "1"})
    assert r.status_code == 302 and m.attendees.count() == 1
    c.post(f"/meetings/{m.pk}/agenda/", {"title": "辖区工作通报"})
    assert m.agenda.count() == 2
    r = c.post(f"/meetings/{m.pk}/agenda/", {"title": ""}, follow=True)
    assert "请填写议题，或选择一个事项。" in r.content.decode()
    # hold without minutes: error next to the field, nothing changed
    r = c.post(f"/meetings/{m.pk}/hold/", {"minutes": ""})
    assert r.status_code == 400 and 'data-error-for="minutes"' in r.content.decode()
    Meeting.objects.filter(pk=m.pk).update(starts_at=timezone.now() - dt.timedelta(hours=1))
    assert c.post(f"/meetings/{m.pk}/hold/", {"minutes": "研究了加装电梯"}).status_code == 302
    assert Meeting.objects.get(pk=m.pk).status == MeetingStatus.HELD
    item = m.agenda.get(matter=ma)
    deadline = (timezone.localdate() + dt.timedelta(days=20)).isoformat()
    r = c.post(f"/meetings/{m.pk}/decisions/", {"text": "城建局牵头加装电梯", "agenda_item": item.pk, "lead": world.dept_build.pk,
                                                "deadline": deadline})
    assert r.status_code == 302
    d = Decision.objects.get()
    assert d.assignments.count() == 1
    r = c.post(f"/meetings/{m.pk}/decisions/", {"text": "通报", "task_department": [world.dept_build.pk, ""],
                                                "task_deadline": [deadline, ""]})
    assert Decision.objects.count() == 2
    body = c.get(f"/meetings/{m.pk}/").content.decode()
    assert "城建局牵头加装电梯" in body and 'data-task=' in body


def test_cancel_page(world: World) -> None:
    m = plan(world)
    c = client_for(world.u("sub_a"))
    assert c.post(f"/meetings/{m.pk}/cancel/", {"reason": ""}).status_code == 400
    assert c.post(f"/meetings/{m.pk}/cancel/", {"reason": "改期"}).status_code == 302
    assert Meeting.objects.get(pk=m.pk).status == MeetingStatus.CANCELLED


def test_calendar_page(world: World) -> None:
    plan(world)
    c = client_for(world.u("erqi"))
    r = c.get("/meetings/calendar/")
    assert r.status_code == 200 and 'id="calendar-table"' in r.content.decode() and "淮河路街道" in r.content.decode()
    for qs in ["?year=1", "?quarter=0", "?level=grid", "?root=999999", "?show=none", "?page=-3"]:
        assert c.get("/meetings/calendar/" + qs).status_code == 200
    assert client_for(world.u("handler_build")).get("/meetings/calendar/").status_code == 404


def test_handler_tasks_pages(world: World) -> None:
    m = plan(world)
    hold(world, m)
    d = services.decision_record(actor=world.u("sub_a"), meeting=m, text="开展专项检查", tasks=[(world.dept_build, soon())])
    t = d.tasks.get()
    c = client_for(world.u("handler_build"))
    r = c.get("/meetings/tasks/")
    assert r.status_code == 200 and "开展专项检查" in r.content.decode()
    assert c.get(f"/meetings/tasks/{t.pk}/").status_code == 200
    r = c.post(f"/meetings/tasks/{t.pk}/", {"result": ""})
    assert r.status_code == 400
    assert c.post(f"/meetings/tasks/{t.pk}/", {"result": "检查完成"}).status_code == 302
    t.refresh_from_db()
    assert t.status == "done"
    assert client_for(world.u("handler_jinshui")).get(f"/meetings/tasks/{t.pk}/").status_code == 404
    # the handler reads the meeting his department has a task from
    assert c.get(f"/meetings/{m.pk}/").status_code == 200


def test_exchange_pages_and_attachment_scope(world: World, tmp_path: Any, settings: Any) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = str(tmp_path)
    m = exchange(world)
    c = client_for(world.u("city"))
    r = c.post(f"/meetings/{m.pk}/speakers/", {"region": world.tree.sub_a.pk, "name": "刘书记", "topic": "红色物业", "report": "做法",
                                               "attachment": SimpleUploadedFile("r.pdf", b"%PDF-1.4\n%%EOF\n")})
    assert r.status_code == 302
    s = m.speakers.get()
    url = f"/meetings/{m.pk}/speakers/{s.pk}/attachment/"
    r = c.get(url)
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf" and r["X-Content-Type-Options"] == "nosniff"
    assert client_for(world.u("comm_b1")).get(url).status_code == 200  # every admin reads a city exchange
    assert client_for(world.u("resident")).get(url).status_code == 404
    assert client_for(world.u("handler_build")).get(url).status_code == 404
    c.post(f"/meetings/{m.pk}/experiences/", {"speaker": s.pk, "title": "红色物业经验", "summary": "党建引领", "tags": "物业", "published": "on"})
    e = m.experiences.get()
    body = client_for(world.u("comm_b1")).get("/meetings/experiences/?q=红色").content.decode()
    assert "红色物业经验" in body
    assert "红色物业经验" not in client_for(world.u("comm_b1")).get("/meetings/experiences/?q=充电桩").content.decode()
    assert client_for(world.u("comm_b1")).get(f"/meetings/experiences/{e.pk}/").status_code == 200
    assert client_for(world.u("comm_b1")).post(f"/meetings/experiences/{e.pk}/", {"title": "x", "summary": "y"}).status_code == 403
    assert client_for(world.u("comm_b1")).post(f"/meetings/{m.pk}/speakers/", {"name": "x"}).status_code == 403


def test_home_panels(world: World) -> None:
    from gongjian.accounts.selectors import home_panels

    keys = {p["key"] for p in home_panels(actor=world.u("sub_a"))}
    assert "meetings.quarter" in keys
    panel = next(p for p in home_panels(actor=world.u("sub_a")) if p["key"] == "meetings.quarter")
    assert {s["key"]: s["value"] for s in panel["stats"]}["not_met"] == 1
    assert "meetings.tasks" in {p["key"] for p in home_panels(actor=world.u("handler_build"))}
    assert client_for(world.u("sub_a")).get("/").status_code == 200


def _queries(c: Client, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert c.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_query_counts_do_not_grow_with_rows(world: World) -> None:
    c = client_for(world.u("sub_a"))
    c.get("/meetings/")  # the account's first request reads its scope rows (core.scope keeps them per version)
    for i in range(2):
        plan(world, title=f"会议{i}")
    few = _queries(c, "/meetings/")
    for i in range(8):
        plan(world, title=f"更多会议{i}")
    assert _queries(c, "/meetings/") == few
    escalated(world)
    escalated(world, title="充电桩")
    m = plan(world, title="详情")
    hold(world, m)
    items = list(m.agenda.all())
    services.decision_record(actor=world.u("sub_a"), meeting=m, text="一", agenda_item=items[0], lead=world.dept_build,
                             deadline=timezone.localdate() + dt.timedelta(days=9))
    services.decision_record(actor=world.u("sub_a"), meeting=m, text="二", tasks=[(world.dept_build, soon())])
    one = _queries(c, f"/meetings/{m.pk}/")
    services.decision_record(actor=world.u("sub_a"), meeting=m, text="三", agenda_item=items[1], lead=world.dept_build,
                             assist=[world.tree.dept_erqi], deadline=timezone.localdate() + dt.timedelta(days=9))
    services.decision_record(actor=world.u("sub_a"), meeting=m, text="四", tasks=[(world.dept_build, soon()), (world.tree.dept_erqi, soon())])
    assert _queries(c, f"/meetings/{m.pk}/") == one


def test_meeting_list_counts_agenda_and_decisions_for_its_page_only(world: World) -> None:
    """Issue #12: the list's agenda and decision counts are correlated subqueries on the page's rows, not COUNT(DISTINCT)
    over joins of every meeting in the scope before the LIMIT; the page, the API list and their COUNT(*) cost the same
    number of queries however many meetings, agenda items and decisions there are."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from gongjian.meetings import selectors as sel

    from .test_api import Api

    escalated(world)
    escalated(world, title="充电桩")
    m = plan(world, title="有议题的会")
    hold(world, m)
    items = list(m.agenda.all())
    assert len(items) == 2
    services.decision_record(actor=world.u("sub_a"), meeting=m, text="一", tasks=[(world.dept_build, soon())])
    plan(world, title="下一次会")
    rows = {x.title: (x.agenda_count, x.decision_count) for x in sel.meeting_list(actor=world.u("sub_a"))}  # type: ignore[attr-defined]
    assert rows == {x.title: (x.agenda.count(), x.decisions.count()) for x in Meeting.objects.all()}
    assert rows["有议题的会"] == (2, 1)
    c, api = client_for(world.u("sub_a")), Api(world.u("sub_a"))
    api.get("/meetings")  # the token's first use is recorded
    with CaptureQueriesContext(connection) as ctx:
        assert c.get("/meetings/").status_code == 200
    page = [q["sql"] for q in ctx.captured_queries if 'FROM "meetings_meeting"' in q["sql"]]
    assert len(page) == 2 and not any('JOIN "meetings_agendaitem"' in s or 'JOIN "meetings_decision"' in s for s in page), page
    assert "meetings_agendaitem" not in next(s for s in page if "COUNT(*)" in s.split("FROM")[0])  # the paginator's count
    few = (_queries(c, "/meetings/"), len(_api_queries(api)))
    for i in range(6):
        x = hold(world, plan(world, title=f"更多会议{i}"))
        services.decision_record(actor=world.u("sub_a"), meeting=x, text="决议", tasks=[(world.dept_build, soon())])
    assert (_queries(c, "/meetings/"), len(_api_queries(api))) == few
    assert {i["title"] for i in api.get("/meetings").json()["items"]} >= {"有议题的会", "更多会议5"}


def _api_queries(api: Any) -> list[str]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert api.get("/meetings").status_code == 200
    return [q["sql"] for q in ctx.captured_queries]


def _task_sql(c: Client) -> list[str]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert c.get("/meetings/tasks/").status_code == 200
    return [q["sql"] for q in ctx.captured_queries]


def test_task_list_reads_a_fixed_number_of_queries_whatever_the_tasks(world: World) -> None:
    """The department's tasks are one query with their decision, meeting, department and the department's region joined
    (``Department.__str__`` reads the region's name: once per row before), none of a meeting's minutes; more tasks, the
    same queries."""
    m = plan(world)
    hold(world, m)
    services.decision_record(actor=world.u("sub_a"), meeting=m, text="开展专项检查0", tasks=[(world.dept_build, soon())])
    c = client_for(world.u("handler_build"))
    c.get("/meetings/tasks/")  # the scopes, the session and the list's count warm
    few = _task_sql(c)
    rows = [s for s in few if 'FROM "meetings_decisiontask"' in s and not s.startswith("SELECT COUNT(")]
    assert len(rows) == 1 and '"regions_region"' in rows[0] and '"minutes"' not in rows[0], rows
    assert not [s for s in few if s.startswith('SELECT "regions_region"')], few
    for i in range(1, 6):
        services.decision_record(actor=world.u("sub_a"), meeting=m, text=f"开展专项检查{i}", tasks=[(world.dept_build, soon(days=i))])
    c.get("/meetings/tasks/")  # the count of the new tasks, once (kept per version of meetings: core.counts)
    assert len(_task_sql(c)) == len(few)
    body = c.get("/meetings/tasks/").content.decode()
    assert all(f"开展专项检查{i}" in body for i in range(6)) and body.count(" · 二七区城建局 · ") == 6


def test_task_list_is_kept_for_the_handlers_of_its_departments(world: World, monkeypatch: Any) -> None:
    """With lists kept (``core.listcache``): a second handler of the same department is served the list the first one's
    request kept, without reading a task; a handler of another department sees his own."""
    from gongjian.accounts.models import Scope, User
    from gongjian.core import listcache

    monkeypatch.setattr(listcache, "enabled", lambda: True)
    m = plan(world)
    hold(world, m)
    services.decision_record(actor=world.u("sub_a"), meeting=m, text="开展专项检查", tasks=[(world.dept_build, soon())])
    twin = User.objects.create_user(username="h_build_twin", password="Twin-password-1")
    for s in Scope.objects.filter(user=world.u("handler_build"), is_active=True):
        Scope.objects.create(user=twin, role=s.role, kind=s.kind, region=s.region, unit=s.unit, department=s.department)
    first = client_for(world.u("handler_build")).get("/meetings/tasks/")
    assert listcache.is_shared(first.wsgi_request) and "开展专项检查" in first.content.decode()
    c = client_for(twin)
    assert not [s for s in _task_sql(c) if '"meetings_decisiontask"' in s]
    assert "开展专项检查" in c.get("/meetings/tasks/").content.decode()
    assert "开展专项检查" not in client_for(world.u("handler_erqi")).get("/meetings/tasks/").content.decode()
