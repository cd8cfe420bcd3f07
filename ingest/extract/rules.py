"""The rule-based extractor: lexicon mentions plus NegEx/ConText-style negation and
uncertainty, normal statements, hedged alternatives, modifiers, laterality, change phrases
and child observations, per sentence. The word lists are data (`wordlists/`).

Scopes: a cue before a finding governs it up to the end of its clause (`;`, `but`, `which`,
a comma that starts a new statement) or a scope breaker ("with"); a cue after a finding
governs the finding just before it and the findings listed with it. Normal statements
("the lungs are clear", "heart size is within normal limits", "no acute cardiopulmonary
abnormality") become negative observations of what the region's normality rules out.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from cxrkg.ingest.extract.lexicon import Lexicon, Span, Token, tokenize
from cxrkg.ingest.extract.records import RawObservation
from cxrkg.ingest.extract.wordlists import WordLists, load
from cxrkg.ontology.values import NORMAL_FINDINGS

# Findings that state whether something is abnormal rather than name a finding: negated,
# they are normal statements ("no acute disease"); positive, an unspecified abnormality.
STATUS_FINDINGS = ("abnormal", "disease")
NORMAL = "normal"
# Words after a normal-sounding "no findings" that make it a negation cue instead
# ("no findings to suggest pneumonia", "no findings of pneumothorax").
_CUE_AFTER_NO_FINDINGS = {
    "of",
    "to",
    "for",
    "suggestive",
    "suggesting",
    "concerning",
    "suspicious",
    "consistent",
    "that",
    "which",
    "indicating",
}
_ARTICLES = {"a", "an", "the", "some", "any"}
# Words between a finding and its region that a region-named synonym replaces with "of the"
# ("degenerative changes are present in the spine", "spurring throughout the thoracic spine").
_LINK_WORDS = {
    "of",
    "in",
    "the",
    "at",
    "within",
    "involving",
    "along",
    "throughout",
    "are",
    "is",
    "seen",
    "present",
    "noted",
}
_SEVERITY = {
    "mild",
    "mildly",
    "moderate",
    "moderately",
    "severe",
    "small",
    "large",
    "minimal",
    "trace",
    "tiny",
    "marked",
    "massive",
    "extensive",
    "there",
}
_NEGATIVE = ("negative",)
_PROJECTING = {"overlying", "overlies", "overlie", "projecting", "projects", "superimposed", "over"}
# Degree words between a copula and its predicate ("is mildly enlarged").
_DEGREE = {
    "mildly",
    "minimally",
    "moderately",
    "severely",
    "markedly",
    "slightly",
    "somewhat",
    "very",
    "quite",
    "now",
    "still",
    "again",
    "also",
    "borderline",
    "persistently",
    "stably",
    "significantly",
    "definitely",
    "otherwise",
}
_PREFIX = {
    "negative": "no ",
    "possible": "possible ",
    "may": "possible ",
    "uncertain": "possible ",
    "probable": "probable ",
    "high probability": "probable ",
    "unlikely": "unlikely ",
}
_DEFINITE = ("positive", "probable", "high probability")


@dataclass
class _Hit:
    start: int
    end: int
    value: tuple[str, ...]


def _find_phrases(words: list[str], table: dict[tuple[str, ...], tuple[str, ...]]) -> list[_Hit]:
    """Longest phrase matches of `table` over `words`, non-overlapping."""
    if not table:
        return []
    longest = max(len(k) for k in table)
    hits, i = [], 0
    while i < len(words):
        for n in range(min(longest, len(words) - i), 0, -1):
            row = table.get(tuple(words[i : i + n]))
            if row:
                hits.append(_Hit(i, i + n, row))
                i += n
                break
        else:
            i += 1
    return hits


@dataclass
class _Mention:
    span: Span
    probability: str = "positive"
    modifiers: dict[str, list[str]] = field(default_factory=dict)
    regions: list[Span] = field(default_factory=list)
    laterality: str | None = None
    changes: list[str] = field(default_factory=list)
    parent: int | None = None
    child_type: str | None = None
    first: int = 0  # first token of the phrase naming it (modifiers, laterality, region)
    last: int = 0
    status: bool = False  # a normal statement (or an unspecified abnormality)

    @property
    def normal(self) -> bool:
        """A statement that something is normal."""
        if not self.status:
            return False
        negated = self.probability in _NEGATIVE
        return negated if self.span.name in STATUS_FINDINGS else not negated


def _distance(m: _Mention, r: Span) -> tuple[int, int]:
    if r.end <= m.span.start:
        return (m.span.start - r.end, 0)
    return (r.start - m.span.end, 1)


class RuleExtractor:
    """Sentence -> raw observations, using the ontology lexicon."""

    def __init__(
        self,
        lexicon: Lexicon,
        region_ancestors: Callable[[str], list[str]] | None = None,
        words: WordLists | None = None,
    ) -> None:
        self.lexicon = lexicon
        self.region_ancestors = region_ancestors or (lambda name: [])
        self.w = words or load()

    # -- spans -------------------------------------------------------------------------
    def _composed(
        self, spans: list[Span], words: list[str], tokens: list[Token], sentence: str
    ) -> list[Span]:
        """A finding named through its region: "degenerative changes in the thoracic spine"
        is the synonym "degenerative changes of the spine" once the region is generalised."""
        taken = {i for s in spans for i in range(s.start, s.end)}
        out = list(spans)
        for r in [s for s in spans if s.kind == "region"]:
            j = r.start
            prep = []
            while j > 0 and words[j - 1] in _LINK_WORDS:
                j -= 1
                prep.insert(0, words[j])
            if not prep:
                continue
            names = [r.name, *self.region_ancestors(r.name)]
            for k in (3, 2, 1):
                start = j - k
                if start < 0 or any(i in taken for i in range(start, j)):
                    continue
                head = words[start:j]
                if not all(w[0].isalnum() for w in head):
                    continue
                hit = None
                for name in names:
                    for link in (prep, ["of", "the"], ["in", "the"], ["of"]):
                        hit = self.lexicon.lookup([*head, *link, *name.split()])
                        if hit and hit[1] == "finding":
                            break
                        hit = None
                    if hit:
                        break
                if hit:
                    # The head words name the finding; the region stays a region of it.
                    out.append(
                        Span(
                            start,
                            j,
                            "finding",
                            hit[0],
                            sentence[tokens[start].start : tokens[j - 1].end],
                        )
                    )
                    taken |= set(range(start, j))
                    break
        for r in [s for s in spans if s.kind == "region"]:
            # "mild thoracic spine degenerative change", "left hilar prominence"
            names = [r.name, *self.region_ancestors(r.name)]
            for k in (3, 2, 1):
                end = r.end + k
                if end > len(words) or any(i in taken for i in range(r.end, end)):
                    continue
                head = words[r.end : end]
                if not all(w[0].isalpha() for w in head):
                    continue
                hit = None
                for name in names:
                    bare = [w for w in name.split() if w not in ("left", "right")]
                    for cand in ([*head, "of", "the", *name.split()], [*bare, *head]):
                        hit = self.lexicon.lookup(cand)
                        if hit and hit[1] == "finding":
                            break
                        hit = None
                    if hit:
                        break
                if hit:
                    text = sentence[tokens[r.end].start : tokens[end - 1].end]
                    out.append(Span(r.end, end, "finding", hit[0], text))
                    taken |= set(range(r.end, end))
                    break
        return sorted(out, key=lambda s: s.start)

    def _predicates(
        self,
        spans: list[Span],
        words: list[str],
        tokens: list[Token],
        sentence: str,
        subject_of: dict[int, Span],
    ) -> list[Span]:
        """Findings and normal statements said of a region through a predicate: "the right
        hemidiaphragm is elevated" (elevated hemidiaphragm), "lung volumes are low", "the
        aorta is calcified and tortuous", "the lungs are clear", "bones intact"."""
        taken = {i for s in spans for i in range(s.start, s.end)}
        out = list(spans)
        ending_at = {s.end: s for s in spans if s.kind == "region"}
        for i, word in enumerate(words):
            if word in self.w.copulas:
                j = i + 1
            elif i in ending_at:  # "lungs clear", "aorta tortuous": no copula
                j = i
            else:
                continue
            region = ending_at.get(i)
            if region is None and i > 0 and words[i - 1] in self.w.aspect_nouns:
                region = ending_at.get(i - 1)  # "heart size is ...", "cardiac contours are"
            subjects = self._subjects(region, words, i)
            if not subjects:
                continue
            # "is not enlarged", "are mildly hyperinflated": cues and degrees stay outside
            while j < len(words) and (words[j] in ("not", "no", "longer") or words[j] in _DEGREE):
                j += 1
            while j < len(words) and words[j][0].isalpha() and j not in taken:
                end = self._predicate(j, region, subjects, words, tokens, sentence, out)
                if end is None:
                    break
                if region is not None:
                    subject_of[j] = region
                taken |= set(range(j, end))
                j = end
                if j >= len(words) or words[j] not in ("and", ","):
                    break
                j += 1
        for r in [s for s in spans if s.kind == "region"]:
            # "elevated right diaphragm": an adjective before the region names the finding
            j = r.start - 1
            if j >= 0 and words[j] in ("left", "right"):
                j -= 1
            if j < 0 or j in taken or not words[j][0].isalpha() or words[j] in _ARTICLES:
                continue
            if self._predicate(j, r, self._subjects(r, words, r.end), words, tokens, sentence, out):
                taken.add(j)
                subject_of[j] = r
        return sorted(out, key=lambda s: s.start)

    def _subjects(self, region: Span | None, words: list[str], end: int) -> list[list[str]]:
        """Word sequences naming what a predicate is said of, most specific first."""
        if region is not None:
            names = [words[region.start : region.end], region.name.split()]  # as written first
            bare = [[w for w in n if w not in ("left", "right")] for n in names]
            return [n for n in names + bare if n]
        lo = end
        stop = _ARTICLES | self.w.copulas | self.w.list_connectors
        while lo > 0 and end - lo < 3 and words[lo - 1][0].isalpha() and words[lo - 1] not in stop:
            lo -= 1
        return [words[k:end] for k in range(lo, end)]

    def _predicate(
        self,
        j: int,
        region: Span | None,
        subjects: list[list[str]],
        words: list[str],
        tokens: list[Token],
        sentence: str,
        out: list[Span],
    ) -> int | None:
        """Add the span the predicate at `j` names; its end, or None when it names nothing."""
        normal = _find_phrases(words[j : j + 4], self.w.normal_predicates)
        if region is not None and normal and normal[0].start == 0:
            end = j + normal[0].end
            if end >= len(words) or words[end] != "of":  # "clear of effusion" is a negation
                out.append(
                    Span(j, end, "finding", NORMAL, sentence[tokens[j].start : tokens[end - 1].end])
                )
                return end
        said_of = region.text if region is not None else " ".join(subjects[0])
        for subject in subjects:
            for before in (True, False):
                cand = [words[j], *subject] if before else [*subject, words[j]]
                hit = self.lexicon.lookup(cand)
                if hit and hit[1] == "finding" and hit[0] not in NORMAL_FINDINGS:
                    # named as the lexicon says it: "elevated right hemidiaphragm"
                    name = f"{tokens[j].raw} {said_of}" if before else f"{said_of} {tokens[j].raw}"
                    out.append(Span(j, j + 1, "finding", hit[0], name))
                    return j + 1
        return None

    def _spans(
        self, tokens: list[Token], words: list[str], sentence: str, subject_of: dict[int, Span]
    ) -> list[Span]:
        spans = self.lexicon.find(tokens, sentence)
        # "no findings to suggest pneumonia": "no findings" is the cue, not a normal statement.
        spans = [
            s
            for s in spans
            if not (
                s.kind == "finding"
                and s.name in NORMAL_FINDINGS
                and words[s.start] == "no"
                and s.end < len(words)
                and words[s.end] in _CUE_AFTER_NO_FINDINGS
            )
        ]
        spans = self._composed(spans, words, tokens, sentence)
        return self._predicates(spans, words, tokens, sentence, subject_of)

    # -- clause structure ----------------------------------------------------------------
    def _clauses(self, words: list[str]) -> list[int]:
        """Clause id per token: a terminator or a statement-starting comma opens a new one."""
        ids, cur = [], 0
        for i, w in enumerate(words):
            if w in self.w.terminators:
                cur += 1
            elif w == ",":
                nxt = words[i + 1 : i + 5]
                starts_list = bool(nxt) and nxt[0] in self.w.list_connectors
                # "no acute, displaced rib fractures": a comma right after a modifier
                starts_list |= i > 0 and words[i - 1] in self.w.modifiers
                if not starts_list and any(x in self.w.statement_words for x in nxt):
                    cur += 1
            ids.append(cur)
        return ids

    def _breaks(self, words: list[str], lo: int, hi: int) -> bool:
        """Whether a negation/uncertainty scope from `lo` stops before `hi`: "with", or an
        "and" (no comma before it) that starts a new finding ("no effusion and mild ...")."""
        for k in range(lo, hi):
            if words[k] in self.w.breakers:
                return True
            if words[k] == "and" and k > 0 and words[k - 1] != ",":
                nxt = [x for x in words[k + 1 : k + 3] if x not in _ARTICLES]
                if nxt and nxt[0] in _SEVERITY:
                    return True
        return False

    def extract(self, sentence: str) -> list[RawObservation]:
        tokens = tokenize(sentence)
        words = [t.text for t in tokens]
        if not words:
            return []
        subject_of: dict[int, Span] = {}  # predicate span start -> the region it is said of
        spans = self._spans(tokens, words, sentence, subject_of)
        clause = self._clauses(words)
        findings = [
            _Mention(
                s,
                first=s.start,
                last=s.end,
                status=s.name in NORMAL_FINDINGS or s.name in STATUS_FINDINGS,
            )
            for s in spans
            if s.kind == "finding"
        ]
        regions = [s for s in spans if s.kind == "region"]
        covered = {i for s in spans for i in range(s.start, s.end)}

        def free(hits: list[_Hit]) -> list[_Hit]:
            return [h for h in hits if not (set(range(h.start, h.end)) & covered)]

        pre = free(_find_phrases(words, self.w.pre))
        post = free(_find_phrases(words, self.w.post))
        pseudo = _find_phrases(words, self.w.pseudo)
        pseudo_tokens = {i for h in pseudo for i in range(h.start, h.end)}
        changes = free(_find_phrases(words, self.w.changes))

        for k, m in enumerate(findings):
            self._probability(m, k, findings, pre, post, pseudo_tokens, clause, words)
        # advice and disclaimers ("if there is concern for ...") name nothing that was seen
        findings = [m for m in findings if m.probability != "hypothetical"]
        self._said_normal(findings, words, clause)
        self._alternatives(findings, words, clause, covered, pseudo)
        self._children(findings, words, clause)
        self._attach_regions(findings, regions, clause, words, tokens)
        for m in findings:  # "the aorta is calcified and tortuous": both are of the aorta
            said_of = subject_of.get(m.span.start)
            if said_of is not None and said_of not in m.regions:
                m.regions.append(said_of)
        self._modifiers(findings, words, clause, covered, set(subject_of))
        finding_clauses = {clause[m.span.start] for m in findings}
        for m in findings:
            m.changes = [
                h.value[1]
                for h in changes
                if clause[h.start] == clause[m.span.start]
                and not self._breaks(words, *sorted((h.end, m.span.start)))
            ]
        for h in changes:
            # "Pleural thickening, unchanged from prior.": a change in a clause of its own
            # speaks of the nearest finding before it.
            if clause[h.start] not in finding_clauses and findings:
                prior = [m for m in findings if m.span.end <= h.start] or findings[:1]
                prior[-1].changes.append(h.value[1])
        for m in findings:
            m.changes = list(dict.fromkeys(m.changes))
            if "no new" in m.changes and "new" in m.changes:
                m.changes.remove("new")
        return self._to_raw(findings, sentence, tokens, changes, clause)

    # -- negation / uncertainty ----------------------------------------------------------
    def _probability(
        self,
        m: _Mention,
        k: int,
        findings: list[_Mention],
        pre: list[_Hit],
        post: list[_Hit],
        pseudo: set[int],
        clause: list[int],
        words: list[str],
    ) -> None:
        c = clause[m.span.start]
        in_scope = [
            h
            for h in pre
            if h.end <= m.span.start
            and clause[h.start] == c
            and h.start not in pseudo
            and not self._breaks(words, h.end, m.span.start)
        ]
        # The nearest cue governs ("no effusion, likely atelectasis"); a negation hedged by
        # "no definite" is unlikely.
        if m.status and m.span.name in NORMAL_FINDINGS:
            # "no comparison. Clear lungs" joined: only "not normal" negates a normal statement
            in_scope = [h for h in in_scope if h.end == m.span.start and words[h.start] == "not"]
        # advice governs all it covers: "if there is concern for X" is not a finding
        hypothetical = [h for h in in_scope if h.value[1] == "hypothetical"]
        best = (
            hypothetical[0] if hypothetical else max(in_scope, key=lambda h: h.start, default=None)
        )
        if best is not None:
            if best.value[1] == "negative":
                hedge = any(w in self.w.hedges for w in words[best.end : m.span.start])
                m.probability = "unlikely" if hedge else "negative"
            else:
                m.probability = best.value[1]
        hit = next(
            (
                h
                for h in post
                if h.start >= m.span.end
                and clause[h.start] == c
                and self._governs_post(m, k, findings, h, words)
            ),
            None,
        )
        if hit is not None and (best is None or best.value[1] != "negative"):
            m.probability = hit.value[1]

    def _governs_post(
        self, m: _Mention, k: int, findings: list[_Mention], h: _Hit, words: list[str]
    ) -> bool:
        """A cue after findings speaks of the nearest one and those listed with it."""
        between = [f for f in findings[k + 1 :] if f.span.end <= h.start]
        chain = [m, *between]
        for a, b in zip(chain, chain[1:], strict=False):
            if not self._listed(words[a.span.end : b.span.start]):
                return False
        return True

    def _listed(self, gap: list[str]) -> bool:
        """Whether the words between two findings only join them as items of one list."""
        return all(
            w in (",", "/")
            or w in self.w.list_connectors
            or w in self.w.alternatives
            or w in _ARTICLES
            or w in self.w.modifiers
            or w in self.w.laterality
            for w in gap
        )

    def _said_normal(self, findings: list[_Mention], words: list[str], clause: list[int]) -> None:
        """ "Heart size and pulmonary vascular engorgement appear within limits of normal": a
        finding that is the subject of a normal statement is absent."""
        for k, n in enumerate(findings):
            if not (n.status and n.normal):
                continue
            for m in reversed(findings[:k]):
                gap = words[m.span.end : n.span.start]
                if (
                    clause[m.span.start] != clause[n.span.start]
                    or m.status
                    or not all(
                        w in self.w.copulas or w in _DEGREE or w in ("and", ",", "to", "be")
                        for w in gap
                    )
                ):
                    break
                if m.probability in _DEFINITE:
                    m.probability = "negative"
                n = m

    # -- alternatives --------------------------------------------------------------------
    def _alternatives(
        self,
        findings: list[_Mention],
        words: list[str],
        clause: list[int],
        covered: set[int],
        pseudo: list[_Hit],
    ) -> None:
        """ "A or B", "A versus B", "A and/or B" in a statement that asserts them: either
        may be present, so neither is certain ("left lower lobe atelectasis or pneumonia")."""
        for k in range(1, len(findings)):
            a, b = findings[k - 1], findings[k]
            if clause[a.span.start] != clause[b.span.start] or a.status or b.status:
                continue
            gap = words[a.span.end : b.span.start]
            if not any(w in self.w.alternatives for w in gap):
                continue
            if not all(
                w in (",", "/")
                or w in self.w.list_connectors
                or w in self.w.alternatives
                or w in _ARTICLES
                or w in self.w.modifiers
                or w in self.w.laterality
                or (a.span.end + i) in covered
                for i, w in enumerate(gap)
            ):
                continue
            # "no change in the pneumothorax or effusion" asserts both; a negation denies both
            if any(
                clause[h.start] == clause[a.span.start] and h.end <= a.span.start for h in pseudo
            ):
                continue
            group = [a, b]
            j = k - 1
            while j > 0 and words[findings[j - 1].span.end : findings[j].span.start] in (
                [","],
                [",", "and"],
            ):
                group.insert(0, findings[j - 1])
                j -= 1
            for m in group:
                if m.probability in _DEFINITE:
                    m.probability = "possible"

    # -- children ------------------------------------------------------------------------
    def _children(self, findings: list[_Mention], words: list[str], clause: list[int]) -> None:
        for j in range(1, len(findings)):
            b = findings[j]
            a = findings[j - 1]
            if a.status or b.status:
                continue
            gap = words[a.span.end : b.span.start]
            hit = None
            for i in range(len(gap)):
                for n in range(min(4, len(gap) - i), 0, -1):
                    row = self.w.children.get(tuple(gap[i : i + n]))
                    if row:
                        hit = row
                        break
                if hit:
                    break
            if hit is None:
                # "X, likely A or B": B shares A's parent and child type.
                if a.parent is not None and gap and set(gap) <= {"or", ",", "versus", "vs"}:
                    b.parent, b.child_type = a.parent, a.child_type
                    b.probability = a.probability
                continue
            root = a.parent if a.parent is not None else j - 1
            parent = findings[root]
            if parent.probability in _NEGATIVE and gap and gap[0] == ",":
                continue  # "no effusion, likely atelectasis": a new statement, not a child
            if hit[1] == "associated_with" and (parent.probability in _NEGATIVE) != (
                b.probability in _NEGATIVE
            ):
                continue  # "no cardiomegaly with bilateral effusions": two statements
            b.parent, b.child_type = root, hit[1]
            if parent.probability == "negative" and hit[1] == "suggestive_of":
                b.probability = "negative"  # "no opacity to suggest pneumonia"
            elif hit[2] and b.probability == "positive":
                b.probability = hit[2]

    # -- regions and laterality ----------------------------------------------------------
    def _attach_regions(
        self,
        findings: list[_Mention],
        regions: list[Span],
        clause: list[int],
        words: list[str],
        tokens: list[Token],
    ) -> None:
        for r in regions:
            same = [m for m in findings if clause[m.span.start] == clause[r.start]]
            if not same:
                continue
            if self._landmark(r, words):
                continue
            before = [m for m in same if m.span.end <= r.start]
            # "opacity in the left upper lobe": a region after a preposition belongs to the
            # finding before it, even when another finding follows closely.
            if before and set(words[before[-1].span.end : r.start]) <= self.w.preposition_gap:
                target = before[-1]
            else:
                target = min(same, key=lambda m, r=r: _distance(m, r))
            target.regions.append(r)
            gap = words[r.end : target.span.start]
            if r.start < target.span.start and all(
                w in self.w.modifiers or w in self.w.laterality or w in ("and", ",") for w in gap
            ):
                target.first = min(target.first, r.start)
            else:
                target.last = max(target.last, r.end)
        in_region = {i for r in regions for i in range(r.start, r.end)}
        for i, w in enumerate(words):
            side = self.w.laterality.get(w)
            if side is None or i in in_region:
                continue
            same = [m for m in findings if clause[m.span.start] == clause[i]]
            after = [m for m in same if m.span.start > i and m.span.start - i <= 4]
            before = [m for m in same if m.span.end <= i and i - m.span.end <= 2]
            target = after[0] if after else (before[-1] if before else None)
            if target is None:
                continue
            target.laterality = side if target.laterality in (None, side) else "bilateral"
            target.first = min(target.first, i)
            target.last = max(target.last, i + 1)
            for implied in self.w.implied_regions.get(w, ()):
                hit = self.lexicon.lookup(implied.split())
                if hit and hit[1] == "region":
                    target.regions.append(Span(i, i + 1, "region", hit[0], tokens[i].raw))
                    break

    def _landmark(self, r: Span, words: list[str]) -> bool:
        """ "Opacity overlying the left 5th rib": a bone the finding projects over is where
        it is seen on the image, not where it is."""
        before = words[max(0, r.start - 4) : r.start]
        return any(w in _PROJECTING for w in before) and "bones" in self.region_ancestors(r.name)

    def _modifiers(
        self,
        findings: list[_Mention],
        words: list[str],
        clause: list[int],
        covered: set[int],
        predicates: set[int],
    ) -> None:
        mods = self.w.modifiers
        longest = self.w.max_modifier_words
        for m in findings:
            if m.status:
                continue
            if m.span.start in predicates:
                # "is mildly enlarged": only the degree word right before the predicate
                before = words[m.span.start - 1] if m.span.start else ""
                if before in mods:
                    mtype, value = mods[before]
                    m.modifiers.setdefault(mtype, []).append(value)
                continue
            lo = m.span.start
            # Walk left over modifiers, laterality words and regions of this finding.
            i = m.span.start - 1
            while i >= 0 and clause[i] == clause[m.span.start] and m.span.start - i <= 6:
                matched = False
                for n in range(min(longest, i + 1), 0, -1):
                    phrase = " ".join(words[i - n + 1 : i + 1])
                    if phrase in mods:
                        mtype, value = mods[phrase]
                        vals = m.modifiers.setdefault(mtype, [])
                        if value not in vals:
                            vals.insert(0, value)
                        lo = i - n + 1
                        i -= n
                        matched = True
                        break
                if matched:
                    continue
                if (
                    words[i] in self.w.laterality
                    or words[i] in ("to", "and", ",")
                    or (i in covered and any(r.start <= i < r.end for r in m.regions))
                ):
                    i -= 1
                    continue
                break
            m.first = min(m.first, lo)
            # Modifiers inside the matched words ("mild cardiomegaly" is one synonym).
            for j in range(m.span.start, m.span.end):
                hit = mods.get(words[j])
                if hit and hit[1] not in m.modifiers.get(hit[0], []):
                    m.modifiers.setdefault(hit[0], []).append(hit[1])
            if m.laterality == "bilateral":
                vals = m.modifiers.setdefault("spread", [])
                if "bilateral" not in vals:
                    vals.append("bilateral")

    # -- output --------------------------------------------------------------------------
    def _to_raw(
        self,
        findings: list[_Mention],
        sentence: str,
        tokens: list[Token],
        changes: list[_Hit],
        clause: list[int],
    ) -> list[RawObservation]:
        change_words = {i for h in changes for i in range(h.start, h.end)}
        raws: list[RawObservation] = []
        for m in findings:
            if m.status:
                raws.append(self._status_observation(m, tokens, clause))
                continue
            lo, hi = m.first, max(m.last, m.span.end)
            if _predicated(m.span, tokens, sentence):
                # "the heart is not enlarged": the predicate's own name, its modifiers first
                lo, hi = m.span.start, m.span.start
            words = [
                tokens[i].raw.lower()
                for i in range(lo, hi)
                if i not in change_words and tokens[i].text[0].isalnum()
            ]
            if lo == hi:
                words = m.span.text.lower().split()
            phrase = " ".join(words) or m.span.text.lower()
            name = re.sub(r"\s+", " ", f"{_PREFIX.get(m.probability, '')}{phrase}").strip()
            raws.append(
                RawObservation(
                    name=name,
                    entity=[m.span.name],
                    regions=[r.name for r in m.regions],
                    probability=m.probability,
                    modifiers=m.modifiers,
                    change=m.changes,
                    change_sentence=sentence if m.changes else None,
                    laterality=m.laterality,
                    child_type=m.child_type,
                )
            )
        top = [m.parent is None for m in findings]
        n_top = sum(top)
        for k, raw in enumerate(raws):
            if n_top == 1 and top[k] and not raw.change:
                raw.summary_sentence = sentence
            elif not raw.summary_sentence:
                raw.summary_sentence = _sentence_of(raw.name)
        out: list[RawObservation] = []
        for k, m in enumerate(findings):
            if m.parent is None:
                out.append(raws[k])
            else:
                raws[m.parent].children.append(raws[k])
        return out

    def _status_observation(
        self, m: _Mention, tokens: list[Token], clause: list[int]
    ) -> RawObservation:
        """A normal statement as a negative observation of what it rules out, located at the
        regions it calls normal; a global one ("no acute cardiopulmonary abnormality") rules
        out any abnormality where its words point. An unspecified abnormality: `abnormal`."""
        start = m.span.start
        while (
            start > 0
            and clause[start - 1] == clause[m.span.start]
            and tokens[start - 1].text != ","
        ):
            start -= 1
        said = tokens[start : m.span.end]
        region_names = list(dict.fromkeys(r.name for r in m.regions))
        scoped = not region_names
        if scoped:
            for t in said:
                for name in self.w.normal_scopes.get(t.text, ()):
                    hit = self.lexicon.lookup(name.split())
                    if hit and hit[1] == "region" and hit[0] not in region_names:
                        region_names.append(hit[0])
        if not m.normal:
            return RawObservation(
                name=re.sub(r"\s+", " ", m.span.text.lower()),
                entity=["abnormal"],
                regions=region_names,
                probability="positive" if m.probability in _NEGATIVE else m.probability,
                laterality=m.laterality,
            )
        # "clear lungs": a predicate word inside the statement calls its region normal
        if scoped and _find_phrases([t.text for t in said], self.w.normal_predicates):
            scoped = False
        entities: list[str] = []
        for name in [] if scoped else region_names:
            ruled_out = self.w.normal_aspects.get(name) or next(
                (
                    self.w.normal_aspects[a]
                    for a in self.region_ancestors(name)
                    if a in self.w.normal_aspects and self._aspect_inherits(name)
                ),
                None,
            )
            entities.append(ruled_out or "abnormal")
        entities = list(dict.fromkeys(entities)) or ["abnormal"]
        surface = [r.text.lower() for r in m.regions]
        if surface:
            verb = "are" if len(surface) > 1 or surface[0].endswith("s") else "is"
            where = " and ".join(dict.fromkeys(surface))
            name, summary = f"normal {where}", f"The {where} {verb} normal."
        else:
            text = " ".join(t.raw.lower() for t in said if t.text[0].isalnum())
            text = text if len(said) <= 10 else m.span.text.lower()
            name, summary = text, _sentence_of(text)
        return RawObservation(
            name=name,
            summary_sentence=summary,
            entity=entities,
            regions=region_names,
            probability="negative",
            laterality=m.laterality,
        )

    def _aspect_inherits(self, region: str) -> bool:
        """Lung parts inherit "clear" -> no opacity; other parts say only "no abnormality"."""
        return any(a in ("lungs", "left lung", "right lung") for a in self.region_ancestors(region))


def _predicated(span: Span, tokens: list[Token], sentence: str) -> bool:
    """A span added for a predicate carries its own name instead of the sentence's words."""
    return span.text != sentence[tokens[span.start].start : tokens[span.end - 1].end]


def _sentence_of(name: str) -> str:
    return f"No {name[3:]}." if name.startswith("no ") else f"{name[:1].upper()}{name[1:]}."
