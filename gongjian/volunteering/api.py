"""The volunteering API under /api/v1/volunteering/: each part's router, scoped like the pages."""

from __future__ import annotations

from ninja import Router

from .activities.api import router as activities_router
from .members.api import router as members_router
from .roads.api import router as roads_router

router = Router(tags=["volunteering"])
router.add_router("", members_router)
router.add_router("/activities", activities_router)
router.add_router("/roads", roads_router)
