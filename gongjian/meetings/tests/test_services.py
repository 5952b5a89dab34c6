from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from gongjian.core.errors import Conflict, NotFound, PermissionDenied, TransitionError, ValidationError
from gongjian.core.models import AuditEvent
from gongjian.matters.choices import AssignmentStatus, EventKind, MatterStatus
from gongjian.matters.models import Assignment, MatterEvent
from gongjian.meetings import services
from gongjian.meetings.choices import AgendaSource, AttendeeKind, DecisionStatus, MeetingKind, MeetingStatus
from gongjian.meetings.models import AgendaItem, Attendee, Decision, Meeting

from .conftest import World, escalated, exchange, hold, plan, soon

pytestmark = pytest.mark.django_db


# --- planning ----------------------------------------------------------------------------------


def test_plan_derives_year_quarter_and_audits(world: World) -> None:
    when = dt.datetime(2026, 5, 20, 9, 0, tzinfo=timezone.get_current_timezone())
    m = plan(world, starts_at=when)
    assert (m.year, m.quarter, m.level, m.region_path, m.status) == (2026, 2, "subdistrict", world.tree.sub_a.path, MeetingStatus.PLANNED)
    assert AuditEvent.objects.filter(verb="meetings.meeting.plan", target_id=str(m.pk)).exists()


def test_plan_given_quarter_must_match_the_date(world: World) -> None:
    when = dt.datetime(2026, 5, 20, 9, 0, tzinfo=timezone.get_current_timezone())
    with pytest.raises(ValidationError) as e:
        plan(world, starts_at=when, year=2026, quarter=3)
    assert "quarter" in e.value.details
    with pytest.raises(ValidationError) as e:
        plan(world, starts_at=when, year=2025)
    assert "year" in e.value.details
    assert not Meeting.objects.exists()


def test_plan_required_fields_all_reported_nothing_written(world: World) -> None:
    with pytest.raises(ValidationError) as e:
        services.meeting_plan(actor=world.u("sub_a"), region=world.tree.sub_a, title="  ", starts_at="not a date", place="")
    assert {"title", "starts_at", "place"} <= set(e.value.details)
    assert not Meeting.objects.exists()


def test_plan_only_for_own_region(world: World) -> None:
    # a district administrator does not plan his subdistrict's meeting, nor another district's
    for actor, region in [("erqi", world.tree.sub_a), ("sub_a", world.tree.sub_b), ("sub_a", world.tree.erqi), ("comm_a1", world.tree.sub_a)]:
        with pytest.raises(ValidationError) as e:
            plan(world, actor_key=actor, region=region)
        assert "region" in e.value.details
    for actor in ("handler_build", "resident", "liaison"):
        with pytest.raises(PermissionDenied):
            plan(world, actor_key=actor)
    assert not Meeting.objects.exists()


def test_every_level_plans_its_own(world: World) -> None:
    for actor, region in [("city", world.tree.city), ("erqi", world.tree.erqi), ("sub_a", world.tree.sub_a), ("comm_a1", world.tree.comm_a1)]:
        assert plan(world, actor_key=actor, region=region).level == region.level


def test_grid_has_no_meeting(world: World) -> None:
    from gongjian.testing import factories as f

    grid = f.region("410103001001001", "一网格", "grid", world.tree.comm_a1)
    with pytest.raises(ValidationError):
        plan(world, actor_key="city", region=grid)


def test_exchange_rules(world: World) -> None:
    m = exchange(world)
    assert m.kind == MeetingKind.SECRETARY_EXCHANGE and m.is_video
    with pytest.raises(ValidationError) as e:
        exchange(world, theme="")
    assert "theme" in e.value.details
    with pytest.raises(ValidationError) as e:
        exchange(world, is_video=False, place="市委")
    assert "is_video" in e.value.details
    with pytest.raises(ValidationError) as e:
        services.meeting_plan(actor=world.u("erqi"), region=world.tree.erqi, kind=MeetingKind.SECRETARY_EXCHANGE, title="x", theme="t",
                              is_video=True, starts_at=soon())
    assert "region" in e.value.details
    with pytest.raises(ValidationError):
        exchange(world, video_link="javascript:alert(1)")


