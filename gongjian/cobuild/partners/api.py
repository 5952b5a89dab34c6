"""API routes of this part of the co-building module, mounted under /api/v1/cobuild/."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["cobuild"])
