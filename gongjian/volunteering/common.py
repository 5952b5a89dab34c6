"""What every part of volunteering shares: the acting member, his active report-in, the point rule, path checks.

Parts (decision 0009): ``members/`` (report-in, receipts, pledges, the member's and the unit's pages),
``activities/`` (posts, brands, activities and shifts, sign-ups, check-in codes, hours, points, leaderboard),
``roads/`` (road segments, road chiefs, patrols, patrol reports → matters), ``reports/`` (figures, demo).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Aggregate, Count, IntegerField, Model, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from gongjian.core import counts, pages
from gongjian.core.errors import NotFound, PermissionDenied, ValidationError
from gongjian.core.filtering import Filter
from gongjian.core.kernel import Actor
from gongjian.core.params import int_param, require_page
from gongjian.core.scope import region_paths
from gongjian.orgs.models import Member
from gongjian.regions.choices import Level
from gongjian.regions.models import Region
from gongjian.regions.selectors import communities_in_area

from .choices import REPORT_IN_ACTIVE, ReportInStatus
from .models import MemberReportIn, PointRule

MODULE = "volunteering"
NO_MEMBER_MESSAGE = _("Your account is not linked to a party member record yet; ask your branch to link it.")


def actor_member(actor: Actor, *, required: bool = True) -> Member | None:
    """The active member record linked to the account (``Member.user``). ``required``: refuse without one."""
    member = None
    if actor is not None and getattr(actor, "pk", None):
        member = Member.objects.filter(user_id=actor.pk, is_active=True).select_related("employer_unit", "home_community").first()
    if member is None and required:
        raise PermissionDenied(NO_MEMBER_MESSAGE, code="no_member")
    return member


def active_report_in(member: Member | None, *, confirmed_only: bool = False) -> MemberReportIn | None:
    """The member's one active report-in (pending or confirmed), or None."""
    if member is None:
        return None
    statuses = [ReportInStatus.CONFIRMED] if confirmed_only else list(REPORT_IN_ACTIVE)
    return (MemberReportIn.objects.filter(member=member, status__in=statuses).select_related("community", "community__parent").first())


def point_rule() -> PointRule:
    """The one point rule (created with the defaults on first use)."""
    rule = PointRule.objects.order_by("id").first()
    return rule if rule is not None else PointRule.objects.create()


def points_for_hours(hours: Decimal | float | int, rule: PointRule | None = None) -> int:
    """Points for confirmed hours under the rule, rounded half up to whole points."""
    r = rule or point_rule()
    return int((Decimal(str(hours)) * r.per_hour).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def in_paths(path: str, paths: list[str]) -> bool:
    """Does ``path`` lie under one of the scope paths ([""] = everywhere)?"""
    return any(p == "" or path.startswith(p) for p in paths)


def acting_community(actor: Actor, action: str, community: Region | int | None) -> Region:
    """The community an administrator acts for with ``action``: it must be a community of his area (outside it: not
    found, as for any record out of scope)."""
    region = community if isinstance(community, Region) else Region.objects.filter(pk=int_param(community) or 0).first()
    if region is None or region.level != Level.COMMUNITY:
        raise ValidationError.for_field("community", _("Choose a community."))
    if not in_paths(region.path, region_paths(actor, action)):
        raise NotFound()
    return region


def user_or_none(actor: Actor) -> Any:
    """The actor when it is a saved account (for ``*_by`` columns), else None."""
    return actor if getattr(actor, "pk", None) else None


def pk_of(value: Any) -> int:
    """A record's key from a model instance or a form/JSON value; 0 for anything that is not a whole number (a bool, a
    float, a list or a dict from a hostile JSON body)."""
    if isinstance(value, Model):
        return int(value.pk)
    if isinstance(value, bool | float | list | dict | tuple):
        return 0
    return int_param(value) or 0



def communities_of(actor: Actor, action: str) -> QuerySet[Region]:
    """The active communities of the actor's area for ``action`` (for pickers), by path."""
    return communities_in_area(actor=actor, action=action)


# --- counts of large lists -------------------------------------------------------------------------


def cached_count(qs: QuerySet[Any]) -> int:
    """The exact number of rows of ``qs``, counted once per version of the module (``core.counts``)."""
    return counts.cached_count(qs, module=MODULE)


def counted(qs: QuerySet[Any]) -> counts.CountedRows:
    """``qs`` for a paginator (list pages, the API's lists): counted through the cache, and a page read keys first —
    the keys of the page in the list's order (an index-only scan of the ordering index, which carries the region path:
    no row of another place is read), then those rows by key with their joins and annotations."""
    return counts.CountedRows(qs, module=MODULE, keys_first=True)


def per_row(model: type[Model], link: str, total: Aggregate | None = None, **conditions: Any) -> Coalesce:
    """An annotation of one total over the ``model`` rows whose ``link`` is the annotated row (``total``: a ``Sum``,
    by default their number), 0 when there is none: a subquery evaluated for the rows a query returns — with
    ``counted``, a page's rows — instead of a join of the whole area grouped before the LIMIT."""
    rows = model._default_manager.filter(**{link: OuterRef("pk")}, **conditions).order_by().values(link)
    return Coalesce(Subquery(rows.annotate(total=total or Count("pk")).values("total")[:1], output_field=IntegerField()), Value(0))


def by_yes_no(field: str) -> Filter:
    """A list filter: ``"1"`` → ``field`` true, ``"0"`` → false, anything else no condition."""
    return lambda qs, value: qs.filter(**{field: value == "1"}) if value in ("1", "0") else qs


def next_or(post: Any, default: str, prefix: str = "/volunteering/") -> str:
    """Where a page's button goes back to: the form's ``next`` when it is a local path under ``prefix``, else ``default``."""
    nxt = post.get("next", "")
    if nxt.startswith(prefix) and "//" not in nxt and "\\" not in nxt:
        return str(nxt)
    return default


def save_unique(obj: Model, error: Callable[[], Exception]) -> None:
    """Save ``obj`` in a savepoint; a unique constraint it breaks raises ``error()`` (the transaction goes on)."""
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError:
        raise error() from None


def record_action(request: Any, actions: dict[str, Any], action: str, *, permission: str, load: Callable[[], Any], arg: str,
                  fields: dict[str, str], back: Callable[[Any], str], message: Callable[[Any, Any], str]) -> Any:
    """A record's POST button ``<pk>/<action>/``: an unknown action is 404, then the page permission, the record in scope,
    the service ``actions[action]`` called with the record as ``arg`` and the form's ``fields`` this action takes
    (``{action: field}``), its domain errors told on the field's name, a success message of the record and the result."""
    fn = actions.get(action)
    if fn is None:
        raise NotFound()
    require_page(request, permission)
    record = load()
    kwargs = {fields[action]: request.POST.get(fields[action], "")} if action in fields else {}
    return pages.action(request, lambda: fn(actor=request.user, **{arg: record}, **kwargs), back=back(record),
                        message=lambda done: message(record, done), error_fields=tuple(dict.fromkeys(fields.values())))
