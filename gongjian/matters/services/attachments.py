"""Attachments (photos and PDFs) and the reporter's phone number."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from gongjian.core import audit, pii
from gongjian.core.errors import PermissionDenied, TransitionError, ValidationError
from gongjian.core.images import ImageRejected, clean_image, read_limited
from gongjian.core.kernel import Actor, account_of, key_of
from gongjian.core.permissions import require
from gongjian.core.validation import Errors, clean_text
from gongjian.regions.models import Department

from .. import permissions as perms
from ..choices import ASSIGNMENT_ACTIVE, EventKind, MatterStatus
from ..models import Assignment, Matter, MatterAttachment
from ..selectors import acting_paths, actor_departments, attachment_get, matter_get
from . import common
from .common import _event, _now, _sync

MAX_ATTACHMENTS = 20
MAX_PDF_BYTES = 10 * 1024 * 1024


MAX_PHOTO_BYTES = 8 * 1024 * 1024


def _clean_pdf(data: bytes, field: str) -> bytes:
    if not data.startswith(b"%PDF-"):
        raise ValidationError.for_field(field, _("Upload a photo (JPEG, PNG, WebP) or a PDF document."))
    if b"%%EOF" not in data[-2048:]:
        raise ValidationError.for_field(field, _("The PDF is damaged or incomplete."))
    return data


@transaction.atomic
def matter_attach(*, actor: Actor, matter: Matter | int, upload: Any, filename: Any) -> MatterAttachment:
    """A photo (checked and cleaned by ``core.images``) or a PDF (checked by its bytes) on an open or resolved matter.

    Who: the owning level, a lower level on its path, an assigned department (active assignment) and the reporter."""
    require(actor, perms.ATTACH)
    m = common._lock(actor, key_of(matter, Matter))
    if m.status in (MatterStatus.CLOSED, MatterStatus.REJECTED):
        raise TransitionError(_("Attachments cannot be added to a closed or rejected matter."))
    on_path = any(m.region_path.startswith(p) for p in acting_paths(actor, perms.ATTACH))
    depts = actor_departments(actor, perms.ATTACH)
    active_dept = bool(depts) and Assignment.objects.filter(matter=m, department_id__in=depts, status__in=ASSIGNMENT_ACTIVE).exists()
    own = m.reported_by_id is not None and m.reported_by_id == getattr(actor, "pk", None)
    if not (on_path or active_dept or own):
        raise PermissionDenied()
    if m.attachments.count() >= MAX_ATTACHMENTS:
        raise ValidationError.for_field("file", _("A matter has at most %(n)s attachments.") % {"n": MAX_ATTACHMENTS})
    errors = Errors()
    name = clean_text(filename, field="file", errors=errors, required=_("Choose a file."), max_length=120)
    errors.raise_if_any()
    head = read_limited(upload, MAX_PDF_BYTES, field="file") if upload is not None else b""
    if not head:
        raise ValidationError.for_field("file", _("The file is empty."))
    if head.startswith(b"%PDF-"):
        content = _clean_pdf(head, "file")
        content_type, ext = "application/pdf", "pdf"
    else:
        try:
            image = clean_image(head, field="file", max_bytes=MAX_PHOTO_BYTES)
        except ImageRejected as exc:
            raise ValidationError(exc.message, details={"file": [exc.message]}) from None
        content, content_type, ext = image.content, image.content_type, image.extension
    stem = name.rsplit(".", 1)[0] if "." in name else name
    a = MatterAttachment(matter=m, name=f"{stem}.{ext}"[:255], content_type=content_type, size=len(content), uploaded_by=account_of(actor))
    a.file.save(f"{uuid.uuid4().hex}.{ext}", ContentFile(content), save=False)
    try:
        a.save()
    except Exception:
        a.file.delete(save=False)
        raise
    now = _now()
    dept = Department.objects.filter(pk__in=depts).first() if active_dept and not on_path else None
    _event(m, EventKind.ATTACHMENT, actor=actor, at=now, department=dept, note=a.name)
    audit.record(actor=actor, verb="matters.matter.attach", target=m, changes={"attachment": a.pk, "name": a.name,
                                                                               "content_type": content_type, "size": a.size})
    _sync(matter, m)
    return a


def attachment_read(*, actor: Actor, id: Any, matter: Any = None) -> tuple[MatterAttachment, Any]:
    """The attachment and its opened file, for a view to stream (NotFound outside the actor's sight)."""
    a = attachment_get(actor=actor, id=id, matter=matter)
    return a, a.file.open("rb")


def reporter_phone(*, actor: Actor, matter: Matter | int) -> str:
    """The reporter's full phone number for the callback (administrators who see the matter; audited)."""
    require(actor, perms.READ_PHONE)
    m = matter_get(actor=actor, id=matter.pk if isinstance(matter, Matter) else matter)
    if not m.reporter_phone_enc:
        return ""
    audit.record_pii_read(actor=actor, target=m, fields=["reporter_phone"])
    return pii.decrypt(m.reporter_phone_enc)


def reporter_phone_masked(matter: Matter) -> str:
    try:
        return pii.mask_phone(pii.decrypt(matter.reporter_phone_enc))
    except pii.DecryptionError:
        return "***"
