"""API of this app, mounted at /api/v1/matters/. Same selectors and services as the pages."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["matters"])
