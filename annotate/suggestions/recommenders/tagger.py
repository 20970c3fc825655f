"""tagger: the model in the loop, a linear tagger that learns the project's spans from its layers.

Articles are cut into tokens (`\\w+|[^\\w\\s]`, code-point offsets kept); each token is described by
its lowercased word, its first and last three characters, its shape ("Xx", "d", "X.X."), whether it
is a quote mark or between quote marks, its Arabic-folded form (annotate/suggestions/textnorm.py) when
that differs, and the words (and for the next ones, the shapes) two tokens either side. A logistic-loss
SGDClassifier (averaged) over those features tags each token B, I or O. Options `epochs` (5) and
`alpha` (1e-5) are the SGD's.

Its cost is in the rows it fits: of the tokens far from any span of a label (more than two tokens
away) it trains on a sample (option `outside_sample`, 0.25), weighted to count as many as they stand
for; 1k articles of 4,000 characters train in 11-14 CPU seconds, 16-30 s of wall time on a busy
two-core machine (bench/tagger_bench.py).

Overlapping spans: BIO cannot nest, so there is one B/I/O model per label. Spans of different labels
may overlap, as they do in the layers (a QUOTE that is also a CLAIM, a SOURCE inside STANCE_EVIDENCE);
within one label, when the training data nests or overlaps two spans, the outer (the earlier, then the
longer) is learned and the other left out. The tagger therefore proposes non-overlapping spans per label.
The models share one feature matrix, so a label more costs one more SGD fit, not a second pass over
the text.

Decoding (LabelModel.tags): a token is in a span when its probability of O is below 0.5, and then B
or I by which of the two is the likelier; a B starts a span, an I continues one (an I without a B
starts one too), an O ends it. A span's score is the mean of its tokens' probabilities of being in a
span (1 - P(O)). Only labels seen in training are proposed, and of those, the ones the project still
has. Option `labels`: learn only these (default: every label).
"""
import io
import re
import warnings
import zipfile
from array import array
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import orjson
from scipy.sparse import csr_matrix
from scipy.special import expit

from ..base import BaseRecommender, Document, Example, Guesses, RecommenderError, SpanGuess
from ..registry import register
from ..textnorm import fold_word

TOKEN = re.compile(r"\w+|[^\w\s]")
QUOTES = frozenset("\"'«»‹›“”„‟‘’‚‛「」『』")
OPENING = frozenset("«‹„“「『\"")  # “ closes a „ (German), " closes a " (straight quotes alternate)
CLOSING = frozenset("»›”‟」』")
OUT, BEGIN, INSIDE = 0, 1, 2  # the tags, as the classes the models learn
NEIGHBOURS = (-2, -1, 1, 2)
OUTSIDE_SAMPLE = 0.25  # of the tokens far from a label's spans, the share its model trains on
STATE_VERSION = 1


def tokens(text: str) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), m.group()) for m in TOKEN.finditer(text)]


def shape(word: str) -> str:
    """Upper letters X, other letters x, digits d, anything else itself; runs of one kind kept once."""
    out = []
    for char in word:
        if char.isdigit():
            kind = "d"
        elif char.isalpha():
            kind = "X" if char.isupper() else "x"
        else:
            kind = char
        if not out or out[-1] != kind:
            out.append(kind)
    return "".join(out)


def word_features(word: str) -> tuple[list[str], dict[int, list[str]]]:
    """A word's own features, and what it says of the token `k` places away (k in NEIGHBOURS)."""
    lower = word.lower()
    own = ["bias", "w=" + lower, "p3=" + lower[:3], "s3=" + lower[-3:], "sh=" + shape(word)]
    if word in QUOTES:
        own.append("quote")
    folded = fold_word(word)
    if folded != lower:
        own.append("ar=" + folded)
    around = {k: [f"w{k:+d}={lower}"] for k in NEIGHBOURS}
    for k in (-1, 1):
        around[k].append(f"sh{k:+d}={shape(word)}")
    return own, around


