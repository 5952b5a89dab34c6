"""Services of a project's plan and progress: milestones, progress notes, photos — validation, status rules,
nothing written on error (no row, no file), audit, and hostile input."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone, translation
from PIL import Image

from gongjian.cobuild.choices import ProjectStatus
from gongjian.cobuild.models import ProjectMilestone, ProjectNote, ProjectPhoto
from gongjian.cobuild.projects import selectors as sel
from gongjian.cobuild.projects import services as psvc
from gongjian.core.errors import NotFound, TransitionError, ValidationError
from gongjian.core.models import AuditEvent

from .test_projects_views import _media, jpeg, make_project, upload  # noqa: F401 - _media is autouse


def _files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def _zh(exc: Exception) -> str:
    with translation.override("zh-hans"):
        return " ".join(str(m) for msgs in getattr(exc, "details", {}).values() for m in msgs) or str(exc)


def test_milestones_lifecycle_and_audit(world):
    liaison = world.users["unit_liaison"]
    p = make_project(world)
    m1 = psvc.milestone_add(actor=liaison, project=p, title="  采购  材料 ", due_on="2030-01-10")
    m2 = psvc.milestone_add(actor=liaison, project=p.pk, title="安装", due_on=dt.date(2030, 2, 1))
    assert m1.title == "采购 材料" and m2.sort_order > m1.sort_order
    assert [m.pk for m in p.milestones.all()] == [m1.pk, m2.pk]
    m1 = psvc.milestone_update(actor=liaison, project=p, milestone=m1.pk, title="采购扶手")
    assert m1.title == "采购扶手" and m1.due_on == dt.date(2030, 1, 10)
    m1 = psvc.milestone_mark_done(actor=liaison, project=p, milestone=m1)
    assert m1.done_on == timezone.localdate()
    with pytest.raises(TransitionError):
        psvc.milestone_mark_done(actor=liaison, project=p, milestone=m1)
    with pytest.raises(ValidationError) as exc:
        psvc.milestone_mark_done(actor=liaison, project=p, milestone=m2, done_on=timezone.localdate() + dt.timedelta(days=1))
    assert "done_on" in exc.value.details
    psvc.milestone_mark_done(actor=liaison, project=p, milestone=m2, done_on="2026-11-01")
    psvc.milestone_reopen(actor=liaison, project=p, milestone=m2)
    with pytest.raises(TransitionError):
        psvc.milestone_reopen(actor=liaison, project=p, milestone=m2)
    psvc.milestone_remove(actor=liaison, project=p, milestone=m2)
    assert list(p.milestones.values_list("title", flat=True)) == ["采购扶手"]
    events = AuditEvent.objects.filter(target_type="cobuild.project", target_id=str(p.pk), verb__contains="milestone")
    assert events.count() == 7 and all(e.actor_id == liaison.pk and e.region_path == p.region_path for e in events)
    assert events.filter(verb="cobuild.project.milestone_update").get().changes["title"] == {"before": "采购 材料", "after": "采购扶手"}


def test_milestone_validation_writes_nothing(world):
    admin = world.users["community_admin"]
    p = make_project(world)
    bad = [
        {"title": ""}, {"title": "x" * 121}, {"title": "a\x00b"}, {"title": "ok", "due_on": "2030-13-40"},
        {"title": "ok", "due_on": "1999-12-31"}, {"title": "ok", "due_on": "not a date"},
    ]
    for data in bad:
        with pytest.raises(ValidationError):
            psvc.milestone_add(actor=admin, project=p, **data)
    assert not ProjectMilestone.objects.exists() and not AuditEvent.objects.filter(verb__contains="milestone").exists()
    with pytest.raises(ValidationError) as exc:
        psvc.milestone_add(actor=admin, project=p, title="")
    assert "标题" in _zh(exc.value)


def test_milestone_limit(world):
    admin = world.users["community_admin"]
    p = make_project(world)
    ProjectMilestone.objects.bulk_create([ProjectMilestone(project=p, title=f"n{i}", sort_order=i) for i in range(psvc.MAX_MILESTONES)])
    with pytest.raises(ValidationError):
        psvc.milestone_add(actor=admin, project=p, title="再多一个")


@pytest.mark.parametrize("state", [ProjectStatus.DONE, ProjectStatus.RATED, ProjectStatus.CANCELLED])
def test_plan_is_frozen_once_the_project_is_closed(world, state):
    admin = world.users["community_admin"]
    p = make_project(world, ProjectStatus.AGREED)
    m = psvc.milestone_add(actor=admin, project=p, title="节点")
    p = make_project(world, state, title="关闭的")
    m_closed = ProjectMilestone.objects.create(project=p, title="旧节点")
    for call in (lambda: psvc.milestone_add(actor=admin, project=p, title="新"),
                 lambda: psvc.milestone_update(actor=admin, project=p, milestone=m_closed, title="改"),
                 lambda: psvc.milestone_mark_done(actor=admin, project=p, milestone=m_closed),
                 lambda: psvc.milestone_remove(actor=admin, project=p, milestone=m_closed)):
        with pytest.raises(TransitionError):
            call()
    m_closed.refresh_from_db()
    assert m_closed.title == "旧节点" and m_closed.done_on is None and m.pk


def test_milestone_ids_of_other_projects_and_hostile_ids(world):
    admin = world.users["community_admin"]
    p = make_project(world)
    other = make_project(world, title="另一个")
    m = psvc.milestone_add(actor=admin, project=other, title="别的项目的节点")
    bad: Any
    for bad in (m.pk, -1, 0, "abc", "1 OR 1=1", 2**70, None):
        with pytest.raises(NotFound):
            psvc.milestone_remove(actor=admin, project=p, milestone=bad)
    assert ProjectMilestone.objects.filter(pk=m.pk).exists()
    for bad in (-1, 0, "x", 2**70):
        with pytest.raises(NotFound):
            psvc.milestone_add(actor=admin, project=bad, title="x")


@pytest.mark.parametrize("state, allowed", [
    (ProjectStatus.PROPOSED, False), (ProjectStatus.AGREED, True), (ProjectStatus.IN_PROGRESS, True), (ProjectStatus.DONE, True),
    (ProjectStatus.RATED, False), (ProjectStatus.CANCELLED, False),
])
def test_notes_only_in_agreed_in_progress_and_done(world, state, allowed):
    p = make_project(world, state)
    if allowed:
        assert psvc.note_add(actor=world.users["unit_liaison"], project=p, text="进展").pk
    else:
        with pytest.raises(TransitionError):
            psvc.note_add(actor=world.users["unit_liaison"], project=p, text="进展", photos=[upload()])
        assert not ProjectNote.objects.exists() and _files() == []


def test_note_with_photos_stores_clean_files_under_random_names_and_audits(world):
    liaison = world.users["unit_liaison"]
    p = make_project(world, ProjectStatus.IN_PROGRESS)
    png = io.BytesIO()
    Image.new("RGBA", (20, 20), (0, 0, 0, 0)).save(png, format="PNG")
    note = psvc.note_add(actor=liaison, project=p, text="  第一批完成\n\n照片见下 ", progress="60%",
                         photos=[upload("我家地址.jpg"), upload("b.png", png.getvalue(), "image/png")])
    assert note.text == "第一批完成\n\n照片见下" and note.progress == 60 and note.author == liaison
    photos = list(note.photos.order_by("id"))
    assert [ph.content_type for ph in photos] == ["image/jpeg", "image/png"]
    assert str(photos[0].file.name).endswith(".jpg") and str(photos[1].file.name).endswith(".png")
    assert all("我家地址" not in str(ph.file.name) for ph in photos) and photos[0].project_id == p.pk
    on_disk = _files()
    assert len(on_disk) == 2
    data = on_disk[0].read_bytes() if on_disk[0].suffix == ".jpg" else on_disk[1].read_bytes()
    assert b"PhoneMaker" not in data and not Image.open(io.BytesIO(data)).getexif()
    assert photos[0].size == Path(photos[0].file.path).stat().st_size and (photos[0].width, photos[0].height) == (40, 30)
    ev = AuditEvent.objects.get(verb="cobuild.project.note_add")
    assert ev.changes["note"] == note.pk and ev.changes["progress"] == 60 and ev.changes["photos"] == [ph.pk for ph in photos]
    assert psvc.orphan_photo_files() == []


@pytest.mark.parametrize("photos, text", [
    (lambda: [upload(), upload("evil.jpg", b"MZ\x90\x00" + b"\x00" * 300)], "不是照片"),
    (lambda: [upload("half.jpg", jpeg((300, 300))[:400])], "照片"),
    (lambda: [upload(f"{i}.jpg") for i in range(7)], "最多 6 张"),
    (lambda: [upload("empty.jpg", b"")], "空"),
])
def test_one_bad_photo_refuses_the_whole_note(world, photos, text):
    p = make_project(world, ProjectStatus.IN_PROGRESS)
    with pytest.raises(ValidationError) as exc:
        psvc.note_add(actor=world.users["unit_liaison"], project=p, text="进展", progress=20, photos=photos())
    assert "photos" in exc.value.details and text in _zh(exc.value)
    assert not ProjectNote.objects.exists() and not ProjectPhoto.objects.exists() and _files() == []
    assert not AuditEvent.objects.filter(verb="cobuild.project.note_add").exists()


def test_note_field_errors_are_reported_together(world):
    p = make_project(world, ProjectStatus.IN_PROGRESS)
    with pytest.raises(ValidationError) as exc:
        psvc.note_add(actor=world.users["unit_liaison"], project=p, text="", progress="101",
                      photos=[upload("x.jpg", b"not an image")])
    assert set(exc.value.details) == {"text", "progress", "photos"}
    for bad_text in ("a\x00b", "长" * (psvc.NOTE_MAX_LENGTH + 1), "   \n  "):
        with pytest.raises(ValidationError):
            psvc.note_add(actor=world.users["unit_liaison"], project=p, text=bad_text)
    for bad_progress in ("-1", "abc", "50.5", "1e3", [50]):
        with pytest.raises(ValidationError) as exc:
            psvc.note_add(actor=world.users["unit_liaison"], project=p, text="ok", progress=bad_progress)
        assert "progress" in exc.value.details
    assert not ProjectNote.objects.exists()


def test_files_written_are_removed_when_saving_a_later_photo_fails(world, monkeypatch):
    p = make_project(world, ProjectStatus.IN_PROGRESS)
    real_save = ProjectPhoto.save
    calls = {"n": 0}

    def flaky(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("disk full")
        return real_save(self, *args, **kwargs)

    monkeypatch.setattr(ProjectPhoto, "save", flaky)
    with pytest.raises(RuntimeError):
        psvc.note_add(actor=world.users["unit_liaison"], project=p, text="进展", photos=[upload("a.jpg"), upload("b.jpg")])
    assert _files() == []


def test_orphan_files_are_listed(world):
    p = make_project(world, ProjectStatus.IN_PROGRESS)
    psvc.note_add(actor=world.users["unit_liaison"], project=p, text="进展", photos=[upload()])
    stray = Path(settings.MEDIA_ROOT) / "cobuild" / "projects" / str(p.pk) / "deadbeef.jpg"
    stray.write_bytes(b"x")
    assert psvc.orphan_photo_files() == [f"cobuild/projects/{p.pk}/deadbeef.jpg"]


def test_history_falls_back_to_timestamps(world):
    p = make_project(world, ProjectStatus.IN_PROGRESS)
    assert [h.verb for h in sel.project_history(p)] == ["create", "agree", "start"]
    p2 = make_project(world, ProjectStatus.CANCELLED, title="取消的")
    hist = sel.project_history(p2)
    assert hist[-1].verb == "cancel" and hist[-1].detail == "单位无法承担"
    from gongjian.cobuild.models import Project

    bare = Project.objects.create(title="导入的", community=p.community, region_path=p.region_path, unit=p.unit,
                                  status=ProjectStatus.DONE, agreed_at=timezone.now(), started_at=timezone.now(), done_at=timezone.now())
    assert [h.verb for h in sel.project_history(bare)] == ["create", "agree", "start", "complete"]


def test_plan_update_while_open_audited_and_validated(world):
    liaison = world.users["unit_liaison"]
    p = make_project(world, ProjectStatus.AGREED)
    p = psvc.project_plan_update(actor=liaison, project=p.pk, plan="  一、采购\n二、安装  ")
    assert p.plan == "一、采购\n二、安装"
    ev = AuditEvent.objects.get(verb="cobuild.project.plan_update")
    assert ev.changes["plan"] == {"before": "分两批完成", "after": "一、采购\n二、安装"}
    psvc.project_plan_update(actor=liaison, project=p, plan="一、采购\n二、安装")  # unchanged: no event
    assert AuditEvent.objects.filter(verb="cobuild.project.plan_update").count() == 1
    for bad in ("a\x00b", "长" * 8001):
        with pytest.raises(ValidationError):
            psvc.project_plan_update(actor=liaison, project=p, plan=bad)
    with pytest.raises(NotFound):
        psvc.project_plan_update(actor=world.users["unit_liaison_b"], project=p, plan="越权")
    done = make_project(world, ProjectStatus.DONE, title="已完成")
    with pytest.raises(TransitionError):
        psvc.project_plan_update(actor=liaison, project=done, plan="改写历史")
    done.refresh_from_db()
    assert done.plan == "分两批完成"
