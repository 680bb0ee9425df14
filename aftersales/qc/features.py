"""The emotion model's feature matrix built straight from the fitted vectorisers' vocabularies.

``TfidfVectorizer.transform`` spends most of its time in per-document Python (analyser calls,
one dict update per n-gram), and jieba re-segments the same phrases again and again. This module
gives the same matrix as ``hstack([words.transform(tokenized), chars.transform(texts)])``, bit for
bit, so the shipped classifiers give identical probabilities:

* jieba segments each run of Chinese / alphanumeric characters on its own (``jieba.re_han_default``
  splits the text first), so every distinct run is segmented once and remembered;
* character 1-3-grams are looked up for the whole batch at once as integer codes in numpy;
* counts, ``log(tf) + 1``, idf and the l2 norm are applied in the vectoriser's own order and
  with the routine scikit-learn's ``normalize`` calls (without its input checks, which took longer
  than the whole matrix for a chat message arriving alone), so every float is computed the same way.

A model may ship without the word vectoriser (``words=None``): the review polarity model reads
characters only, because jieba is about three quarters of the time of a fresh review and on
categories it never saw the words add nothing the character 1-3-grams do not already carry.
"""

import re
from typing import Any

import jieba
import numpy as np
from scipy.sparse import csr_matrix, hstack
from sklearn.utils.sparsefuncs_fast import inplace_csr_row_normalize_l2

# The vectoriser settings this module replicates; a model fitted otherwise is refused.
WORD_SETTINGS = {"analyzer": "word", "ngram_range": (1, 2), "token_pattern": r"(?u)\S+"}
CHAR_SETTINGS = {"analyzer": "char", "ngram_range": (1, 3)}
COMMON_SETTINGS = {
    "lowercase": True,
    "preprocessor": None,
    "tokenizer": None,
    "stop_words": None,
    "strip_accents": None,
    "binary": False,
    "use_idf": True,
    "sublinear_tf": True,
    "norm": "l2",
    "dtype": np.float64,
}
WHITE_SPACES = re.compile(r"\s\s+")  # what the char analyser collapses to one space
RUN_CACHE_SIZE = 50_000
CODE_BITS = 21  # every code point + 1 fits in 21 bits, so three of them fit in one int64


class Features:
    """The fitted word and character vectorisers of one model file, transformed the fast way."""

    def __init__(self, words: Any | None, chars: Any) -> None:
        if words is not None:
            _check(words, WORD_SETTINGS)
        _check(chars, CHAR_SETTINGS)
        self._words = words is not None
        self._word_vocabulary: dict[str, int] = words.vocabulary_ if words is not None else {}
        self._word_idf: np.ndarray = words.idf_ if words is not None else np.zeros(0)
        self._char_idf: np.ndarray = chars.idf_
        codes = np.array([_code(term) for term in chars.vocabulary_], dtype=np.int64)
        columns = np.fromiter(chars.vocabulary_.values(), dtype=np.int64, count=len(codes))
        order = np.argsort(codes)
        self._char_codes, self._char_columns = codes[order], columns[order]
        self._runs: dict[str, list[str]] = {}
        self._dictionary: tuple[int, int] = (0, 0)

    def transform(self, texts: list[str]) -> Any:
        """Word uni/bigrams (when the model has them) then character 1-3-grams, one CSR row per text."""
        if not self._words:
            return self._char_matrix(texts)
        return hstack([self._word_matrix(texts), self._char_matrix(texts)], format="csr")

    def _word_matrix(self, texts: list[str]) -> Any:
        get = self._word_vocabulary.get
        rows: list[int] = []
        columns: list[int] = []
        for row, tokens in enumerate(segment(texts, self._known_runs())):
            grams = [*tokens, *(f"{a} {b}" for a, b in zip(tokens, tokens[1:], strict=False))]
            found = [column for column in map(get, grams) if column is not None]
            rows.extend([row] * len(found))
            columns.extend(found)
        return _tfidf(
            np.array(rows, dtype=np.int64), np.array(columns, dtype=np.int64), len(texts), self._word_idf
        )

    def _known_runs(self) -> dict[str, list[str]]:
        """The runs segmented so far, forgotten when jieba's dictionary has grown (reviews add
        their aspect words on first use) and kept to ``RUN_CACHE_SIZE`` runs."""
        dictionary = (jieba.dt.total, len(jieba.dt.FREQ))
        if dictionary != self._dictionary or len(self._runs) > RUN_CACHE_SIZE:
            self._runs, self._dictionary = {}, dictionary
        return self._runs

    def _char_matrix(self, texts: list[str]) -> Any:
        documents = [WHITE_SPACES.sub(" ", text.lower()) for text in texts]
        lengths = np.fromiter(map(len, documents), dtype=np.int64, count=len(documents))
        raw = "".join(documents).encode("utf-32-le", "surrogatepass")
        code, row = _char_grams(np.frombuffer(raw, dtype=np.uint32).astype(np.int64) + 1, lengths)
        at = np.minimum(np.searchsorted(self._char_codes, code), len(self._char_codes) - 1)
        hit = self._char_codes[at] == code
        return _tfidf(row[hit], self._char_columns[at[hit]], len(texts), self._char_idf)


