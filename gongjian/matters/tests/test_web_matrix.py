"""Matter pages: who may do what (role × action × in sight / out of sight), attempts that must fail (404 out of sight,
403 not allowed, 409 a forbidden transition or a stale page), hostile input (errors next to the field, nothing
written), and the conflict answer when two people act on one matter."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from gongjian.core.errors import TransitionError
from gongjian.core.models import AuditEvent
from gongjian.matters import services as svc
from gongjian.matters.choices import AssignmentStatus, MatterStatus
from gongjian.matters.models import Assignment, Matter, MatterEvent

from .domain import World, accepted, at_level, build_world, report

pytestmark = pytest.mark.django_db


@pytest.fixture
def w(tree: Any) -> World:
    return build_world(tree)


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def state(m: Matter) -> tuple[Any, ...]:
    """Everything an action could change: nothing may move when it is refused."""
    m = Matter.objects.get(pk=m.pk)
    return (m.status, m.owner_id, m.version, MatterEvent.objects.filter(matter=m).count(), Assignment.objects.filter(matter=m).count(),
            AuditEvent.objects.filter(target_type="matters.matter", target_id=str(m.pk)).count(), m.attachments.count())


def as_user(client: Any, user: Any) -> Any:
    client.logout()
    client.force_login(user)
    return client


def post(client: Any, m: Matter, action: str, version: Any = "current", **data: Any) -> Any:
    payload = {f"{action}-{k}": v for k, v in data.items()}
    if version is not None:
        payload[f"{action}-version"] = str(Matter.objects.get(pk=m.pk).version if version == "current" else version)
    return client.post(reverse("matters:action", args=[m.pk, action]), payload)


FIELDS: dict[str, dict[str, Any]] = {
    "accept": {}, "reject": {"reason": "不属于治理事项"}, "escalate": {"reason": "本级无法解决"}, "resolve": {"resolution": "已处理"},
    "callback": {"satisfaction": "satisfied"}, "attach": {},
}


# --- the matrix --------------------------------------------------------------------------------

# A matter reported in 淮河社区 (comm_a1) and not yet accepted.
REPORTED_MATRIX = [
    ("comm_a1", "accept", 302),
    ("comm_a1", "reject", 302),
    ("comm_a2", "accept", 404),  # another community: out of sight
    ("comm_b1", "reject", 404),
    ("sub_a", "accept", 404),  # the subdistrict sees it only once escalated to it
    ("erqi", "reject", 404),
    ("city", "escalate", 404),
    ("h_erqi", "accept", 404),  # a department sees only what is assigned to it
    ("resident2", "accept", 404),  # not his report
    ("nobody", "accept", 404),
    ("comm_a1", "resolve", 409),  # reported → resolved is not a transition
    ("comm_a1", "callback", 409),
]


@pytest.mark.parametrize(("who", "action", "expected"), REPORTED_MATRIX)
def test_matrix_on_a_reported_matter(w: World, client: Any, who: str, action: str, expected: int) -> None:
    m = report(w)
    before = state(m)
    resp = post(as_user(client, w.u[who]), m, action, **FIELDS[action])
    assert resp.status_code == expected, resp.content.decode()[:500]
    if expected != 302:
        assert state(m) == before


def test_the_reporter_sees_his_matter_but_may_not_decide_it(w: World, client: Any) -> None:
    m = report(w, actor="resident", community=w.tree.comm_a1, title="我的反映")
    as_user(client, w.u["resident"])
    page = client.get(reverse("matters:matter_detail", args=[m.pk]))
    assert page.status_code == 200 and page.context["actions"] == {"attach"} and "data-action=\"reveal\"" not in page.content.decode()
    before = state(m)
    for action in ("accept", "reject", "escalate", "resolve", "callback", "follow_up"):
        assert post(client, m, action, **FIELDS.get(action, {})).status_code == 403, action
    assert state(m) == before


# A matter escalated to 淮河路街道 (sub_a): the community still sees it but no longer decides it.
ESCALATED_MATRIX = [
    ("sub_a", "escalate", 302),
    ("sub_a", "resolve", 302),
    ("sub_a", "reject", 302),
    ("comm_a1", "escalate", 403),  # on the path, but not the owning level
    ("comm_a1", "resolve", 403),
    ("comm_a1", "reject", 403),
    ("comm_a2", "resolve", 404),
    ("sub_b", "resolve", 404),
    ("erqi", "resolve", 404),  # not escalated to the district yet
    ("h_erqi", "resolve", 404),
    ("sub_a", "accept", 403),  # only the community accepts (first receiver)
    ("erqi", "accept", 404),
]


@pytest.mark.parametrize(("who", "action", "expected"), ESCALATED_MATRIX)
def test_matrix_on_an_escalated_matter(w: World, client: Any, who: str, action: str, expected: int) -> None:
    m = at_level(w, "subdistrict")
    before = state(m)
    resp = post(as_user(client, w.u[who]), m, action, **FIELDS[action])
    assert resp.status_code == expected, resp.content.decode()[:500]
    if expected != 302:
        assert state(m) == before


def test_assign_and_follow_up_only_by_the_owning_level(w: World, client: Any) -> None:
    m = at_level(w, "subdistrict")
    before = state(m)
    as_user(client, w.u["comm_a1"])
    resp = client.post(reverse("matters:action", args=[m.pk, "assign"]), {"assign-lead": w.dept_erqi.pk})
    assert resp.status_code == 403 and state(m) == before
    as_user(client, w.u["h_erqi"])
    assert client.post(reverse("matters:action", args=[m.pk, "assign"]), {"assign-lead": w.dept_erqi.pk}).status_code == 404
    as_user(client, w.u["sub_a"])
    resp = client.post(reverse("matters:action", args=[m.pk, "assign"]), {"assign-lead": w.dept_erqi.pk,
                                                                           "assign-version": Matter.objects.get(pk=m.pk).version})
    assert resp.status_code == 302
    a = Assignment.objects.get(matter=m)
    # the department sees the matter now, but cannot follow itself up or resolve
    as_user(client, w.u["h_erqi"])
    assert client.get(reverse("matters:matter_detail", args=[m.pk])).status_code == 200
    assert post(client, m, "follow_up", assignment=str(a.pk), note="快点").status_code == 403
    assert post(client, m, "resolve", resolution="好了").status_code == 403
    # another department does not see it; the community sees it but does not own it
    as_user(client, w.u["h_cj"])
    assert client.get(reverse("matters:matter_detail", args=[m.pk])).status_code == 404
    assert client.post(reverse("matters:assignment_action", args=[a.pk, "result"]), {"result-result": "x"}).status_code == 404
    as_user(client, w.u["comm_a1"])
    assert post(client, m, "follow_up", assignment=str(a.pk), note="快点").status_code == 403
    # an administrator cannot act as the department on its assignment page
    as_user(client, w.u["sub_a"])
    assert client.get(reverse("matters:assignment", args=[a.pk])).context["actions"] == set()
    assert client.post(reverse("matters:assignment_action", args=[a.pk, "accept"]), {}).status_code == 403
    assert Assignment.objects.get(pk=a.pk).status == AssignmentStatus.ASSIGNED


def test_the_city_cannot_escalate_and_the_page_offers_no_such_form(w: World, client: Any) -> None:
    m = at_level(w, "city")
    as_user(client, w.u["city"])
    page = client.get(reverse("matters:matter_detail", args=[m.pk]))
    assert "escalate" not in page.context["actions"] and "assign" in page.context["actions"]
    before = state(m)
    assert post(client, m, "escalate", reason="再往上").status_code == 403
    assert state(m) == before


def test_resolving_a_rejected_matter_is_refused_with_a_clear_message(w: World, client: Any) -> None:
    m = report(w)
    svc.matter_reject(actor=w.u["comm_a1"], matter=m, reason="不属于治理事项")
    as_user(client, w.u["comm_a1"])
    before = state(m)
    with pytest.raises(TransitionError) as exc:
        svc.matter_resolve(actor=w.u["comm_a1"], matter=m.pk, resolution="已处理")
    resp = post(client, m, "resolve", resolution="已处理")
    html = resp.content.decode()
    assert resp.status_code == 409 and f'id="matter-error">{exc.value.message}<' in html
    assert state(m) == before


# --- stale pages and two people at once -----------------------------------------------------------


def test_a_stale_page_gets_the_conflict_message_and_nothing_changes(w: World, client: Any) -> None:
    m = report(w)
    old = Matter.objects.get(pk=m.pk).version
    svc.matter_accept(actor=w.u["comm_a1"], matter=m.pk)  # a colleague accepted it meanwhile
    as_user(client, w.u["comm_a1"])
    before = state(m)
    resp = post(client, m, "reject", version=old, reason="重复反映")
    html = resp.content.decode()
    assert resp.status_code == 409 and "该事项已被他人处理" in html and "刷新" in html
    assert state(m) == before
    # the page answered with the current state: its forms carry the new version
    assert f'name="escalate-version" value="{before[2]}"' in html


def test_the_second_of_two_identical_posts_gets_the_conflict_answer(w: World, client: Any) -> None:
    m = report(w)
    v = Matter.objects.get(pk=m.pk).version
    as_user(client, w.u["comm_a1"])
    assert post(client, m, "accept", version=v).status_code == 302
    before = state(m)
    resp = post(client, m, "accept", version=v)
    assert resp.status_code == 409 and "该事项已被他人处理" in resp.content.decode()
    assert state(m) == before and MatterEvent.objects.filter(matter=m, kind="accepted").count() == 1


def test_stale_callback_and_follow_up_pages(w: World, client: Any) -> None:
    m = accepted(w)
    svc.matter_resolve(actor=w.u["comm_a1"], matter=m.pk, resolution="已处理")
    old = Matter.objects.get(pk=m.pk).version
    svc.matter_callback(actor=w.u["comm_a1"], matter=m.pk, satisfaction="unsatisfied")
    as_user(client, w.u["comm_a1"])
    before = state(m)
    assert post(client, m, "callback", version=old, satisfaction="satisfied").status_code == 409
    assert state(m) == before
    m2 = at_level(w, "subdistrict", title="第二件")
    svc.matter_assign(actor=w.u["sub_a"], matter=m2.pk, lead=w.dept_erqi.pk)
    a = Assignment.objects.get(matter=m2)
    old = Matter.objects.get(pk=m2.pk).version
    svc.matter_escalate(actor=w.u["sub_a"], matter=m2.pk, reason="交区里")  # withdraws the assignment
    as_user(client, w.u["erqi"])
    resp = post(client, m2, "follow_up", version=old, assignment=str(a.pk), note="请加快")
    assert resp.status_code == 409 and not a.follow_ups.exists()


def test_a_garbage_version_is_refused_not_ignored(w: World, client: Any) -> None:
    m = report(w)
    as_user(client, w.u["comm_a1"])
    before = state(m)
    resp = post(client, m, "accept", version="abc")
    assert resp.status_code == 400 and "刷新" in resp.content.decode()
    assert state(m) == before


# --- hostile input -----------------------------------------------------------------------------------


def test_reasons_are_required_bounded_and_shown_next_to_the_field(w: World, client: Any) -> None:
    m = accepted(w)
    as_user(client, w.u["comm_a1"])
    before = state(m)
    for reason in ("", "   ", "长" * 600):
        resp = post(client, m, "escalate", reason=reason)
        assert resp.status_code == 400, reason[:5]
        assert resp.context["open_action"] == "escalate"
        assert 'data-error-for="reason"' in resp.content.decode()
        assert state(m) == before
    resp = post(client, m, "reject", reason="<script>alert(1)</script>")
    assert resp.status_code == 302
    html = client.get(reverse("matters:matter_detail", args=[m.pk])).content.decode()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html


def test_assign_refuses_foreign_departments_bad_dates_and_empty_leads(w: World, client: Any) -> None:
    m = at_level(w, "district")
    as_user(client, w.u["erqi"])
    before = state(m)
    url = reverse("matters:action", args=[m.pk, "assign"])
    v = Matter.objects.get(pk=m.pk).version
    cases: list[tuple[dict[str, Any], str]] = [
        ({"assign-lead": ""}, "lead"),
        ({"assign-lead": str(w.dept_jinshui.pk)}, "lead"),  # another district's department
        ({"assign-lead": str(w.dept_city.pk)}, "lead"),  # only the city assigns city departments
        ({"assign-lead": "abc"}, "lead"),
        ({"assign-lead": str(w.dept_erqi.pk), "assign-deadline": "2020-01-01"}, "deadline"),
        ({"assign-lead": str(w.dept_erqi.pk), "assign-deadline": "2026-13-45"}, "deadline"),
        ({"assign-lead": str(w.dept_erqi.pk), "assign-assist": ["999999"]}, "assist"),
    ]
    for data, field in cases:
        resp = client.post(url, {"assign-version": v, **data})
        assert resp.status_code == 400, data
        assert f'data-error-for="{field}"' in resp.content.decode(), (data, resp.context["forms"]["assign"].errors)
        assert state(m) == before
    # the lead chosen again as assisting is ignored, not an error
    resp = client.post(url, {"assign-version": v, "assign-lead": str(w.dept_erqi.pk), "assign-assist": [str(w.dept_erqi.pk)]})
    assert resp.status_code == 302 and Assignment.objects.filter(matter=m).count() == 1


def test_follow_up_of_another_matters_assignment_is_not_found(w: World, client: Any) -> None:
    m1 = at_level(w, "district", title="一")
    m2 = at_level(w, "district", title="二")
    svc.matter_assign(actor=w.u["erqi"], matter=m1.pk, lead=w.dept_erqi.pk)
    svc.matter_assign(actor=w.u["erqi"], matter=m2.pk, lead=w.dept_erqi.pk)
    other = Assignment.objects.get(matter=m2)
    as_user(client, w.u["erqi"])
    assert post(client, m1, "follow_up", assignment=str(other.pk), note="x").status_code == 404
    resp = post(client, m1, "follow_up", assignment="", note="")
    assert resp.status_code in (400, 404) and not other.follow_ups.exists()


@pytest.mark.parametrize(("name", "data", "ctype"), [
    ("a.jpg", b"<html><script>alert(1)</script></html>", "image/jpeg"),
    ("a.pdf", b"%PDF-1.4 truncated", "application/pdf"),
    ("a.exe", b"MZ\x90\x00" * 100, "application/octet-stream"),
    ("empty.png", b"", "image/png"),
])
def test_attachments_are_checked_by_content(w: World, client: Any, name: str, data: bytes, ctype: str) -> None:
    m = accepted(w)
    as_user(client, w.u["comm_a1"])
    before = state(m)
    resp = client.post(reverse("matters:action", args=[m.pk, "attach"]),
                       {"attach-file": SimpleUploadedFile(name, data, content_type=ctype), "attach-version": "1"})
    assert resp.status_code == 400 and 'data-error-for="file"' in resp.content.decode()
    assert state(m) == before
    resp = client.post(reverse("matters:action", args=[m.pk, "attach"]), {"attach-version": "1"})
    assert resp.status_code == 400 and state(m) == before


def test_odd_urls_and_methods(w: World, client: Any) -> None:
    m = report(w)
    as_user(client, w.u["comm_a1"])
    assert client.post(reverse("matters:action", args=[m.pk, "delete"])).status_code == 404
    assert client.get(reverse("matters:action", args=[m.pk, "accept"])).status_code == 405
    assert client.get(f"/matters/{2**70}/").status_code == 404
    assert client.get(reverse("matters:assignment", args=[2**62])).status_code == 404
    assert client.get(reverse("matters:attachment", args=[m.pk, 1])).status_code == 404
    assert client.post(reverse("matters:action", args=[m.pk, "reject"]), {"reject-reason": "a\x00b"}).status_code == 400
    assert Matter.objects.get(pk=m.pk).status == MatterStatus.REPORTED
