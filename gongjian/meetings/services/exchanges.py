"""Secretaries' exchanges: their speakers and the reports they bring (text and an attachment, PDF or photo)."""

from __future__ import annotations

import secrets
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext_lazy as _

from gongjian.core import audit
from gongjian.core.errors import TransitionError, ValidationError
from gongjian.core.images import clean_image, read_limited
from gongjian.core.kernel import Actor
from gongjian.core.validation import Errors
from gongjian.regions.models import Region

from .. import selectors as sel
from ..choices import MeetingKind, MeetingStatus
from ..models import Meeting, Speaker
from .common import ATTACHMENT_MAX_BYTES, MAX_SPEAKERS, clean_text, managed_meeting, resolve

ATTACHMENT_TYPES = {"pdf": "application/pdf", "jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}


def clean_attachment(upload: Any, *, field: str = "attachment") -> tuple[bytes, str, str]:
    """(bytes, extension, content type) of a PDF or an image, decided by its content; ≤ 10 MB.

    Images are re-encoded from their pixels (no metadata) by ``core.images``; a PDF must start with
    ``%PDF-`` and end with ``%%EOF``. Anything else is refused."""
    try:
        data = read_limited(upload, ATTACHMENT_MAX_BYTES, field=field)
    except ValidationError:
        raise ValidationError.for_field(field, _("The file is larger than %(mb)s MB.") % {"mb": ATTACHMENT_MAX_BYTES // (1024 * 1024)}) from None
    if not data:
        raise ValidationError.for_field(field, _("The file is empty."))
    if data.startswith(b"%PDF-"):
        if b"%%EOF" not in data[-2048:]:
            raise ValidationError.for_field(field, _("The PDF file is damaged or incomplete."))
        return data, "pdf", ATTACHMENT_TYPES["pdf"]
    try:
        img = clean_image(data, field=field, max_bytes=ATTACHMENT_MAX_BYTES)
    except ValidationError:
        raise ValidationError.for_field(field, _("Attach a PDF file or a photo (JPEG, PNG or WebP).")) from None
    return img.content, img.extension, img.content_type


def _speaker_data(m: Meeting, data: dict[str, Any], errors: Errors, current: Speaker | None = None) -> dict[str, Any]:
    reg = resolve(Region, data.get("region", current.region_id if current else None), sel.subdistricts_of(m))
    if not reg:
        errors.add("region", _("Choose a subdistrict."))
    name = clean_text(data.get("name", current.name if current else ""), field="name", errors=errors,
                      required=_("Enter the speaker's name."), max_length=64)
    topic = clean_text(data.get("topic", current.topic if current else ""), field="topic", errors=errors,
                       required=_("Enter the topic."))
    report = clean_text(data.get("report", current.report if current else ""), field="report", errors=errors, max_length=20000,
                        multiline=True)
    return {"region": reg or None, "name": name, "topic": topic, "report": report}


def _save_attachment(s: Speaker, clean: tuple[bytes, str, str] | None) -> None:
    if clean is None:
        return
    data, ext, _ctype = clean
    old = s.attachment.name if s.attachment else ""
    s.attachment.save(f"{secrets.token_hex(16)}.{ext}", ContentFile(data), save=False)
    s.save(update_fields=["attachment", "updated_at"])
    if old:
        transaction.on_commit(lambda: s.attachment.storage.delete(old))


def _require_exchange(m: Meeting) -> None:
    if m.kind != MeetingKind.SECRETARY_EXCHANGE:
        raise TransitionError(_("Speakers belong to a secretaries' exchange."))
    if m.status == MeetingStatus.CANCELLED:
        raise TransitionError(_("The meeting was cancelled."))


def _attachment(attachment: Any, errors: Errors) -> Any:
    """The speaker's report file, checked (its refusal is added to ``errors``); None when there is none."""
    if attachment is None:
        return None
    try:
        return clean_attachment(attachment)
    except ValidationError as exc:
        errors.catch(exc)
        return None


@transaction.atomic
def speaker_add(*, actor: Actor, meeting: Meeting | int, region: Any, name: Any, topic: Any, report: Any = "",
                attachment: Any = None) -> Speaker:
    m = managed_meeting(actor, meeting)
    _require_exchange(m)
    errors = Errors()
    clean = _speaker_data(m, {"region": region, "name": name, "topic": topic, "report": report}, errors)
    file = _attachment(attachment, errors)
    if Speaker.objects.filter(meeting=m).count() >= MAX_SPEAKERS:
        errors.add("name", _("An exchange has at most %(n)s speakers.") % {"n": MAX_SPEAKERS})
    errors.raise_if_any()
    last = Speaker.objects.filter(meeting=m).aggregate(n=Max("sort_order"))["n"] or 0
    s = Speaker.objects.create(meeting=m, sort_order=int(last) + 10, **clean)
    _save_attachment(s, file)
    audit.record(actor=actor, verb="meetings.speaker.add", target=m,
                 changes={"speaker": s.pk, "region": s.region_id, "name": s.name, "topic": s.topic, "attachment": bool(file)})
    return s


@transaction.atomic
def speaker_update(*, actor: Actor, meeting: Meeting | int, speaker: Any, attachment: Any = None, remove_attachment: bool = False,
                   **data: Any) -> Speaker:
    """Change a speaker's facts or report (also after the exchange, when the reports come in)."""
    m = managed_meeting(actor, meeting)
    _require_exchange(m)
    s = sel.speaker_get(meeting=m, id=speaker.pk if isinstance(speaker, Speaker) else speaker)
    errors = Errors()
    clean = _speaker_data(m, data, errors, current=s)
    file = _attachment(attachment, errors)
    errors.raise_if_any()
    before = {"region": s.region_id, "name": s.name, "topic": s.topic, "report": s.report[:200]}
    s.region, s.name, s.topic, s.report = clean["region"], clean["name"], clean["topic"], clean["report"]
    s.save()
    if remove_attachment and s.attachment and file is None:
        old = str(s.attachment.name)
        s.attachment = ""
        s.save(update_fields=["attachment", "updated_at"])
        transaction.on_commit(lambda: s.attachment.storage.delete(old))
    _save_attachment(s, file)
    changes = audit.diff(before, {"region": s.region_id, "name": s.name, "topic": s.topic, "report": s.report[:200]})
    if file or remove_attachment:
        changes["attachment"] = "replaced" if file else "removed"
    if changes:
        audit.record(actor=actor, verb="meetings.speaker.update", target=m, changes={"speaker": s.pk, **changes})
    return s


@transaction.atomic
def speaker_remove(*, actor: Actor, meeting: Meeting | int, speaker: Any) -> None:
    m = managed_meeting(actor, meeting)
    _require_exchange(m)
    s = sel.speaker_get(meeting=m, id=speaker.pk if isinstance(speaker, Speaker) else speaker)
    name = s.attachment.name if s.attachment else ""
    audit.record(actor=actor, verb="meetings.speaker.remove", target=m, changes={"speaker": s.pk, "name": s.name, "topic": s.topic})
    s.delete()
    if name:
        storage = Speaker._meta.get_field("attachment").storage
        transaction.on_commit(lambda: storage.delete(name))


def attachment_content_type(s: Speaker) -> str:
    ext = str(s.attachment.name).rsplit(".", 1)[-1].lower()
    return ATTACHMENT_TYPES.get(ext, "application/octet-stream")
