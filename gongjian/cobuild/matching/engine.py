"""Ranking resources for needs.

The score of a (need, resource) pair is in [0, 1]::

    base  = 0.55·text + 0.20·category + 0.15·place + 0.10·time
    score = base × place_factor × capacity_factor

* **text** — BM25 of the need's tokens against the resource's (see :mod:`.text`), divided by
  ``max(best score of this need, 0.35 × the need's score against itself)``: the need's best resource gets 1 when it
  matches well, and a need whose best match is weak keeps low text scores.
* **category** — each side's categories are the declared one (and what an unknown name means through the lexicon),
  plus those inferred from its text by the lexicon. Shared declared category 1.0; shared through inference 0.8;
  one side without any category 0.5 (neutral: a blank category never sinks a match); both declared and disjoint 0.0;
  otherwise disjoint 0.2.
* **place** — within ``radius_km`` of the resource or inside its ``service_region_codes`` (a code equal to the need's
  ``region_code`` or a prefix of it) 1.0; a code below the need's region 0.7; coordinates without radius
  1/(1 + d/3 km); outside the radius 0.4·e^(−excess/(r+2 km)); unknown 0.5. **place_factor** is 0.3 when the need is
  far outside the service area (beyond 2r + 5 km, or outside every service region and not within the radius), else 1.
* **time** — the need's wanted period against the resource's available period (open ends allowed). The need's
  period fully covered 1.0, partly 0.5 + 0.5·covered share, nothing known 0.5.
* **capacity_factor** — 1, or 0.5 + 0.5·capacity/quantity when the need asks for more than is left.

Excluded, never suggested: capacity ≤ 0; a resource available only until before ``today``; periods that do not
overlap; text below 0.08 and no shared category. :meth:`Matcher.explain` still gives the reasons for those.
Ranking is by score rounded to 6 decimals, then resource id, so the result is deterministic.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Collection, Sequence
from datetime import date

import numpy as np

from . import lexicon, text
from .model import CATEGORIES, Need, Resource, Suggestion

W_TEXT, W_CATEGORY, W_PLACE, W_TIME = 0.55, 0.20, 0.15, 0.10
TEXT_FLOOR = 0.35
MIN_TEXT = 0.08
FAR_FACTOR = 0.3
EARTH_KM = 6371.0088
CHUNK = 512
NEG = -1.0


def _ord(d: date | None, default: float) -> float:
    return float(d.toordinal()) if d is not None else default


def _categories(declared: str, concepts: set[str]) -> tuple[frozenset[str], frozenset[str]]:
    decl = frozenset(lexicon.normalise_category(declared, CATEGORIES))
    return decl, decl | frozenset(lexicon.categories_of_concepts(concepts))


def _fmt_km(d: float) -> str:
    return f"{d:.1f} km" if d < 100 else f"{d:.0f} km"


def _fmt_num(x: float) -> str:
    return f"{x:g}"


class _Side:
    """Tokens, concepts and categories of a list of items (needs or resources), deduplicated by text."""

    def __init__(self, items: Sequence[Need] | Sequence[Resource]) -> None:
        cache: dict[str, tuple[Counter[str], set[str]]] = {}
        self.tokens: list[Counter[str]] = []
        self.concepts: list[set[str]] = []
        self.declared: list[frozenset[str]] = []
        self.cats: list[frozenset[str]] = []
        for item in items:
            body = f"{item.title} {item.description}"
            hit = cache.get(body)
            if hit is None:
                toks = text.tokens(body)
                hit = (toks, {t[1:-1] for t in toks if t.startswith("<")})
                cache[body] = hit
            self.tokens.append(hit[0])
            self.concepts.append(hit[1])
            decl, cats = _categories(item.category, hit[1])
            self.declared.append(decl)
            self.cats.append(cats)


class Matcher:
    """Ranks ``resources`` for needs. Build it once per set of resources; it is read-only afterwards."""

    def __init__(self, resources: Sequence[Resource], *, today: date | None = None) -> None:
        self.resources = list(resources)
        self.today = today or date.today()
        ids = [r.id for r in self.resources]
        if len(set(ids)) != len(ids):
            raise ValueError("resource ids must be unique")
        self.index_of = {rid: i for i, rid in enumerate(ids)}
        order = sorted(range(len(ids)), key=lambda i: ids[i])
        self.id_rank = np.empty(len(ids), dtype=np.int64)
        self.id_rank[order] = np.arange(len(ids))
        self.side = _Side(self.resources)
        self.bm25 = text.Bm25Index(self.side.tokens)
        r = self.resources
        nan = math.nan
        self.lat = np.radians(np.array([x.lat if x.lat is not None else nan for x in r], dtype=np.float64))
        self.lng = np.radians(np.array([x.lng if x.lng is not None else nan for x in r], dtype=np.float64))
        self.radius = np.array([x.radius_km if x.radius_km is not None else nan for x in r], dtype=np.float64)
        self.capacity = np.array([x.capacity if x.capacity is not None else nan for x in r], dtype=np.float64)
        self.avail_from = np.array([_ord(x.available_from, -math.inf) for x in r], dtype=np.float64)
        self.avail_to = np.array([_ord(x.available_to, math.inf) for x in r], dtype=np.float64)
        self.has_codes = np.array([bool(x.service_region_codes) for x in r], dtype=bool)
        self.code_exact: dict[str, list[int]] = {}
        self.code_below: dict[str, list[int]] = {}
        for i, x in enumerate(r):
            for code in {c.strip() for c in x.service_region_codes if c.strip()}:
                self.code_exact.setdefault(code, []).append(i)
                for k in range(1, len(code)):
                    self.code_below.setdefault(code[:k], []).append(i)
        # category membership as a 0/1 matrix over every category name seen
        self.cat_index: dict[str, int] = {}
        for cats in self.side.cats:
            for c in cats:
                self.cat_index.setdefault(c, len(self.cat_index))
        self.res_decl = self._cat_matrix(self.side.declared)
        self.res_cats = self._cat_matrix(self.side.cats)
        self.res_has_decl = self.res_decl.sum(axis=1) > 0
        self.res_has_cats = self.res_cats.sum(axis=1) > 0
        self.dead = (self.capacity <= 0) | (self.avail_to < self.today.toordinal())

    def _cat_matrix(self, sets: Sequence[frozenset[str]]) -> np.ndarray:
        m = np.zeros((len(sets), max(len(self.cat_index), 1)), dtype=np.float32)
        for i, cats in enumerate(sets):
            for c in cats:
                j = self.cat_index.get(c)
                if j is not None:
                    m[i, j] = 1.0
        return m

    # ------------------------------------------------------------------ scoring
    def _score_chunk(self, needs: Sequence[Need], side: _Side, lo: int, hi: int) -> dict[str, np.ndarray]:
        """Every component for needs[lo:hi] × all resources, as dense arrays (rows = needs)."""
        chunk = needs[lo:hi]
        n, m = len(chunk), len(self.resources)
        q, selfs = self.bm25.queries(side.tokens[lo:hi])
        raw = self.bm25.scores(q)
        rowmax = raw.max(axis=1) if m else np.zeros(n)
        denom = np.maximum(np.maximum(rowmax, TEXT_FLOOR * selfs), 1e-12)
        text_s = np.minimum(raw / denom[:, None], 1.0)

        need_decl = self._cat_matrix(side.declared[lo:hi])
        need_cats = self._cat_matrix(side.cats[lo:hi])
        shared_decl = (need_decl @ self.res_decl.T) > 0
        shared_any = (need_cats @ self.res_cats.T) > 0
        n_has_decl = np.array([bool(s) for s in side.declared[lo:hi]])
        n_has_cats = np.array([bool(s) for s in side.cats[lo:hi]])
        category = np.where(n_has_decl[:, None] & self.res_has_decl[None, :], 0.0, 0.2)
        category = np.where(~n_has_cats[:, None] | ~self.res_has_cats[None, :], 0.5, category)
        category = np.where(shared_any, 0.8, category)
        category = np.where(shared_decl, 1.0, category)

        # place
        nlat = np.radians(np.array([x.lat if x.lat is not None else math.nan for x in chunk], dtype=np.float64))
        nlng = np.radians(np.array([x.lng if x.lng is not None else math.nan for x in chunk], dtype=np.float64))
        dlat = self.lat[None, :] - nlat[:, None]
        dlng = self.lng[None, :] - nlng[:, None]
        a = np.sin(dlat / 2) ** 2 + np.cos(nlat)[:, None] * np.cos(self.lat)[None, :] * np.sin(dlng / 2) ** 2
        dist = 2 * EARTH_KM * np.arcsin(np.sqrt(np.clip(a, 0, 1)))  # NaN where either side lacks coordinates
        known = ~np.isnan(dist)
        has_r = ~np.isnan(self.radius)[None, :]
        within_r = known & has_r & (dist <= self.radius[None, :])
        region_in = np.zeros((n, m), dtype=bool)
        region_below = np.zeros((n, m), dtype=bool)
        region_known = np.zeros(n, dtype=bool)
        for i, need in enumerate(chunk):
            code = need.region_code.strip()
            if not code:
                continue
            region_known[i] = True
            for k in range(1, len(code) + 1):
                hits = self.code_exact.get(code[:k])
                if hits:
                    region_in[i, hits] = True
            below = self.code_below.get(code)
            if below:
                region_below[i, below] = True
        place = np.full((n, m), 0.5)
        with np.errstate(invalid="ignore"):
            place = np.where(known & ~has_r, 1.0 / (1.0 + dist / 3.0), place)
            excess = dist - self.radius[None, :]
            place = np.where(known & has_r & ~within_r, 0.4 * np.exp(-excess / (self.radius[None, :] + 2.0)), place)
            region_checked = region_known[:, None] & self.has_codes[None, :]
            region_out = region_checked & ~region_in & ~region_below
            place = np.where(region_out & ~within_r, np.minimum(place, 0.1), place)
            place = np.where(region_below & ~region_in, np.maximum(place, 0.7), place)
            place = np.where(within_r | region_in, 1.0, place)
            far_r = known & has_r & (dist > 2 * self.radius[None, :] + 5.0)
            far = (far_r | region_out) & ~within_r & ~region_in & ~region_below
        place_factor = np.where(far, FAR_FACTOR, 1.0)

        # time
        wf = np.array([_ord(x.wanted_from, -math.inf) for x in chunk])
        wt = np.array([_ord(x.wanted_to, math.inf) for x in chunk])
        start = np.maximum(wf[:, None], self.avail_from[None, :])
        end = np.minimum(wt[:, None], self.avail_to[None, :])
        no_overlap = start > end
        res_dated = np.isfinite(self.avail_from) | np.isfinite(self.avail_to)
        need_dated = np.isfinite(wf) | np.isfinite(wt)
        covered = (self.avail_from[None, :] <= wf[:, None]) & (self.avail_to[None, :] >= wt[:, None])
        need_len = (wt - wf + 1.0)[:, None]
        with np.errstate(invalid="ignore", over="ignore"):
            share = np.where(np.isfinite(need_len), np.clip((end - start + 1.0) / need_len, 0, 1), 0.5)
        both_dated = need_dated[:, None] & res_dated[None, :]
        time_s = np.where(both_dated, np.where(covered, 1.0, 0.5 + 0.5 * share), 0.5)

        # capacity
        qty = np.array([x.quantity if x.quantity is not None else math.nan for x in chunk])
        with np.errstate(invalid="ignore", divide="ignore"):
            short = (qty[:, None] > self.capacity[None, :]) & (self.capacity[None, :] > 0)
            cap_factor = np.where(short, 0.5 + 0.5 * self.capacity[None, :] / qty[:, None], 1.0)

        base = W_TEXT * text_s + W_CATEGORY * category + W_PLACE * place + W_TIME * time_s
        score = base * place_factor * cap_factor
        relevant = (text_s >= MIN_TEXT) | shared_any
        excluded = self.dead[None, :] | no_overlap | ~relevant
        score = np.where(excluded, NEG, np.round(score, 6))
        return {
            "score": score,
            "text": text_s,
            "category": category,
            "place": place,
            "time": time_s,
            "place_factor": place_factor,
            "capacity_factor": cap_factor,
            "distance": dist,
            "within_radius": within_r,
            "region_in": region_in,
            "region_below": region_below,
            "region_out": region_out,
            "no_overlap": no_overlap,
            "covered": covered,
            "need_dated": np.broadcast_to(need_dated[:, None], (n, m)),
            "shared_decl": shared_decl,
            "shared_any": shared_any,
        }

    def _top(self, scores: np.ndarray, k: int) -> list[int]:
        """Indices of the best k non-excluded resources, by score then id."""
        ok = scores > NEG
        count = int(ok.sum())
        if count == 0 or k <= 0:
            return []
        if count > k:
            kth = np.partition(scores, -k)[-k]
            cand = np.flatnonzero(scores >= kth)
        else:
            cand = np.flatnonzero(ok)
        order = np.lexsort((self.id_rank[cand], -scores[cand]))
        return [int(i) for i in cand[order[:k]]]

    def _suggestion(self, need: Need, nside: _Side, ni: int, comp: dict[str, np.ndarray], row: int, j: int, rank: int) -> Suggestion:
        res = self.resources[j]
        reasons: list[str] = []
        shared = sorted(nside.cats[ni] & self.side.cats[j], key=lambda c: (c not in nside.declared[ni], c))
        if shared:
            reasons.append("同类：" + "、".join(shared[:3]))
        words = self._shared_words(nside.tokens[ni], self.side.tokens[j])
        if words:
            reasons.append("文字相近：" + "、".join(words))
        d = float(comp["distance"][row, j])
        if comp["region_in"][row, j]:
            reasons.append("在服务区域内")
        elif comp["region_below"][row, j]:
            reasons.append("服务本区域的一部分")
        if not math.isnan(d):
            if comp["within_radius"][row, j]:
                reasons.append(f"距离 {_fmt_km(d)}（服务半径 {_fmt_num(float(self.radius[j]))} km 内）")
            elif not math.isnan(self.radius[j]):
                reasons.append(f"距离 {_fmt_km(d)}，超出服务半径 {_fmt_num(float(self.radius[j]))} km")
            else:
                reasons.append(f"距离 {_fmt_km(d)}")
        if comp["region_out"][row, j] and not comp["within_radius"][row, j]:
            reasons.append("不在服务区域内")
        if comp["place_factor"][row, j] < 1:
            reasons.append("远在服务范围外")
        if comp["need_dated"][row, j] and (math.isfinite(self.avail_from[j]) or math.isfinite(self.avail_to[j])):
            reasons.append("时间重叠" if comp["covered"][row, j] else "时间部分重叠")
        if need.quantity is not None and not math.isnan(self.capacity[j]):
            unit = res.unit
            if comp["capacity_factor"][row, j] < 1:
                reasons.append(f"容量不足：需 {_fmt_num(need.quantity)}{unit}，剩余 {_fmt_num(float(self.capacity[j]))}{unit}")
            else:
                reasons.append(f"容量足够：剩余 {_fmt_num(float(self.capacity[j]))}{unit}")
        components = {key: float(comp[key][row, j]) for key in ("text", "category", "place", "time", "place_factor", "capacity_factor")}
        if not math.isnan(d):
            components["distance_km"] = round(d, 3)
        return Suggestion(
            need_id=need.id, resource_id=res.id, rank=rank, score=float(comp["score"][row, j]), reasons=tuple(reasons), components=components
        )

    def _shared_words(self, q: Counter[str], doc: Counter[str], limit: int = 4) -> list[str]:
        """Shared concepts and words (not single characters or bigrams), the rarest first."""
        out: list[tuple[float, str]] = []
        for term in q:
            if term.startswith(("c:", "b:")) or term not in doc:
                continue
            j = self.bm25.vocab.get(term)
            idf = float(self.bm25.idf[j]) if j is not None else 0.0
            label = term[1:-1] if term.startswith("<") else term
            out.append((-(idf + (0.5 if term.startswith("<") else 0.0)), label))
        seen: list[str] = []
        for _, label in sorted(out):
            if label not in seen and not any(label in s or s in label for s in seen):
                seen.append(label)
            if len(seen) == limit:
                break
        if not seen:  # fall back on shared two-character runs
            for term in q:
                if term.startswith("b:") and term in doc and term[2:] not in seen:
                    seen.append(term[2:])
                if len(seen) == limit:
                    break
        return seen

    # ------------------------------------------------------------------ public
    def suggest_all(self, needs: Sequence[Need], *, top_k: int = 5, exclude: dict[str, Collection[str]] | None = None) -> dict[str, list[Suggestion]]:
        """The best ``top_k`` resources for each need, best first (``exclude`` maps a need id to resource ids to leave out)."""
        needs = list(needs)
        out: dict[str, list[Suggestion]] = {}
        if not needs:
            return out
        if not self.resources or top_k <= 0:
            return {n.id: [] for n in needs}
        nside = _Side(needs)
        for lo in range(0, len(needs), CHUNK):
            hi = min(lo + CHUNK, len(needs))
            comp = self._score_chunk(needs, nside, lo, hi)
            scores = comp["score"]
            for row in range(hi - lo):
                need = needs[lo + row]
                row_scores = scores[row]
                skip = exclude.get(need.id) if exclude else None
                if skip:
                    row_scores = row_scores.copy()
                    for rid in skip:
                        j = self.index_of.get(rid)
                        if j is not None:
                            row_scores[j] = NEG
                picks = self._top(row_scores, top_k)
                out[need.id] = [self._suggestion(need, nside, lo + row, comp, row, j, rank) for rank, j in enumerate(picks, start=1)]
        return out

    def suggest(self, need: Need, *, top_k: int = 5, exclude: Collection[str] = ()) -> list[Suggestion]:
        """The best ``top_k`` resources for one need, best first, leaving out the ids in ``exclude`` (e.g. rejected ones)."""
        return self.suggest_all([need], top_k=top_k, exclude={need.id: exclude} if exclude else None).get(need.id, [])

    def explain(self, need: Need, resource_id: str) -> Suggestion | None:
        """Score and reasons of one pair, even when it is excluded (then score is -1 and the first reason says why)."""
        j = self.index_of.get(resource_id)
        if j is None:
            return None
        nside = _Side([need])
        comp = self._score_chunk([need], nside, 0, 1)
        s = self._suggestion(need, nside, 0, comp, 0, j, 0)
        why: list[str] = []
        if self.capacity[j] <= 0:
            why.append("已无剩余容量")
        if self.avail_to[j] < self.today.toordinal():
            why.append("资源已过期")
        elif comp["no_overlap"][0, j]:
            why.append("时间不重叠")
        if comp["score"][0, j] == NEG and not why:
            why.append("内容与类别都不相关")
        return Suggestion(s.need_id, s.resource_id, 0, s.score, (*why, *s.reasons), s.components) if why else s
