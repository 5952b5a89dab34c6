"""The notifications UI: the bell with the unread count in the top bar, /notifications/ (unread first, pagination,
mark one / all read, open the target), only one's own notifications (another account's id → 404)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from gongjian.accounts.choices import Role
from gongjian.core import notify
from gongjian.core.models import Notification
from gongjian.testing import factories

pytestmark = pytest.mark.django_db


def note(user, title: str = "事项待受理", url: str = "/matters/1/", read: bool = False, minutes_ago: int = 0) -> Notification:
    n = Notification.objects.create(user=user, verb="matters.test", title=title, body="请在时限内处理", url=url,
                                    read_at=timezone.now() if read else None)
    Notification.objects.filter(pk=n.pk).update(created_at=timezone.now() - dt.timedelta(minutes=minutes_ago))
    return n


@pytest.fixture
def people(tree):
    return {
        "a": factories.user(Role.COMMUNITY_ADMIN, region=tree.comm_a1, username="a"),
        "b": factories.user(Role.COMMUNITY_ADMIN, region=tree.comm_a2, username="b"),
    }


def test_bell_shows_the_unread_count_of_the_signed_in_account_only(client, people):
    note(people["a"])
    note(people["a"], title="第二条")
    note(people["a"], read=True)
    note(people["b"])
    client.force_login(people["a"])
    html = client.get(reverse("core:home")).content.decode()
    assert 'id="notification-bell"' in html and 'data-unread="2"' in html
    assert 'id="notification-count">2<' in html
    client.force_login(people["b"])
    assert 'data-unread="1"' in client.get(reverse("core:home")).content.decode()


def test_bell_without_unread_has_no_badge_and_caps_large_counts(client, people):
    client.force_login(people["a"])
    html = client.get(reverse("core:home")).content.decode()
    assert 'id="notification-bell"' in html and 'id="notification-count"' not in html
    Notification.objects.bulk_create([Notification(user=people["a"], verb="x", title=f"n{i}") for i in range(120)])
    assert 'id="notification-count"' not in client.get(reverse("core:home")).content.decode()  # the count is cached …
    notify.unread_moved(people["a"].pk)  # … until the inbox moves, as notify.send does after writing
    assert 'id="notification-count">99+<' in client.get(reverse("core:home")).content.decode()


def test_anonymous_sees_no_bell_and_the_list_asks_to_sign_in(client):
    resp = client.get(reverse("core:notifications"))
    assert resp.status_code == 302 and "/accounts/login/" in resp["Location"]
    assert client.post(reverse("core:notification_read_all")).status_code == 302
    assert 'id="notification-bell"' not in client.get(reverse("accounts:login")).content.decode()


def test_list_puts_unread_first_then_newest_and_paginates(client, people):
    old_unread = note(people["a"], title="旧的未读", minutes_ago=300)
    new_read = note(people["a"], title="新的已读", read=True, minutes_ago=1)
    new_unread = note(people["a"], title="新的未读", minutes_ago=2)
    note(people["b"], title="别人的")
    client.force_login(people["a"])
    resp = client.get(reverse("core:notifications"))
    assert resp.status_code == 200
    ids = [n.pk for n in resp.context["page"].object_list]
    assert ids == [new_unread.pk, old_unread.pk, new_read.pk]
    html = resp.content.decode()
    assert "别人的" not in html and 'id="unread-total">2<' in html
    only = client.get(reverse("core:notifications"), {"unread": "1"})
    assert [n.pk for n in only.context["page"].object_list] == [new_unread.pk, old_unread.pk]
    Notification.objects.bulk_create([Notification(user=people["a"], verb="x", title=f"批量{i}") for i in range(45)])
    p3 = client.get(reverse("core:notifications"), {"page": "3"})
    assert p3.context["page"].number == 3 and len(p3.context["page"].object_list) == 8
    assert client.get(reverse("core:notifications"), {"page": "x<script>"}).status_code == 200


def test_empty_states(client, people):
    client.force_login(people["a"])
    assert "还没有通知" in client.get(reverse("core:notifications")).content.decode()
    note(people["a"], read=True)
    html = client.get(reverse("core:notifications"), {"unread": "1"}).content.decode()
    assert "没有未读通知" in html


def test_mark_one_read_and_open_the_target(client, people):
    n1 = note(people["a"], url="/matters/7/")
    n2 = note(people["a"])
    client.force_login(people["a"])
    resp = client.post(reverse("core:notification_read", args=[n1.pk]))
    assert resp.status_code == 302 and resp["Location"] == reverse("core:notifications")
    n1.refresh_from_db()
    assert n1.read_at is not None
    first = n1.read_at
    client.post(reverse("core:notification_read", args=[n1.pk]))  # again: idempotent, the first time stays
    n1.refresh_from_db()
    assert n1.read_at == first
    resp = client.post(reverse("core:notification_read", args=[n2.pk]), {"open": "1"})
    assert resp.status_code == 302 and resp["Location"] == "/matters/1/"
    n2.refresh_from_db()
    assert n2.read_at is not None


def test_another_accounts_notification_is_not_found_and_stays_unread(client, people):
    theirs = note(people["b"])
    client.force_login(people["a"])
    assert client.post(reverse("core:notification_read", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("core:notification_read", args=[theirs.pk]), {"open": "1"}).status_code == 404
    assert client.post(reverse("core:notification_read", args=[999999])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert client.get(reverse("core:notification_read", args=[theirs.pk])).status_code == 405


def test_read_all_marks_only_my_unread(client, people):
    mine = [note(people["a"]), note(people["a"], title="二")]
    theirs = note(people["b"])
    client.force_login(people["a"])
    resp = client.post(reverse("core:notification_read_all"), follow=True)
    assert "2 条通知已标为已读" in resp.content.decode()
    assert all(Notification.objects.get(pk=n.pk).read_at for n in mine)
    assert Notification.objects.get(pk=theirs.pk).read_at is None
    assert 'data-unread="0"' in client.get(reverse("core:home")).content.decode()


@pytest.mark.parametrize("url", ["https://evil.example/x", "//evil.example/x", "javascript:alert(1)", "/\\evil.example", ""])
def test_hostile_links_never_redirect_off_site(client, people, url):
    n = note(people["a"], url=url)
    client.force_login(people["a"])
    html = client.get(reverse("core:notifications")).content.decode()
    assert 'data-action="open"' not in html
    resp = client.post(reverse("core:notification_read", args=[n.pk]), {"open": "1", "next": "https://evil.example/"})
    assert resp.status_code == 302 and resp["Location"] == reverse("core:notifications")


def test_titles_and_bodies_are_escaped(client, people):
    note(people["a"], title="<script>alert(1)</script>")
    client.force_login(people["a"])
    html = client.get(reverse("core:notifications")).content.decode()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html


def test_the_list_page_query_count_does_not_grow_with_rows(client, people, django_assert_max_num_queries):
    Notification.objects.bulk_create([Notification(user=people["a"], verb="x", title=f"n{i}") for i in range(100)])
    client.force_login(people["a"])
    with django_assert_max_num_queries(12):
        assert client.get(reverse("core:notifications"), {"size": "100"}).status_code == 200
