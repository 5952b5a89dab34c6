"""Engine additions used by the web app: capacity units in reasons, restricting to allowed resources, capacity updates."""

from __future__ import annotations

from datetime import date

from gongjian.cobuild.matching import Matcher, Need, Resource

TODAY = date(2026, 11, 25)


def _fund(rid: str, capacity: float | None, unit: str = "元") -> Resource:
    return Resource(rid, "助老慈善基金", "资助社区老年人助餐", category="资金", unit="郑州慈善总会", capacity=capacity, capacity_unit=unit)


def test_capacity_reason_names_the_capacity_unit_not_the_unit_name() -> None:
    matcher = Matcher([_fund("f", 50000)], today=TODAY)
    [s] = matcher.suggest(Need("n", "老年助餐资金", quantity=20000, quantity_unit="元"))
    assert "容量足够：剩余 50000 元" in s.reasons
    assert not any("郑州慈善总会" in r for r in s.reasons)


def test_quantity_in_another_unit_is_not_compared_with_the_capacity() -> None:
    matcher = Matcher([_fund("f", 50)], today=TODAY)
    [s] = matcher.suggest(Need("n", "老年助餐资金", quantity=200, quantity_unit="人"))
    assert s.components["capacity_factor"] == 1.0
    assert not any(r.startswith("容量") for r in s.reasons)
    [short] = matcher.suggest(Need("n", "老年助餐资金", quantity=200, quantity_unit="元"))
    assert short.components["capacity_factor"] < 1 and "容量不足：需 200 元，剩余 50 元" in short.reasons


def test_only_restricts_to_the_allowed_resources_and_exclude_still_applies() -> None:
    matcher = Matcher([_fund("a", 10), _fund("b", 10), _fund("c", 10)], today=TODAY)
    need = Need("n", "老年助餐资金")
    assert [s.resource_id for s in matcher.suggest(need, only={"b", "c"})] == ["b", "c"]
    assert [s.resource_id for s in matcher.suggest(need, only={"b", "c"}, exclude={"b"})] == ["c"]
    assert matcher.suggest(need, only=set()) == []
    batch = matcher.suggest_all([need, Need("m", "老年助餐资金")], only={"n": matcher.allowed_mask({"a"})})
    assert [s.resource_id for s in batch["n"]] == ["a"]
    assert [s.resource_id for s in batch["m"]] == ["a", "b", "c"]


def test_with_capacity_shares_the_index_and_takes_exhausted_resources_out() -> None:
    matcher = Matcher([_fund("a", 10), _fund("b", 10)], today=TODAY)
    changed = matcher.with_capacity({"a": 0, "b": 3})
    assert changed.bm25 is matcher.bm25
    need = Need("n", "老年助餐资金", quantity=5, quantity_unit="元")
    assert [s.resource_id for s in changed.suggest(need)] == ["b"]
    assert "容量不足：需 5 元，剩余 3 元" in changed.suggest(need)[0].reasons
    assert [s.resource_id for s in matcher.suggest(need)] == ["a", "b"]  # the original is unchanged
