"""Visibility (the escalation path, assigned departments, the reporter) and the work queues, with query counts."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gongjian.core.errors import NotFound
from gongjian.matters import selectors as sel
from gongjian.matters import services as svc
from gongjian.matters.choices import MatterStatus
from gongjian.matters.models import Assignment, Matter

from .domain import World, accepted, at_level, report, w_fixture  # noqa: F401 - the fixture "w"

pytestmark = pytest.mark.django_db


def sees(w: World, who: str, m: Matter) -> bool:
    listed = m.pk in set(sel.matter_list(actor=w.u[who]).values_list("pk", flat=True))
    try:
        sel.matter_get(actor=w.u[who], id=m.pk)
        got = True
    except NotFound:
        got = False
    assert listed == got, who
    return got


def test_visibility_follows_the_escalation_path(w: World) -> None:
    m = accepted(w, actor="resident")
    everyone = ["city", "erqi", "jinshui", "sub_a", "sub_b", "comm_a1", "comm_a2", "comm_b1", "h_erqi", "h_cj", "h_jinshui",
                "resident", "resident2", "member", "nobody"]
    assert {u for u in everyone if sees(w, u, m)} == {"comm_a1", "resident"}
    svc.matter_escalate(actor=w.u["comm_a1"], matter=m, reason="上交街道")
    assert {u for u in everyone if sees(w, u, m)} == {"comm_a1", "sub_a", "resident"}
    svc.matter_escalate(actor=w.u["sub_a"], matter=m, reason="上交区")
    assert {u for u in everyone if sees(w, u, m)} == {"comm_a1", "sub_a", "erqi", "resident"}
    svc.matter_assign(actor=w.u["erqi"], matter=m, lead=w.dept_erqi_cj)
    assert {u for u in everyone if sees(w, u, m)} == {"comm_a1", "sub_a", "erqi", "h_cj", "resident"}
    svc.matter_escalate(actor=w.u["erqi"], matter=m, reason="上交市")
    # the city now sees it; the withdrawn department keeps its sight of what it worked on
    assert {u for u in everyone if sees(w, u, m)} == {"city", "comm_a1", "sub_a", "erqi", "h_cj", "resident"}


def test_superuser_sees_everything(w: World) -> None:
    m = report(w)
    w.u["nobody"].is_superuser = True
    w.u["nobody"].save()
    assert sees(w, "nobody", m)


def test_list_filters(w: World) -> None:
    a = accepted(w, title="加装电梯", urgency="complex")
    b = report(w, title="路灯不亮", urgency="general", community=w.tree.comm_a1)
    c = at_level(w, "subdistrict", title="停车难")
    svc.matter_assign(actor=w.u["sub_a"], matter=c, lead=w.dept_erqi_cj)
    u = w.u["comm_a1"]

    def ids(**f: Any) -> set[int]:
        return set(sel.matter_list(actor=u, filters=f).values_list("pk", flat=True))

    assert ids() == {a.pk, b.pk, c.pk}
    assert ids(q="路灯") == {b.pk}
    assert ids(q="停车难 3号楼") == {c.pk}
    assert ids(q=b.number) == {b.pk}
    assert ids(status="reported") == {b.pk}
    assert ids(status="open") == {a.pk, b.pk, c.pk}
    assert ids(status="bogus") == {a.pk, b.pk, c.pk}
    assert ids(urgency="complex") == {a.pk}
    assert ids(department=w.dept_erqi_cj.pk) == {c.pk}
    assert ids(owner=w.tree.sub_a.pk) == {c.pk}
    assert ids(owner="me") == {a.pk, b.pk}
    assert ids(community=w.tree.comm_a2.pk) == set()
    assert ids(region="not-a-number") == set()
    assert ids(mine="1") == {a.pk, b.pk, c.pk}
    assert ids(overdue="1") == set()
    Matter.objects.filter(pk=a.pk).update(is_overdue=True)
    assert ids(overdue="1") == {a.pk}
    assert set(sel.overdue_list(actor=u).values_list("pk", flat=True)) == {a.pk}
    assert set(sel.overdue_list(actor=w.u["sub_a"]).values_list("pk", flat=True)) == set()


def test_list_costs_a_fixed_number_of_queries(w: World) -> None:
    for i in range(3):
        accepted(w, title=f"事项{i}")
    u = w.u["comm_a1"]
    list(sel.matter_list(actor=u))  # scopes read once per actor
    with CaptureQueriesContext(connection) as few:
        rows = list(sel.matter_list(actor=u))
        _ = [(m.category, m.community.name, m.owner.name) for m in rows]
    for i in range(10):
        accepted(w, title=f"更多{i}")
    with CaptureQueriesContext(connection) as many:
        rows = list(sel.matter_list(actor=u))
        _ = [(m.category, m.community.name, m.owner.name) for m in rows]
    assert len(rows) == 13 and len(few) == len(many) == 1
    with CaptureQueriesContext(connection) as q:
        queues = sel.work_queue(actor=u)
        for qs in queues.values():
            _ = [(m.community.name, m.owner.name) for m in qs]
    assert len(q) <= len(queues) + 2


def test_work_queues_per_role(w: World) -> None:
    r = report(w, actor="resident", title="待受理")
    d = accepted(w, title="待决定")
    s = at_level(w, "subdistrict", title="街道待决定")
    x = at_level(w, "subdistrict", title="已派单")
    lead, helper = svc.matter_assign(actor=w.u["sub_a"], matter=x, lead=w.dept_erqi_cj, assist=[w.dept_erqi])
    res = accepted(w, title="待回访")
    svc.matter_resolve(actor=w.u["comm_a1"], matter=res, resolution="已处理")

    def keys(who: str) -> dict[str, set[int]]:
        return {k: set(v.values_list("pk", flat=True)) for k, v in sel.work_queue(actor=w.u[who]).items()}

    c = keys("comm_a1")
    assert c["to_accept"] == {r.pk} and c["to_decide"] == {d.pk} and c["to_callback"] == {res.pk} and c["assigned"] == set()
    sa = keys("sub_a")
    assert sa["to_accept"] == set() and sa["to_decide"] == {s.pk} and sa["assigned"] == {x.pk} and sa["to_resolve"] == set()
    svc.assignment_result(actor=w.u["h_cj"], assignment=lead, result="已完成")
    assert keys("sub_a")["to_resolve"] == {x.pk}
    assert keys("h_erqi")["assigned_to_me"] == {x.pk}
    assert keys("h_cj")["assigned_to_me"] == set()
    assert keys("resident")["mine"] == {r.pk}
    assert keys("h_jinshui") == {"assigned_to_me": set(), "overdue": set()}
    dq = {k: set(v.values_list("pk", flat=True)) for k, v in sel.department_queue(actor=w.u["h_erqi"]).items()}
    assert dq["to_accept"] == {helper.pk} and dq["done"] == set()
    assert {k: set(v) for k, v in sel.department_queue(actor=w.u["comm_a1"]).items()} == {
        k: set() for k in ("to_accept", "in_progress", "overdue", "followed_up", "done", "returned")}
    # a matter resolved at the subdistrict is called back by the community it comes from too
    svc.matter_resolve(actor=w.u["sub_a"], matter=x.pk, resolution="已完成")
    assert x.pk in keys("comm_a1")["to_callback"] and x.pk in keys("sub_a")["to_callback"]
    assert x.pk not in keys("comm_a2").get("to_callback", set())


def test_assignment_get_scope(w: World) -> None:
    m = at_level(w, "subdistrict")
    lead, helper = svc.matter_assign(actor=w.u["sub_a"], matter=m, lead=w.dept_erqi_cj, assist=[w.dept_erqi])
    assert sel.assignment_get(actor=w.u["h_cj"], id=lead.pk) == lead
    assert sel.assignment_get(actor=w.u["h_erqi"], id=lead.pk) == lead  # a department on the matter sees its other assignments
    assert sel.assignment_get(actor=w.u["sub_a"], id=helper.pk) == helper
    for who in ("h_jinshui", "erqi", "comm_b1", "resident2", "nobody"):
        with pytest.raises(NotFound):
            sel.assignment_get(actor=w.u[who], id=lead.pk)
    with pytest.raises(NotFound):
        sel.assignment_get(actor=w.u["h_cj"], id="x")
    assert list(sel.matter_assignments(actor=w.u["sub_a"], matter=m)) == [lead, helper]
    assert sel.follow_ups(actor=w.u["h_cj"], assignment=lead).count() == 0


def test_matters_awaiting_coordination(w: World) -> None:
    from django.utils import timezone

    from gongjian.meetings.models import AgendaItem, Meeting
    from gongjian.meetings.selectors import planned_agenda_items

    a = at_level(w, "subdistrict", title="待协调一")
    b = at_level(w, "subdistrict", title="待协调二")
    at_level(w, "district", title="区级")
    accepted(w, title="社区自办")
    ids = set(sel.matters_awaiting_coordination(taken=planned_agenda_items(), region=w.tree.sub_a).values_list("pk", flat=True))
    assert ids == {a.pk, b.pk}
    meeting = Meeting.objects.create(region=w.tree.sub_a, region_path=w.tree.sub_a.path, level="subdistrict", year=2026, quarter=4,
                                     title="协调会", starts_at=timezone.now())
    AgendaItem.objects.create(meeting=meeting, matter=a, title=a.title)
    assert set(sel.matters_awaiting_coordination(taken=planned_agenda_items(), region=w.tree.sub_a.pk).values_list("pk", flat=True)) == {b.pk}
    Meeting.objects.filter(pk=meeting.pk).update(status="held")
    assert set(sel.matters_awaiting_coordination(taken=planned_agenda_items(), region=w.tree.sub_a).values_list("pk", flat=True)) == {a.pk, b.pk}
    svc.matter_assign(actor=w.u["sub_a"], matter=b, lead=w.dept_erqi)
    assert set(sel.matters_awaiting_coordination(taken=planned_agenda_items(), region=w.tree.sub_a).values_list("pk", flat=True)) == {a.pk}
    assert not sel.matters_awaiting_coordination(taken=planned_agenda_items(), actor=w.u["sub_b"], region=w.tree.sub_a).exists()
    assert sel.matters_awaiting_coordination(taken=planned_agenda_items(), region=999999).count() == 0
    # decided at a meeting without departments: no longer proposed; escalated again later: proposed at the next level
    from gongjian.meetings.models import Decision

    held = Meeting.objects.get(pk=meeting.pk)
    svc.matter_mark_coordinated(actor=w.u["sub_a"], matter=a, decision=Decision.objects.create(meeting=held, matter=a, text="街道自办"))
    assert set(sel.matters_awaiting_coordination(taken=planned_agenda_items(), region=w.tree.sub_a).values_list("pk", flat=True)) == set()
    svc.matter_escalate(actor=w.u["sub_a"], matter=a.pk, reason="街道协调未果")
    assert a.pk in set(sel.matters_awaiting_coordination(taken=planned_agenda_items(), region=w.tree.erqi).values_list("pk", flat=True))
    assert Matter.objects.get(pk=a.pk).status == MatterStatus.ESCALATED and Matter.objects.get(pk=a.pk).owner == w.tree.erqi


def test_events_and_catalogue(w: World) -> None:
    m = accepted(w)
    assert [e.kind for e in sel.matter_events(actor=w.u["comm_a1"], matter=m)] == ["reported", "accepted"]
    with pytest.raises(NotFound):
        sel.matter_events(actor=w.u["comm_b1"], matter=m)
    with pytest.raises(NotFound):
        sel.matter_events(actor=w.u["comm_b1"], matter=m.pk)
    leaves = sel.category_choices()
    assert 60 <= leaves.count() <= 160 and all(c.level == 3 for c in leaves)
    assert sel.category_list(actor=w.u["h_erqi"], filters={"q": "充电桩"}).count() == 1
    assert sel.category_list(actor=w.u["nobody"]).count() == 0
    assert sel.rule_list(actor=w.u["erqi"]).count() == 4
    tree = sel.category_tree()
    assert tree[0].level == 1


def test_available_actions_follow_the_owner(w: World) -> None:
    m = report(w, actor="resident")
    acts = sel.available_actions(actor=w.u["comm_a1"], matter=m)
    assert acts["accept"] and acts["reject"] and not acts["escalate"] and not acts["assign"] and acts["attach"] and acts["read_phone"]
    assert not any(v for k, v in sel.available_actions(actor=w.u["resident"], matter=m).items() if k != "attach")
    assert sel.available_actions(actor=w.u["resident"], matter=m)["attach"]
    svc.matter_accept(actor=w.u["comm_a1"], matter=m)
    acts = sel.available_actions(actor=w.u["comm_a1"], matter=m)
    assert acts["escalate"] and acts["assign"] and acts["resolve"] and not acts["accept"]
    svc.matter_escalate(actor=w.u["comm_a1"], matter=m, reason="上交")
    assert not sel.available_actions(actor=w.u["comm_a1"], matter=m)["assign"]
    (lead,) = svc.matter_assign(actor=w.u["sub_a"], matter=m, lead=w.dept_erqi_cj)
    acts = sel.available_actions(actor=w.u["sub_a"], matter=m)
    assert acts["follow_up"] == [lead.pk] and not acts["resolve"] and acts["escalate"]
    assert sel.available_actions(actor=w.u["h_cj"], matter=m)["handle"] == [lead.pk]
    svc.assignment_result(actor=w.u["h_cj"], assignment=lead, result="已完成")
    m.refresh_from_db()
    assert sel.available_actions(actor=w.u["sub_a"], matter=m)["resolve"]
    svc.matter_resolve(actor=w.u["sub_a"], matter=m, resolution="已办结")
    assert sel.available_actions(actor=w.u["comm_a1"], matter=m)["callback"]
    assert not sel.available_actions(actor=w.u["comm_a2"], matter=m)["callback"]
    # the city cannot escalate
    c = at_level(w, "city", title="市级")
    assert not sel.available_actions(actor=w.u["city"], matter=c)["escalate"]
    assert sel.available_actions(actor=w.u["city"], matter=c)["assign"]


def test_department_queue_and_overdue_lists_cost_one_query_each(w: World) -> None:
    def fill(n: int) -> None:
        for i in range(n):
            m = at_level(w, "subdistrict", title=f"派单{n}-{i}")
            svc.matter_assign(actor=w.u["sub_a"], matter=m, lead=w.dept_erqi_cj)
        Matter.objects.update(is_overdue=True)

    def cost() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as q:
            queues = sel.department_queue(actor=w.u["h_cj"])
            for qs in queues.values():
                _ = [(a.matter.number, a.matter.community.name, a.department.name, a.by_region.name) for a in qs]
            _ = [(m.community.name, m.owner.name) for m in sel.overdue_list(actor=w.u["sub_a"])]
            _ = [(a.matter.number, a.department.name) for a in sel.overdue_assignments(actor=w.u["sub_a"])]
        return len(q), len(queues)

    sel.department_queue(actor=w.u["h_cj"])
    fill(2)
    few, n = cost()
    fill(6)
    assert cost() == (few, n) and few <= n + 2 + 2


def test_a_matter_number_is_looked_up_alone(w: World) -> None:
    a = accepted(w, title="加装电梯")
    b = report(w, title=f"与 {a.number} 同一楼栋的路灯不亮")  # mentions the first one's number in its title
    listed = lambda q: set(sel.matter_list(actor=w.u["comm_a1"], filters={"q": q}).values_list("pk", flat=True))  # noqa: E731
    assert sel.MATTER_NUMBER_RE.match(a.number)
    assert listed(a.number) == {a.pk}
    assert listed(a.number.lower()) == {a.pk}  # typed in lower case
    assert listed("路灯") == {b.pk}
    assert listed(a.number[:-3]) == {b.pk}  # a partial number is text: it finds the title that mentions it


def test_work_queue_counts_are_the_sizes_of_the_queues(w: World) -> None:
    """``work_queue_counts`` (one query) answers what counting each queue of ``work_queue`` would, for every kind of actor."""
    report(w, title="待受理")
    accepted(w, title="待决定")
    up = at_level(w, "district", title="上交到区")
    svc.matter_assign(actor=w.u["erqi"], matter=up, lead=w.dept_erqi_cj.pk, assist=[w.dept_erqi.pk])
    late = at_level(w, "subdistrict", title="超期")
    Matter.objects.filter(pk=late.pk).update(is_overdue=True)
    Assignment.objects.filter(matter=up, department=w.dept_erqi_cj).update(is_overdue=True)
    report(w, actor="resident", title="居民自己的")
    for who in ("comm_a1", "comm_a2", "sub_a", "erqi", "city", "h_cj", "h_erqi", "resident", "nobody"):
        u = w.u[who]
        queues = sel.work_queue(actor=u)
        expected = {k: qs.count() for k, qs in queues.items()}
        with CaptureQueriesContext(connection) as q:
            counts = sel.work_queue_counts(actor=u)
        assert counts == expected, who
        assert len(q) <= 1, who
    assert sel.work_queue_counts(actor=w.u["erqi"])["assigned"] == 1
    assert sel.work_queue_counts(actor=w.u["h_cj"])["overdue"] == 1
