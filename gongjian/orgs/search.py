"""Chinese full-text search for the policy library: jieba tokens and BM25 ranking.

Each policy stores its tokens in ``search_tokens`` as `` tok1 tok2 … `` (space-separated, with a
leading and trailing space) so that "contains ` tok `" is an exact token match in SQL on any
database. A query is cut into tokens; candidate policies are those holding any token; BM25 is
computed over the candidates with corpus statistics (N, average length) from the whole library,
and a match in the title counts extra.
"""

from __future__ import annotations

import logging
import math
import re
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache

import jieba

jieba.setLogLevel(logging.WARNING)

K1 = 1.5
B = 0.75
TITLE_BOOST = 2.0
MAX_QUERY_TOKENS = 12
_PUNCT = re.compile(r"^[\W_]+$", re.UNICODE)
STOPWORDS = frozenset("的 了 和 与 及 或 在 是 为 对 于 等 之 其 中 将 把 被 以 从 并 就 也 都 而 关于 一 个 这 那 有".split())


def warm() -> None:
    """Load jieba's dictionary now rather than on the first search (a second or two)."""
    jieba.initialize()


def tokens(text: str) -> list[str]:
    """jieba search-mode tokens, lower-cased, without punctuation and stop words."""
    out = []
    for tok in jieba.cut_for_search(text or ""):
        tok = tok.strip().lower()
        if not tok or _PUNCT.match(tok) or tok in STOPWORDS:
            continue
        out.append(tok)
    return out


def token_field(*texts: str) -> tuple[str, int]:
    toks = [t for text in texts for t in tokens(text)]
    return (" " + " ".join(toks) + " ") if toks else "", len(toks)


@lru_cache(maxsize=256)
def query_tokens(query: str) -> tuple[str, ...]:
    seen: list[str] = []
    for tok in tokens(query):
        if tok not in seen:
            seen.append(tok)
    return tuple(seen[:MAX_QUERY_TOKENS])


def bm25_scores(
    query: Iterable[str], docs: dict[int, tuple[str, str]], *, total_docs: int, avg_len: float
) -> dict[int, float]:
    """Score candidate docs ``{id: (search_tokens, title)}`` for the query tokens.

    ``total_docs`` and ``avg_len`` describe the whole corpus; document frequencies are counted in
    the candidates, which are exactly the documents containing at least one query token.
    """
    q = list(query)
    counted = {pk: Counter(text.split()) for pk, (text, _title) in docs.items()}
    df = {t: sum(1 for c in counted.values() if t in c) for t in q}
    n = max(total_docs, len(docs), 1)
    avg = avg_len or 1.0
    scores: dict[int, float] = {}
    for pk, counts in counted.items():
        length = sum(counts.values()) or 1
        title_toks = set(tokens(docs[pk][1]))
        score = 0.0
        for t in q:
            tf = counts.get(t, 0)
            if not tf:
                continue
            idf = math.log(1 + (n - df[t] + 0.5) / (df[t] + 0.5))
            s = idf * tf * (K1 + 1) / (tf + K1 * (1 - B + B * length / avg))
            if t in title_toks:
                s *= TITLE_BOOST
            score += s
        if score > 0:
            scores[pk] = score
    return scores
