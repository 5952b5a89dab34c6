"""Global mode: give resources to needs so that no resource is promised beyond its capacity.

A maximum-weight flow over the suggestion edges, solved as a linear programme with HiGHS (scipy). The constraint
matrix is a network matrix, so with whole-number demands and capacities the optimum is whole (no need is split
unless a fractional demand invites it; with whole demands, capacities are rounded down)::

    maximise    Σ score(n, r) · x(n, r) / demand(n)
    subject to  Σ_r x(n, r) ≤ demand(n)             every need n          (default demand 1: one resource)
                Σ_n x(n, r) ≤ capacity(r)           every resource r      (capacity None: room for one need)
                0 ≤ x(n, r) ≤ min(demand(n), capacity(r))

``demand`` is in the resource's capacity units (the web app passes a need's quantity when its unit agrees with the
resource's). A tiny tie-breaker (≤ 1e-7 per edge, by need rank and ids) makes the result deterministic.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import scipy.sparse as sp

from .model import Need, Resource, Suggestion


def assign(
    needs: Sequence[Need],
    resources: Sequence[Resource],
    suggestions: dict[str, list[Suggestion]],
    *,
    demand: Mapping[str, float] | None = None,
) -> list[tuple[str, str, float]]:
    """(need_id, resource_id, amount) for every edge that carries something, sorted by need id then resource id."""
    need_ids = sorted({n.id for n in needs})
    res_by_id = {r.id: r for r in resources}
    n_index = {nid: i for i, nid in enumerate(need_ids)}
    r_ids = sorted(res_by_id)
    r_index = {rid: i for i, rid in enumerate(r_ids)}
    demands = np.ones(len(need_ids))
    for nid, amount in (demand or {}).items():
        if nid in n_index:
            if amount is None or not math.isfinite(amount) or amount < 0:
                raise ValueError(f"demand of need {nid} must be a number ≥ 0")
            demands[n_index[nid]] = float(amount)
    caps = np.array([(res_by_id[rid].capacity if res_by_id[rid].capacity is not None else 1.0) for rid in r_ids], dtype=np.float64)
    caps = np.maximum(caps, 0.0)
    if np.all(demands == np.floor(demands)):
        # whole demands: a resource holds only whole needs, and the optimum of the network LP is then whole too
        caps = np.floor(caps + 1e-9)

    edges: list[tuple[int, int, float]] = []
    for nid in need_ids:
        seen: set[str] = set()
        for s in suggestions.get(nid, []):
            if s.resource_id in r_index and s.resource_id not in seen and s.score > 0:
                seen.add(s.resource_id)
                edges.append((n_index[nid], r_index[s.resource_id], float(s.score)))
    edges = [e for e in edges if demands[e[0]] > 0 and caps[e[1]] > 0]
    if not edges:
        return []
    ni = np.array([e[0] for e in edges])
    ri = np.array([e[1] for e in edges])
    score = np.array([e[2] for e in edges])
    # deterministic tie-breaker: earlier needs (by id) and resources (by id) win ties, by a margin far below score precision
    tie = 1e-7 * (1.0 - (ni * len(r_ids) + ri) / max(len(need_ids) * len(r_ids), 1))
    cost = -(score + tie) / demands[ni]
    m = len(edges)
    cols = np.arange(m)
    a_ub = sp.vstack(
        [
            sp.csr_matrix((np.ones(m), (ni, cols)), shape=(len(need_ids), m)),
            sp.csr_matrix((np.ones(m), (ri, cols)), shape=(len(r_ids), m)),
        ]
    ).tocsr()
    b_ub = np.concatenate([demands, caps])
    upper = np.minimum(demands[ni], caps[ri])
    from scipy.optimize import linprog  # imported here: it costs ~0.4 s, and only the global mode needs it

    result = linprog(cost, A_ub=a_ub, b_ub=b_ub, bounds=np.column_stack([np.zeros(m), upper]), method="highs")
    if result.status != 0:  # pragma: no cover - the problem is always feasible (x = 0) and bounded
        raise RuntimeError(f"assignment failed: {result.message}")
    out: list[tuple[str, str, float]] = []
    for k in np.flatnonzero(result.x > 1e-9):
        amount = float(result.x[k])
        if abs(amount - round(amount)) < 1e-6:
            amount = float(round(amount))
        out.append((need_ids[ni[k]], r_ids[ri[k]], amount))
    out.sort()
    return out
