"""API of this app, mounted at /api/v1/meetings/. Same selectors and services as the pages."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["meetings"])
