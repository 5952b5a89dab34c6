"""Road chiefs (路长制): segments, chiefs, patrols, reports → matters — services and selectors, including the failures that
must change nothing."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from gongjian.core import pii
from gongjian.core.errors import Conflict, NotFound, PermissionDenied, TransitionError, ValidationError
from gongjian.core.models import AuditEvent, Notification
from gongjian.matters.choices import MatterSource, MatterStatus
from gongjian.matters.models import Matter, MatterAttachment, MatterCategory
from gongjian.volunteering.choices import PatrolReportStatus, ReportInStatus
from gongjian.volunteering.models import MemberReportIn, PatrolLog, PatrolReport, RoadChief, RoadSegment
from gongjian.volunteering.roads import selectors, services

from .domain import World, w_fixture  # noqa: F401

pytestmark = pytest.mark.django_db

LINE = [[34.7466, 113.6253], [34.7480, 113.6301], [34.7495, 113.6350]]


def confirm(w: World, key: str, community: Any) -> MemberReportIn:
    return MemberReportIn.objects.create(member=w.m[key], community=community, region_path=community.path, unit=w.m[key].employer_unit,
                                         status=ReportInStatus.CONFIRMED, reported_at=timezone.now(), confirmed_at=timezone.now())


def jpeg(*, gps: bool = False, size: tuple[int, int] = (64, 48)) -> bytes:
    im = Image.new("RGB", size, (200, 30, 30))
    buf = io.BytesIO()
    if gps:
        exif = Image.Exif()
        exif[0x010F] = "PhoneMaker"  # Make
        exif[0x8825] = {1: "N", 2: (34.0, 44.0, 47.0), 3: "E", 4: (113.0, 37.0, 31.0)}  # GPSInfo
        im.save(buf, format="JPEG", exif=exif)
    else:
        im.save(buf, format="JPEG")
    return buf.getvalue()


def upload(data: bytes, name: str = "photo.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="image/jpeg")


@pytest.fixture(name="road")
def road_fixture(w: World) -> dict[str, Any]:
    """淮河社区: a segment with m1 as its road chief (m1's report-in confirmed)."""
    confirm(w, "m1", w.tree.comm_a1)
    seg = services.segment_create(actor=w.u["comm_a1"], community=w.tree.comm_a1, name="淮河路", start_name="大学路", end_name="兴华街",
                                  line=LINE)
    chief = services.chief_assign(actor=w.u["comm_a1"], segment=seg, member=w.m["m1"])
    return {"seg": seg, "chief": chief}


def leaf_category() -> MatterCategory:
    root = MatterCategory.objects.create(name="市容环境", level=1, full_name="市容环境")
    return MatterCategory.objects.create(name="共享单车乱停放", parent=root, level=2, full_name="市容环境 › 共享单车乱停放")


# --- segments ------------------------------------------------------------------------------------


def test_segment_length_is_computed_from_the_line(w: World, road: dict[str, Any]) -> None:
    seg = road["seg"]
    assert seg.line == LINE and seg.region_path == w.tree.comm_a1.path
    assert 850 < seg.length_m < 1000  # ~0.9 km along 淮河路
    assert services.line_length_m([[34.0, 113.0], [34.0, 113.0]]) == 0
    assert AuditEvent.objects.filter(verb="volunteering.road_segment.create", target_id=str(seg.pk)).exists()


def test_segment_line_as_text_and_edit(w: World, road: dict[str, Any]) -> None:
    s = services.segment_update(actor=w.u["comm_a1"], segment=road["seg"], name="淮河路东段", line="34.7466, 113.6253\n34.7480，113.6301")
    assert s.line == LINE[:2] and s.name == "淮河路东段" and s.length_m and s.length_m > 400
    s = services.segment_update(actor=w.u["comm_a1"], segment=s, name="淮河路东段", line="", length_m="650")
    assert s.line is None and s.length_m == 650


@pytest.mark.parametrize("line, message", [
    ([[34.7, 113.6]], "2 到 200"),
    ([[34.7, 113.6]] * 201, "2 到 200"),
    ([[113.6, 34.7], [113.7, 34.8]], "-90 到 90"),
    ([[40.7, -74.0], [40.8, -74.1]], "不在中国境内"),
    ([[34.7, 113.6], [34.8]], "逐行填写"),
    ("not a line", "逐行填写"),
    ([[34.7, 113.6], [True, 113.6]], "逐行填写"),
])
def test_bad_lines_are_refused_and_nothing_changes(w: World, road: dict[str, Any], line: Any, message: str) -> None:
    before = RoadSegment.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.segment_create(actor=w.u["comm_a1"], community=w.tree.comm_a1, name="文化路", line=line)
    assert "line" in exc.value.details
    assert message in str(exc.value.details["line"][0]) or message in str(exc.value.message)
    assert RoadSegment.objects.count() == before
    s = RoadSegment.objects.get(pk=road["seg"].pk)
    with pytest.raises(ValidationError):
        services.segment_update(actor=w.u["comm_a1"], segment=s, name="新名字", line=line)
    s.refresh_from_db()
    assert s.name == "淮河路" and s.line == LINE


def test_unique_name_per_community(w: World, road: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as exc:
        services.segment_create(actor=w.u["comm_a1"], community=w.tree.comm_a1, name=" 淮河路 ")
    assert "已有同名路段" in str(exc.value.details["name"][0])
    other = services.segment_create(actor=w.u["comm_a2"], community=w.tree.comm_a2, name="淮河路")  # another community may
    assert other.community_id == w.tree.comm_a2.pk
    assert RoadSegment.objects.filter(name="淮河路").count() == 2


def test_segment_outside_the_area_is_not_found(w: World, road: dict[str, Any]) -> None:
    with pytest.raises(NotFound):
        services.segment_create(actor=w.u["comm_b1"], community=w.tree.comm_a1, name="别人的路")
    with pytest.raises(NotFound):
        services.segment_update(actor=w.u["comm_b1"], segment=road["seg"], name="改名")
    with pytest.raises(NotFound):
        selectors.segment_get(actor=w.u["comm_b1"], id=road["seg"].pk)
    with pytest.raises(PermissionDenied):
        services.segment_create(actor=w.u["m1"], community=w.tree.comm_a1, name="成员的路")
    assert selectors.segment_get(actor=w.u["erqi"], id=road["seg"].pk).pk == road["seg"].pk  # the district sees it
    assert not selectors.segment_list(actor=w.u["comm_b1"]).exists()


def test_deactivate_ends_chiefs_and_stops_patrols(w: World, road: dict[str, Any]) -> None:
    s = services.segment_set_active(actor=w.u["comm_a1"], segment=road["seg"], active=False)
    assert not s.is_active
    c = RoadChief.objects.get(pk=road["chief"].pk)
    assert not c.is_active and c.until == timezone.localdate()
    with pytest.raises(TransitionError):
        services.segment_set_active(actor=w.u["comm_a1"], segment=s, active=False)
    with pytest.raises(NotFound):
        services.patrol_log(actor=w.u["m1"], segment=s)
    assert selectors.my_segments(actor=w.u["m1"]) == []


# --- chiefs -----------------------------------------------------------------------------------


def test_chief_needs_a_confirmed_report_in_to_that_community(w: World, road: dict[str, Any]) -> None:
    seg = road["seg"]
    with pytest.raises(ValidationError) as exc:  # m2 has no report-in
        services.chief_assign(actor=w.u["comm_a1"], segment=seg, member=w.m["m2"])
    assert "经确认" in str(exc.value.details["member"][0])
    confirm(w, "m2", w.tree.comm_a2)  # confirmed, but to another community
    with pytest.raises(ValidationError):
        services.chief_assign(actor=w.u["comm_a1"], segment=seg, member=w.m["m2"])
    MemberReportIn.objects.create(member=w.m["m4"], community=w.tree.comm_a1, region_path=w.tree.comm_a1.path,
                                  status=ReportInStatus.PENDING, reported_at=timezone.now())
    with pytest.raises(ValidationError):  # pending only
        services.chief_assign(actor=w.u["comm_a1"], segment=seg, member=w.m["m4"])
    assert RoadChief.objects.count() == 1


def test_duplicate_chief_is_a_clear_conflict_and_end_then_again(w: World, road: dict[str, Any]) -> None:
    with pytest.raises(Conflict) as exc:
        services.chief_assign(actor=w.u["comm_a1"], segment=road["seg"], member=w.m["m1"])
    assert exc.value.code == "duplicate" and "已经是本路段的在任路长" in str(exc.value.message)
    c = services.chief_end(actor=w.u["comm_a1"], chief=road["chief"])
    assert not c.is_active and c.until
    with pytest.raises(TransitionError):
        services.chief_end(actor=w.u["comm_a1"], chief=c)
    again = services.chief_assign(actor=w.u["comm_a1"], segment=road["seg"], member=w.m["m1"])
    assert again.is_active and RoadChief.objects.filter(segment=road["seg"]).count() == 2
    with pytest.raises(NotFound):
        services.chief_end(actor=w.u["comm_b1"], chief=again)


def test_member_picker_lists_confirmed_members_not_yet_chiefs(w: World, road: dict[str, Any]) -> None:
    confirm(w, "m4", w.tree.comm_a1)
    assert [m.name for m in selectors.chief_member_choices(road["seg"])] == ["陈静"]


# --- patrols -----------------------------------------------------------------------------------


def test_chief_logs_a_patrol_with_photo_stripped_of_gps(w: World, road: dict[str, Any]) -> None:
    raw = jpeg(gps=True)
    assert Image.open(io.BytesIO(raw)).getexif().get(0x8825)  # the upload does carry GPS
    p = services.patrol_log(actor=w.u["m1"], segment=road["seg"], notes="共享单车已摆放整齐", photo=upload(raw), lat="34.7470", lng="113.6260")
    assert p.member == w.m["m1"] and p.region_path == w.tree.comm_a1.path and p.lat is not None
    assert abs((timezone.now() - p.at).total_seconds()) < 60
    name = str(p.photo.name)
    assert name.startswith(f"volunteering/patrols/{road['seg'].pk}/") and name.endswith(".jpg")
    assert "photo" not in name.rsplit("/", 1)[-1]
    with p.photo.open("rb") as fh:
        stored = Image.open(io.BytesIO(fh.read()))
        assert not stored.getexif() and "exif" not in stored.info
    assert AuditEvent.objects.filter(verb="volunteering.patrol.log", target_id=str(p.pk)).exists()
    assert [x.pk for x in selectors.patrol_list(actor=w.u["m1"])] == [p.pk]


def test_non_chief_member_is_refused_and_nothing_is_stored(w: World, road: dict[str, Any]) -> None:
    confirm(w, "m4", w.tree.comm_a1)
    confirm(w, "m2", w.tree.comm_a2)
    for actor in (w.u["m2"], w.u["m3"]):
        with pytest.raises(NotFound):
            services.patrol_log(actor=actor, segment=road["seg"], notes="我也来", photo=upload(jpeg()))
        with pytest.raises(NotFound):
            services.report_create(actor=actor, segment=road["seg"], title="乱停车")
    with pytest.raises(PermissionDenied):  # an administrator does not patrol
        services.patrol_log(actor=w.u["comm_a1"], segment=road["seg"])
    services.chief_end(actor=w.u["comm_a1"], chief=road["chief"])
    with pytest.raises(NotFound):  # an ended chief neither
        services.patrol_log(actor=w.u["m1"], segment=road["seg"])
    assert PatrolLog.objects.count() == 0 and PatrolReport.objects.count() == 0


@pytest.mark.parametrize("data, name", [
    (b"this is a text file, not a photo", "fake.jpg"),
    (b"<html><script>alert(1)</script></html>", "page.png"),
    (jpeg()[:200], "truncated.jpg"),
])
def test_fake_or_broken_images_are_refused(w: World, road: dict[str, Any], data: bytes, name: str) -> None:
    with pytest.raises(ValidationError) as exc:
        services.patrol_log(actor=w.u["m1"], segment=road["seg"], notes="x", photo=upload(data, name))
    assert "photo" in exc.value.details
    with pytest.raises(ValidationError):
        services.report_create(actor=w.u["m1"], segment=road["seg"], title="x", photo=upload(data, name))
    assert PatrolLog.objects.count() == 0 and PatrolReport.objects.count() == 0


def test_patrol_time_and_location_are_checked(w: World, road: dict[str, Any]) -> None:
    future = timezone.now() + dt.timedelta(hours=2)
    cases: list[dict[str, Any]] = [
        {"at": future}, {"at": "not a time"}, {"at": timezone.now() - dt.timedelta(days=400)},
        {"lat": "34.7"}, {"lat": "0", "lng": "0"}, {"lat": "91", "lng": "113"}, {"notes": ["a list"]},
    ]
    for kwargs in cases:
        with pytest.raises(ValidationError):
            services.patrol_log(actor=w.u["m1"], segment=road["seg"], **kwargs)
    assert PatrolLog.objects.count() == 0
    earlier = timezone.now() - dt.timedelta(hours=3)
    p = services.patrol_log(actor=w.u["m1"], segment=road["seg"], at=earlier)
    assert p.at == earlier


# --- reports -----------------------------------------------------------------------------------


def test_report_notifies_the_community_admins(w: World, road: dict[str, Any], django_capture_on_commit_callbacks: Any) -> None:
    cat = leaf_category()
    with django_capture_on_commit_callbacks(execute=True):
        r = services.report_create(actor=w.u["m1"], segment=road["seg"], title="共享单车堵塞盲道", description="十余辆", category=cat,
                                   photo=upload(jpeg()), lat="34.7471", lng="113.6262")
    assert r.status == PatrolReportStatus.REPORTED and r.category == cat and r.photo
    assert Notification.objects.filter(user=w.u["comm_a1"], verb="volunteering.patrol_report.created").count() == 1
    assert not Notification.objects.filter(user=w.u["comm_b1"]).exists()
    assert selectors.open_report_count(actor=w.u["comm_a1"]) == 1 and selectors.open_report_count(actor=w.u["comm_b1"]) == 0


def test_report_category_must_be_a_leaf(w: World, road: dict[str, Any]) -> None:
    leaf = leaf_category()
    with pytest.raises(ValidationError) as exc:
        services.report_create(actor=w.u["m1"], segment=road["seg"], title="x", category=leaf.parent)
    assert "最末一级" in str(exc.value.details["category"][0])
    with pytest.raises(ValidationError):
        services.report_create(actor=w.u["m1"], segment=road["seg"], title="", category=999999)
    assert PatrolReport.objects.count() == 0
    assert leaf in selectors.category_choices() and leaf.parent not in selectors.category_choices()


def test_handle_then_solve_sets_figures_fields_and_tells_the_chief(w: World, road: dict[str, Any],
                                                                   django_capture_on_commit_callbacks: Any) -> None:
    r = services.report_create(actor=w.u["m1"], segment=road["seg"], title="路灯不亮")
    r = services.report_handle(actor=w.u["comm_a1"], report=r)
    assert r.status == PatrolReportStatus.HANDLING and r.handled_at and r.handled_by == w.u["comm_a1"]
    with pytest.raises(ValidationError):
        services.report_solve(actor=w.u["comm_a1"], report=r, resolution="  ")
    assert PatrolReport.objects.get(pk=r.pk).status == PatrolReportStatus.HANDLING
    with pytest.raises(TransitionError):  # handling cannot be rejected any more
        services.report_reject(actor=w.u["comm_a1"], report=r, reason="重复")
    with django_capture_on_commit_callbacks(execute=True):
        r = services.report_solve(actor=w.u["comm_a1"], report=r, resolution="已联系物业更换灯泡")
    r.refresh_from_db()
    assert r.status == PatrolReportStatus.SOLVED and r.resolution == "已联系物业更换灯泡" and r.handled_at
    assert Notification.objects.filter(user=w.u["m1"], verb="volunteering.patrol_report.solve").count() == 1
    with pytest.raises(TransitionError):
        services.report_to_matter(actor=w.u["comm_a1"], report=r)
    assert selectors.report_get(actor=w.u["m1"], id=r.pk).status == PatrolReportStatus.SOLVED


def test_reject_needs_a_reason(w: World, road: dict[str, Any], django_capture_on_commit_callbacks: Any) -> None:
    r = services.report_create(actor=w.u["m1"], segment=road["seg"], title="疑似问题")
    with pytest.raises(ValidationError):
        services.report_reject(actor=w.u["comm_a1"], report=r, reason="")
    with django_capture_on_commit_callbacks(execute=True):
        r = services.report_reject(actor=w.u["comm_a1"], report=r, reason="属于正常施工围挡")
    assert r.status == PatrolReportStatus.REJECTED and r.resolution == "属于正常施工围挡" and r.handled_at
    assert Notification.objects.filter(user=w.u["m1"], verb="volunteering.patrol_report.reject").exists()


def test_turn_into_a_matter_once(w: World, road: dict[str, Any], django_capture_on_commit_callbacks: Any) -> None:
    cat = leaf_category()
    r = services.report_create(actor=w.u["m1"], segment=road["seg"], title="共享单车堵塞盲道", description="十余辆", category=cat,
                               photo=upload(jpeg(gps=True)), lat="34.7471", lng="113.6262")
    with django_capture_on_commit_callbacks(execute=True):
        r = services.report_to_matter(actor=w.u["comm_a1"], report=r)
    matters = Matter.objects.filter(source_ref=f"patrol-report:{r.pk}")
    assert matters.count() == 1 and Matter.objects.count() == 1
    m = matters.get()
    assert m.source == MatterSource.ROAD_CHIEF and m.community_id == w.tree.comm_a1.pk and m.category == cat
    assert m.reporter_name == "王芳" and m.reporter_phone_enc and m.status == MatterStatus.REPORTED
    assert pii.decrypt(m.reporter_phone_enc) == pii.decrypt(w.m["m1"].phone_enc)
    assert AuditEvent.objects.filter(verb="pii.read", target_id=str(w.m["m1"].pk), actor=w.u["comm_a1"]).exists()
    assert m.address.startswith("淮河路") and m.lat is not None
    assert r.status == PatrolReportStatus.MATTER and r.matter == m and r.handled_at and r.handled_by == w.u["comm_a1"]
    att = MatterAttachment.objects.get(matter=m)
    assert att.content_type == "image/jpeg"
    with att.file.open("rb") as fh:
        assert not Image.open(io.BytesIO(fh.read())).getexif()
    assert Notification.objects.filter(user=w.u["m1"], verb="volunteering.patrol_report.to_matter").exists()
    # twice: a clear transition error, still one matter
    with pytest.raises(TransitionError) as exc:
        services.report_to_matter(actor=w.u["comm_a1"], report=r)
    assert m.number in str(exc.value.message)
    assert Matter.objects.count() == 1
    # the chief sees the status and the matter's status (not the matter page)
    mine = selectors.report_get(actor=w.u["m1"], id=r.pk)
    assert mine.matter is not None and mine.matter.number == m.number and mine.matter.status == MatterStatus.REPORTED


def test_another_communitys_admin_cannot_handle(w: World, road: dict[str, Any]) -> None:
    r = services.report_create(actor=w.u["m1"], segment=road["seg"], title="井盖缺失")
    for fn, kwargs in ((services.report_handle, {}), (services.report_solve, {"resolution": "x"}), (services.report_to_matter, {}),
                       (services.report_reject, {"reason": "x"})):
        with pytest.raises(NotFound):
            fn(actor=w.u["comm_b1"], report=r, **kwargs)
    with pytest.raises(NotFound):
        selectors.report_get(actor=w.u["comm_b1"], id=r.pk)
    with pytest.raises(NotFound):
        selectors.report_get(actor=w.u["m2"], id=r.pk)
    with pytest.raises(PermissionDenied):
        services.report_handle(actor=w.u["m1"], report=r)
    assert PatrolReport.objects.get(pk=r.pk).status == PatrolReportStatus.REPORTED and Matter.objects.count() == 0


def test_member_sees_only_his_own(w: World, road: dict[str, Any]) -> None:
    confirm(w, "m4", w.tree.comm_a1)
    services.patrol_log(actor=w.u["m1"], segment=road["seg"])
    services.report_create(actor=w.u["m1"], segment=road["seg"], title="a")
    assert selectors.patrol_list(actor=w.u["m2"]).count() == 0 and selectors.report_list(actor=w.u["m2"]).count() == 0
    assert selectors.patrol_list(actor=w.u["comm_a1"]).count() == 1 and selectors.patrol_list(actor=w.u["comm_b1"]).count() == 0
    assert [s.pk for s in selectors.my_segments(actor=w.u["m1"])] == [road["seg"].pk]
    assert selectors.my_segments(actor=w.u["m2"]) == []
