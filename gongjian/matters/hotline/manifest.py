"""The hotline part in its app's manifest: the 12345 work-order importer (its rules are the app's ``matters.import``)."""

from __future__ import annotations

from gongjian.core.registry import ImporterDef, Part

from .importers import IMPORT, HotlineImporter

MANIFEST = Part(
    key="matters.hotline",
    importers=[ImporterDef(kind=HotlineImporter.kind, factory=HotlineImporter, permission=IMPORT, back_url_name="matters:list")],
)