def test_update_only_while_planned(world: World) -> None:
    m = plan(world)
    services.meeting_update(actor=world.u("sub_a"), meeting=m, title="二季度协调会（调整）", place="会议室")
    m.refresh_from_db()
    assert m.title == "二季度协调会（调整）"
    with pytest.raises(PermissionDenied):
        services.meeting_update(actor=world.u("erqi"), meeting=m, title="x")
    with pytest.raises(NotFound):
        services.meeting_update(actor=world.u("sub_b"), meeting=m, title="x")
    services.meeting_cancel(actor=world.u("sub_a"), meeting=m, reason="时间冲突")
    with pytest.raises(TransitionError):
        services.meeting_update(actor=world.u("sub_a"), meeting=m, title="y")


def test_hold_needs_minutes_and_not_future(world: World) -> None:
    m = plan(world)
    with pytest.raises(ValidationError) as e:
        services.meeting_hold(actor=world.u("sub_a"), meeting=m, minutes="  ")
    assert "minutes" in e.value.details
    with pytest.raises(ValidationError) as e:
        services.meeting_hold(actor=world.u("sub_a"), meeting=m, minutes="纪要", held_at=timezone.now() + dt.timedelta(days=1))
    assert "held_at" in e.value.details
    m.refresh_from_db()
    assert m.status == MeetingStatus.PLANNED
    hold(world, m)
    m.refresh_from_db()
    assert m.status == MeetingStatus.HELD and m.held_at and m.minutes
    with pytest.raises(TransitionError):
        services.meeting_hold(actor=world.u("sub_a"), meeting=m, minutes="again")
    with pytest.raises(TransitionError):
        services.meeting_cancel(actor=world.u("sub_a"), meeting=m, reason="x")


def test_cancel_needs_reason(world: World) -> None:
    m = plan(world)
    with pytest.raises(ValidationError):
        services.meeting_cancel(actor=world.u("sub_a"), meeting=m, reason="")
    services.meeting_cancel(actor=world.u("sub_a"), meeting=m, reason="疫情防控")
    m.refresh_from_db()
    assert m.status == MeetingStatus.CANCELLED and m.cancelled_reason == "疫情防控"
    with pytest.raises(TransitionError):
        services.meeting_hold(actor=world.u("sub_a"), meeting=m, minutes="x")


# --- attendees ---------------------------------------------------------------------------------


def test_attendees(world: World) -> None:
    m = plan(world)
    a = services.attendee_add(actor=world.u("sub_a"), meeting=m, kind=AttendeeKind.DEPARTMENT, department=world.dept_build)
    services.attendee_add(actor=world.u("sub_a"), meeting=m, kind=AttendeeKind.SECRETARY, region=world.tree.comm_a1, name="李书记")
    services.attendee_add(actor=world.u("sub_a"), meeting=m, kind=AttendeeKind.PERSON, name="王代表", present=False)
    assert m.attendees.count() == 3
    with pytest.raises(ValidationError):  # twice
        services.attendee_add(actor=world.u("sub_a"), meeting=m, kind=AttendeeKind.DEPARTMENT, department=world.dept_build)
    with pytest.raises(ValidationError):  # another district's department
        services.attendee_add(actor=world.u("sub_a"), meeting=m, kind=AttendeeKind.DEPARTMENT, department=world.tree.dept_jinshui)
    with pytest.raises(ValidationError):  # a secretary of a community of another subdistrict
        services.attendee_add(actor=world.u("sub_a"), meeting=m, kind=AttendeeKind.SECRETARY, region=world.tree.comm_b1)
    with pytest.raises(ValidationError):
        services.attendee_add(actor=world.u("sub_a"), meeting=m, kind=AttendeeKind.PERSON, name="")
    with pytest.raises(ValidationError):
        services.attendee_add(actor=world.u("sub_a"), meeting=m, kind="boss", name="x")
    services.attendee_set_present(actor=world.u("sub_a"), meeting=m, attendee=a, present=False)
    assert not Attendee.objects.get(pk=a.pk).present
    hold(world, m)
    services.attendee_set_present(actor=world.u("sub_a"), meeting=m, attendee=a, present=True)  # corrected after
    with pytest.raises(TransitionError):
        services.attendee_remove(actor=world.u("sub_a"), meeting=m, attendee=a)


def test_exchange_secretaries_are_subdistricts(world: World) -> None:
    m = exchange(world)
    services.attendee_add(actor=world.u("city"), meeting=m, kind=AttendeeKind.SECRETARY, region=world.tree.sub_b, name="赵书记")
    with pytest.raises(ValidationError):
        services.attendee_add(actor=world.u("city"), meeting=m, kind=AttendeeKind.SECRETARY, region=world.tree.comm_a1, name="x")


