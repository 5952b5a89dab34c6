"""Service posts and their holders: create, edit, close; apply, approve, reject, end, withdraw."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from gongjian.core import audit, notify, registry
from gongjian.core.errors import Conflict, NotFound, ValidationError
from gongjian.core.kernel import Actor, audited_save, key_of
from gongjian.core.permissions import require
from gongjian.core.validation import Errors, clean_choice

from ... import permissions as perms
from ...choices import (
    HOLDING_TRANSITIONS,
    HoldingStatus,
    PostKind,
)
from ...common import MODULE, acting_community, save_unique
from ...common import user_or_none as _user
from ...models import PostHolding, ServicePost
from .base import MAX_NEEDED, _in_scope, _int, _now, _reason, _text, _transition, member_community

# --- service posts ---------------------------------------------------------------------------------


def post_snapshot(p: ServicePost) -> dict[str, Any]:
    return {"community": p.community_id, "kind": p.kind, "name": p.name, "description": p.description, "needed": p.needed,
            "skills": p.skills, "is_active": p.is_active}


def _clean_post(data: dict[str, Any], *, min_needed: int = 1) -> dict[str, Any]:
    errors = Errors()
    out: dict[str, Any] = {
        "kind": clean_choice(data.get("kind"), PostKind, field="kind", errors=errors),
        "name": _text(data.get("name"), field="name", errors=errors, required=_("Enter the post's name."), max_length=64),
        "description": _text(data.get("description"), field="description", errors=errors, max_length=2000, multiline=True),
        "needed": _int(data.get("needed"), field="needed", errors=errors, low=1, high=MAX_NEEDED, required=_("How many people does it need?")),
        "skills": _text(data.get("skills"), field="skills", errors=errors, max_length=200),
    }
    if out["needed"] is not None and out["needed"] < min_needed:
        errors.add("needed", _("%(n)s people hold this post now; end holdings before lowering the number.") % {"n": min_needed})
    errors.raise_if_any()
    return out


def _post_name_taken() -> Conflict:
    msg = _("The community already has a post of this name.")
    return Conflict(msg, code="duplicate", details={"name": [msg]})


@transaction.atomic
def post_create(*, actor: Actor, community: Any, kind: Any, name: Any, needed: Any = 1, description: Any = "", skills: Any = "") -> ServicePost:
    """A community offers a standing role (楼栋长, 路长, 调解员 …) for ``needed`` people."""
    require(actor, perms.POST_MANAGE)
    region = acting_community(actor, perms.POST_MANAGE, community)
    clean = _clean_post({"kind": kind, "name": name, "needed": needed, "description": description, "skills": skills})
    post = ServicePost(community=region, region_path=region.path, created_by=_user(actor), **clean)
    audited_save(post, conflict=_post_name_taken, actor=actor, verb="volunteering.post.create", snap=post_snapshot, module=MODULE)
    return post


def _approved_count(post: ServicePost) -> int:
    return PostHolding.objects.filter(post=post, status=HoldingStatus.APPROVED).count()


@transaction.atomic
def post_update(*, actor: Actor, post: Any, kind: Any, name: Any, needed: Any, description: Any = "", skills: Any = "") -> ServicePost:
    require(actor, perms.POST_MANAGE)
    p = _in_scope(ServicePost, post, actor, perms.POST_MANAGE, lock=True)
    clean = _clean_post({"kind": kind, "name": name, "needed": needed, "description": description, "skills": skills},
                        min_needed=max(1, _approved_count(p)))
    audited_save(p, conflict=_post_name_taken, actor=actor, verb="volunteering.post.update", changes=clean, snap=post_snapshot, always=True,
                    module=MODULE)
    return p


@transaction.atomic
def post_close(*, actor: Actor, post: Any, reopen: bool = False) -> ServicePost:
    """Stop (or resume) taking applications; present holders keep their post."""
    require(actor, perms.POST_MANAGE)
    p = _in_scope(ServicePost, post, actor, perms.POST_MANAGE, lock=True)
    audited_save(p, actor=actor, verb="volunteering.post.reopen" if reopen else "volunteering.post.close", changes={"is_active": bool(reopen)},
                 always=True, module=MODULE, update_fields=["is_active", "updated_at"])
    return p


def _holding_notify(h: PostHolding, title: Any) -> None:
    if h.member.user_id:
        notify.send([h.member.user], verb="volunteering.post", title=str(title), url=reverse("volunteering:my_posts"), target=h)


@transaction.atomic
def holding_apply(*, actor: Actor, post: Any, note: Any = "") -> PostHolding:
    """A member applies for a post of the community he reported in to."""
    require(actor, perms.POST_APPLY)
    member, report_in = member_community(actor)
    p = ServicePost.objects.select_for_update().filter(pk=key_of(post), community_id=report_in.community_id).first()
    if p is None:
        raise NotFound()
    errors = Errors()
    text = _text(note, field="note", errors=errors, max_length=300, multiline=True)
    errors.raise_if_any()
    if not p.is_active:
        raise ValidationError(_("This post takes no applications now."), code="closed")
    dup = _("You have already applied for this post or hold it.")
    if PostHolding.objects.filter(post=p, member=member, status__in=[HoldingStatus.APPLIED, HoldingStatus.APPROVED]).exists():
        raise Conflict(dup, code="duplicate")
    h = PostHolding(post=p, member=member, region_path=p.region_path, note=text, applied_at=_now())
    save_unique(h, lambda: Conflict(dup, code="duplicate"))
    audit.record(actor=actor, verb="volunteering.holding.apply", target=h, changes={"post": p.pk, "member": member.pk})
    return h


def _holding_for_manage(actor: Actor, holding: Any) -> tuple[PostHolding, ServicePost]:
    require(actor, perms.POST_MANAGE)
    found = _in_scope(PostHolding, holding, actor, perms.POST_MANAGE)
    post = ServicePost.objects.select_for_update().get(pk=found.post_id)  # the post's row decides how many may hold it
    h = PostHolding.objects.select_for_update(of=("self",)).select_related("member", "member__user").get(pk=found.pk)
    return h, post


def _decide(actor: Actor, h: PostHolding, to: str, verb: str, reason: str = "") -> PostHolding:
    before = _transition(HOLDING_TRANSITIONS, h, to, _("post application"))
    now = _now()
    if to == HoldingStatus.ENDED:
        h.ended_at = now
    else:
        h.decided_at, h.decided_by = now, _user(actor)
    if reason:
        h.reason = reason
    h.save()
    audit.record(actor=actor, verb=verb, target=h, changes={"status": {"before": before, "after": to}, **({"reason": reason} if reason else {})})
    registry.bump(MODULE)
    return h


@transaction.atomic
def holding_approve(*, actor: Actor, holding: Any) -> PostHolding:
    """The community approves an application; never more holders than the post needs."""
    h, post = _holding_for_manage(actor, holding)
    if h.status == HoldingStatus.APPLIED and _approved_count(post) >= post.needed:
        raise Conflict(_("The post already has the %(n)s people it needs; end a holding or raise the number first.") % {"n": post.needed},
                       code="full")
    _decide(actor, h, HoldingStatus.APPROVED, "volunteering.holding.approve")
    _holding_notify(h, _g("Your application for the post “%(post)s” was approved.") % {"post": post.name})
    return h


@transaction.atomic
def holding_reject(*, actor: Actor, holding: Any, reason: Any) -> PostHolding:
    text = _reason(reason)
    h, post = _holding_for_manage(actor, holding)
    _decide(actor, h, HoldingStatus.REJECTED, "volunteering.holding.reject", text)
    _holding_notify(h, _g("Your application for the post “%(post)s” was not approved: %(reason)s") % {"post": post.name, "reason": text})
    return h


@transaction.atomic
def holding_end(*, actor: Actor, holding: Any, reason: Any = "") -> PostHolding:
    """The community ends a member's holding of a post."""
    errors = Errors()
    text = _text(reason, field="reason", errors=errors, max_length=300, multiline=True)
    errors.raise_if_any()
    h, _post = _holding_for_manage(actor, holding)
    return _decide(actor, h, HoldingStatus.ENDED, "volunteering.holding.end", text)


@transaction.atomic
def holding_withdraw(*, actor: Actor, holding: Any) -> PostHolding:
    """The member withdraws his application before the community decides."""
    require(actor, perms.POST_APPLY)
    h = _in_scope(PostHolding, holding, actor, perms.POST_APPLY, lock=True)
    before = _transition(HOLDING_TRANSITIONS, h, HoldingStatus.WITHDRAWN, _("post application"))
    h.save(update_fields=["status", "updated_at"])
    audit.record(actor=actor, verb="volunteering.holding.withdraw", target=h, changes={"status": {"before": before, "after": h.status}})
    return h
