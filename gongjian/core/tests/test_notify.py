"""core.notify: one row per distinct active recipient, only after commit; recipients by role and place."""

from __future__ import annotations

import pytest
from django.db import transaction

from gongjian.accounts.choices import Role
from gongjian.core import notify
from gongjian.core.models import Notification
from gongjian.testing import factories

pytestmark = pytest.mark.django_db


def test_send_writes_on_commit_once_per_active_person(tree, django_capture_on_commit_callbacks):
    a = factories.user(Role.COMMUNITY_ADMIN, region=tree.comm_a1)
    b = factories.user(Role.COMMUNITY_ADMIN, region=tree.comm_a1)
    gone = factories.user(Role.COMMUNITY_ADMIN, region=tree.comm_a1, is_active=False)
    seen: list[tuple[int, str]] = []

    def backend(users, message):
        seen.extend((u.pk, message["title"]) for u in users)

    notify.register_backend(backend)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            notify.send([a, b, a, gone, None], verb="matters.overdue", title="事项已超期", url="/matters/1/", target=tree.comm_a1)
            assert Notification.objects.count() == 0  # nothing before the commit
    finally:
        notify.unregister_backend(backend)
    rows = list(Notification.objects.order_by("user_id"))
    assert [r.user_id for r in rows] == sorted([a.pk, b.pk])
    assert rows[0].target_type == "regions.region" and rows[0].target_id == str(tree.comm_a1.pk)
    assert sorted(seen) == sorted([(a.pk, "事项已超期"), (b.pk, "事项已超期")])
    assert notify.unread_count(a) == 1


def test_a_rolled_back_change_notifies_no_one(tree, django_capture_on_commit_callbacks):
    a = factories.user(Role.COMMUNITY_ADMIN, region=tree.comm_a1)
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                notify.send([a], verb="x", title="不该发出")
                raise RuntimeError
        except RuntimeError:
            pass
    assert Notification.objects.count() == 0


def test_recipients_by_role_and_place(tree):
    sj = factories.user(Role.COMMUNITY_ADMIN, region=tree.comm_a1)
    factories.user(Role.COMMUNITY_ADMIN, region=tree.comm_a2)
    handler = factories.user(Role.DEPARTMENT_HANDLER, department=tree.dept_erqi)
    assert notify.recipients(roles=[Role.COMMUNITY_ADMIN], region=tree.comm_a1) == [sj]
    assert notify.recipients(roles=[Role.DEPARTMENT_HANDLER], department=tree.dept_erqi) == [handler]
    assert notify.recipients(roles=[Role.DISTRICT_ADMIN], region=tree.erqi) == []
