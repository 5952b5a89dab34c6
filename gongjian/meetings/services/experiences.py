"""The experiences library: exemplars recorded from secretaries' exchanges, published for every level to read."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from gongjian.core import audit
from gongjian.core.errors import NotFound
from gongjian.core.kernel import Actor, account_of, audited_save
from gongjian.core.permissions import require
from gongjian.core.validation import Errors
from gongjian.regions.models import Region

from .. import selectors as sel
from ..choices import MeetingKind
from ..models import Experience, Speaker
from ..permissions import EXPERIENCE_MANAGE
from .common import clean_text, managed_meeting, resolve


def _clean_experience(data: dict[str, Any], errors: Errors, current: Experience | None = None) -> dict[str, Any]:
    def get(k: str, default: Any = "") -> Any:
        return data[k] if k in data else (getattr(current, k) if current else default)

    title = clean_text(get("title"), field="title", errors=errors, required=_("The title is required."))
    summary = clean_text(get("summary"), field="summary", errors=errors, required=_("Write the summary of the experience."),
                         max_length=8000, multiline=True)
    raw_tags = clean_text(get("tags"), field="tags", errors=errors, max_length=200)
    tags = "、".join(dict.fromkeys(sel.split_tags(raw_tags)))
    if len(tags) > 200:
        errors.add("tags", _("At most %(n)s characters.") % {"n": 200})
    published = get("published", False)
    return {"title": title, "summary": summary, "tags": tags,
            "published": published if isinstance(published, bool) else str(published).lower() in ("true", "1", "on", "yes")}


@transaction.atomic
def experience_record(*, actor: Actor, title: Any, summary: Any, region: Any = None, meeting: Any = None, speaker: Any = None,
                      tags: Any = "", published: Any = False) -> Experience:
    """An exemplar experience from an exchange (the speaker's subdistrict by default)."""
    require(actor, EXPERIENCE_MANAGE)
    errors = Errors()
    m = None
    if meeting not in (None, ""):
        m = managed_meeting(actor, meeting, lock=False)
        if m.kind != MeetingKind.SECRETARY_EXCHANGE:
            errors.add("meeting", _("Experiences are recorded from a secretaries' exchange."))
    sp = None
    if speaker not in (None, ""):
        sp = resolve(Speaker, speaker, Speaker.objects.filter(meeting=m) if m else Speaker.objects.none())
        if not sp:
            errors.add("speaker", _("Choose a speaker of this exchange."))
            sp = None
    reg = resolve(Region, region, Region.objects.filter(is_active=True)) if region not in (None, "") else (sp.region if sp else None)
    if not reg:
        errors.add("region", _("Choose the region the experience comes from."))
    clean = _clean_experience({"title": title, "summary": summary, "tags": tags, "published": published}, errors)
    errors.raise_if_any()
    assert reg
    e = Experience.objects.create(meeting=m, speaker=sp, region=reg, recorded_by=account_of(actor), **clean)
    audit.record(actor=actor, verb="meetings.experience.record", target=e,
                 changes={"title": e.title, "region": e.region_id, "meeting": e.meeting_id, "published": e.published})
    return e


@transaction.atomic
def experience_update(*, actor: Actor, experience: Any, **data: Any) -> Experience:
    require(actor, EXPERIENCE_MANAGE)
    e = resolve(Experience, experience)
    if not e:
        raise NotFound()
    e = Experience.objects.select_for_update().get(pk=e.pk)
    errors = Errors()
    clean = _clean_experience(data, errors, current=e)
    errors.raise_if_any()
    audited_save(e, actor=actor, verb="meetings.experience.update", changes=clean)
    return e