# --- the agenda: automatic proposals ------------------------------------------------------------


def test_escalated_matter_is_proposed_on_its_subdistricts_meeting_only(world: World) -> None:
    ma = escalated(world)  # → 淮河路街道
    mb = escalated(world, community=world.tree.comm_b1, title="充电桩建设")  # → 花园路街道
    m_a = plan(world)
    m_b = plan(world, actor_key="sub_b", region=world.tree.sub_b)
    assert [i.matter_id for i in m_a.agenda.all()] == [ma.pk]
    assert [i.matter_id for i in m_b.agenda.all()] == [mb.pk]
    item = m_a.agenda.get()
    assert item.source == AgendaSource.ESCALATED and item.title == ma.title
    assert MatterEvent.objects.filter(matter=ma, kind=EventKind.AGENDA).count() == 1
    # not twice: a second planned meeting of the same subdistrict, and a refresh, propose nothing more
    m_a2 = plan(world, title="专题协调会")
    assert m_a2.agenda.count() == 0
    assert services.agenda_refresh(actor=world.u("sub_a"), meeting=m_a) == []
    assert AgendaItem.objects.filter(matter=ma).count() == 1
    # a district meeting does not see a matter still owned by the subdistrict
    assert plan(world, actor_key="erqi", region=world.tree.erqi).agenda.count() == 0


def test_refresh_picks_up_new_matters_and_cancelled_meetings_release_them(world: World) -> None:
    m = plan(world)
    assert m.agenda.count() == 0
    ma = escalated(world)
    added = services.agenda_refresh(actor=world.u("sub_a"), meeting=m)
    assert [i.matter_id for i in added] == [ma.pk]
    services.meeting_cancel(actor=world.u("sub_a"), meeting=m, reason="改期")
    m2 = plan(world, title="改期后的协调会")
    assert [i.matter_id for i in m2.agenda.all()] == [ma.pk]


def test_matter_escalated_to_district_goes_to_district_meeting(world: World) -> None:
    ma = escalated(world, to_district=True)
    assert plan(world).agenda.count() == 0
    dm = plan(world, actor_key="erqi", region=world.tree.erqi, title="区党建协调会")
    assert [i.matter_id for i in dm.agenda.all()] == [ma.pk]


def test_refresh_only_for_planned_coordination(world: World) -> None:
    ex = exchange(world)
    with pytest.raises(TransitionError):
        services.agenda_refresh(actor=world.u("city"), meeting=ex)
    m = plan(world)
    hold(world, m)
    with pytest.raises(TransitionError):
        services.agenda_refresh(actor=world.u("sub_a"), meeting=m)


def test_manual_agenda_items_move_remove(world: World) -> None:
    m = plan(world)
    a = services.agenda_add(actor=world.u("sub_a"), meeting=m, title="辖区物业管理情况通报")
    b = services.agenda_add(actor=world.u("sub_a"), meeting=m, title="下季度重点工作")
    assert a.source == AgendaSource.MANUAL
    services.agenda_move(actor=world.u("sub_a"), meeting=m, item=b, direction="up")
    assert [i.pk for i in m.agenda.order_by("sort_order", "id")] == [b.pk, a.pk]
    services.agenda_reorder(actor=world.u("sub_a"), meeting=m, order=[a.pk, b.pk])
    assert [i.pk for i in m.agenda.order_by("sort_order", "id")] == [a.pk, b.pk]
    with pytest.raises(ValidationError):
        services.agenda_reorder(actor=world.u("sub_a"), meeting=m, order=[a.pk])
    with pytest.raises(ValidationError):
        services.agenda_add(actor=world.u("sub_a"), meeting=m, title="")
    services.agenda_remove(actor=world.u("sub_a"), meeting=m, item=a)
    assert list(m.agenda.values_list("pk", flat=True)) == [b.pk]
    with pytest.raises(NotFound):
        services.agenda_remove(actor=world.u("sub_a"), meeting=m, item=a)


def test_manual_matter_must_be_owned_open_and_not_elsewhere(world: World) -> None:
    ma = escalated(world)
    m1 = plan(world)  # proposes ma
    m2 = plan(world, title="第二次")
    with pytest.raises(Conflict):
        services.agenda_add(actor=world.u("sub_a"), meeting=m2, matter=ma)
    with pytest.raises(Conflict):
        services.agenda_add(actor=world.u("sub_a"), meeting=m1, matter=ma)
    mb = escalated(world, community=world.tree.comm_b1)
    with pytest.raises(ValidationError) as e:
        services.agenda_add(actor=world.u("sub_a"), meeting=m2, matter=mb)
    assert "matter" in e.value.details
    with pytest.raises(ValidationError):
        services.agenda_add(actor=world.u("sub_a"), meeting=m2, matter=999999)


