"""Who may do what with a project's plan and progress. Deny by default; the manifest registers the rules.

The project's own actions are in ``cobuild.permissions`` (view, manage = propose/cancel, run =
agree/start/complete, rate). This part adds one action:

* ``cobuild.project_progress`` — keeping the plan's milestones (add, edit, mark done, remove) and
  writing progress notes with photos. The project's managers do it: administrators of the
  project's community or above (the community's staff), and the liaison of the responsible unit
  (``unit_id``). A liaison of another unit, a resident or a member cannot; a project outside the
  actor's scope is "not found".

Photos are read with ``cobuild.project_view``: whoever may see the project sees its photos, through
the scoped view only.
"""

from __future__ import annotations

from gongjian.accounts.choices import Role
from gongjian.core.permissions import Reach

from ..permissions import ADMINS, PROJECT_MANAGE, PROJECT_RATE, PROJECT_RUN, PROJECT_VIEW

S = Reach.SCOPE

PROJECT_PROGRESS = "cobuild.project_progress"

RULES: dict[str, dict[Role, Reach]] = {
    PROJECT_PROGRESS: {**ADMINS, Role.UNIT_LIAISON: S},
}

__all__ = ["PROJECT_MANAGE", "PROJECT_PROGRESS", "PROJECT_RATE", "PROJECT_RUN", "PROJECT_VIEW", "RULES"]
