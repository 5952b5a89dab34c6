"""The engine's value types: what a need, a resource and a suggestion are, independent of any database."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

#: The default taxonomy of issue 3. The web app makes it configurable; the engine accepts any other name too
#: (compared by equality, and through the lexicon, see :mod:`.lexicon`).
CATEGORIES: tuple[str, ...] = (
    "助老",
    "助残",
    "青少年",
    "医疗健康",
    "法律服务",
    "就业创业",
    "文体活动",
    "环境卫生",
    "设施改造",
    "场地",
    "资金",
    "物资",
    "技术支持",
    "安全",
    "心理关爱",
    "其他",
)


@dataclass(frozen=True)
class Need:
    """What a community asks for. Only ``id`` and ``title`` are required; every other field may be unknown."""

    id: str
    title: str
    description: str = ""
    category: str = ""
    lat: float | None = None
    lng: float | None = None
    wanted_from: date | None = None
    wanted_to: date | None = None
    quantity: float | None = None
    region_code: str = ""
    #: the unit of ``quantity`` (e.g. "元", "m²", "人"); compared with a resource's ``capacity_unit``, blank = same unit
    quantity_unit: str = ""


@dataclass(frozen=True)
class Resource:
    """What a resident unit offers. ``capacity`` is what is still left (the caller subtracts what is promised).

    ``unit`` is the name of the resident unit that offers it; ``capacity_unit`` the unit of ``capacity`` ("元", "m²" …).
    """

    id: str
    title: str
    description: str = ""
    category: str = ""
    unit: str = ""
    lat: float | None = None
    lng: float | None = None
    radius_km: float | None = None
    capacity: float | None = None
    available_from: date | None = None
    available_to: date | None = None
    service_region_codes: tuple[str, ...] = ()
    capacity_unit: str = ""


@dataclass(frozen=True)
class Suggestion:
    """One ranked resource for one need: ``score`` in [0, 1], ``reasons`` in Chinese, ``components`` the parts of the score."""

    need_id: str
    resource_id: str
    rank: int
    score: float
    reasons: tuple[str, ...]
    components: dict[str, float] = field(default_factory=dict, hash=False, compare=False)