def test_agenda_frozen_after_hold(world: World) -> None:
    m = plan(world)
    it = services.agenda_add(actor=world.u("sub_a"), meeting=m, title="议题")
    hold(world, m)
    calls: list[tuple[Any, dict[str, Any]]] = [(services.agenda_add, {"title": "x"}), (services.agenda_remove, {"item": it}),
                                               (services.agenda_move, {"item": it, "direction": "up"})]
    for fn, kw in calls:
        with pytest.raises(TransitionError):
            fn(actor=world.u("sub_a"), meeting=m, **kw)
    services.agenda_discussion(actor=world.u("sub_a"), meeting=m, item=it, discussion="讨论要点")


# --- decisions -----------------------------------------------------------------------------------


def test_decision_on_matter_assigns_departments_and_counts_coordinated(world: World) -> None:
    ma = escalated(world)
    m = plan(world)
    item = m.agenda.get()
    with pytest.raises(TransitionError):  # not yet held
        services.decision_record(actor=world.u("sub_a"), meeting=m, text="由城建局牵头", agenda_item=item, lead=world.dept_build,
                                 deadline=timezone.localdate() + dt.timedelta(days=30))
    hold(world, m)
    d = services.decision_record(actor=world.u("sub_a"), meeting=m, text="由城建局牵头，民政局配合", agenda_item=item,
                                 lead=world.dept_build, assist=[world.tree.dept_erqi],
                                 deadline=timezone.localdate() + dt.timedelta(days=30))
    ma.refresh_from_db()
    assert ma.status == MatterStatus.ASSIGNED and ma.coordinated_at is not None
    assert d.matter_id == ma.pk and d.status == DecisionStatus.OPEN
    assert sorted(a.department_id for a in d.assignments.all()) == sorted([world.dept_build.pk, world.tree.dept_erqi.pk])
    assert MatterEvent.objects.filter(matter=ma, kind=EventKind.COORDINATED).count() == 1
    assert not d.tasks.exists()
    # done when every assignment reported its result
    for a in d.assignments.all():
        Assignment.objects.filter(pk=a.pk).update(status=AssignmentStatus.DONE)
    services.sweep_overdue()
    d.refresh_from_db()
    assert d.status == DecisionStatus.DONE and d.done_at


def test_decision_on_matter_errors_write_nothing(world: World) -> None:
    escalated(world)
    m = plan(world)
    item = m.agenda.get()
    hold(world, m)
    bad = [
        {"text": "", "lead": world.dept_build, "deadline": timezone.localdate() + dt.timedelta(days=3)},
        {"text": "x", "lead": world.tree.dept_jinshui, "deadline": timezone.localdate() + dt.timedelta(days=3)},  # other district
        {"text": "x", "lead": world.dept_build, "deadline": timezone.localdate() - dt.timedelta(days=1)},
        {"text": "x", "lead": world.dept_build, "assist": [world.dept_build], "deadline": timezone.localdate() + dt.timedelta(days=3)},
        {"text": "x", "assist": [world.dept_build]},
        {"text": "x", "lead": world.dept_build, "tasks": [(world.dept_build, soon())]},
    ]
    for kw in bad:
        with pytest.raises(ValidationError):
            services.decision_record(actor=world.u("sub_a"), meeting=m, agenda_item=item, **kw)
    assert not Decision.objects.exists() and not Assignment.objects.exists()


def test_decision_on_matter_without_departments_marks_coordinated(world: World) -> None:
    ma = escalated(world)
    m = plan(world)
    hold(world, m)
    d = services.decision_record(actor=world.u("sub_a"), meeting=m, text="由街道自行协调解决", agenda_item=m.agenda.get())
    ma.refresh_from_db()
    assert ma.coordinated_at is not None and ma.status == MatterStatus.ESCALATED
    assert d.matter_id == ma.pk and not d.assignments.exists()


