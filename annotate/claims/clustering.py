"""Claims that say the same thing, grouped: plain data in (`ClaimText`), plain data out (`Cluster`).

Method, in three steps:

1. Vectors. Each text is folded for matching (`normalise`: casefolded, Arabic letter forms unified and
   harakat dropped by `annotate.suggestions.textnorm.fold_word`, punctuation and quotes removed) and
   turned into TF-IDF over word 1-2-grams and over character 3-5-grams within word bounds (`char_wb`,
   which catches "proposal"/"proposals" and spelling variants), both with sublinear tf and each
   L2-normalised; the two are weighted equally, so a pair's similarity is the mean of its word cosine
   and its character cosine. An `embedder` (texts -> dense vectors) replaces all this when given.
   Claims that fold to the same text are one row, counted as many claims as it stands for.

2. Pairs at or above `threshold`, without an n x n matrix. Up to 2,000 distinct texts, exactly: the
   sparse product of the vectors in chunks of rows. Beyond, by blocking: each text's 20 nearest by
   the dot product of its *rare* word features (word 1-2-grams in at most max(100, sqrt(n)) texts),
   and of its two least common other word features if it has fewer than 3 rare ones, are its
   candidates, and only those are scored exactly. Rare features keep that product small (a feature
   in df texts costs df^2 cells, so "the", "said" or "Morocco" would make it quadratic), and what two
   wordings of one claim share is their rare words: names, places, the thing at issue. The least
   common others are there for claims made (mostly) of common words. The price: a pair above the
   threshold that shares none of these, or that is not among either text's 20 nearest, is missed
   (bench/claims_bench.py measures how many).
   Exact alternatives were measured and rejected, on 100k synthetic claims: prefix filtering (All-Pairs,
   Bayardo et al. 2007) is exact but at a threshold of 0.55 a row's prefix must hold 70 % of its
   weight, so prefixes reach common character n-grams and candidates run to ~15,000 a row; dense
   reductions (SVD, random projections) are approximate and still quadratic: the 256-dimensional
   product alone takes minutes at 100k claims on this 2-core machine.
   Dense embeddings are compared in chunks, exactly: quadratic in time (fine for tens of thousands of
   claims, slow beyond) but bounded in memory.

3. Clusters by average linkage over those pairs. Pairs are taken from the most similar down; two
   clusters joined by a pair are merged only when the mean similarity over *all* their cross pairs,
   not only the linked ones, is at least `min_average` (the threshold unless said otherwise). That
   mean is exact and cheap: for unit vectors, the sum of the cross cosines is the dot product of the
   clusters' vector sums. Connected components would chain: A~B and B~C put A and C together however
   unlike they are, and over a large corpus chains can run through whole topics. Every cluster keeps
   the invariant "mean pairwise similarity >= min_average" (both halves and the cross pairs each
   reach it when merged), so a claim like two unrelated ones joins at most one of them.

The representative is the medoid: the member closest (by cosine) to the cluster's centroid. All ties
(equal similarities, equal closeness) go to the lowest id, and the input is read in id order, so the
same claims give the same clusters whatever their order. Singletons are returned as clusters of one.
"""
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from math import isqrt
from typing import Protocol

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize as l2_normalize

from annotate.suggestions.textnorm import fold_word

# Texts in, one row per text out (n x d, any scale: rows are L2-normalised here).
Embedder = Callable[[Sequence[str]], np.ndarray]

_NOT_WORD = re.compile(r"[\W_]+")  # punctuation, quotes (« » “ ” ' "), symbols: all read as a space
# Cells of a chunk of dense similarities (embeddings): bounds memory whatever the number of claims.
_CELLS = 1 << 24
_PAIRS = 1 << 15  # candidate pairs scored exactly at a time
_ROWS = 2000  # rows of a sparse product at a time
# Up to this many distinct texts every pair is scored: exact, and still fast (0.7 s of CPU at 2,000).
# Beyond, blocking (module docstring): texts are compared through the word features that at most
# max(_RARE_DF, sqrt(n)) texts have, and (with fewer than _FEW_RARE of those) their _ALWAYS least common
# others; each keeps its _NEIGHBOURS best candidates.
_EXACT_UP_TO = 2000
_RARE_DF = 100
_NEIGHBOURS = 20
_ALWAYS = 2
_FEW_RARE = 3


