from __future__ import annotations

from typing import Any

from gongjian.core import registry


def home_panels(*, actor: Any) -> list[dict[str, Any]]:
    """Each module contributes the panels of the roles it serves; None means 'not for this actor'."""
    panels: list[dict[str, Any]] = []
    for module in registry.modules():
        for make in module.panels:
            panel = make(actor)
            if panel:
                panels.append(panel)
    return panels