def test_decision_without_matter_gets_tasks_completed_by_handler(world: World) -> None:
    m = plan(world)
    hold(world, m)
    deadline = soon(10)
    with pytest.raises(ValidationError):
        services.decision_record(actor=world.u("sub_a"), meeting=m, text="开展物业管理专项检查")  # no tasks
    with pytest.raises(ValidationError):
        services.decision_record(actor=world.u("sub_a"), meeting=m, text="x", tasks=[(world.dept_build, deadline), (world.dept_build, deadline)])
    d = services.decision_record(actor=world.u("sub_a"), meeting=m, text="开展物业管理专项检查",
                                 tasks=[(world.dept_build, deadline), {"department": world.tree.dept_erqi.pk, "deadline": deadline}])
    assert d.tasks.count() == 2 and d.status == DecisionStatus.OPEN
    t_build = d.tasks.get(department=world.dept_build)
    t_erqi = d.tasks.get(department=world.tree.dept_erqi)
    # another department's handler cannot complete it; nor can an administrator
    with pytest.raises(PermissionDenied):
        services.task_complete(actor=world.u("handler_erqi"), task=t_build, result="x")
    with pytest.raises(NotFound):
        services.task_complete(actor=world.u("handler_jinshui"), task=t_build, result="x")
    with pytest.raises(PermissionDenied):
        services.task_complete(actor=world.u("sub_a"), task=t_build, result="x")
    with pytest.raises(ValidationError):
        services.task_complete(actor=world.u("handler_build"), task=t_build, result="")
    services.task_complete(actor=world.u("handler_build"), task=t_build, result="已检查12个小区")
    with pytest.raises(TransitionError):
        services.task_complete(actor=world.u("handler_build"), task=t_build, result="again")
    d.refresh_from_db()
    assert d.status == DecisionStatus.OPEN
    services.task_complete(actor=world.u("handler_erqi"), task=t_erqi, result="已完成")
    d.refresh_from_db()
    assert d.status == DecisionStatus.DONE
    assert AuditEvent.objects.filter(verb="meetings.task.complete").count() == 2


def test_decision_departments_limited_to_the_meeting(world: World) -> None:
    m = plan(world)
    hold(world, m)
    with pytest.raises(ValidationError):
        services.decision_record(actor=world.u("sub_a"), meeting=m, text="x", tasks=[(world.tree.dept_jinshui, soon())])
    # a city department may be called on by a subdistrict meeting (a level above), not the other way round
    services.decision_record(actor=world.u("sub_a"), meeting=m, text="y", tasks=[(world.dept_city, soon())])


def test_only_the_meetings_level_records_decisions(world: World) -> None:
    m = plan(world)
    hold(world, m)
    with pytest.raises(PermissionDenied):
        services.decision_record(actor=world.u("erqi"), meeting=m, text="x", tasks=[(world.dept_build, soon())])
    with pytest.raises(NotFound):
        services.decision_record(actor=world.u("sub_b"), meeting=m, text="x", tasks=[(world.dept_build, soon())])
    with pytest.raises(NotFound):
        services.decision_record(actor=world.u("comm_a1"), meeting=m, text="x", tasks=[(world.dept_build, soon())])


def test_overdue_sweep_follow_up_and_reminders(world: World, django_capture_on_commit_callbacks: Any) -> None:
    m = plan(world)
    hold(world, m)
    d = services.decision_record(actor=world.u("sub_a"), meeting=m, text="整治", tasks=[(world.dept_build, soon(2))])
    t = d.tasks.get()
    assert services.send_reminders(now=t.deadline - dt.timedelta(hours=3)) == 1
    assert services.send_reminders(now=t.deadline - dt.timedelta(hours=2)) == 0  # once
    later = t.deadline + dt.timedelta(hours=1)
    assert services.sweep_overdue(now=later)["tasks_overdue"] == 1
    assert services.sweep_overdue(now=later)["tasks_overdue"] == 0
    t.refresh_from_db()
    assert t.is_overdue
    with pytest.raises(PermissionDenied):
        services.task_follow_up(actor=world.u("erqi"), task=t, note="请加快")
    with pytest.raises(ValidationError):
        services.task_follow_up(actor=world.u("sub_a"), task=t, note="")
    with django_capture_on_commit_callbacks(execute=True):
        services.task_follow_up(actor=world.u("sub_a"), task=t, note="请本周内完成", new_deadline=timezone.localdate() + dt.timedelta(days=5))
    t.refresh_from_db()
    assert not t.is_overdue and t.deadline > timezone.now()
    ups = services.task_follow_ups(t)
    assert len(ups) == 1 and ups[0]["note"] == "请本周内完成"
    from gongjian.core.models import Notification

    assert Notification.objects.filter(user=world.u("handler_build"), verb="meetings.task.follow_up").exists()


