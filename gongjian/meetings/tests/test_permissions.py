"""The permission matrix: who reads and who runs which meeting; the attempts that must fail."""

from __future__ import annotations

from typing import Any

import pytest

from gongjian.core.errors import NotFound, PermissionDenied
from gongjian.meetings import selectors as sel
from gongjian.meetings import services
from gongjian.meetings.choices import AttendeeKind

from .conftest import World, exchange, hold, plan, soon

pytestmark = pytest.mark.django_db

ALL = ["city", "erqi", "jinshui", "sub_a", "sub_b", "comm_a1", "comm_b1", "handler_build", "handler_erqi", "handler_jinshui", "resident",
       "liaison"]


def _reads(w: World, m: Any) -> set[str]:
    out = set()
    for k in ALL:
        try:
            sel.meeting_get(actor=w.u(k), id=m.pk)
            out.add(k)
        except NotFound:
            pass
    return out


def test_subdistrict_meeting_read_by_its_region_and_above(world: World) -> None:
    m = plan(world)
    assert _reads(world, m) == {"city", "erqi", "sub_a"}
    assert m.pk in set(sel.meeting_list(actor=world.u("erqi")).values_list("pk", flat=True))
    assert not sel.meeting_list(actor=world.u("jinshui")).exists()


def test_department_reads_meetings_it_attends_or_has_tasks_from(world: World) -> None:
    m = plan(world)
    services.attendee_add(actor=world.u("sub_a"), meeting=m, kind=AttendeeKind.DEPARTMENT, department=world.tree.dept_erqi)
    assert _reads(world, m) == {"city", "erqi", "sub_a", "handler_erqi"}
    hold(world, m)
    services.decision_record(actor=world.u("sub_a"), meeting=m, text="x", tasks=[(world.dept_build, soon())])
    assert _reads(world, m) == {"city", "erqi", "sub_a", "handler_erqi", "handler_build"}


def test_city_exchange_read_by_every_admin(world: World) -> None:
    m = exchange(world)
    assert _reads(world, m) == {"city", "erqi", "jinshui", "sub_a", "sub_b", "comm_a1", "comm_b1"}


def test_running_is_for_the_meetings_own_level(world: World) -> None:
    m = plan(world)
    cases = {"sub_a2": None, "erqi": PermissionDenied, "city": PermissionDenied, "sub_b": NotFound, "jinshui": NotFound,
             "comm_a1": NotFound, "handler_build": NotFound, "resident": NotFound, "liaison": NotFound}
    for key, err in cases.items():
        if err is None:
            services.agenda_add(actor=world.u(key), meeting=m, title=f"{key} 的议题")
        else:
            with pytest.raises(err):
                services.agenda_add(actor=world.u(key), meeting=m, title="x")
            with pytest.raises(err):
                services.meeting_cancel(actor=world.u(key), meeting=m, reason="x")
    assert m.agenda.count() == 1


def test_attending_department_cannot_run_the_meeting(world: World) -> None:
    m = plan(world)
    services.attendee_add(actor=world.u("sub_a"), meeting=m, kind=AttendeeKind.DEPARTMENT, department=world.tree.dept_erqi)
    with pytest.raises(PermissionDenied):
        services.meeting_hold(actor=world.u("handler_erqi"), meeting=m, minutes="x")


def test_exchange_run_by_city_only(world: World) -> None:
    m = exchange(world)
    with pytest.raises(PermissionDenied):
        services.speaker_add(actor=world.u("sub_a"), meeting=m, region=world.tree.sub_a, name="x", topic="y")


def test_tasks_scoped_to_department(world: World) -> None:
    m = plan(world)
    hold(world, m)
    d = services.decision_record(actor=world.u("sub_a"), meeting=m, text="x", tasks=[(world.dept_build, soon())])
    t = d.tasks.get()
    assert list(sel.task_list(actor=world.u("handler_build"))) == [t]
    assert not sel.task_list(actor=world.u("handler_erqi")).exists()
    assert not sel.task_list(actor=world.u("sub_a")).exists()
    with pytest.raises(NotFound):
        sel.task_get(actor=world.u("handler_jinshui"), id=t.pk)
    with pytest.raises(NotFound):
        sel.task_get(actor=world.u("sub_b"), id=t.pk)
    assert sel.task_get(actor=world.u("erqi"), id=t.pk) == t  # reads it through the meeting


def test_experiences_published_for_all_unpublished_for_city(world: World) -> None:
    m = exchange(world)
    e = services.experience_record(actor=world.u("city"), meeting=m, region=world.tree.sub_a, title="经验", summary="做法")
    assert sel.experience_list(actor=world.u("city")).count() == 1
    for k in ("comm_b1", "handler_build"):
        assert not sel.experience_list(actor=world.u(k)).exists()
    services.experience_update(actor=world.u("city"), experience=e, published=True)
    for k in ("comm_b1", "handler_build", "jinshui"):
        assert sel.experience_get(actor=world.u(k), id=e.pk) == e
    for k in ("resident", "liaison"):
        with pytest.raises(NotFound):
            sel.experience_get(actor=world.u(k), id=e.pk)