def _char_grams(points: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every 1-3-gram of the concatenated documents as one integer code, with its document's row.

    Code points arrive plus one, so a shorter gram never shares a code with a longer one; a gram
    may not run past the end of its document.
    """
    total = len(points)
    row = np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)
    left = np.repeat(np.cumsum(lengths), lengths) - np.arange(total)  # characters to the document's end
    codes, rows, code = [points], [row], points
    for n in (2, 3):
        code = (code[:-1] << CODE_BITS) | points[n - 1 :]
        valid = left[: total - n + 1] >= n
        codes.append(code[valid])
        rows.append(row[: total - n + 1][valid])
    return np.concatenate(codes), np.concatenate(rows)


def segment(texts: list[str], runs: dict[str, list[str]]) -> list[list[str]]:
    """The word analyser's tokens of ``" ".join(jieba.lcut(text, HMM=False))``, for each text.

    jieba cuts each run that ``re_han_default`` splits out on its own, so a run's tokens, once
    known, are taken from ``runs``.
    """
    result = []
    for text in texts:
        tokens: list[str] = []
        for run in jieba.re_han_default.split(text):
            if run:
                cut = runs.get(run)
                if cut is None:
                    cut = runs[run] = " ".join(jieba.lcut(run, HMM=False)).lower().split()
                tokens.extend(cut)
        result.append(tokens)
    return result


def _tfidf(rows: np.ndarray, columns: np.ndarray, n_rows: int, idf: np.ndarray) -> Any:
    """Sublinear tf times idf, l2-normalised per row: ``TfidfTransformer.transform``'s steps."""
    keys, counts = np.unique(rows * len(idf) + columns, return_counts=True)
    data = counts.astype(np.float64)
    np.log(data, data)
    data += 1
    indices = keys % len(idf)
    data *= idf[indices]
    indptr = np.searchsorted(keys // len(idf), np.arange(n_rows + 1))
    matrix = csr_matrix((data, indices.astype(np.int32), indptr.astype(np.int32)), shape=(n_rows, len(idf)))
    inplace_csr_row_normalize_l2(matrix)
    return matrix


def _code(term: str) -> int:
    code = 0
    for char in term:
        code = (code << CODE_BITS) | (ord(char) + 1)
    return code


def _check(vectorizer: Any, settings: dict[str, Any]) -> None:
    params = vectorizer.get_params()
    wrong = {k: params[k] for k, v in {**COMMON_SETTINGS, **settings}.items() if params[k] != v}
    if wrong:
        raise ValueError(f"情绪模型的向量化设置与快速特征不符: {wrong}")
