"""Benchmark of batch matching (issue #3): 10,000 needs × 10,000 resources, top 5 each.

Synthetic Chinese needs and resources are made from a vocabulary with a fixed seed and written as CSV. Then:

* **end to end**: ``gongjian match --needs … --resources … --top 5 --output …`` as a subprocess, with
  ``DATABASE_URL`` pointing at nothing (the command needs no database); wall time and the peak RSS of the largest
  process (the command forks one worker per core for a large batch; ``ru_maxrss`` of children is their maximum);
* **scoring core**: in this process, ``Matcher(resources)`` + ``suggest_all(needs, top_k=5)`` on already-parsed
  records (no Django start, no CSV, jieba's dictionary already loaded), wall and CPU time, in one process and with
  two forked workers (what the command uses on this 2-core machine);
* optionally ``--assign`` end to end as well.

Targets: ≤ 10 s end to end, ≤ 2 GB peak. Prints the figures with the machine's facts.

    .venv/bin/python bench/bench_matching.py [--needs 10000] [--resources 10000] [--seed 2026] [--assign]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_demo import _RUNNER, machine_facts  # noqa: E402

TIME_LIMIT = 10.0
RSS_LIMIT_MB = 2048
CATEGORIES = (
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

WHO = (
    "老人",
    "长者",
    "空巢老人",
    "独居老人",
    "孩子",
    "小学生",
    "留守儿童",
    "残疾人",
    "居民",
    "困难家庭",
    "退役军人",
    "新就业群体",
    "外卖小哥",
    "楼栋居民",
    "青年",
)
NEED_WHAT = (
    "希望有个地方下棋打牌",
    "放学后没人照看需要托管",
    "需要量血压和义诊",
    "想学用智能手机",
    "家里水管漏水需要维修",
    "楼道堆物需要清理",
    "需要法律咨询解决纠纷",
    "希望找到工作岗位",
    "需要心理疏导陪伴聊天",
    "缺少活动场地开展文艺排练",
    "小区老旧需要加装电梯",
    "电动车飞线充电有隐患",
    "需要捐赠衣物和米面油",
    "需要经费改造口袋公园",
    "想参加书法绘画兴趣班",
    "需要助餐送餐服务",
    "需要理发上门服务",
    "垃圾分类需要志愿者引导",
    "需要日间照料",
    "四点钟课堂缺老师",
    "需要防诈骗宣传",
    "路灯坏了晚上太黑",
    "希望开展健康讲座",
    "需要轮椅和康复辅具",
)
WHERE = ("", "在小区里", "在社区党群服务中心", "周末", "每周三下午", "暑假期间", "长期", "本月内", "在楼院里", "附近")
UNIT = (
    "省直机关",
    "市人民医院",
    "区法院",
    "银行支行",
    "供电公司",
    "自来水公司",
    "第一中学",
    "职业技术学院",
    "律师事务所",
    "移动公司",
    "消防救援站",
    "物业公司",
    "国有企业",
    "科技公司",
    "社会组织",
    "图书馆",
    "体育馆",
    "卫生服务中心",
)
RES_WHAT = (
    "开放会议室供居民活动",
    "提供四点钟课堂志愿老师",
    "组织医生义诊量血压",
    "律师提供免费法律咨询",
    "提供就业岗位和技能培训",
    "心理咨询师开展心理疏导",
    "开放多功能厅用于文艺排练",
    "资助老旧小区加装电梯",
    "消防安全检查和演练",
    "捐赠米面油和衣物",
    "出资建设口袋公园",
    "党员志愿者开展智能手机教学",
    "水电维修服务队上门维修",
    "长者食堂助餐服务",
    "义剪理发服务",
    "环境整治清理楼道堆物",
    "书法绘画培训班",
    "反诈宣传进社区",
    "更换路灯照明",
    "健康讲座和慢病管理",
    "捐赠轮椅康复辅具",
    "日间照料中心床位",
    "开放篮球场乒乓球室",
    "提供网络和技术支持",
)
WHEN = ("", "工作日", "周末", "每月一次", "寒暑假", "全年", "节假日")


def _d(rng: random.Random, base: date) -> date:
    return base + timedelta(days=rng.randint(-60, 300))


def generate(directory: Path, n_needs: int, n_resources: int, seed: int) -> tuple[Path, Path]:
    rng = random.Random(seed)
    base = date(2026, 1, 1)
    needs = directory / "needs.csv"
    resources = directory / "resources.csv"
    with needs.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "title", "description", "category", "lat", "lng", "wanted_from", "wanted_to"])
        for i in range(n_needs):
            title = rng.choice(WHO) + rng.choice(NEED_WHAT)
            desc = f"{rng.choice(WHERE)}{rng.choice(WHO)}{rng.choice(NEED_WHAT)}，{rng.choice(WHERE)}" if rng.random() < 0.7 else ""
            cat = rng.choice(CATEGORIES) if rng.random() < 0.5 else ""
            lat, lng = (f"{34.75 + rng.uniform(-0.25, 0.25):.5f}", f"{113.65 + rng.uniform(-0.3, 0.3):.5f}") if rng.random() < 0.8 else ("", "")
            wf = _d(rng, base) if rng.random() < 0.6 else None
            wt = wf + timedelta(days=rng.randint(7, 120)) if wf and rng.random() < 0.8 else None
            w.writerow([f"N{i:05d}", title, desc, cat, lat, lng, wf or "", wt or ""])
    with resources.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "title", "description", "category", "unit", "lat", "lng", "radius_km", "capacity", "available_from", "available_to"])
        for i in range(n_resources):
            what = rng.choice(RES_WHAT)
            title = rng.choice(UNIT) + what
            desc = f"{rng.choice(WHEN)}{rng.choice(RES_WHAT)}，面向{rng.choice(WHO)}" if rng.random() < 0.7 else ""
            cat = rng.choice(CATEGORIES) if rng.random() < 0.7 else ""
            lat, lng = (f"{34.75 + rng.uniform(-0.25, 0.25):.5f}", f"{113.65 + rng.uniform(-0.3, 0.3):.5f}") if rng.random() < 0.8 else ("", "")
            radius = f"{rng.choice((1, 2, 3, 5, 10, 20))}" if rng.random() < 0.6 else ""
            capacity = f"{rng.choice((0, 1, 2, 5, 20, 100, 500))}" if rng.random() < 0.6 else ""
            af = _d(rng, base) if rng.random() < 0.6 else None
            at = af + timedelta(days=rng.randint(30, 365)) if af and rng.random() < 0.8 else None
            w.writerow([f"R{i:05d}", title, desc, cat, rng.choice(("人", "平方米", "次", "元", "")), lat, lng, radius, capacity, af or "", at or ""])
    return needs, resources


def run_command(needs: Path, resources: Path, out: Path, *, assign: bool) -> dict[str, float]:
    env = {**os.environ, "DATABASE_URL": "postgres://nobody@127.0.0.1:1/none", "PYTHONHASHSEED": "0"}
    cmd = [
        str(ROOT / ".venv/bin/gongjian"),
        "match",
        "--needs",
        str(needs),
        "--resources",
        str(resources),
        "--top",
        "5",
        "--output",
        str(out),
        "--today",
        "2026-01-01",
    ]
    if assign:
        cmd.append("--assign")
    proc = subprocess.run([sys.executable, "-c", _RUNNER, *cmd], capture_output=True, text=True, env=env, cwd=ROOT, check=False)
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    if result["rc"] != 0:
        raise SystemExit(f"match failed (rc={result['rc']}):\n{proc.stderr}")
    return {"seconds": result["seconds"], "peak_rss_mb": result["maxrss_kb"] / 1024}


def run_core(needs: Path, resources: Path, workers: int = 1) -> dict[str, float]:
    from gongjian.cobuild.matching import Matcher, read_needs_csv, read_resources_csv
    from gongjian.cobuild.matching.text import tokenizer

    tokenizer()  # jieba's dictionary load is counted in the end-to-end figure, not the core
    n = read_needs_csv(needs)
    r = read_resources_csv(resources)
    wall, cpu = time.perf_counter(), time.process_time()
    matcher = Matcher(r, today=date(2026, 1, 1), workers=workers)
    built = time.perf_counter() - wall
    result = matcher.suggest_all(n, top_k=5, workers=workers)
    return {
        "build_s": built,
        "seconds": time.perf_counter() - wall,
        "cpu_s": time.process_time() - cpu,
        "rows": sum(len(v) for v in result.values()),
        "needs_without_suggestion": sum(1 for v in result.values() if not v),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--needs", type=int, default=10_000)
    parser.add_argument("--resources", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--assign", action="store_true", help="also time --assign end to end")
    args = parser.parse_args()
    print("machine:", json.dumps(machine_facts(None), ensure_ascii=False))
    print("load average:", " ".join(f"{x:.2f}" for x in os.getloadavg()))
    with tempfile.TemporaryDirectory(prefix="bench-match-") as tmp:
        needs, resources = generate(Path(tmp), args.needs, args.resources, args.seed)
        out = Path(tmp) / "out.csv"
        e2e = run_command(needs, resources, out, assign=False)
        rows = sum(1 for _ in out.open(encoding="utf-8-sig")) - 1
        ok = e2e["seconds"] <= TIME_LIMIT and e2e["peak_rss_mb"] <= RSS_LIMIT_MB
        print(
            f"end to end: {e2e['seconds']:.2f} s, peak RSS {e2e['peak_rss_mb']:.0f} MB, {rows} rows "
            f"(target ≤ {TIME_LIMIT:.0f} s, ≤ {RSS_LIMIT_MB} MB: {'OK' if ok else 'OVER'})"
        )
        if args.assign:
            a = run_command(needs, resources, out, assign=True)
            print(f"end to end with --assign: {a['seconds']:.2f} s, peak RSS {a['peak_rss_mb']:.0f} MB")
        for workers in (1, 2):
            core = run_core(needs, resources, workers)
            print(
                f"scoring core, {workers} process{'es' if workers > 1 else ''}: {core['seconds']:.2f} s wall "
                f"({core['cpu_s']:.2f} s CPU in this process; index build {core['build_s']:.2f} s), "
                f"{core['rows']} suggestions, {core['needs_without_suggestion']} needs without any"
            )
        if not ok:
            sys.exit(1)


if __name__ == "__main__":
    main()
