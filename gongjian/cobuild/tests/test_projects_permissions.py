"""Permission matrix of projects: role × action × in/out of scope, through the services and through the API.

The project lives in 淮河社区 (二七区 › 淮河路街道) and its responsible unit is unit A. Every cell runs on a
fresh project in the state the action needs, and a refused attempt must leave it unchanged.
"""

from __future__ import annotations

from typing import Any

import pytest

from gongjian.accounts.models import ApiToken
from gongjian.cobuild import services
from gongjian.cobuild.choices import ProjectStatus
from gongjian.cobuild.models import Project, ProjectMilestone, ProjectNote
from gongjian.cobuild.projects import selectors as sel
from gongjian.cobuild.projects import services as psvc
from gongjian.core.errors import NotFound, PermissionDenied, ValidationError
from gongjian.core.models import AuditEvent

from .test_projects_views import _media, make_need, make_project, make_resource, upload  # noqa: F401 - _media is autouse

OK, NF, FB = "ok", "404", "403"

# role → (view, run = agree/start/complete, manage = cancel/rate, progress = milestones/notes)
MATRIX: dict[str, tuple[str, str, str, str]] = {
    "city_admin": (OK, OK, OK, OK),
    "district_admin": (OK, OK, OK, OK),
    "subdistrict_admin": (OK, OK, OK, OK),
    "community_admin": (OK, OK, OK, OK),
    "community_admin_b": (NF, NF, NF, NF),  # another community: not found
    "unit_liaison": (OK, OK, FB, OK),  # the responsible unit: runs it, cannot cancel or rate
    "unit_liaison_b": (NF, NF, FB, NF),  # another unit
    "resident": (NF, FB, FB, FB),
    "member": (NF, FB, FB, FB),
    "instructor": (NF, FB, FB, FB),
    "nobody": (NF, FB, FB, FB),
}

ACTIONS: dict[str, tuple[str, int, Any]] = {
    # action: (state needed, matrix column, call)
    "view": (ProjectStatus.PROPOSED, 0, lambda u, p: sel.project_get(actor=u, id=p.pk)),
    "agree": (ProjectStatus.PROPOSED, 1, lambda u, p: services.project_agree(actor=u, project=p.pk)),
    "start": (ProjectStatus.AGREED, 1, lambda u, p: services.project_start(actor=u, project=p.pk)),
    "complete": (ProjectStatus.IN_PROGRESS, 1, lambda u, p: services.project_complete(actor=u, project=p.pk, outcome="完成")),
    "rate": (ProjectStatus.DONE, 2, lambda u, p: services.project_rate(actor=u, project=p.pk, rating=5)),
    "cancel": (ProjectStatus.AGREED, 2, lambda u, p: services.project_cancel(actor=u, project=p.pk, reason="调整")),
    "milestone_add": (ProjectStatus.AGREED, 3, lambda u, p: psvc.milestone_add(actor=u, project=p.pk, title="节点")),
    "milestone_done": (ProjectStatus.AGREED, 3, lambda u, p: psvc.milestone_mark_done(actor=u, project=p.pk,
                                                                                        milestone=p.milestones.get().pk)),
    "milestone_remove": (ProjectStatus.AGREED, 3, lambda u, p: psvc.milestone_remove(actor=u, project=p.pk,
                                                                                       milestone=p.milestones.get().pk)),
    "note_add": (ProjectStatus.IN_PROGRESS, 3, lambda u, p: psvc.note_add(actor=u, project=p.pk, text="进展", photos=[upload()])),
}


def _fresh(world: Any, state: str, action: str) -> Project:
    p = make_project(world, state, title=f"矩阵{action}")
    if action.startswith("milestone_") and action != "milestone_add":
        psvc.milestone_add(actor=world.users["community_admin"], project=p, title="已有节点")
    return p


def _snapshot(p: Project) -> tuple[Any, ...]:
    p.refresh_from_db()
    return (p.status, p.rating, p.cancel_reason, p.milestones.count(), sorted(p.milestones.values_list("done_on", flat=True), key=str),
            p.notes.count())


@pytest.mark.parametrize("role", list(MATRIX))
def test_service_matrix(world, role):
    user = world.users[role]
    for action, (state, column, call) in ACTIONS.items():
        expected = MATRIX[role][column]
        p = _fresh(world, state, action)
        before = _snapshot(p)
        events = AuditEvent.objects.count()
        if expected == OK:
            call(user, p)
            if action != "view":
                assert AuditEvent.objects.count() > events, (role, action)
        else:
            with pytest.raises(NotFound if expected == NF else PermissionDenied):
                call(user, p)
            assert _snapshot(p) == before, (role, action)
            assert AuditEvent.objects.count() == events, (role, action)


