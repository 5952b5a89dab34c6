"""The matching engine: ranks resident units' resources for communities' needs. Pure Python, no database.

Public API (used by the web app, the ``gongjian match`` command and the evaluation in ``eval/``)::

    from gongjian.cobuild.matching import Need, Resource, Matcher, assign
    matcher = Matcher(resources, today=date.today())
    matcher.suggest(need, top_k=5, exclude={"rejected-id"})        # -> list[Suggestion]
    matcher.suggest_all(needs, top_k=5)                              # -> {need_id: [Suggestion, ...]}
    assign(needs, resources, suggestions, demand={"n1": 2})          # -> [(need_id, resource_id, amount)]

How a score is made is documented in :mod:`.engine`.
"""

from .assign import assign
from .csvio import MatchingInputError, read_needs_csv, read_resources_csv, write_suggestions_csv
from .engine import Matcher
from .model import CATEGORIES, Need, Resource, Suggestion

__all__ = [
    "CATEGORIES",
    "Matcher",
    "MatchingInputError",
    "Need",
    "Resource",
    "Suggestion",
    "assign",
    "read_needs_csv",
    "read_resources_csv",
    "write_suggestions_csv",
]