# --- exchanges ---------------------------------------------------------------------------------


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _png() -> bytes:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 20, 20)).save(buf, format="PNG")
    return buf.getvalue()


def test_speakers_and_attachments(world: World, tmp_path: Any, settings: Any) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = str(tmp_path)
    m = exchange(world)
    s = services.speaker_add(actor=world.u("city"), meeting=m, region=world.tree.sub_a, name="刘书记", topic="红色物业",
                             report="我们的做法", attachment=SimpleUploadedFile("r.pdf", PDF))
    assert str(s.attachment.name).endswith(".pdf") and services.attachment_content_type(s) == "application/pdf"
    s2 = services.speaker_add(actor=world.u("city"), meeting=m, region=world.tree.sub_b, name="陈书记", topic="充电桩",
                              attachment=SimpleUploadedFile("photo.png", _png()))
    assert str(s2.attachment.name).endswith(".png")
    for bad in [b"<html><script>alert(1)</script>", b"%PDF-1.4 truncated", b"MZ\x90\x00" + b"\x00" * 100]:
        with pytest.raises(ValidationError) as e:
            services.speaker_add(actor=world.u("city"), meeting=m, region=world.tree.sub_a, name="x", topic="y",
                                 attachment=SimpleUploadedFile("r.pdf", bad))
        assert "attachment" in e.value.details
    big = SimpleUploadedFile("big.pdf", b"%PDF-" + b"0" * (services.ATTACHMENT_MAX_BYTES + 10) + b"%%EOF")
    with pytest.raises(ValidationError):
        services.speaker_add(actor=world.u("city"), meeting=m, region=world.tree.sub_a, name="x", topic="y", attachment=big)
    with pytest.raises(ValidationError):  # a community is not a subdistrict
        services.speaker_add(actor=world.u("city"), meeting=m, region=world.tree.comm_a1, name="x", topic="y")
    assert m.speakers.count() == 2
    coord = plan(world)
    with pytest.raises(TransitionError):
        services.speaker_add(actor=world.u("sub_a"), meeting=coord, region=world.tree.sub_a, name="x", topic="y")
    services.speaker_update(actor=world.u("city"), meeting=m, speaker=s, topic="红色物业（修订）", remove_attachment=True)
    s.refresh_from_db()
    assert s.topic == "红色物业（修订）" and not s.attachment
    services.speaker_remove(actor=world.u("city"), meeting=m, speaker=s2)
    assert m.speakers.count() == 1


def test_experiences(world: World) -> None:
    m = exchange(world)
    s = services.speaker_add(actor=world.u("city"), meeting=m, region=world.tree.sub_a, name="刘书记", topic="红色物业")
    e = services.experience_record(actor=world.u("city"), meeting=m, speaker=s, title="红色物业：党建引领小区治理",
                                   summary="成立小区党支部……", tags="物业, 红色物业，小区治理 物业")
    assert e.region_id == world.tree.sub_a.pk and e.tags == "物业、红色物业、小区治理" and not e.published
    with pytest.raises(PermissionDenied):
        services.experience_record(actor=world.u("sub_a"), meeting=m, title="x", summary="y", region=world.tree.sub_a)
    with pytest.raises(ValidationError):
        services.experience_record(actor=world.u("city"), meeting=m, title="", summary="", region=None)
    services.experience_update(actor=world.u("city"), experience=e, published=True)
    e.refresh_from_db()
    assert e.published
    with pytest.raises(PermissionDenied):
        services.experience_update(actor=world.u("sub_a"), experience=e, title="x")


def test_hostile_text(world: World) -> None:
    with pytest.raises(ValidationError):
        plan(world, title="会议\x00")
    m = plan(world, title="<script>alert(1)</script>" + "长" * 10)
    assert m.title.startswith("<script>")
    with pytest.raises(ValidationError):
        plan(world, title="长" * 201)
    with pytest.raises(ValidationError):
        plan(world, starts_at="9999-99-99")
    with pytest.raises(ValidationError):
        plan(world, starts_at="1899-01-01")
    with pytest.raises(NotFound):
        services.meeting_hold(actor=world.u("sub_a"), meeting="1; DROP TABLE", minutes="x")  # type: ignore[arg-type]
    with pytest.raises(NotFound):
        services.meeting_hold(actor=world.u("sub_a"), meeting=2**70, minutes="x")
