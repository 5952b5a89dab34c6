"""The matching evaluation set (issue #3 point 5): its integrity, the metric functions, and ``gongjian match_eval``."""

from __future__ import annotations

import csv
import math
import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from gongjian.cobuild.matching import eval as evaluation

ZZ_LAT = (34.70, 34.85)
ZZ_LNG = (113.55, 113.80)


@pytest.fixture(scope="module")
def ev() -> evaluation.EvalSet:
    return evaluation.load()


def _raw(name: str) -> list[dict[str, str]]:
    with (evaluation.DATA_DIR / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    la1, lo1, la2, lo2 = map(math.radians, (*a, *b))
    h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


# --- the set -------------------------------------------------------------------------------------------------


def test_set_size_and_unique_ids(ev: evaluation.EvalSet) -> None:
    assert len(ev.needs) >= 150
    assert len(ev.resources) >= 150
    need_ids = [r["id"] for r in _raw("needs.csv")]
    resource_ids = [r["id"] for r in _raw("resources.csv")]
    assert len(need_ids) == len(set(need_ids)) == len(ev.needs)
    assert len(resource_ids) == len(set(resource_ids)) == len(ev.resources)
    assert not set(need_ids) & set(resource_ids)


def test_every_judgment_refers_to_existing_ids_and_every_need_has_a_good_match(ev: evaluation.EvalSet) -> None:
    need_ids = {n.id for n in ev.needs}
    resource_ids = {r.id for r in ev.resources}
    rows = _raw("judgments.csv")
    assert {(r["need_id"], r["resource_id"]) for r in rows}.__len__() == len(rows), "a pair is judged twice"
    for row in rows:
        assert row["need_id"] in need_ids, row
        assert row["resource_id"] in resource_ids, row
        assert row["grade"] in ("1", "2"), row
    assert set(ev.judgments) == need_ids
    assert all(2 in grades.values() for grades in ev.judgments.values())


def test_coordinates_needs_in_zhengzhou_some_units_far_away(ev: evaluation.EvalSet) -> None:
    for n in ev.needs:
        assert n.lat is not None and n.lng is not None, n.id
        assert ZZ_LAT[0] <= n.lat <= ZZ_LAT[1] and ZZ_LNG[0] <= n.lng <= ZZ_LNG[1], n.id
    outside = 0
    for r in ev.resources:
        assert r.lat is not None and r.lng is not None and r.radius_km is not None, r.id
        assert 18 <= r.lat <= 54 and 73 <= r.lng <= 135, r.id  # in China
        if not (ZZ_LAT[0] <= r.lat <= ZZ_LAT[1] and ZZ_LNG[0] <= r.lng <= ZZ_LNG[1]):
            outside += 1
            assert r.radius_km <= 10, f"{r.id}: a far-away unit serves only its own surroundings"
    assert outside >= 8


def test_dates_parse_and_periods_are_ordered(ev: evaluation.EvalSet) -> None:
    # The batch readers parsed every date; blank cells are allowed and must really be blank in the file.
    raw_needs = {r["id"]: r for r in _raw("needs.csv")}
    for n in ev.needs:
        assert bool(raw_needs[n.id]["wanted_from"]) == (n.wanted_from is not None)
        if n.wanted_from and n.wanted_to:
            assert n.wanted_from <= n.wanted_to, n.id
    for r in ev.resources:
        if r.available_from and r.available_to:
            assert r.available_from <= r.available_to, r.id
    expired = [r for r in ev.resources if r.available_to and r.available_to < evaluation.TODAY]
    assert len(expired) >= 5


def test_case_tags_present_known_and_each_case_covered(ev: evaluation.EvalSet) -> None:
    assert set(ev.cases) == {n.id for n in ev.needs}
    counts = dict.fromkeys(evaluation.CASES, 0)
    for nid, tags in ev.cases.items():
        assert tags, f"{nid} has no case tag"
        for tag in tags:
            assert tag in counts, f"{nid}: unknown case {tag}"
            counts[tag] += 1
    assert all(c >= 8 for c in counts.values()), counts
    by_id = {n.id: n for n in ev.needs}
    assert all(not by_id[nid].category for nid, t in ev.cases.items() if "blank_category" in t)
    assert all(len(by_id[nid].title) <= 8 for nid, t in ev.cases.items() if "short_title" in t)


def test_every_judged_match_is_feasible(ev: evaluation.EvalSet) -> None:
    """A judged resource serves the need's place, is not expired, overlaps its wanted period and has room enough."""
    needs = {n.id: n for n in ev.needs}
    resources = {r.id: r for r in ev.resources}
    for nid, grades in ev.judgments.items():
        n = needs[nid]
        for rid in grades:
            r = resources[rid]
            assert r.lat is not None and r.lng is not None and n.lat is not None and n.lng is not None
            assert r.radius_km is None or _km((n.lat, n.lng), (r.lat, r.lng)) <= r.radius_km, (nid, rid)
            assert r.available_to is None or r.available_to >= evaluation.TODAY, (nid, rid)
            if r.available_to and n.wanted_from:
                assert r.available_to >= n.wanted_from, (nid, rid)
            if r.available_from and n.wanted_to:
                assert r.available_from <= n.wanted_to, (nid, rid)
            if n.quantity is not None and r.capacity is not None:
                assert r.capacity >= n.quantity, (nid, rid)


def test_hard_cases_have_their_trap(ev: evaluation.EvalSet) -> None:
    """Enough far-away, expired and too-small resources exist that each of those cases can go wrong."""
    resources = ev.resources
    far = [
        r for r in resources if r.lat is not None and r.lng is not None and not (ZZ_LAT[0] <= r.lat <= ZZ_LAT[1] and ZZ_LNG[0] <= r.lng <= ZZ_LNG[1])
    ]
    assert {r.unit[:2] for r in far} >= {"登封", "巩义", "新郑"}
    resources_by_id = {r.id: r for r in resources}
    needs = {n.id: n for n in ev.needs}
    too_small = 0
    for nid, tags in ev.cases.items():
        if "capacity" in tags:
            q = needs[nid].quantity
            assert q is not None, nid
            kinds = {resources_by_id[rid].category for rid, g in ev.judgments[nid].items() if g == 2}
            too_small += any(r.capacity is not None and r.capacity < q and r.category in kinds for r in resources)
    assert too_small >= 5


# --- the metrics ---------------------------------------------------------------------------------------------


def test_recall_and_reciprocal_rank_on_a_hand_computed_example() -> None:
    ranked = ["a", "b", "c", "d", "e", "f"]
    assert evaluation.recall_at_k(ranked, {"c"}, 1) == 0.0
    assert evaluation.recall_at_k(ranked, {"c"}, 3) == 1.0
    assert evaluation.recall_at_k(ranked, {"f"}, 5) == 0.0
    assert evaluation.recall_at_k(ranked, {"a", "f"}, 1) == 1.0
    assert evaluation.reciprocal_rank(ranked, {"c", "e"}) == pytest.approx(1 / 3)
    assert evaluation.reciprocal_rank(ranked, {"z"}) == 0.0
    assert evaluation.reciprocal_rank([], {"a"}) == 0.0
    assert evaluation.first_hit(ranked, {"d", "e"}) == 4


def test_score_means_over_needs_and_grades() -> None:
    judgments = {
        "n1": {"r1": 2},  # ranked 1st  → R@1 1, R@5 1, RR 1
        "n2": {"r9": 2, "r2": 1},  # good at 3rd, acceptable at 1st → grade 2: RR 1/3; grade ≥ 1: RR 1
        "n3": {"r7": 2},  # not ranked → 0
        "n4": {"r5": 1},  # no good resource: left out of the grade-2 figures
    }
    rankings = {"n1": ["r1", "r2"], "n2": ["r2", "r3", "r9"], "n3": ["r1", "r2", "r3", "r4", "r6", "r7"], "n4": ["r5"]}
    good = evaluation.score(rankings, judgments, min_grade=2)
    assert good.count == 3
    assert good.recall[1] == pytest.approx(1 / 3)
    assert good.recall[5] == pytest.approx(2 / 3)  # r7 is 6th for n3
    assert good.mrr == pytest.approx((1 + 1 / 3 + 1 / 6) / 3)
    ok = evaluation.score(rankings, judgments, min_grade=1)
    assert ok.count == 4
    assert ok.recall[1] == pytest.approx(3 / 4)
    assert ok.mrr == pytest.approx((1 + 1 + 1 / 6 + 1) / 4)
    only = evaluation.score(rankings, judgments, need_ids=["n3"])
    assert (only.count, only.recall[5], only.mrr) == (1, 0.0, pytest.approx(1 / 6))
    assert evaluation.score({}, judgments).mrr == 0.0
    assert evaluation.score(rankings, {}).count == 0


# --- the command ---------------------------------------------------------------------------------------------

FIGURES = re.compile(r"^(good \(grade 2\)|acceptable \(grade ≥ 1\)|  \w+)\s+(\d+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)$", re.M)


def _run(*args: str) -> str:
    out = StringIO()
    call_command("match_eval", *args, stdout=out)
    return out.getvalue()


def test_command_prints_the_three_figures_overall_and_per_case(ev: evaluation.EvalSet) -> None:
    text = _run("--top", "5", "--today", "2026-11-25", "--by-case")
    rows = {m.group(1).strip(): [float(m.group(i)) for i in (2, 3, 4, 5)] for m in FIGURES.finditer(text)}
    assert "good (grade 2)" in rows and "acceptable (grade ≥ 1)" in rows, text
    assert rows["good (grade 2)"][0] == len(ev.needs)
    for count, r1, r5, mrr in rows.values():
        assert count > 0
        for value in (r1, r5, mrr):
            assert 0.0 <= value <= 1.0
        assert r1 <= r5 and r1 <= mrr <= r5 + 1e-9
    assert set(evaluation.CASES) <= set(rows), text
    assert "recall@1" in text and "recall@5" in text and "MRR@5" in text
    assert re.search(r"time: index [\d.]+ s · ranking [\d.]+ s", text)
    # acceptable matches can only add hits
    assert rows["acceptable (grade ≥ 1)"][3] >= rows["good (grade 2)"][3] - 1e-9


def test_command_worst_list_names_needs(ev: evaluation.EvalSet) -> None:
    text = _run("--worst", "3")
    listed = re.findall(r"^- (N\d+) ", text, re.M)
    assert len(listed) == 3 and set(listed) <= {n.id for n in ev.needs}


def test_command_today_decides_expiry() -> None:
    """Evaluated a year earlier, resources that are expired on the set's day are offered again: the figures change."""
    normal = _run()
    earlier = _run("--today", "2025-11-25")
    assert normal != earlier


@pytest.mark.parametrize("args", [("--top", "3"), ("--today", "2026-13-01"), ("--data", "/nonexistent-eval-dir")])
def test_command_rejects_bad_options(args: tuple[str, ...]) -> None:
    with pytest.raises(CommandError):
        _run(*args)


def test_command_reads_another_set(tmp_path) -> None:
    (tmp_path / "needs.csv").write_text("id,title,category,case\nn1,修路灯,,short_title\nn2,老人吃饭,助老,plain\n", encoding="utf-8")
    (tmp_path / "resources.csv").write_text(
        "id,title,description,category\nr1,路灯维修,维修更换小区路灯,设施改造\nr2,长者食堂,老年人助餐送餐,助老\n", encoding="utf-8"
    )
    (tmp_path / "judgments.csv").write_text("need_id,resource_id,grade\nn1,r1,2\nn2,r2,2\n", encoding="utf-8")
    text = _run("--data", str(tmp_path), "--by-case")
    assert "2 needs, 2 resources, 2 judgments" in text
    good = next(m for m in FIGURES.finditer(text) if m.group(1) == "good (grade 2)")
    assert float(good.group(5)) == 1.0
