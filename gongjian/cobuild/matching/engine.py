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
* **capacity_factor** — 1, or 0.5 + 0.5·capacity/quantity when the need asks for more than is left. A quantity is
  compared with a capacity only in the same unit (``Need.quantity_unit`` = ``Resource.capacity_unit``, or either blank);
  the reason names that unit ("容量足够：剩余 50000 元").

Excluded, never suggested: capacity ≤ 0; a resource available only until before ``today``; periods that do not
overlap; text below 0.08 and no shared category. :meth:`Matcher.explain` still gives the reasons for those.
Ranking is by score rounded to 6 decimals, then resource id, so the result is deterministic.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import multiprocessing
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

import numpy as np

from . import lexicon, text
from .model import CATEGORIES, Need, Resource, Suggestion

W_TEXT, W_CATEGORY, W_PLACE, W_TIME = 0.55, 0.20, 0.15, 0.10
TEXT_FLOOR = 0.35
MIN_TEXT = 0.08
FAR_FACTOR = 0.3
EARTH_KM = 6371.0088
CHUNK = 256
CANDIDATES = 64
PARALLEL_MIN = 2000
BUCKETS = 1024
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


def _same_unit(a: str, b: str) -> bool:
    """A need's quantity and a resource's capacity are comparable: same unit, or either unit unknown."""
    a, b = a.strip(), b.strip()
    return not a or not b or a == b


def _tokens_of(bodies: list[str]) -> list[Counter[str]]:
    return [text.tokens(b) for b in bodies]


