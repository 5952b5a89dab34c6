"""Chinese text → search tokens, and BM25 with scipy sparse matrices.

A text becomes four kinds of tokens, each with a query weight:

* jieba words (dictionary + the governance terms of :mod:`.lexicon`), weight 1.0;
* lexicon concepts such as ``<老人>`` (so 长者 finds 老年人), weight 1.2;
* character bigrams inside runs of Chinese characters (``b:``), weight 0.5 — they catch words jieba cut differently;
* single Chinese characters (``c:``), weight 0.25 — 老人 and 老年人 still share 老 and 人.

Resources are the documents. Their BM25 weights (k1=1.2, b=0.75, smoothed idf ln((N+1)/(df+0.5)) + 1) form one
sparse matrix W (resources × terms); a batch
of needs becomes a sparse matrix Q (needs × terms) of query weights, and Q·Wᵀ is every need's score against every
resource in one product.
"""

from __future__ import annotations

import logging
import math
import re
import threading
import unicodedata
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp

from . import lexicon

K1 = 1.2
B = 0.75
WEIGHT_WORD = 1.0
WEIGHT_CONCEPT = 1.2
WEIGHT_BIGRAM = 0.5
WEIGHT_CHAR = 0.25

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_WORDISH = re.compile(r"[\w\u3400-\u4dbf\u4e00-\u9fff]")
STOP_WORDS = frozenset(
    "的 了 和 与 及 或 在 是 有 为 对 等 可 能 我 我们 你 他 她 它 们 个 一 一些 一个 这 那 这个 那个 也 都 就 而 并 又 把 被 让 给 从 到 向 "
    "里 中 上 下 要 想 需要 希望 请 帮 帮助 能否 可以 提供 进行 开展 没有 没 不 很 太 多 少 每 各 其 之 以 及其 如 若 些 啥 什么 怎么 "
    "一下 一起 方面 相关 工作 情况 问题 需求 服务 社区 居民 单位".split()
)
STOP_CHARS = frozenset("的了和与及或在是有为对等可能我你他她它们个一这那也都就而并又把被让给从到向里中上下要想请不没很多少每各其之以如若些啥么")

_lock = threading.Lock()
_tokenizer = None


def tokenizer() -> Any:
    """A private jieba tokenizer with the governance terms and lexicon words, built once per process."""
    global _tokenizer
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:
                import jieba

                logging.getLogger("jieba").setLevel(logging.WARNING)
                tok = jieba.Tokenizer()
                tok.initialize()
                for word in {*lexicon.GOVERNANCE_TERMS, *lexicon.WORD_CONCEPTS}:
                    if len(word) >= 2:
                        tok.add_word(word, freq=20000)
                _tokenizer = tok
    return _tokenizer


def normalise(text: str) -> str:
    """Full-width → half-width, lower case, whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFKC", text or "").lower().split())


def tokens(text: str) -> Counter[str]:
    """The search tokens of one text, with their counts."""
    text = normalise(text)
    out: Counter[str] = Counter()
    if not text:
        return out
    for word in tokenizer().lcut(text, HMM=False):
        word = word.strip()
        if len(word) >= 2 and word not in STOP_WORDS and _WORDISH.search(word):
            out[word] += 1
        elif len(word) == 1 and word.isascii() and word.isalnum():
            out[word] += 1
    for run in _CJK.findall(text):
        for i, ch in enumerate(run):
            if ch not in STOP_CHARS:
                out["c:" + ch] += 1
            if i + 1 < len(run):
                out["b:" + run[i : i + 2]] += 1
    for concept in lexicon.concepts_in(text):
        out["<" + concept + ">"] += 1
    return out


_PREFIX_WEIGHT = {"c:": WEIGHT_CHAR, "b:": WEIGHT_BIGRAM}


def query_weight(term: str) -> float:
    w = _PREFIX_WEIGHT.get(term[:2])
    if w is not None:
        return w
    return WEIGHT_CONCEPT if term[:1] == "<" else WEIGHT_WORD


class Bm25Index:
    """BM25 over a fixed set of documents (the resources)."""

    def __init__(self, docs: Sequence[Counter[str]]) -> None:
        self.vocab: dict[str, int] = {}
        setdefault = self.vocab.setdefault
        n = len(docs)
        cols = np.fromiter((setdefault(t, len(self.vocab)) for d in docs for t in d), dtype=np.int64)
        vals = np.fromiter((c for d in docs for c in d.values()), dtype=np.float64, count=len(cols))
        rows = np.repeat(np.arange(n), [len(d) for d in docs])
        v = max(len(self.vocab), 1)
        lengths = np.bincount(rows, weights=vals, minlength=n)
        df = np.bincount(cols, minlength=v).astype(np.float64)
        self.n_docs = n
        self.avgdl = float(lengths.mean()) if n and lengths.sum() else 1.0
        # smoothed idf, ≥ 1: a word every resource shares still says something (BM25's own idf would make it 0)
        self.idf = np.log((n + 1) / (df + 0.5)) + 1.0
        self.idf_unknown = math.log((n + 1) / 0.5) + 1.0
        norm = K1 * (1 - B + B * lengths / self.avgdl)
        data = self.idf[cols] * vals * (K1 + 1) / (vals + norm[rows])
        self.weights_t = sp.csr_matrix((data.astype(np.float32), (cols, rows)), shape=(v, n))  # terms × docs, for Q @ Wᵀ

    def queries(self, queries: Sequence[Counter[str]]) -> tuple[sp.csr_matrix, np.ndarray]:
        """Q (queries × terms, query weights; terms unknown to the documents left out) and each query's self score."""
        n = len(queries)
        get = self.vocab.get
        terms = [t for q in queries for t in q]
        cols = np.fromiter((get(t, -1) for t in terms), dtype=np.int64, count=len(terms))
        weights = np.fromiter((query_weight(t) for t in terms), dtype=np.float64, count=len(terms))
        counts = np.fromiter((c for q in queries for c in q.values()), dtype=np.float64, count=len(terms))
        rows = np.repeat(np.arange(n), [len(q) for q in queries])
        dl = np.bincount(rows, weights=counts, minlength=n)
        norm = K1 * (1 - B + B * dl / self.avgdl)
        known = cols >= 0
        idf = np.where(known, self.idf[np.where(known, cols, 0)] if len(self.idf) else 0.0, self.idf_unknown)
        selfs = np.bincount(rows, weights=weights * idf * counts * (K1 + 1) / (counts + norm[rows]), minlength=n)
        q_matrix = sp.csr_matrix((weights[known].astype(np.float32), (rows[known], cols[known])), shape=(n, self.weights_t.shape[0]))
        return q_matrix, selfs

    def scores(self, q_matrix: sp.csr_matrix) -> np.ndarray:
        """Dense (queries × docs) BM25 scores, float32."""
        return np.asarray((q_matrix @ self.weights_t).toarray(), dtype=np.float32)