@pytest.mark.parametrize("role", list(MATRIX))
def test_propose_matrix(world, role):
    """Only administrators propose, and only for communities in their area."""
    user = world.users[role]
    need = make_need(world, f"{role}需求")
    res = make_resource(world, title=f"{role}资源")
    call = lambda: services.project_create(actor=user, title="提议", community=world.tree.comm_a1, unit=world.unit_a,  # noqa: E731
                                           needs=[need], resources=[(res, "1")])
    if role in ("city_admin", "district_admin", "subdistrict_admin", "community_admin"):
        assert call().status == ProjectStatus.PROPOSED
    elif role == "community_admin_b":
        with pytest.raises(ValidationError) as exc:
            call()
        assert "community" in exc.value.details
    else:
        with pytest.raises(PermissionDenied):
            call()
    if role not in ("city_admin", "district_admin", "subdistrict_admin", "community_admin"):
        assert not Project.objects.exists()


def test_district_admin_of_another_district_is_out_of_scope(world):
    from gongjian.accounts.choices import Role
    from gongjian.testing import factories as f

    jinshui = f.user(Role.DISTRICT_ADMIN, region=world.tree.jinshui, username="jinshui")
    sub_b = f.user(Role.SUBDISTRICT_ADMIN, region=world.tree.sub_b, username="sub_b")
    p = make_project(world, ProjectStatus.IN_PROGRESS)
    for u in (jinshui, sub_b):
        with pytest.raises(NotFound):
            sel.project_get(actor=u, id=p.pk)
        with pytest.raises(NotFound):
            psvc.note_add(actor=u, project=p.pk, text="越权")
        with pytest.raises(NotFound):
            services.project_cancel(actor=u, project=p.pk, reason="越权")
    assert not ProjectNote.objects.exists()


def test_inactive_and_anonymous_accounts_reach_nothing(world):
    from django.contrib.auth.models import AnonymousUser

    p = make_project(world, ProjectStatus.AGREED)
    admin = world.users["community_admin"]
    admin.is_active = False
    admin.save(update_fields=["is_active"])
    for u in (admin, AnonymousUser(), None):
        with pytest.raises((NotFound, PermissionDenied)):
            psvc.milestone_add(actor=u, project=p.pk, title="x")
        with pytest.raises((NotFound, PermissionDenied)):
            services.project_start(actor=u, project=p.pk)
    assert not ProjectMilestone.objects.exists()


# --- the same matrix through the API (status codes) -------------------------------------------

API_CALLS: dict[str, tuple[str, int, str, str, dict[str, Any] | None]] = {
    # action: (state, column, method, path template, body)
    "get": (ProjectStatus.PROPOSED, 0, "get", "/projects/{id}", None),
    "milestones": (ProjectStatus.PROPOSED, 0, "get", "/projects/{id}/milestones", None),
    "agree": (ProjectStatus.PROPOSED, 1, "post", "/projects/{id}/agree", {}),
    "complete": (ProjectStatus.IN_PROGRESS, 1, "post", "/projects/{id}/complete", {"outcome": "完成"}),
    "rate": (ProjectStatus.DONE, 2, "post", "/projects/{id}/rate", {"rating": 4}),
    "cancel": (ProjectStatus.PROPOSED, 2, "post", "/projects/{id}/cancel", {"reason": "调整"}),
    "milestone_add": (ProjectStatus.AGREED, 3, "post", "/projects/{id}/milestones", {"title": "节点"}),
}


@pytest.mark.parametrize("role", ["community_admin", "community_admin_b", "unit_liaison", "unit_liaison_b", "resident"])
def test_api_matrix(world, client, role):
    _tok, raw = ApiToken.issue(world.users[role])
    headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    for action, (state, column, method, path, body) in API_CALLS.items():
        p = make_project(world, state, title=f"接口{action}")
        before = _snapshot(p)
        url = "/api/v1/cobuild" + path.format(id=p.pk)
        if method == "get":
            r = client.get(url, **headers)
        else:
            r = client.post(url, body or {}, content_type="application/json", **headers)
        # the API finds the project in the caller's scope first: what he cannot see is 404, whatever the action
        expected = NF if MATRIX[role][0] == NF else MATRIX[role][column]
        want = {OK: (200, 201), NF: (404,), FB: (403,)}[expected]
        assert r.status_code in want, (role, action, r.status_code, r.content)
        if expected != OK:
            assert r.json()["code"] == {NF: "not_found", FB: "forbidden"}[expected]
            assert _snapshot(p) == before