class _Side:
    """Tokens, concepts and categories of a list of items (needs or resources), deduplicated by text."""

    def __init__(
        self, items: Sequence[Need] | Sequence[Resource], workers: int = 1,
        cache: dict[str, tuple[Counter[str], set[str], frozenset[str]]] | None = None,
    ) -> None:
        cache = cache if cache is not None else {}
        if workers > 1 and len(items) >= PARALLEL_MIN and "fork" in multiprocessing.get_all_start_methods():
            bodies = sorted({f"{item.title} {item.description}" for item in items})
            text.tokenizer()  # loaded once, before the fork
            step = -(-len(bodies) // workers)
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                parts = pool.map(_tokens_of, [bodies[i : i + step] for i in range(0, len(bodies), step)])
            for body, toks in zip(bodies, (t for part in parts for t in part), strict=True):
                cache[body] = (toks, {t[1:-1] for t in toks if t.startswith("<")}, frozenset(t for t in toks if not t.startswith(("c:", "b:"))))
        self.tokens: list[Counter[str]] = []
        self.concepts: list[set[str]] = []
        self.words: list[frozenset[str]] = []  # words and concepts, no characters or bigrams (for the reasons)
        self.declared: list[frozenset[str]] = []
        self.cats: list[frozenset[str]] = []
        for item in items:
            body = f"{item.title} {item.description}"
            hit = cache.get(body)
            if hit is None:
                toks = text.tokens(body)
                hit = (toks, {t[1:-1] for t in toks if t.startswith("<")}, frozenset(t for t in toks if not t.startswith(("c:", "b:"))))
                cache[body] = hit
            self.tokens.append(hit[0])
            self.concepts.append(hit[1])
            self.words.append(hit[2])
            decl, cats = _categories(item.category, hit[1])
            self.declared.append(decl)
            self.cats.append(cats)


class Matcher:
    """Ranks ``resources`` for needs. Build it once per set of resources; it is read-only afterwards."""

    def __init__(
        self, resources: Sequence[Resource], *, today: date | None = None, workers: int = 1, token_cache: dict[str, Any] | None = None
    ) -> None:
        """``workers`` > 1 reads the texts of a large list (≥ 2,000 resources) in that many forked processes.

        ``token_cache`` (a dict the caller keeps) remembers the words of each text, so building the matcher again after a
        few resources changed reads only the new texts."""
        self.resources = list(resources)
        self.today = today or datetime.now(UTC).astimezone().date()  # the machine's local date
        ids = [r.id for r in self.resources]
        if len(ids) >= 1 << 24:
            raise ValueError("at most 16,777,215 resources")
        if len(set(ids)) != len(ids):
            raise ValueError("resource ids must be unique")
        self.index_of = {rid: i for i, rid in enumerate(ids)}
        order = sorted(range(len(ids)), key=lambda i: ids[i])
        self.id_rank = np.empty(len(ids), dtype=np.int64)
        self.id_rank[order] = np.arange(len(ids))
        self.side = _Side(self.resources, workers, token_cache)
        self.bm25 = text.Bm25Index(self.side.tokens)
        r = self.resources
        nan = math.nan
        self.lat = np.radians(np.array([x.lat if x.lat is not None else nan for x in r], dtype=np.float64))
        self.lng = np.radians(np.array([x.lng if x.lng is not None else nan for x in r], dtype=np.float64))
        self.radius = np.array([x.radius_km if x.radius_km is not None else nan for x in r], dtype=np.float64)
        self.capacity = np.array([x.capacity if x.capacity is not None else nan for x in r], dtype=np.float64)
        self.avail_from = np.array([_ord(x.available_from, -math.inf) for x in r], dtype=np.float64)
        self.avail_to = np.array([_ord(x.available_to, math.inf) for x in r], dtype=np.float64)
        self.avail_from32 = self.avail_from.astype(np.float32)
        self.res_dated = np.isfinite(self.avail_from) | np.isfinite(self.avail_to)
        self.res_located = ~np.isnan(self.lat) & ~np.isnan(self.lng)
        self.lat32, self.lng32, self.radius32 = self.lat.astype(np.float32), self.lng.astype(np.float32), self.radius.astype(np.float32)
        self.avail_to32 = self.avail_to.astype(np.float32)
        # capacity units as small integers (0 = unknown), to compare with a need's quantity unit
        self.unit_ids: dict[str, int] = {}
        for x in r:
            if x.capacity_unit.strip():
                self.unit_ids.setdefault(x.capacity_unit.strip(), len(self.unit_ids) + 1)
        self.res_unit = np.array([self.unit_ids.get(x.capacity_unit.strip(), 0) for x in r], dtype=np.int64)
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
        # category score before any shared category, by the need's kind: 0 no category, 1 only inferred, 2 declared
        neutral = np.where(self.res_has_cats, 0.2, 0.5)
        self.cat_base = np.stack([np.full(len(self.resources), 0.5), neutral, np.where(self.res_has_decl, 0.0, neutral)]).astype(np.float32)
        small = len(self.cat_index) <= 64
        self.res_cat_bits = self._bits(self.side.cats) if small else None
        self.res_decl_bits = self._bits(self.side.declared) if small else None

    def _cat_matrix(self, sets: Sequence[frozenset[str]]) -> np.ndarray:
        m = np.zeros((len(sets), max(len(self.cat_index), 1)), dtype=np.float32)
        for i, cats in enumerate(sets):
            for c in cats:
                j = self.cat_index.get(c)
                if j is not None:
                    m[i, j] = 1.0
        return m

    # ------------------------------------------------------------------ scoring
    def _bits(self, sets: Sequence[frozenset[str]]) -> np.ndarray:
        out = np.zeros(len(sets), dtype=np.uint64)
        for i, cats in enumerate(sets):
            v = 0
            for c in cats:
                j = self.cat_index.get(c)
                if j is not None:
                    v |= 1 << j
            out[i] = v
        return out

    def _shared(self, need_sets: Sequence[frozenset[str]], res_matrix: np.ndarray, res_bits: np.ndarray | None) -> np.ndarray:
        """(needs × resources) bool: the two share a category."""
        if res_bits is not None:
            shared = self._bits(need_sets)[:, None] & res_bits[None, :]
            return shared != 0
        return (self._cat_matrix(need_sets) @ res_matrix.T) > 0

    def _coarse(self, needs: Sequence[Need], side: _Side, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Dense (needs[lo:hi] × resources) text score, category score, shared-category flags and the ranking key.

        The key is an upper bound of the pair's score (−1 where surely excluded): the exact text and category part plus
        the most place and time can add (:meth:`_place_time_bound`), which lets :meth:`suggest_all` compute the exact
        score only for the best keys.
        """
        q, selfs = self.bm25.queries(side.tokens[lo:hi])
        text_s = self.bm25.scores(q)
        rowmax = text_s.max(axis=1)
        denom = np.maximum(np.maximum(rowmax, TEXT_FLOOR * selfs), 1e-12).astype(np.float32)
        text_s /= denom[:, None]  # ≤ 1 since denom ≥ rowmax
        shared_any = self._shared(side.cats[lo:hi], self.res_cats, self.res_cat_bits)
        shared_decl = self._shared(side.declared[lo:hi], self.res_decl, self.res_decl_bits)
        kinds = np.array([0 if not c else (2 if d else 1) for c, d in zip(side.cats[lo:hi], side.declared[lo:hi], strict=True)], dtype=np.int64)
        category = self.cat_base[kinds]
        category[shared_any] = 0.8
        category[shared_decl] = 1.0
        key = text_s * np.float32(W_TEXT)
        key += category * np.float32(W_CATEGORY)
        bad = text_s < MIN_TEXT
        bad &= ~shared_any
        bad |= self.dead[None, :]
        # periods that do not overlap are excluded here already, so that they take no candidate's place
        chunk = needs[lo:hi]
        dated = [i for i, x in enumerate(chunk) if x.wanted_from is not None or x.wanted_to is not None]
        if dated:
            wf = np.array([_ord(chunk[i].wanted_from, -math.inf) for i in dated], dtype=np.float32)
            wt = np.array([_ord(chunk[i].wanted_to, math.inf) for i in dated], dtype=np.float32)
            apart = wf[:, None] > self.avail_to32[None, :]
            apart |= self.avail_from32[None, :] > wt[:, None]
            bad[dated] |= apart
        bound, located, factor = self._place_time_bound(chunk, dated)
        key += bound
        if factor is not None:
            key[located] *= factor
        key[bad] = NEG
        return text_s, category, shared_any, shared_decl, key

    def _place_time_bound(self, chunk: Sequence[Need], dated: list[int]) -> tuple[np.ndarray, list[int], np.ndarray | None]:
        """The most that place and time can add to a pair's score (needs × resources, float32), computed cheaply, and
        the far factor that surely applies (rows = the located needs).

        Without this bound every located pair could add ``W_PLACE + W_TIME``; with it, a unit far outside its radius
        (a flat-earth distance, shrunk by 2 % and 50 m so that it never exceeds the true one) ranks low already, and
        the exact score of :meth:`_exact` is needed for few pairs.
        """
        n, m = len(chunk), len(self.resources)
        time_ub = np.full(n, W_TIME * 0.5, dtype=np.float32)
        if dated:
            time_ub[dated] = W_TIME
        bound = np.where(self.res_dated[None, :], time_ub[:, None], np.float32(W_TIME * 0.5)).astype(np.float32)
        place = np.full((n, m), np.float32(W_PLACE * 0.5), dtype=np.float32)
        located = [i for i, x in enumerate(chunk) if x.lat is not None and x.lng is not None]
        if located and self.res_located.any():
            cols = np.flatnonzero(self.res_located)
            lat = np.radians(np.array([chunk[i].lat for i in located], dtype=np.float64)).astype(np.float32)
            lng = np.radians(np.array([chunk[i].lng for i in located], dtype=np.float64)).astype(np.float32)
            dy = lat[:, None] - self.lat32[None, cols]
            dx = lng[:, None] - self.lng32[None, cols]
            dx *= np.cos(lat)[:, None]
            dy *= dy
            dx *= dx
            dy += dx
            d = np.sqrt(dy, out=dy)
            d *= np.float32(EARTH_KM * 0.98)
            d -= np.float32(0.05)
            np.maximum(d, 0, out=d)
            r = self.radius32[cols][None, :]
            has_r = ~np.isnan(r)
            with np.errstate(invalid="ignore"):
                # outside the radius the place score is at most 0.4 (its decay is left to the exact score)
                p = np.where(has_r, np.where(d <= r, np.float32(1.0), np.float32(0.4)), np.float32(1.0) / (np.float32(1.0) + d / np.float32(3.0)))
                far = has_r & (d > 2 * r + 5.0)
            p *= np.float32(W_PLACE)
            sub = place[located]
            sub[:, cols] = p
            place[located] = sub
            factor = np.ones((len(located), m), dtype=np.float32)
            factor[:, cols] = np.where(far, np.float32(FAR_FACTOR), np.float32(1.0))
        else:
            factor = None
        coded = [i for i, x in enumerate(chunk) if x.region_code.strip()]
        if coded and self.has_codes.any():
            place[np.ix_(np.array(coded), np.flatnonzero(self.has_codes))] = W_PLACE
            if factor is not None:
                lookup = {i: k for k, i in enumerate(located)}
                rows = [lookup[i] for i in coded if i in lookup]
                if rows:
                    factor[np.ix_(np.array(rows), np.flatnonzero(self.has_codes))] = 1.0
        bound += place
        return bound, located, factor  # the caller multiplies the located rows by the far factor

    def _exact(self, needs: Sequence[Need], lo: int, rows: np.ndarray, cols: np.ndarray, coarse: tuple[np.ndarray, ...]) -> dict[str, np.ndarray]:
        """Every component for the pairs (needs[lo + rows[p]], resources[cols[p]]), as flat arrays."""
        text_s, category, _, _, key = coarse
        chunk = needs[lo:]
        nan = math.nan
        t = text_s[rows, cols]
        c = category[rows, cols]
        # place
        nlat = np.radians(np.array([chunk[i].lat if chunk[i].lat is not None else nan for i in range(int(rows.max(initial=-1)) + 1)]))
        nlng = np.radians(np.array([chunk[i].lng if chunk[i].lng is not None else nan for i in range(int(rows.max(initial=-1)) + 1)]))
        la1, lo1, la2, lo2 = nlat[rows], nlng[rows], self.lat[cols], self.lng[cols]
        a = np.sin((la2 - la1) / 2) ** 2 + np.cos(la1) * np.cos(la2) * np.sin((lo2 - lo1) / 2) ** 2
        dist = 2 * EARTH_KM * np.arcsin(np.sqrt(np.clip(a, 0, 1)))  # NaN where either side lacks coordinates
        radius = self.radius[cols]
        known = ~np.isnan(dist)
        has_r = ~np.isnan(radius)
        with np.errstate(invalid="ignore"):
            within_r = known & has_r & (dist <= radius)
        region_in = np.zeros(len(rows), dtype=bool)
        region_below = np.zeros(len(rows), dtype=bool)
        region_checked = np.zeros(len(rows), dtype=bool)
        if self.code_exact:
            for i in np.unique(rows):
                code = chunk[i].region_code.strip()
                if not code:
                    continue
                sel = np.flatnonzero(rows == i)
                region_checked[sel] = self.has_codes[cols[sel]]
                inside = [j for k in range(1, len(code) + 1) for j in self.code_exact.get(code[:k], ())]
                if inside:
                    region_in[sel] = np.isin(cols[sel], inside)
                below = self.code_below.get(code)
                if below:
                    region_below[sel] = np.isin(cols[sel], below)
        region_out = region_checked & ~region_in & ~region_below
        place = np.full(len(rows), 0.5)
        with np.errstate(invalid="ignore"):
            place = np.where(known & ~has_r, 1.0 / (1.0 + dist / 3.0), place)
            place = np.where(known & has_r & ~within_r, 0.4 * np.exp(-(dist - radius) / (radius + 2.0)), place)
            place = np.where(region_out & ~within_r, np.minimum(place, 0.1), place)
            place = np.where(region_below & ~region_in, np.maximum(place, 0.7), place)
            place = np.where(within_r | region_in, 1.0, place)
            far = ((known & has_r & (dist > 2 * radius + 5.0)) | region_out) & ~within_r & ~region_in & ~region_below
        place_factor = np.where(far, FAR_FACTOR, 1.0)
        # time
        wf = np.array([_ord(x.wanted_from, -math.inf) for x in chunk[: len(nlat)]])[rows]
        wt = np.array([_ord(x.wanted_to, math.inf) for x in chunk[: len(nlat)]])[rows]
        af, at = self.avail_from[cols], self.avail_to[cols]
        start, end = np.maximum(wf, af), np.minimum(wt, at)
        no_overlap = start > end
        both_dated = (np.isfinite(wf) | np.isfinite(wt)) & (np.isfinite(af) | np.isfinite(at))
        covered = (af <= wf) & (at >= wt)
        with np.errstate(invalid="ignore", over="ignore"):
            need_len = wt - wf + 1.0
            share = np.where(np.isfinite(need_len), np.clip((end - start + 1.0) / need_len, 0, 1), 0.5)
        time_s = np.where(both_dated, np.where(covered, 1.0, 0.5 + 0.5 * share), 0.5)
        # capacity
        qty = np.array([x.quantity if x.quantity is not None else nan for x in chunk[: len(nlat)]])[rows]
        if self.unit_ids:
            # a quantity counts against a capacity only in the same unit (or when either unit is unknown)
            nu = np.array([self.unit_ids.get(x.quantity_unit.strip(), -1) if x.quantity_unit.strip() else 0 for x in chunk[: len(nlat)]])[rows]
            ru = self.res_unit[cols]
            qty = np.where((nu == 0) | (ru == 0) | (nu == ru), qty, nan)
        cap = self.capacity[cols]
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            short = (qty > cap) & (cap > 0)
            cap_factor = np.where(short, 0.5 + 0.5 * cap / qty, 1.0)
        base = W_TEXT * t + W_CATEGORY * c + W_PLACE * place + W_TIME * time_s
        score = np.round(base * place_factor * cap_factor, 6)
        score = np.where((key[rows, cols] == NEG) | no_overlap, NEG, score)
        return {
            "row": rows,
            "col": cols,
            "score": score,
            "text": t,
            "category": c,
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
            "both_dated": both_dated,
        }

    def _best(self, exact: dict[str, np.ndarray], k: int) -> np.ndarray:
        """Positions in ``exact`` of each row's best k valid pairs, grouped by row, best first (ties by resource id)."""
        ok = np.flatnonzero(exact["score"] > NEG)
        if len(ok) == 0:
            return ok
        rows = exact["row"][ok].astype(np.int64)
        # one integer per pair orders by row, then score (6 decimals) descending, then resource id
        worse = 1_000_000 - np.rint(exact["score"][ok] * 1_000_000).astype(np.int64)
        composite = (rows << 45) | (worse << 24) | self.id_rank[exact["col"][ok]]
        order = np.argsort(composite, kind="stable")
        ok, rows = ok[order], rows[order]
        first = np.r_[0, np.flatnonzero(np.diff(rows)) + 1]
        pos_in_row = np.arange(len(rows)) - np.repeat(first, np.diff(np.r_[first, len(rows)]))
        return ok[pos_in_row < k]

    def _rank_chunk(
        self, needs: Sequence[Need], side: _Side, lo: int, hi: int, k: int, skip: Mapping[int, Sequence[int] | np.ndarray]
    ) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """Exact components of each need's best k pairs: candidates by key first, whole rows only where they might not suffice."""
        coarse = self._coarse(needs, side, lo, hi)
        key = coarse[4]
        for row, cols in skip.items():
            key[row, cols] = NEG
        n = key.shape[0]
        # keys in BUCKETS buckets (0 = excluded), counted per row: the threshold bucket that keeps about `width` pairs
        scale = np.float32((BUCKETS - 2) / 1.0)
        qkey = (key * scale).astype(np.int32)
        qkey += 1
        np.clip(qkey, 0, BUCKETS - 1, out=qkey)  # NEG → 0
        flat = qkey + (np.arange(n, dtype=np.int32) * BUCKETS)[:, None]
        counts = np.bincount(flat.ravel(), minlength=n * BUCKETS).reshape(n, BUCKETS)
        counts[:, 0] = 0
        above = counts[:, ::-1].cumsum(axis=1)[:, ::-1]  # above[r, t] = pairs of row r in buckets ≥ t
        todo = np.arange(n)
        parts: list[dict[str, np.ndarray]] = []
        width = max(CANDIDATES, 4 * k)
        while len(todo):
            thr = np.maximum((above[todo] >= width).sum(axis=1) - 1, 1)
            sel, cand = np.nonzero(qkey[todo] >= thr[:, None])
            rows = todo[sel]
            exact = self._exact(needs, lo, rows, cand, coarse)
            # best possible score of any pair left out: its key, below the threshold bucket
            left = above[todo, 1] > above[todo, thr]
            bound = np.where(left, (thr - 1) / scale, NEG)
            picked = self._best(exact, k)
            prow = exact["row"][picked]
            counts_k = np.bincount(prow, minlength=n)[todo]
            kth = np.full(n, math.inf)
            if len(picked):
                last = np.r_[np.flatnonzero(np.diff(prow)), len(picked) - 1]
                kth[prow[last]] = exact["score"][picked][last]
            sure = ~left | ((counts_k >= k) & (kth[todo] > bound + 1e-6))
            keep = np.isin(exact["row"], todo[sure])
            parts.append({name: v[keep] for name, v in exact.items()})
            todo = todo[~sure]
            width *= 8
        exact = {name: np.concatenate([p[name] for p in parts]) for name in parts[0]}
        return exact, self._best(exact, k)

    def _suggestion(self, need: Need, nside: _Side, ni: int, comp: dict[str, np.ndarray], p: int, rank: int) -> Suggestion:
        j = int(comp["col"][p])
        res = self.resources[j]
        reasons: list[str] = []
        shared = sorted(nside.cats[ni] & self.side.cats[j], key=lambda c: (c not in nside.declared[ni], c))
        if shared:
            # Both sides declared categories and they differ: the overlap is only what the texts mention, so it is not
            # called "the same category" (a 青少年 tutoring offer that also "reads to the elderly" is not 助老).
            nd, rd = nside.declared[ni], self.side.declared[j]
            label = "内容涉及：" if nd and rd and not (nd & rd) else "同类："
            reasons.append(label + "、".join(shared[:3]))
        words = self._shared_words(nside, ni, j)
        if words:
            reasons.append("文字相近：" + "、".join(words))
        d = float(comp["distance"][p])
        if comp["region_in"][p]:
            reasons.append("在服务区域内")
        elif comp["region_below"][p]:
            reasons.append("服务本区域的一部分")
        if not math.isnan(d):
            if comp["within_radius"][p]:
                reasons.append(f"距离 {_fmt_km(d)}（服务半径 {_fmt_num(float(self.radius[j]))} km 内）")
            elif not math.isnan(self.radius[j]):
                reasons.append(f"距离 {_fmt_km(d)}，超出服务半径 {_fmt_num(float(self.radius[j]))} km")
            else:
                reasons.append(f"距离 {_fmt_km(d)}")
        if comp["region_out"][p] and not comp["within_radius"][p]:
            reasons.append("不在服务区域内")
        if comp["place_factor"][p] < 1:
            reasons.append("远在服务范围外")
        if comp["both_dated"][p]:
            reasons.append("时间重叠" if comp["covered"][p] else "时间部分重叠")
        if need.quantity is not None and not math.isnan(self.capacity[j]) and _same_unit(need.quantity_unit, res.capacity_unit):
            unit = f" {res.capacity_unit or need.quantity_unit}".rstrip()
            if comp["capacity_factor"][p] < 1:
                reasons.append(f"容量不足：需 {_fmt_num(need.quantity)}{unit}，剩余 {_fmt_num(float(self.capacity[j]))}{unit}")
            else:
                reasons.append(f"容量足够：剩余 {_fmt_num(float(self.capacity[j]))}{unit}")
        components = {key: round(float(comp[key][p]), 6) for key in ("text", "category", "place", "time", "place_factor", "capacity_factor")}
        if not math.isnan(d):
            components["distance_km"] = round(d, 3)
        return Suggestion(
            need_id=need.id, resource_id=res.id, rank=rank, score=float(comp["score"][p]), reasons=tuple(reasons), components=components
        )

    def _shared_words(self, nside: _Side, ni: int, j: int, limit: int = 4) -> list[str]:
        """Shared concepts and words (not single characters or bigrams), the rarest first."""
        out: list[tuple[float, str]] = []
        for term in nside.words[ni] & self.side.words[j]:
            k = self.bm25.vocab.get(term)
            idf = float(self.bm25.idf[k]) if k is not None else 0.0
            concept = term.startswith("<")
            out.append((-(idf + (0.5 if concept else 0.0)), term[1:-1] if concept else term))
        seen: list[str] = []
        for _, label in sorted(out):
            if label not in seen and not any(label in s or s in label for s in seen):
                seen.append(label)
            if len(seen) == limit:
                break
        if not seen:  # fall back on shared two-character runs
            doc = self.side.tokens[j]
            for term in nside.tokens[ni]:
                if term.startswith("b:") and term in doc and term[2:] not in seen:
                    seen.append(term[2:])
                if len(seen) == limit:
                    break
        return seen

    # ------------------------------------------------------------------ public
    def suggest_all(
        self, needs: Sequence[Need], *, top_k: int = 5, exclude: Mapping[str, Collection[str]] | None = None, workers: int = 1,
        only: Mapping[str, Collection[str] | np.ndarray] | None = None,
    ) -> dict[str, list[Suggestion]]:
        """The best ``top_k`` resources for each need, best first (``exclude`` maps a need id to resource ids to leave out;
        ``only``, where it names a need, restricts that need to the resource ids given, or to a mask from
        :meth:`allowed_mask`).

        ``workers`` > 1 splits a large batch (≥ 2,000 needs) over that many forked processes; the result is the same.
        """
        needs = list(needs)
        if not self.resources or top_k <= 0:
            return {n.id: [] for n in needs}
        if workers > 1 and not only and len(needs) >= PARALLEL_MIN and "fork" in multiprocessing.get_all_start_methods():
            return self._suggest_forked(needs, top_k, exclude, workers)
        out: dict[str, list[Suggestion]] = {n.id: [] for n in needs}
        nside = _Side(needs)
        masks: dict[str, np.ndarray] = {}
        for lo in range(0, len(needs), CHUNK):
            hi = min(lo + CHUNK, len(needs))
            skip: dict[int, Sequence[int] | np.ndarray] = {}
            for row in range(hi - lo):
                nid = needs[lo + row].id
                cols: Sequence[int] | np.ndarray = [self.index_of[r] for r in (exclude or {}).get(nid, ()) if r in self.index_of]
                if only and nid in only:
                    allowed = only[nid]
                    if not isinstance(allowed, np.ndarray):
                        allowed = masks.setdefault(nid, self.allowed_mask(allowed))
                    blocked = ~allowed
                    blocked[list(cols)] = True
                    cols = np.flatnonzero(blocked)
                if len(cols):
                    skip[row] = cols
            exact, picked = self._rank_chunk(needs, nside, lo, hi, top_k, skip)
            rank = 0
            previous = -1
            for p in picked:
                row = int(exact["row"][p])
                rank = rank + 1 if row == previous else 1
                previous = row
                need = needs[lo + row]
                out[need.id].append(self._suggestion(need, nside, lo + row, exact, int(p), rank))
        return out

    def _suggest_forked(
        self, needs: list[Need], top_k: int, exclude: Mapping[str, Collection[str]] | None, workers: int
    ) -> dict[str, list[Suggestion]]:
        global _FORKED
        step = -(-len(needs) // workers)
        _FORKED = (self, needs, top_k, exclude)
        try:
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                parts = pool.map(_forked_part, [(lo, min(lo + step, len(needs))) for lo in range(0, len(needs), step)])
        finally:
            _FORKED = None
        out: dict[str, list[Suggestion]] = {}
        for part in parts:
            out.update(part)
        return out

    def suggest(self, need: Need, *, top_k: int = 5, exclude: Collection[str] = (), only: Collection[str] | None = None) -> list[Suggestion]:
        """The best ``top_k`` resources for one need, best first, leaving out the ids in ``exclude`` (e.g. rejected ones)
        and, when ``only`` is given, every resource not in it (e.g. those the caller may not use)."""
        return self.suggest_all([need], top_k=top_k, exclude={need.id: exclude} if exclude else None,
                                only={need.id: only} if only is not None else None).get(need.id, [])

    def allowed_mask(self, ids: Collection[str]) -> np.ndarray:
        """A boolean array over this matcher's resources: True for the ids given (unknown ids are ignored)."""
        mask = np.zeros(len(self.resources), dtype=bool)
        idx = [j for j in (self.index_of.get(i) for i in ids) if j is not None]
        if idx:
            mask[idx] = True
        return mask

    def with_capacity(self, capacity: Mapping[str, float | None]) -> Matcher:
        """A copy sharing this matcher's text index, with the remaining capacity of some resources changed
        (0 takes a resource out: e.g. it was withdrawn). Building the index again is needed only when texts change."""
        clone = copy.copy(self)
        clone.capacity = self.capacity.copy()
        clone.resources = list(self.resources)
        for rid, value in capacity.items():
            j = self.index_of.get(rid)
            if j is None:
                continue
            clone.capacity[j] = math.nan if value is None else float(value)
            clone.resources[j] = dataclasses.replace(self.resources[j], capacity=value)
        clone.dead = (clone.capacity <= 0) | (clone.avail_to < clone.today.toordinal())
        return clone

    def explain(self, need: Need, resource_id: str) -> Suggestion | None:
        """Score and reasons of one pair, even when it is excluded (then score is -1 and the first reasons say why)."""
        j = self.index_of.get(resource_id)
        if j is None:
            return None
        nside = _Side([need])
        coarse = self._coarse([need], nside, 0, 1)
        exact = self._exact([need], 0, np.array([0]), np.array([j]), coarse)
        s = self._suggestion(need, nside, 0, exact, 0, 0)
        why: list[str] = []
        if self.capacity[j] <= 0:
            why.append("已无剩余容量")
        if self.avail_to[j] < self.today.toordinal():
            why.append("资源已过期")
        elif exact["no_overlap"][0]:
            why.append("时间不重叠")
        if exact["score"][0] == NEG and not why:
            why.append("内容与类别都不相关")
        return Suggestion(s.need_id, s.resource_id, 0, s.score, (*why, *s.reasons), s.components) if why else s


# what a forked worker of Matcher.suggest_all works on (inherited from the parent, never pickled)
_FORKED: tuple[Matcher, list[Need], int, Mapping[str, Collection[str]] | None] | None = None


def _forked_part(bounds: tuple[int, int]) -> dict[str, list[Suggestion]]:
    assert _FORKED is not None
    matcher, needs, top_k, exclude = _FORKED
    return matcher.suggest_all(needs[bounds[0] : bounds[1]], top_k=top_k, exclude=exclude)
