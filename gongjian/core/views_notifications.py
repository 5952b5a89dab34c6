"""In-app notifications: the list of one's own notifications, marking one or all as read, opening the target.

Mounted at /notifications/ by ``core.urls`` (the names live in the ``core`` namespace). Every view reads
only the signed-in account's own rows: another account's notification id answers 404, exactly like an id
that does not exist. Marking read is the recipient's own inbox state, not a record of the product, so it
is not written to the audit log (the notifications themselves are written by the audited services that
send them).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import F, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from .errors import NotFound
from .models import Notification
from .notify import unread_count, unread_moved
from .pagination import paginate, querystring_without
from .params import bool_param, int_param

# --- reads and writes of one's own inbox ------------------------------------------------------------


def notification_list(*, actor: Any, unread_only: bool = False) -> QuerySet[Notification]:
    """The actor's notifications, unread first, newest first within each group."""
    qs = Notification.objects.filter(user_id=actor.pk)
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return qs.order_by(F("read_at").asc(nulls_first=True) if not unread_only else "-created_at", "-created_at", "-id")


def notification_get(*, actor: Any, id: Any) -> Notification:
    pk = int_param(id)
    n = Notification.objects.filter(user_id=actor.pk, pk=pk).first() if pk else None
    if n is None:
        raise NotFound()
    return n


def notification_mark_read(*, actor: Any, notification: Notification) -> Notification:
    if notification.user_id != actor.pk:  # never reached through notification_get; a guard for other callers
        raise NotFound()
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=notification.read_at)
        unread_moved(actor.pk)
    return notification


def notification_mark_all_read(*, actor: Any) -> int:
    n = Notification.objects.filter(user_id=actor.pk, read_at__isnull=True).update(read_at=timezone.now())
    unread_moved(actor.pk)
    return n


def safe_target(request: HttpRequest, url: str) -> str | None:
    """A notification's link when it is a path on this site (never an open redirect)."""
    url = (url or "").strip()
    if not url.startswith("/") or url.startswith("//") or "\\" in url:
        return None
    return url if url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}, require_https=request.is_secure()) else None


# --- pages ----------------------------------------------------------------------------------------


@login_required
@require_GET
def notifications(request: HttpRequest) -> HttpResponse:
    unread_only = bool_param(request.GET.get("unread")) is True
    page = paginate(request, notification_list(actor=request.user, unread_only=unread_only))
    for n in page.object_list:
        n.target_url = safe_target(request, n.url)
    unread = unread_count(request.user)
    return render(request, "core/notifications.html", {
        "page": page, "qs": querystring_without(request, "page"), "unread_only": unread_only, "unread_total": unread,
    })


def _back(request: HttpRequest) -> HttpResponse:
    nxt = request.POST.get("next", "")
    target = safe_target(request, nxt) if nxt.startswith("/notifications/") else None
    return redirect(target or "core:notifications")


@login_required
@require_POST
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    n = notification_mark_read(actor=request.user, notification=notification_get(actor=request.user, id=pk))
    if request.POST.get("open"):
        target = safe_target(request, n.url)
        if target:
            return redirect(target)
    return _back(request)


@login_required
@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    count = notification_mark_all_read(actor=request.user)
    if count:
        messages.success(request, _("%(count)d notifications were marked as read.") % {"count": count})
    return _back(request)


urlpatterns = [
    path("", notifications, name="notifications"),
    path("read-all/", notification_read_all, name="notification_read_all"),
    path("<int:pk>/read/", notification_read, name="notification_read"),
]
