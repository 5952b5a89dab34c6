"""The matching engine (issue #3 point 4): ranking, reasons, exclusions, global assignment, CSV and the batch command."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gongjian.cobuild.matching import (
    CATEGORIES,
    Matcher,
    MatchingInputError,
    Need,
    Resource,
    Suggestion,
    assign,
    lexicon,
    read_needs_csv,
    read_resources_csv,
    write_suggestions_csv,
)

ROOT = Path(__file__).resolve().parents[3]
TODAY = date(2026, 3, 1)
# 二七区 淮河路 area of Zhengzhou
HERE = (34.7300, 113.6200)


def ids(suggestions: list[Suggestion]) -> list[str]:
    return [s.resource_id for s in suggestions]


# --- the API ----------------------------------------------------------------------------------------------------


def test_categories_are_the_default_taxonomy() -> None:
    assert CATEGORIES[0] == "助老" and CATEGORIES[-1] == "其他" and len(CATEGORIES) == 16


def test_synonyms_found_through_the_lexicon() -> None:
    matcher = Matcher(
        [
            Resource("elder", "长者文娱活动室", "可供银发族开展棋牌活动"),
            Resource("kids", "四点钟课堂", "放学后托管与作业辅导"),
            Resource("law", "律师义务法律咨询"),
        ],
        today=TODAY,
    )
    old = matcher.suggest(Need("n1", "老年人想有个地方下棋打牌"))
    assert ids(old)[0] == "elder"
    assert any(r.startswith("文字相近：") and ("老人" in r or "棋牌" in r) for r in old[0].reasons)
    kids = matcher.suggest(Need("n2", "孩子放学没人管"))
    assert ids(kids)[0] == "kids"
    legal = matcher.suggest(Need("n3", "邻里纠纷想找人懂法的问问"))
    assert ids(legal)[0] == "law"


def test_governance_terms_are_one_word() -> None:
    from gongjian.cobuild.matching.text import tokens

    for term in ("四点钟课堂", "微心愿", "日间照料", "老旧小区", "加装电梯"):
        assert term in tokens(f"关于{term}的事"), term


def test_blank_category_is_neutral_not_sunk() -> None:
    matcher = Matcher(
        [
            Resource("declared", "每天中午提供热饭", category="助老"),
            Resource("blank", "每天中午提供热饭", category=""),
            Resource("other", "每天中午提供热饭", category="法律服务"),
        ],
        today=TODAY,
    )
    result = matcher.suggest(Need("n", "老人吃饭难，想要热饭", category="助老"))
    scores = {s.resource_id: s for s in result}
    assert ids(result) == ["declared", "blank", "other"]
    assert scores["declared"].components["category"] == 1.0
    assert scores["blank"].components["category"] == 0.5  # blank: neutral
    assert scores["other"].components["category"] == 0.0  # both declared, different
    # a need without category is neutral too: the same text scores alike whatever the resource declared
    blank_need = {s.resource_id: s.score for s in matcher.suggest(Need("m", "想要热饭"))}
    assert blank_need["declared"] == blank_need["blank"] == blank_need["other"]
    # a blank-category resource whose words say 助老 counts as 助老
    inferred = Matcher([Resource("x", "老年人助餐服务")], today=TODAY).suggest(Need("n", "老人吃饭难", category="助老"))
    assert inferred[0].components["category"] == pytest.approx(0.8) and "同类：助老" in inferred[0].reasons
    # declared 青少年 but its text mentions the elderly: the shared concept is named, not called the same category
    other = Matcher([Resource("y", "四点钟课堂", "辅导小学生作业，也陪伴老人读报", category="青少年")], today=TODAY)
    reasons = other.suggest(Need("n", "独居老人需要陪伴", category="助老"))[0].reasons
    assert "内容涉及：助老" in reasons and not any(r.startswith("同类") for r in reasons)


def test_same_category_wrong_service_loses_to_a_textual_match() -> None:
    matcher = Matcher(
        [
            Resource("wrong", "老年人法律咨询", "律师为老年人讲解遗嘱继承", category="助老"),
            Resource("right", "义务理发", "理发师每月上门理发", category=""),
        ],
        today=TODAY,
    )
    result = matcher.suggest(Need("n", "行动不便的老人需要上门理发", category="助老"))
    assert ids(result)[0] == "right"
    assert result[0].score > result[1].score


def test_far_unit_loses_and_says_so() -> None:
    near = Resource("near", "社区活动室开放", "供居民文体活动", lat=HERE[0] + 0.01, lng=HERE[1], radius_km=3)
    far = Resource("far", "社区活动室开放", "供居民文体活动", lat=HERE[0] + 0.5, lng=HERE[1], radius_km=3)
    result = Matcher([far, near], today=TODAY).suggest(Need("n", "需要活动室开展文体活动", lat=HERE[0], lng=HERE[1]))
    assert ids(result) == ["near", "far"]
    assert result[1].score < 0.5 * result[0].score
    assert any(r.startswith("距离 1.1 km") for r in result[0].reasons)
    assert "远在服务范围外" in result[1].reasons
    assert result[1].components["place_factor"] == pytest.approx(0.3)


def test_service_region_codes_count_as_service_area() -> None:
    inside = Resource("in", "法律咨询", service_region_codes=("410103",))
    outside = Resource("out", "法律咨询", service_region_codes=("410105",))
    result = Matcher([outside, inside], today=TODAY).suggest(Need("n", "需要法律咨询", region_code="410103002"))
    assert ids(result) == ["in", "out"]
    assert "在服务区域内" in result[0].reasons and "不在服务区域内" in result[1].reasons


def test_expired_and_full_resources_are_excluded_with_reasons() -> None:
    matcher = Matcher(
        [
            Resource("expired", "四点钟课堂", available_from=date(2025, 1, 1), available_to=date(2026, 1, 31)),
            Resource("full", "四点钟课堂志愿老师", capacity=0),
            Resource("later", "四点钟课堂辅导", available_from=date(2026, 9, 1), available_to=date(2026, 12, 31)),
            Resource("ok", "四点钟课堂托管", available_from=date(2026, 3, 1), available_to=date(2026, 6, 30)),
        ],
        today=TODAY,
    )
    need = Need("n", "四点钟课堂", wanted_from=date(2026, 3, 10), wanted_to=date(2026, 6, 1))
    result = matcher.suggest(need)
    assert ids(result) == ["ok"]
    assert "时间重叠" in result[0].reasons
    assert matcher.explain(need, "expired").reasons[0] == "资源已过期"  # type: ignore[union-attr]
    assert matcher.explain(need, "full").reasons[0] == "已无剩余容量"  # type: ignore[union-attr]
    assert matcher.explain(need, "later").reasons[0] == "时间不重叠"  # type: ignore[union-attr]
    assert matcher.explain(need, "nope") is None


def test_quantity_above_capacity_is_penalised() -> None:
    matcher = Matcher(
        [Resource("small", "会议室借用", unit="某单位", capacity=50, capacity_unit="平方米"),
         Resource("big", "会议室借用", unit="某单位", capacity=300, capacity_unit="平方米")], today=TODAY
    )
    result = matcher.suggest(Need("n", "借用会议室开居民大会", quantity=200))
    assert ids(result) == ["big", "small"]
    assert "容量不足：需 200 平方米，剩余 50 平方米" in result[1].reasons
    assert not any("某单位" in r for r in result[1].reasons)  # the unit's name is not the capacity's unit
    assert result[1].components["capacity_factor"] == pytest.approx(0.625)


def test_unknown_category_names_are_understood() -> None:
    assert "助老" in lexicon.normalise_category("养老服务", CATEGORIES)
    matcher = Matcher([Resource("a", "上门服务", category="养老服务"), Resource("b", "上门服务", category="法律服务")], today=TODAY)
    result = matcher.suggest(Need("n", "上门服务", category="助老"))
    assert ids(result)[0] == "a" and "同类：助老" in result[0].reasons


def test_exclude_and_top_k() -> None:
    resources = [Resource(f"r{i}", "老年人助餐服务") for i in range(8)]
    matcher = Matcher(resources, today=TODAY)
    need = Need("n", "老人助餐")
    assert ids(matcher.suggest(need, top_k=3)) == ["r0", "r1", "r2"]  # ties by id
    assert ids(matcher.suggest(need, top_k=3, exclude={"r0", "r2"})) == ["r1", "r3", "r4"]
    assert [s.rank for s in matcher.suggest(need, top_k=3)] == [1, 2, 3]
    assert matcher.suggest(need, top_k=0) == []
    assert Matcher([], today=TODAY).suggest(need) == []


def test_deterministic_across_calls_and_batch_sizes() -> None:
    resources = [
        Resource(f"r{i:03d}", t, category=c)
        for i, (t, c) in enumerate(
            [("老年人助餐", "助老"), ("青少年课后托管", ""), ("法律咨询", "法律服务"), ("会议室借用", "场地"), ("义诊量血压", "")] * 30
        )
    ]
    needs = [Need(f"n{i}", t) for i, t in enumerate(["老人吃饭", "孩子放学", "打官司", "开会场地", "看病", "老人看病"] * 100)]
    a = Matcher(resources, today=TODAY).suggest_all(needs, top_k=5)
    b = Matcher(list(reversed(resources)), today=TODAY).suggest_all(needs, top_k=5)
    assert a == b
    single = Matcher(resources, today=TODAY)
    for need in needs[:6]:
        assert single.suggest(need) == a[need.id]


def test_duplicate_resource_ids_rejected() -> None:
    with pytest.raises(ValueError):
        Matcher([Resource("x", "a"), Resource("x", "b")])


# --- global assignment ------------------------------------------------------------------------------------------


def _two_needs(capacity: float | None) -> tuple[list[Need], list[Resource], dict[str, list[Suggestion]]]:
    needs = [Need("n1", "借用会议室"), Need("n2", "借用会议室开会")]
    resources = [Resource("room", "会议室借用", capacity=capacity)]
    return needs, resources, Matcher(resources, today=TODAY).suggest_all(needs)


def test_assign_capacity_one_gives_one() -> None:
    needs, resources, sugg = _two_needs(1)
    assert len(sugg["n1"]) == 1 and len(sugg["n2"]) == 1  # both would be promised the room
    result = assign(needs, resources, sugg)
    assert len(result) == 1 and result[0][1] == "room" and result[0][2] == 1.0
    needs, resources, sugg = _two_needs(None)  # unknown capacity: room for one need
    assert len(assign(needs, resources, sugg)) == 1


def test_assign_capacity_two_gives_both() -> None:
    needs, resources, sugg = _two_needs(2)
    assert assign(needs, resources, sugg) == [("n1", "room", 1.0), ("n2", "room", 1.0)]


def test_assign_maximises_total_score_and_respects_demand() -> None:
    needs = [Need("a", "老人助餐"), Need("b", "老人助餐 法律咨询")]
    resources = [Resource("meal", "老年人助餐", capacity=1), Resource("law", "法律咨询", capacity=1)]
    sugg = Matcher(resources, today=TODAY).suggest_all(needs)
    pairs = {(n, r) for n, r, _ in assign(needs, resources, sugg)}
    assert pairs == {("a", "meal"), ("b", "law")}  # b gives way on meal because it can use law
    assert assign(needs, resources, sugg, demand={"a": 0, "b": 0}) == []
    big = assign(needs, [Resource("meal", "老年人助餐", capacity=3), resources[1]], sugg, demand={"a": 2})
    assert ("a", "meal", 2.0) in big
    with pytest.raises(ValueError):
        assign(needs, resources, sugg, demand={"a": -1})


# --- CSV ------------------------------------------------------------------------------------------------------------


def test_csv_reads_bom_gb18030_blank_columns_and_writes_output(tmp_path: Path) -> None:
    text = (
        "id,title,description,category,lat,lng,wanted_from,wanted_to\n"
        "n1,老人助餐,,,,,,\n"
        "n2,孩子托管,放学后,青少年,34.73,113.62,2026-03-01,2026/06/30\n"
    )
    (tmp_path / "a.csv").write_bytes(b"\xef\xbb\xbf" + text.encode())
    (tmp_path / "b.csv").write_bytes(text.encode("gb18030"))
    a = read_needs_csv(tmp_path / "a.csv")
    assert a == read_needs_csv(tmp_path / "b.csv") == read_needs_csv(io.BytesIO(text.encode()))
    assert a[1].wanted_to == date(2026, 6, 30) and a[1].lat == 34.73 and a[0].category == ""
    only_required = read_resources_csv(io.StringIO("title,id\n会议室,r1\n"))
    assert only_required == [Resource("r1", "会议室")]
    out = io.StringIO()
    write_suggestions_csv({"n1": [Suggestion("n1", "=r1", 1, 0.5, ("同类：助老", "时间重叠"), {})], "n2": []}, out)
    assert out.getvalue() == "need_id,rank,resource_id,score,reasons\nn1,1,'=r1,0.5000,同类：助老；时间重叠\n"


@pytest.mark.parametrize(
    ("content", "row", "column", "fragment"),
    [
        ("id,title,lat,lng\nn1,a,95,113\n", 2, "lat", "不能大于 90"),
        ("id,title,lat,lng\nn1,a,34.7,\n", 2, "lng", "都填写"),
        ("id,title,wanted_from\nn1,a,2026-02-30\n", 2, "wanted_from", "不是有效日期"),
        ("id,title,wanted_from,wanted_to\nn1,a,2026-03-01,2026-02-01\n", 2, "wanted_to", "早于开始日期"),
        ("id,title\nn1,a\n,b\n", 3, "id", "不能为空"),
        ("id,title\nn1,a\nn1,b\n", 3, "id", "重复"),
        ("id,description\nn1,a\n", 1, None, "缺少必需的列“title”"),
        ("id,title,quantity\nn1,a,-3\n", 2, "quantity", "不能小于 0"),
        ("id,title,lat,lng\nn1,a,abc,1\n", 2, "lat", "不是数字"),
        ("", None, None, "文件是空的"),
        ('id,title,lat,lng\nn1,"unterminated\n', 2, None, "引号没有闭合"),
        ('id,title\nn1,"ab"cd\n', 2, None, "引号闭合后应紧跟分隔符"),
    ],
)
def test_csv_errors_name_row_and_column(content: str, row: int | None, column: str | None, fragment: str) -> None:
    with pytest.raises(MatchingInputError) as err:
        read_needs_csv(io.StringIO(content))
    assert err.value.row == row and err.value.column == column
    assert fragment in str(err.value)
    if row:
        assert f"第 {row} 行" in str(err.value)


def test_resource_csv_errors() -> None:
    with pytest.raises(MatchingInputError, match="radius_km") as err:
        read_resources_csv(io.StringIO("id,title,radius_km\nr1,a,-1\n"))
    assert err.value.row == 2
    with pytest.raises(MatchingInputError, match="capacity"):
        read_resources_csv(io.StringIO("id,title,capacity\nr1,a,NaN\n"))
    assert read_resources_csv(io.StringIO("id,title,service_region_codes\nr1,a,410103；410105\n"))[0].service_region_codes == ("410103", "410105")


# --- the command, end to end with no database ---------------------------------------------------------------------------


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": "postgres://nobody@127.0.0.1:1/none", "DJANGO_SETTINGS_MODULE": "config.settings.base"}
    return subprocess.run(  # noqa: S603 - our own interpreter and command
        [sys.executable, "-m", "gongjian.cli", "match", *args], capture_output=True, text=True, env=env, cwd=ROOT, check=False, timeout=120
    )


def _write(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    needs = _write(
        tmp_path / "needs.csv",
        [
            ["id", "title", "description", "category", "lat", "lng", "wanted_from", "wanted_to"],
            ["N1", "老人想下棋打牌", "小区里没有地方", "", "34.73", "113.62", "", ""],
            ["N2", "孩子放学没人管", "", "青少年", "", "", "2026-03-01", "2026-06-30"],
            ["N3", "借会议室开居民大会", "", "场地", "", "", "", ""],
        ],
    )
    resources = _write(
        tmp_path / "resources.csv",
        [
            ["id", "title", "description", "category", "unit", "lat", "lng", "radius_km", "capacity", "available_from", "available_to"],
            ["R1", "长者棋牌室", "老年人文娱活动", "助老", "平方米", "34.735", "113.62", "3", "80", "", ""],
            ["R2", "四点钟课堂", "课后托管作业辅导", "", "人", "", "", "", "30", "2026-02-01", "2026-07-15"],
            ["R3", "会议室借用", "可容纳100人", "场地", "人", "", "", "", "1", "", ""],
            ["R4", "过期的会议室", "", "场地", "", "", "", "", "", "2020-01-01", "2020-12-31"],
        ],
    )
    return needs, resources


def test_command_end_to_end_without_database(files: tuple[Path, Path], tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    proc = _run("--needs", str(files[0]), "--resources", str(files[1]), "--top", "2", "--output", str(out), "--today", "2026-03-01")
    assert proc.returncode == 0, proc.stderr
    rows = list(csv.DictReader(out.open(encoding="utf-8-sig")))
    assert list(rows[0]) == ["need_id", "rank", "resource_id", "score", "reasons"]
    best = {r["need_id"]: r["resource_id"] for r in rows if r["rank"] == "1"}
    assert best == {"N1": "R1", "N2": "R2", "N3": "R3"}
    assert all(r["resource_id"] != "R4" for r in rows)
    for need in ("N1", "N2", "N3"):
        mine = [r for r in rows if r["need_id"] == need]
        assert 1 <= len(mine) <= 2 and [float(r["score"]) for r in mine] == sorted((float(r["score"]) for r in mine), reverse=True)
    n1 = next(r for r in rows if r["need_id"] == "N1" and r["rank"] == "1")
    assert n1["reasons"].startswith("同类：助老") and "距离 0.6 km（服务半径 3 km 内）" in n1["reasons"].split("；")
    assigned = tmp_path / "assigned.csv"
    proc = _run("--needs", str(files[0]), "--resources", str(files[1]), "--top", "3", "--output", str(assigned), "--assign", "--today", "2026-03-01")
    assert proc.returncode == 0, proc.stderr
    pairs = [(r["need_id"], r["resource_id"]) for r in csv.DictReader(assigned.open(encoding="utf-8-sig"))]
    assert len({r for _, r in pairs}) == len(pairs)  # every resource here has room for one need at most… or is counted
    assert ("N3", "R3") in pairs


def test_command_bad_input_exits_2_and_writes_nothing(files: tuple[Path, Path], tmp_path: Path) -> None:
    bad = _write(tmp_path / "bad.csv", [["id", "title", "lat", "lng"], ["N1", "a", "34.7", "113.6"], ["N2", "b", "north", "113.6"]])
    out = tmp_path / "out.csv"
    proc = _run("--needs", str(bad), "--resources", str(files[1]), "--output", str(out))
    assert proc.returncode == 2
    assert "第 3 行" in proc.stderr and "lat" in proc.stderr and "bad.csv" in proc.stderr
    assert not out.exists() and list(tmp_path.glob(".match-*")) == []
    assert _run("--needs", str(tmp_path / "missing.csv"), "--resources", str(files[1]), "--output", str(out)).returncode == 2
    assert _run("--needs", str(files[0]), "--resources", str(files[1]), "--output", str(out), "--top", "0").returncode == 2
    assert not out.exists()


# --- properties -----------------------------------------------------------------------------------------------------

WORDS = ["老人", "长者", "孩子", "四点钟课堂", "会议室", "法律", "义诊", "理发", "加装电梯", "垃圾分类", "心理", "志愿者", "场地", "资金", ""]
dates = st.one_of(st.none(), st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 12, 31)))
coords = st.one_of(st.none(), st.tuples(st.floats(34.5, 35.0), st.floats(113.4, 113.9)))


@st.composite
def resource_list(draw: st.DrawFn) -> list[Resource]:
    out = []
    for i in range(draw(st.integers(0, 12))):
        a, b = draw(dates), draw(dates)
        if a and b and b < a:
            a, b = b, a
        c = draw(coords)
        out.append(
            Resource(
                f"r{i}",
                "".join(draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=3))) or "资源",
                category=draw(st.sampled_from(["", *CATEGORIES[:4]])),
                lat=c[0] if c else None,
                lng=c[1] if c else None,
                radius_km=draw(st.one_of(st.none(), st.floats(0, 30))),
                capacity=draw(st.one_of(st.none(), st.floats(0, 10))),
                available_from=a,
                available_to=b,
            )
        )
    return out


@st.composite
def need_list(draw: st.DrawFn) -> list[Need]:
    out = []
    for i in range(draw(st.integers(1, 6))):
        c = draw(coords)
        a, b = draw(dates), draw(dates)
        if a and b and b < a:
            a, b = b, a
        out.append(
            Need(
                f"n{i}",
                "".join(draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=3))) or "需要",
                category=draw(st.sampled_from(["", *CATEGORIES[:4]])),
                lat=c[0] if c else None,
                lng=c[1] if c else None,
                wanted_from=a,
                wanted_to=b,
                quantity=draw(st.one_of(st.none(), st.floats(0, 20))),
            )
        )
    return out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(resources=resource_list(), needs=need_list(), k=st.integers(1, 6), data=st.data())
def test_properties(resources: list[Resource], needs: list[Need], k: int, data: st.DataObject) -> None:
    matcher = Matcher(resources, today=TODAY)
    result = matcher.suggest_all(needs, top_k=k)
    live = {r.id for r in resources if not (r.capacity is not None and r.capacity <= 0) and not (r.available_to and r.available_to < TODAY)}
    for need in needs:
        items = result[need.id]
        assert len(items) <= k
        assert all(0.0 <= s.score <= 1.0 for s in items)
        assert [s.score for s in items] == sorted((s.score for s in items), reverse=True)
        assert [s.rank for s in items] == list(range(1, len(items) + 1))
        assert {s.resource_id for s in items} <= live
        assert len({s.resource_id for s in items}) == len(items)
        excluded = set(data.draw(st.lists(st.sampled_from([r.id for r in resources] or ["x"]), max_size=4)))
        again = matcher.suggest(need, top_k=k, exclude=excluded)
        assert not {s.resource_id for s in again} & excluded
        assert again == [s for s in again]  # a list of suggestions
    pairs = assign(needs, resources, result)
    load: dict[str, float] = {}
    for _, rid, amount in pairs:
        load[rid] = load.get(rid, 0) + amount
    caps = {r.id: (r.capacity if r.capacity is not None else 1.0) for r in resources}
    assert all(load[r] <= caps[r] + 1e-9 for r in load)
    assert len({n for n, _, _ in pairs}) == len(pairs)  # one resource per need by default


def test_forked_workers_give_the_same_result(monkeypatch: pytest.MonkeyPatch) -> None:
    from gongjian.cobuild.matching import engine

    monkeypatch.setattr(engine, "PARALLEL_MIN", 10)
    resources = [
        Resource(f"r{i:02d}", t, lat=HERE[0] + i * 0.01, lng=HERE[1], radius_km=3)
        for i, t in enumerate(["老年人助餐", "课后托管", "法律咨询", "会议室"] * 5)
    ]
    needs = [Need(f"n{i:02d}", t, lat=HERE[0], lng=HERE[1]) for i, t in enumerate(["老人吃饭", "孩子放学", "打官司", "开会"] * 6)]
    serial = Matcher(resources, today=TODAY).suggest_all(needs, top_k=3)
    forked = Matcher(resources, today=TODAY, workers=2).suggest_all(needs, top_k=3, workers=2)
    assert forked == serial and list(forked) == list(serial)
    assert ids(serial["n00"])[0] == "r00"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(resources=resource_list(), needs=need_list(), k=st.integers(1, 4))
def test_candidate_pruning_is_exact(monkeypatch: pytest.MonkeyPatch, resources: list[Resource], needs: list[Need], k: int) -> None:
    """With very few candidates per round, the ranking equals scoring every pair (``explain``) and sorting by score, then id."""
    from gongjian.cobuild.matching import engine

    monkeypatch.setattr(engine, "CANDIDATES", 1)
    # copies of every resource at 0, 3, 6 and 9 km north with various radii, and copies of every need at HERE,
    # so that place decides between otherwise equal texts
    copies = [
        Resource(
            f"x{j}{i}", r.title, category=r.category, lat=HERE[0] + 0.027 * j, lng=HERE[1], radius_km=(1.0, 5.0, None, 2.0)[j], capacity=r.capacity
        )
        for j in range(4)
        for i, r in enumerate(resources)
    ]
    resources = resources + copies
    needs = [*needs, *(Need(f"m{i}", n.title, category=n.category, lat=HERE[0], lng=HERE[1]) for i, n in enumerate(needs))]
    matcher = Matcher(resources, today=TODAY)
    result = matcher.suggest_all(needs, top_k=k)
    for need in needs:
        every = [matcher.explain(need, r.id) for r in resources]
        brute = sorted((s for s in every if s is not None and s.score >= 0), key=lambda s: (-s.score, s.resource_id))[:k]
        assert [(s.resource_id, s.score) for s in result[need.id]] == [(s.resource_id, s.score) for s in brute]


def test_pruning_keeps_a_better_pair_just_outside_the_radius(monkeypatch: pytest.MonkeyPatch) -> None:
    from gongjian.cobuild.matching import engine

    monkeypatch.setattr(engine, "CANDIDATES", 1)
    outside = Resource("b", "老年人助餐服务", lat=HERE[0] + 0.03, lng=HERE[1], radius_km=2)  # 3.3 km, radius 2: outside, not far
    inside = [Resource(f"a{i}", "老年人助餐", lat=HERE[0] + 0.001, lng=HERE[1], radius_km=1) for i in range(3)]
    filler = [Resource(f"z{i}", "助餐", lat=HERE[0] + 0.001, lng=HERE[1], radius_km=1) for i in range(10)]
    matcher = Matcher([outside, *inside, *filler], today=TODAY)
    need = Need("n", "老人助餐服务", lat=HERE[0], lng=HERE[1])
    best = matcher.suggest(need, top_k=1)
    assert ids(best) == ["b"]
    assert best[0].score == max(s.score for r in [outside, *inside, *filler] if (s := matcher.explain(need, r.id)) is not None)
    assert "距离 3.3 km，超出服务半径 2 km" in best[0].reasons