@dataclass(frozen=True)
class ClaimText:
    id: int
    text: str
    # Not needed to match: folding is the same for every language (the Arabic rules touch Arabic letters
    # only) and a claim may be matched across languages only by an embedder. Kept for callers, and for
    # blocking by language should a corpus need it.
    language: str = ""


@dataclass(frozen=True)
class Cluster:
    members: tuple[int, ...]  # ascending ids
    representative: int


def normalise(text: str) -> str:
    """The text as matching reads it (see the module docstring); never shown to anyone."""
    return _NOT_WORD.sub(" ", fold_word(text)).strip()


def tfidf_vectors(texts: Sequence[str]) -> tuple[sparse.csr_matrix, int]:
    """Unit rows whose dot products are the mean of the word and the character TF-IDF cosines, and the
    number of word features (the columns before the character ones)."""
    return _tfidf([normalise(text) for text in texts])


def _tfidf(folded: Sequence[str]) -> tuple[sparse.csr_matrix, int]:
    parts = []
    for vectorizer in (
        # Tokens are whatever `normalise` left between spaces: one-letter words ("a", Arabic "و") count.
        TfidfVectorizer(analyzer="word", token_pattern=r"\S+", ngram_range=(1, 2), lowercase=False,
                        sublinear_tf=True, dtype=np.float32),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), lowercase=False, sublinear_tf=True,
                        dtype=np.float32),
    ):
        try:
            parts.append(vectorizer.fit_transform(folded))
        except ValueError:  # no text has a feature of this kind (all empty, or all too short)
            parts.append(sparse.csr_matrix((len(folded), 0), dtype=np.float32))
    # Both parts are unit rows; after stacking each weighs 1/sqrt(2) (or 1 if the other is empty).
    stacked = sparse.hstack(parts, format="csr")
    return (l2_normalize(stacked) if stacked.shape[1] else stacked), parts[0].shape[1]