class Features:
    """Feature strings to column numbers, with each distinct word's columns worked out once."""

    def __init__(self, columns: dict[str, int] | None = None):
        self.columns = columns if columns is not None else {}
        self.growing = columns is None  # training adds columns; predicting ignores what it never saw
        self._words: dict[str, tuple] = {}

    def _ids(self, names: list[str]) -> list[int]:
        if self.growing:
            return [self.columns.setdefault(name, len(self.columns)) for name in names]
        return [self.columns[name] for name in names if name in self.columns]

    def _word(self, word: str) -> tuple:
        ids = self._words.get(word)
        if ids is None:
            own, around = word_features(word)
            ids = self._words[word] = (self._ids(own), {k: self._ids(names) for k, names in around.items()})
        return ids

    def rows(self, text: str, toks: list[tuple[int, int, str]], indices: array, indptr: array) -> None:
        """Append one row per token of one document (its own columns, its neighbours', whether it is
        between quote marks)."""
        n = len(toks)
        edge = {k: self._ids([f"w{k:+d}=<edge>"]) for k in NEIGHBOURS}
        quoted = self._ids(["in-quotes"])
        described = [self._word(t[2]) for t in toks]
        inside = between_quotes(text, toks)
        for i in range(n):
            indices.extend(described[i][0])
            if inside[i]:
                indices.extend(quoted)
            for k in NEIGHBOURS:
                j = i - k  # the token k places before i says k of itself: "w-1=minister" on the next word
                indices.extend(described[j][1][k] if 0 <= j < n else edge[k])
            indptr.append(len(indices))


def between_quotes(text: str, toks: list[tuple[int, int, str]]) -> list[bool]:
    """Whether each token is inside quotation marks: a long direct quote's middle words say nothing of
    it within two tokens, and a per-token model would otherwise cut the quote where they are unsure.
    “…”, «…», „…“ and "…", nested too; single quotes are apostrophes too often to count. A line break
    ends an unclosed quote (a paragraph that quotes on does not close it)."""
    out, open_marks, end = [], [], 0
    for start, stop, token in toks:
        if open_marks and "\n" in text[end:start]:
            open_marks = []
        end = stop
        top = open_marks[-1] if open_marks else None
        if token in CLOSING or (token == "“" and top == "„") or (token == '"' and top == '"'):
            if open_marks:
                open_marks.pop()
        elif token in OPENING:
            open_marks.append(token)
        else:
            out.append(bool(open_marks))
            continue
        out.append(False)  # the mark itself is not quoted
    return out


def matrix(features: Features, documents: list[tuple[str, list[tuple[int, int, str]]]]) -> csr_matrix:
    # Typed arrays, not lists: a list holds an 8-byte pointer and a 28-byte int object per column number,
    # about 40 bytes for each of the ~14 columns of each token (hundreds of MB for 1k articles).
    indices, indptr = array("i"), array("q", [0])
    for text, toks in documents:
        features.rows(text, toks, indices, indptr)
    indices_array = np.frombuffer(indices, dtype=np.int32)
    data = np.ones(len(indices_array), dtype=np.float64)
    return csr_matrix((data, indices_array, np.frombuffer(indptr, dtype=np.int64)),
                      shape=(len(indptr) - 1, len(features.columns)))


def tags(spans: list[tuple[int, int]], toks: list[tuple[int, int, str]]) -> list[int]:
    """B/I/O of one label over one document's tokens: a token overlapping a span is in it."""
    out = [OUT] * len(toks)
    starts = [t[0] for t in toks]
    taken_until = -1
    for start, end in sorted(spans, key=lambda s: (s[0], -s[1])):
        if start < taken_until:
            continue  # nested in or overlapping the outer span already learned
        taken_until = end
        first = True
        i = max(bisect_right(starts, start) - 1, 0)
        while i < len(toks) and toks[i][0] < end:
            if toks[i][1] > start:
                out[i] = BEGIN if first else INSIDE
                first = False
            i += 1
    return out


