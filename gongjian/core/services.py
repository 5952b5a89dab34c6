"""Core services: the two-step spreadsheet import (check, then import or discard)."""

from __future__ import annotations

import uuid
from typing import IO, Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from . import audit, registry
from .errors import NotFound, TransitionError
from .models import ImportJob
from .permissions import require
from .tabular import ApplyResult, CheckResult, too_large


def import_check(*, actor: Any, kind: str, upload: IO[bytes], filename: str) -> tuple[ImportJob, CheckResult]:
    """Validate an uploaded file and keep it for the decision; nothing of the list is written."""
    try:
        definition = registry.importer(kind)
    except KeyError:
        raise NotFound() from None
    require(actor, definition.permission)
    limit = settings.GONGJIAN_IMPORT_MAX_BYTES
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise too_large(limit)
    data = upload.read(limit + 1)
    importer = definition.factory()
    result = importer.check(data, filename=filename, actor=actor)
    with transaction.atomic():
        job = ImportJob(token=str(uuid.uuid4()), kind=kind, actor=actor, filename=filename[:255], total=result.total, error_rows=result.error_rows)
        job.file.save(f"{job.token}.bin", ContentFile(data), save=False)
        job.save()
        audit.record(actor=actor, verb="import.check", target=job, changes={"kind": kind, "total": result.total, "error_rows": result.error_rows})
    return job, result


def import_job_get(*, actor: Any, token: str) -> ImportJob:
    try:
        return ImportJob.objects.get(token=token, actor_id=getattr(actor, "pk", None))
    except (ImportJob.DoesNotExist, ValueError):
        raise NotFound() from None


def import_recheck(*, actor: Any, job: ImportJob) -> CheckResult:
    definition = registry.importer(job.kind)
    require(actor, definition.permission)
    with job.file.open("rb") as fh:
        data = fh.read()
    return definition.factory().check(data, filename=job.filename, actor=actor)


@transaction.atomic
def import_apply(*, actor: Any, token: str, mode: str) -> ApplyResult:
    """Write exactly what the user accepted: all rows (only if none has an error) or the valid rows."""
    job = ImportJob.objects.select_for_update().filter(token=token, actor_id=getattr(actor, "pk", None)).first()
    if job is None:
        raise NotFound()
    if job.status != ImportJob.Status.CHECKED:
        raise TransitionError(_("This file has already been imported or discarded."))
    definition = registry.importer(job.kind)
    importer = definition.factory()
    result = import_recheck(actor=actor, job=job)
    outcome = importer.apply(result, actor=actor, mode=mode)
    job.status = ImportJob.Status.APPLIED
    job.outcome = {"mode": mode, **outcome.as_dict()}
    job.save(update_fields=["status", "outcome", "updated_at"])
    audit.record(actor=actor, verb="import.apply", target=job, changes=job.outcome)
    return outcome


@transaction.atomic
def import_discard(*, actor: Any, token: str) -> None:
    job = import_job_get(actor=actor, token=token)
    if job.status == ImportJob.Status.CHECKED:
        job.status = ImportJob.Status.DISCARDED
        job.save(update_fields=["status", "updated_at"])
        audit.record(actor=actor, verb="import.discard", target=job)