def cluster(claims: Sequence[ClaimText], *, threshold: float = 0.55, min_average: float | None = None,
            embedder: Embedder | None = None) -> list[Cluster]:
    """Group `claims` that say the same thing; every claim is in exactly one cluster.

    `threshold`: the cosine at which two claims are linked. `min_average`: the mean similarity over all
    pairs of a cluster that a merge must keep (defaults to `threshold`). `embedder`: texts -> vectors,
    used instead of TF-IDF (and then the threshold is on the embeddings' cosine).
    Clusters come in the order of their lowest id.
    """
    claims = sorted(claims, key=lambda claim: claim.id)
    ids = [claim.id for claim in claims]
    if len(set(ids)) != len(ids):
        raise ValueError("claim ids must be unique")
    if len(claims) < 2:
        return [Cluster((claim.id,), claim.id) for claim in claims]
    # Claims that read the same (a quote carried word for word by many articles) are one row, weighted
    # by their number: the work follows the distinct texts, and a much-repeated claim's words do not
    # become "common" (which would leave it nothing rare to be found by). Empty texts stay apart.
    keys = [normalise(claim.text) for claim in claims] if embedder is None else [claim.text for claim in claims]
    first: list[int] = []  # each row's first claim (the lowest id)
    seen: dict[str, int] = {}
    row_of: list[int] = []
    for position, key in enumerate(keys):
        row = seen.get(key) if key else None
        if row is None:
            row = seen[key] = len(first)
            first.append(position)
        row_of.append(row)
    counts = np.bincount(row_of, minlength=len(first)).astype(np.float64)
    if embedder is None:
        vectors, word_columns = _tfidf([keys[position] for position in first])
        rows, cols, sims = _sparse_pairs(vectors, word_columns, threshold)
        sums: _Sums = _SparseSums(vectors, counts)
    else:
        vectors = np.asarray(embedder([keys[position] for position in first]), dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[0] != len(first):
            raise ValueError(f"the embedder returned shape {vectors.shape} for {len(first)} texts")
        vectors = l2_normalize(vectors)
        rows, cols, sims = _dense_pairs(vectors, threshold)
        sums = _DenseSums(vectors, counts)
    groups = _average_linkage(rows, cols, sims, sums, counts, threshold if min_average is None else min_average)
    claims_of: list[list[int]] = [[] for _ in first]
    for position, row in enumerate(row_of):
        claims_of[row].append(position)
    out = [Cluster(tuple(sorted(ids[position] for row in group for position in claims_of[row])), ids[first[medoid]])
           for group, medoid in zip(groups, _medoids(vectors, groups, counts))]
    return sorted(out, key=lambda group: group.members[0])


def configured_embedder(model: str | None = None) -> Embedder | None:
    """An embedder from an installed sentence-transformers model, or None (then TF-IDF is used).

    `model` (or the setting CLAIM_EMBEDDING_MODEL when None) is a local path or the name of a model
    already in the local cache: nothing is downloaded (`local_files_only`), so an absent model is an
    error here rather than a download in a background job.
    """
    if model is None:
        from django.conf import settings
        from django.core.exceptions import ImproperlyConfigured

        try:
            model = getattr(settings, "CLAIM_EMBEDDING_MODEL", "")
        except ImproperlyConfigured:  # used outside Django (a script, a bench): no setting to read
            model = ""
    if not model:
        return None
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError:
        return None
    encoder = SentenceTransformer(model, local_files_only=True)

    def embed(texts: Sequence[str]) -> np.ndarray:
        return encoder.encode(list(texts), batch_size=64, convert_to_numpy=True, normalize_embeddings=True)

    return embed


# --- step 2: pairs at or above the threshold -------------------------------------------------------------

def _sparse_pairs(vectors: sparse.csr_matrix, word_columns: int,
                  threshold: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rows, cols, similarities) of the pairs i < j found at or above `threshold` (module docstring)."""
    n = vectors.shape[0]
    if n <= _EXACT_UP_TO:  # the product is the similarity: every pair, exactly
        transposed = vectors.T.tocsr()
        found = []
        for start in range(0, n, _ROWS):
            product = (vectors[start:start + _ROWS] @ transposed).tocoo()
            i, j = product.row.astype(np.int64) + start, product.col.astype(np.int64)
            keep = (j > i) & (product.data >= threshold)
            found.append((i[keep], j[keep], product.data[keep]))
        return tuple(np.concatenate(part) for part in zip(*found))
    # Blocking: each row's nearest rows by the dot product of their rare word features, and for rows
    # with fewer than _FEW_RARE of these, of their _ALWAYS least common other word features: two
    # wordings of a claim made of common words ("Morocco is a key partner") would otherwise share
    # nothing the blocking sees. Only such rows pay for it (the others are found through their rare
    # words), and each picks its least common, so a very common word is picked only by rows that have
    # nothing less common.
    df = np.bincount(vectors.indices, minlength=vectors.shape[1])
    cap = max(_RARE_DF, isqrt(n))
    word = np.flatnonzero(vectors.indices < word_columns)
    word_df = df[vectors.indices[word]]
    row = np.repeat(np.arange(n), np.diff(vectors.indptr))[word]
    order = np.lexsort((vectors.indices[word], word_df, row))  # by row, then rarest first
    rank = np.empty(len(word), dtype=np.int64)
    rank[order] = np.arange(len(word)) - np.searchsorted(row[order], row[order])
    rare_in_row = np.bincount(row, weights=word_df <= cap, minlength=n).astype(np.int64)
    rare = np.zeros(len(vectors.indices), dtype=bool)
    few = rare_in_row[row] < _FEW_RARE
    rare[word] = (word_df <= cap) | (few & (rank < rare_in_row[row] + _ALWAYS))
    kept = np.concatenate([[0], np.cumsum(rare)])
    blocking = sparse.csr_matrix((vectors.data[rare], vectors.indices[rare], kept[vectors.indptr]),
                                 shape=vectors.shape)
    candidates = _nearest(blocking, _NEIGHBOURS)
    i, j = candidates // n, candidates % n
    sims = _row_dots(vectors, i, j)
    keep = sims >= threshold
    return i[keep], j[keep], sims[keep]


def _nearest(rows: sparse.csr_matrix, neighbours: int) -> np.ndarray:
    """Each row's `neighbours` other rows of largest (positive) product, as pairs i * n + j with i < j,
    ascending and without repeats."""
    n = rows.shape[0]
    transposed = rows.T.tocsr()
    found = []
    for start in range(0, n, _ROWS):
        product = rows[start:start + _ROWS] @ transposed
        product.sort_indices()
        product = product.tocoo()
        i = product.row.astype(np.int64) + start
        j = product.col.astype(np.int64)
        other = i != j
        i, j, value = i[other], j[other], product.data[other]
        # Each row's largest products first (equal ones by column: sorted indices, stable sort). The
        # key is exact enough in a float64: rows of a chunk apart by 4, products in [0, 1].
        order = np.argsort((i - start) * 4.0 + (2.0 - value), kind="stable")
        i, j = i[order], j[order]
        first = np.arange(len(i)) - np.searchsorted(i, i) < neighbours
        i, j = i[first], j[first]
        found.append(np.minimum(i, j) * n + np.maximum(i, j))
    return np.unique(np.concatenate(found))


def _row_dots(x: sparse.csr_matrix, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """x[i[k]] . x[j[k]] for each k, in batches (a restricted product: only the candidates' cells)."""
    out = np.empty(len(i), dtype=np.float32)
    for start in range(0, len(i), _PAIRS):
        a, b = i[start:start + _PAIRS], j[start:start + _PAIRS]
        out[start:start + len(a)] = np.asarray(x[a].multiply(x[b]).sum(axis=1)).ravel()
    return out


def _dense_pairs(vectors: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rows, cols, similarities) of every pair i < j at or above `threshold`, exactly, chunk by chunk."""
    n = vectors.shape[0]
    found_rows, found_cols, found_sims = [], [], []
    step = max(1, _CELLS // n)
    for start in range(0, n, step):
        block = vectors[start:start + step] @ vectors[start:].T
        # Upper triangle only (each pair once): column offset c is row start + c.
        block[np.tril_indices(block.shape[0], m=block.shape[1])] = -np.inf
        i, j = np.nonzero(block >= threshold)
        found_rows.append(i + start)
        found_cols.append(j + start)
        found_sims.append(block[i, j])
    return np.concatenate(found_rows), np.concatenate(found_cols), np.concatenate(found_sims)


# --- step 3: average linkage over the pairs --------------------------------------------------------------

class _Sums(Protocol):
    """Each cluster's vector sum (a row counted as many times as its claims): the dot product of two sums
    is the sum of all their cross cosines."""

    def dot(self, a: int, b: int) -> float: ...

    def merge(self, into: int, other: int) -> None: ...


class _SparseSums(_Sums):
    def __init__(self, vectors: sparse.csr_matrix, counts: np.ndarray):
        self.vectors, self.counts = vectors, counts
        self.sums: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # root -> (sorted columns, values)

    def _get(self, root: int) -> tuple[np.ndarray, np.ndarray]:
        if root in self.sums:
            return self.sums[root]
        lo, hi = self.vectors.indptr[root], self.vectors.indptr[root + 1]
        return self.vectors.indices[lo:hi], self.vectors.data[lo:hi] * self.counts[root]

    def dot(self, a: int, b: int) -> float:
        (ia, va), (ib, vb) = self._get(a), self._get(b)
        _, pa, pb = np.intersect1d(ia, ib, assume_unique=True, return_indices=True)
        return float(va[pa] @ vb[pb])

    def merge(self, into: int, other: int) -> None:
        (ia, va), (ib, vb) = self._get(into), self._get(other)
        columns, where = np.unique(np.concatenate([ia, ib]), return_inverse=True)
        self.sums[into] = columns, np.bincount(where, weights=np.concatenate([va, vb]))
        self.sums.pop(other, None)


class _DenseSums(_Sums):
    def __init__(self, vectors: np.ndarray, counts: np.ndarray):
        self.vectors, self.counts = vectors, counts
        self.sums: dict[int, np.ndarray] = {}

    def _get(self, root: int) -> np.ndarray:
        return self.sums[root] if root in self.sums else self.vectors[root] * self.counts[root]

    def dot(self, a: int, b: int) -> float:
        return float(self._get(a) @ self._get(b))

    def merge(self, into: int, other: int) -> None:
        self.sums[into] = self._get(into) + self._get(other)
        self.sums.pop(other, None)


def _average_linkage(rows: np.ndarray, cols: np.ndarray, sims: np.ndarray, sums: _Sums, counts: np.ndarray,
                     min_average: float) -> list[list[int]]:
    """Each cluster's rows (ascending), merging along the pairs from the most similar down."""
    n = len(counts)
    parent = list(range(n))
    size = counts.tolist()  # claims, not rows
    version = [0] * n  # bumped on each merge, so that a refused merge is retried only once a side grew
    refused: set[tuple[int, int, int, int]] = set()

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]  # path halving
            x = parent[x]
        return x

    order = np.lexsort((cols, rows, -sims))  # most similar first; equal ones by (row, col), i.e. by id
    for a, b, sim in zip(rows[order].tolist(), cols[order].tolist(), sims[order].tolist()):
        ra, rb = find(a), find(b)
        if ra == rb:
            continue
        if ra > rb:
            ra, rb = rb, ra
        key = (ra, version[ra], rb, version[rb])
        if version[ra] == 0 and version[rb] == 0:  # two rows as they came: every cross pair is at `sim`
            average = sim
        elif key in refused:
            continue
        else:
            average = sums.dot(ra, rb) / (size[ra] * size[rb])
        if average < min_average:
            refused.add(key)
            continue
        into, other = (ra, rb) if size[ra] >= size[rb] else (rb, ra)
        sums.merge(into, other)
        parent[other] = into
        size[into] += size[other]
        version[into] += 1
    members: dict[int, list[int]] = {}
    for x in range(n):
        members.setdefault(find(x), []).append(x)
    return list(members.values())


def _medoids(vectors: sparse.csr_matrix | np.ndarray, groups: list[list[int]], counts: np.ndarray) -> list[int]:
    """Each group's row closest to its centroid, i.e. of largest dot product with the group's sum."""
    medoids = [members[0] for members in groups]
    big = [g for g, members in enumerate(groups) if len(members) > 1]
    if not big:
        return medoids
    flat = np.concatenate([groups[g] for g in big])
    sizes = np.array([len(groups[g]) for g in big])
    owner = np.repeat(np.arange(len(big)), sizes)  # the group (among `big`) of each member in `flat`
    membership = sparse.csr_matrix((counts[flat], (owner, flat)), shape=(len(big), vectors.shape[0]))
    totals = membership @ vectors
    scores = np.empty(len(flat))
    for start in range(0, len(flat), _PAIRS):
        part = slice(start, start + _PAIRS)
        if sparse.issparse(vectors):
            products = vectors[flat[part]].multiply(totals[owner[part]]).sum(axis=1)
        else:
            products = np.einsum("ij,ij->i", vectors[flat[part]], totals[owner[part]])
        scores[part] = np.asarray(products).ravel()
    for g, start, stop in zip(big, np.cumsum(sizes) - sizes, np.cumsum(sizes)):
        group_scores = scores[start:stop]
        # Equal within rounding is a tie, which goes to the lowest id (members are ascending).
        best = group_scores.max()
        medoids[g] = groups[g][int(np.flatnonzero(group_scores >= best - 1e-6 * max(1.0, best))[0])]
    return medoids