def sample_outside(y: np.ndarray, rate: float, random: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Which tokens to train one label's model on, and their weights: every token in a span or within
    two tokens of one, and a `rate` share of the others, weighted 1 / rate so the loss stays the same
    in expectation. Most tokens are far from any span of a label and say the same thing (O); the fit's
    time is in proportion to the rows, and this keeps 1k articles within a minute on two cores."""
    if rate >= 1:
        return np.ones(len(y), dtype=bool), np.ones(len(y))
    near = y != OUT
    for shift in (1, 2):  # tokens of the next or previous document: no harm, a few more rows kept
        near[shift:] |= y[:-shift] != OUT
        near[:-shift] |= y[shift:] != OUT
    keep = near | (random.random(len(y)) < rate)
    return keep, np.where(near[keep], 1.0, 1.0 / rate)


@dataclass(frozen=True)
class LabelModel:
    """What one label's fitted SGDClassifier predicts with: its classes (of OUT, BEGIN, INSIDE), weights
    and intercepts, as float32 (half the size; the probabilities differ from float64's in the 7th digit)."""
    classes: np.ndarray
    coef: np.ndarray  # (1 or 3, columns): one row when only two classes were seen
    intercept: np.ndarray

    @classmethod
    def of(cls, model) -> "LabelModel":  # a fitted sklearn SGDClassifier
        return cls(model.classes_.astype(np.int8), model.coef_.astype(np.float32),
                   model.intercept_.astype(np.float32))

    def tags(self, X: csr_matrix) -> tuple[np.ndarray, np.ndarray]:
        """Each token's tag and the probability that it is in a span (1 - P(O)).

        The probabilities are SGDClassifier(loss="log_loss").predict_proba's: one-vs-rest sigmoids,
        divided by their sum. A token is in a span when that is likelier than not, and then B or I by
        which of the two is the likelier: not the argmax of the three, which cuts a long span wherever a
        token inside it is unsure of B against I (O 0.4, B 0.3, I 0.3 is a token in a span)."""
        p = expit(X @ self.coef.T + self.intercept)
        if len(self.classes) == 2:  # one model, the second class against the first
            p = np.hstack([1 - p, p])
        else:
            p /= p.sum(axis=1, keepdims=True)
        column = {tag: n for n, tag in enumerate(self.classes.tolist())}
        none = np.zeros(len(p))
        outside = p[:, column[OUT]] if OUT in column else none
        begin = p[:, column[BEGIN]] if BEGIN in column else none
        inside = p[:, column[INSIDE]] if INSIDE in column else none
        tag = np.where(outside >= 0.5, OUT, np.where(begin >= inside, BEGIN, INSIDE)).astype(np.int8)
        return tag, 1 - outside


@register
class TaggerRecommender(BaseRecommender):
    kind = "tagger"
    trainable = True

    def __init__(self, project, settings=None):
        super().__init__(project, settings)
        self._columns: dict[str, int] | None = None
        self._models: dict[str, LabelModel] = {}

    @property
    def options(self) -> dict:
        options = getattr(self.settings, "options", None)  # no settings in tests and benches
        return options if isinstance(options, dict) else {}

    @property
    def trained(self) -> bool:
        return self._columns is not None

    def train(self, examples: Iterable[Example]) -> dict:
        wanted = self.options.get("labels")
        wanted = set(wanted) if wanted else None
        texts, documents, by_label = [], [], []
        for example in examples:
            spans: dict[str, list[tuple[int, int]]] = {}
            for label, start, end, _ in example.spans:
                if wanted is None or label in wanted:
                    spans.setdefault(label, []).append((start, end))
            texts.append(example.document.text)
            documents.append(tokens(example.document.text))
            by_label.append(spans)
        labels = sorted({label for spans in by_label for label in spans})
        if not labels:
            raise RecommenderError(f"{self.name} has nothing to learn: the examples have no spans"
                                   + (f" of {', '.join(sorted(wanted))}." if wanted else "."))
        features = Features()
        X = matrix(features, list(zip(texts, documents)))
        # Imported here: scikit-learn takes seconds to import, and only training needs it (predicting reads
        # the stored weights with numpy), so web workers and attribution-only runs never pay for it.
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.linear_model import SGDClassifier

        models, rows = {}, 0
        outside = float(self.options.get("outside_sample", OUTSIDE_SAMPLE))
        random = np.random.default_rng(0)
        for label in labels:
            y = np.fromiter((tag for toks, spans in zip(documents, by_label)
                             for tag in tags(spans.get(label, []), toks)), dtype=np.int8, count=X.shape[0])
            keep, weight = sample_outside(y, outside, random)
            rows += len(weight)
            # Averaged SGD: the plain one's last steps swing a label's boundaries from one training to the
            # next (exact-span recall of QUOTE from 0.96 to 0.35 with the outside tokens sampled); the
            # average of the weights over the epochs does not, and costs nothing more to fit.
            model = SGDClassifier(loss="log_loss", alpha=float(self.options.get("alpha", 1e-5)),
                                  max_iter=int(self.options.get("epochs", 5)), tol=1e-3, average=True,
                                  n_jobs=2, random_state=0)
            with warnings.catch_warnings():
                # A fixed number of epochs is the time budget, not an accident: not converging within it
                # says nothing the summary does not, and would fill the run's log once per label.
                warnings.simplefilter("ignore", ConvergenceWarning)
                model.fit(X[keep], y[keep], sample_weight=weight)
            models[label] = LabelModel.of(model)
        self._columns, self._models = features.columns, models
        return {"articles": len(documents), "tokens": X.shape[0], "features": len(features.columns),
                "rows_per_label": rows // len(labels),
                "labels": {label: int(sum(len(s.get(label, [])) for s in by_label)) for label in labels}}

    def dump(self) -> bytes:
        if not self.trained:
            raise RecommenderError(f"{self.name} has nothing to store: it is not trained yet.")
        # Plain arrays in an .npz, not a pickled estimator: loading a pickle runs whatever code it names,
        # and what a linear model needs to predict is its weights. Columns in order, as JSON bytes.
        names = sorted(self._columns, key=self._columns.__getitem__)
        arrays = {"version": np.array(STATE_VERSION),
                  "columns": np.frombuffer(orjson.dumps(names), dtype=np.uint8),
                  "labels": np.frombuffer(orjson.dumps(list(self._models)), dtype=np.uint8)}
        for n, model in enumerate(self._models.values()):
            arrays |= {f"classes{n}": model.classes, f"coef{n}": model.coef, f"intercept{n}": model.intercept}
        buffer = io.BytesIO()
        np.savez_compressed(buffer, **arrays)
        return buffer.getvalue()

    def load(self, data: bytes) -> None:
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as state:
                if int(state["version"]) != STATE_VERSION:
                    raise ValueError(f"state version {int(state['version'])}, expected {STATE_VERSION}")
                names = orjson.loads(state["columns"].tobytes())
                labels = orjson.loads(state["labels"].tobytes())
                models = {label: LabelModel(state[f"classes{n}"], state[f"coef{n}"], state[f"intercept{n}"])
                          for n, label in enumerate(labels)}
        except (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile, orjson.JSONDecodeError) as error:
            raise RecommenderError(f"{self.name}: its stored state cannot be read ({error}); train it again.") from None
        self._columns, self._models = {name: i for i, name in enumerate(names)}, models

    def predict(self, documents: Sequence[Document]) -> list[Guesses]:
        if not self.trained:
            raise RecommenderError(f"{self.name} is not trained yet: train it on the project's submitted "
                                   "or adjudicated layers first.")
        answers = [Guesses() for _ in documents]
        if not documents:
            return answers
        toks = [tokens(document.text) for document in documents]
        X = matrix(Features(self._columns), [(document.text, doc) for document, doc in zip(documents, toks)])
        bounds = np.cumsum([0] + [len(doc) for doc in toks])
        for label, model in self._models.items():
            if self.project.labels and label not in self.project.labels:
                continue
            tag, p = model.tags(X)
            for d, doc in enumerate(toks):
                answers[d].spans.extend(decode(label, doc, tag[bounds[d]:bounds[d + 1]], p[bounds[d]:bounds[d + 1]]))
        for guesses in answers:
            guesses.spans.sort(key=lambda guess: (guess.start, guess.end, guess.label))
        return answers


def decode(label: str, toks, tag: np.ndarray, p: np.ndarray) -> list[SpanGuess]:
    """Spans of one label from one document's tags (OUT, BEGIN, INSIDE) and their probabilities."""
    runs: list[list[int]] = []  # token indexes of each span
    tagged = np.flatnonzero(tag != OUT).tolist()
    for i, t in zip(tagged, tag[tagged].tolist()):
        # A B starts a span; an I continues the span just before it, or starts one after an O.
        if t == BEGIN or not runs or runs[-1][-1] != i - 1:
            runs.append([i])
        else:
            runs[-1].append(i)
    scores = p.tolist()
    return [SpanGuess(label=label, start=toks[run[0]][0], end=toks[run[-1]][1],
                      score=round(sum(scores[i] for i in run) / len(run), 4)) for run in runs]
