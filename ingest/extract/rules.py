"""The rule-based extractor: lexicon mentions plus NegEx/ConText-style negation and
uncertainty, modifiers, laterality, change phrases and child observations, per sentence.

Scopes end at the clause: `;`, `but`, `however`, `although`, `which`, ... and at a comma
that starts a new statement (a comma inside a list of findings keeps the scope open).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from cxrkg.ingest.extract.lexicon import Lexicon, Span, Token, tokenize
from cxrkg.ingest.extract.records import RawObservation
from cxrkg.ontology.values import MODIFIERS

# -- trigger tables ------------------------------------------------------------------------
# (phrase, probability). Pre-triggers precede the finding; post-triggers follow it.
PRE_TRIGGERS: list[tuple[str, str]] = [
    ("no evidence of", "negative"),
    ("no signs of", "negative"),
    ("no sign of", "negative"),
    ("no radiographic evidence of", "negative"),
    ("no findings of", "negative"),
    ("no", "negative"),
    ("not", "negative"),
    ("without", "negative"),
    ("free of", "negative"),
    ("negative for", "negative"),
    ("absence of", "negative"),
    ("absent", "negative"),
    ("resolution of", "negative"),
    ("resolved", "negative"),
    ("clear of", "negative"),
    ("nor", "negative"),
    ("neither", "negative"),
    ("no longer", "negative"),
    ("rather than", "negative"),
    ("removal of", "negative"),
    ("cannot exclude", "possible"),
    ("can not exclude", "possible"),
    ("cannot rule out", "possible"),
    ("can not rule out", "possible"),
    ("possible", "possible"),
    ("possibly", "possible"),
    ("questionable", "possible"),
    ("question of", "possible"),
    ("suspicious for", "possible"),
    ("suspected", "possible"),
    ("concerning for", "possible"),
    ("worrisome for", "possible"),
    ("suggestion of", "possible"),
    ("equivocal", "uncertain"),
    ("indeterminate", "uncertain"),
    ("uncertain", "uncertain"),
    ("may represent", "may"),
    ("may be", "may"),
    ("may", "may"),
    ("might", "may"),
    ("could represent", "may"),
    ("could be", "may"),
    ("perhaps", "may"),
    ("most likely", "high probability"),
    ("highly likely", "high probability"),
    ("likely", "probable"),
    ("probable", "probable"),
    ("probably", "probable"),
    ("presumed", "probable"),
    ("suggestive of", "probable"),
    ("suggests", "probable"),
    ("consistent with", "probable"),
    ("compatible with", "probable"),
    ("less likely", "unlikely"),
    ("unlikely", "unlikely"),
    ("doubtful", "unlikely"),
    ("rule out", "possible"),
    ("r / o", "possible"),
    ("evaluate for", "possible"),
    ("?", "possible"),
]
POST_TRIGGERS: list[tuple[str, str]] = [
    ("is not seen", "negative"),
    ("are not seen", "negative"),
    ("not seen", "negative"),
    ("not identified", "negative"),
    ("not visualized", "negative"),
    ("not present", "negative"),
    ("not demonstrated", "negative"),
    ("not appreciated", "negative"),
    ("not evident", "negative"),
    ("not detected", "negative"),
    ("is absent", "negative"),
    ("are absent", "negative"),
    ("has resolved", "negative"),
    ("have resolved", "negative"),
    ("resolved", "negative"),
    ("no longer seen", "negative"),
    ("no longer visualized", "negative"),
    ("no longer present", "negative"),
    ("has been removed", "negative"),
    ("have been removed", "negative"),
    ("removed", "negative"),
    ("ruled out", "negative"),
    ("is excluded", "negative"),
    ("has cleared", "negative"),
    ("have cleared", "negative"),
    ("cannot be excluded", "possible"),
    ("can not be excluded", "possible"),
    ("cannot be ruled out", "possible"),
    ("not excluded", "possible"),
    ("not ruled out", "possible"),
    ("is possible", "possible"),
    ("is suspected", "possible"),
    ("is questioned", "possible"),
    ("is not excluded", "possible"),
    ("is likely", "probable"),
    ("is favored", "probable"),
    ("is probable", "probable"),
    ("is unlikely", "unlikely"),
    ("is less likely", "unlikely"),
]
# Phrases that look like negation but are not: they speak of change, not absence.
PSEUDO_NEGATION = (
    "no change",
    "no significant change",
    "no interval change",
    "not changed",
    "without change",
    "without significant change",
    "no appreciable change",
    "not significantly changed",
    "no increase",
    "no decrease",
    "not only",
)
# "no definite X": a hedged negative.
HEDGES = ("definite", "definitive", "convincing", "obvious", "discrete", "clear")

# Change phrase -> values.CHANGES entry.
CHANGE_PHRASES: list[tuple[str, str]] = [
    ("no new", "no new"),
    ("interval placement", "interval placement"),
    ("newly placed", "interval placement"),
    ("has been placed", "interval placement"),
    ("partially resolved", "partially resolved"),
    ("partial resolution", "partially resolved"),
    ("no change", "unchanged"),
    ("no significant change", "unchanged"),
    ("no interval change", "unchanged"),
    ("not changed", "unchanged"),
    ("without change", "unchanged"),
    ("no appreciable change", "unchanged"),
    ("again seen", "persistent"),
    ("again noted", "persistent"),
    ("again demonstrated", "persistent"),
    ("redemonstrated", "persistent"),
    ("re demonstrated", "persistent"),
    ("interval increase", "increased"),
    ("interval decrease", "decreased"),
    ("interval development", "new"),
    ("interval improvement", "improved"),
    ("interval worsening", "worsened"),
    ("interval resolution", "resolved"),
    ("newly", "new"),
    ("new", "new"),
    ("worsened", "worsened"),
    ("worsening", "worsened"),
    ("worse", "worsened"),
    ("progressed", "worsened"),
    ("progression", "worsened"),
    ("progressive", "worsened"),
    ("increased", "increased"),
    ("increasing", "increased"),
    ("enlarging", "increased"),
    ("larger", "increased"),
    ("improved", "improved"),
    ("improving", "improved"),
    ("improvement", "improved"),
    ("decreased", "decreased"),
    ("decreasing", "decreased"),
    ("smaller", "decreased"),
    ("diminished", "decreased"),
    ("reduced", "decreased"),
    ("unchanged", "unchanged"),
    ("stable", "stable"),
    ("stably", "stable"),
    ("similar", "unchanged"),
    ("persistent", "persistent"),
    ("persists", "persistent"),
    ("persisting", "persistent"),
    ("persist", "persistent"),
    ("resolved", "resolved"),
    ("resolving", "resolved"),
    ("resolution", "resolved"),
    ("cleared", "resolved"),
    ("recurrent", "recurrent"),
    ("recurrence", "recurrent"),
    ("removed", "removed"),
    ("removal", "removed"),
    ("repositioned", "repositioned"),
    ("retracted", "repositioned"),
    ("advanced", "repositioned"),
]
# Words that end a scope.
TERMINATORS = {
    "but",
    "however",
    "although",
    "though",
    "whereas",
    "while",
    "except",
    "which",
    "yet",
    "otherwise",
    "aside",
    "apart",
    ";",
    ":",
}
# Words after a comma that show a new statement starts (the comma ends the scope).
STATEMENT_WORDS = {
    "there",
    "is",
    "are",
    "was",
    "were",
    "has",
    "have",
    "seen",
    "noted",
    "present",
    "demonstrated",
    "identified",
    "again",
    "stable",
    "unchanged",
    "persistent",
    "shows",
    "show",
    "appears",
    "appear",
    "remains",
    "remain",
}
LIST_CONNECTORS = {"or", "and", "nor"}

# Connector phrase between finding A and a later finding B making B a child of A.
CHILD_CONNECTORS: list[tuple[str, str, str | None]] = [
    # (phrase, child_type, probability of the child or None = its own)
    ("likely representing", "suggestive_of", "probable"),
    ("likely represents", "suggestive_of", "probable"),
    ("likely reflecting", "suggestive_of", "probable"),
    ("likely reflects", "suggestive_of", "probable"),
    ("most likely representing", "suggestive_of", "high probability"),
    ("most likely represents", "suggestive_of", "high probability"),
    ("most likely", "suggestive_of", "high probability"),
    ("likely", "suggestive_of", "probable"),
    ("may represent", "suggestive_of", "may"),
    ("may reflect", "suggestive_of", "may"),
    ("could represent", "suggestive_of", "may"),
    ("may be", "suggestive_of", "may"),
    ("possibly representing", "suggestive_of", "possible"),
    ("possibly", "suggestive_of", "possible"),
    ("representing", "suggestive_of", "probable"),
    ("reflecting", "suggestive_of", "probable"),
    ("consistent with", "suggestive_of", "probable"),
    ("compatible with", "suggestive_of", "probable"),
    ("suggestive of", "suggestive_of", "probable"),
    ("suspicious for", "suggestive_of", "possible"),
    ("concerning for", "suggestive_of", "possible"),
    ("worrisome for", "suggestive_of", "possible"),
    ("to suggest", "suggestive_of", None),
    ("suggesting", "suggestive_of", "possible"),
    ("due to", "caused_by", None),
    ("secondary to", "caused_by", None),
    ("related to", "caused_by", None),
    ("caused by", "caused_by", None),
    ("associated with", "associated_with", None),
    ("with", "associated_with", None),
    ("versus", "differential_diagnosis", "possible"),
    ("vs", "differential_diagnosis", "possible"),
]

LATERALITY_WORDS = {
    "left": "left",
    "right": "right",
    "bilateral": "bilateral",
    "bilaterally": "bilateral",
    "both": "bilateral",
    "bibasilar": "bilateral",
    "bibasal": "bilateral",
    "biapical": "bilateral",
    "bilat": "bilateral",
}
# Bilateral words that also name a region (looked up in the lexicon).
IMPLIED_REGIONS = {
    "bibasilar": ("lung bases", "lung base", "bases"),
    "bibasal": ("lung bases", "lung base", "bases"),
    "biapical": ("lung apices", "apices", "apical zone", "lung apex"),
}

_MODIFIER_OF: dict[str, tuple[str, str]] = {}
for _type, _values in MODIFIERS.items():
    for _v in _values:
        _MODIFIER_OF[_v.replace("-", " ")] = (_type, _v)
for _alias, _canon in (
    ("mildly", "mild"),
    ("minimally", "minimal"),
    ("moderately", "moderate"),
    ("severely", "severe"),
    ("slightly", "mild"),
    ("slight", "mild"),
    ("markedly", "marked"),
    ("small to moderate", "moderate"),
    ("mild to moderate", "moderate"),
    ("moderate to large", "large"),
    ("moderate to severe", "severe"),
    ("trace", "trace"),
    ("tiny", "tiny"),
    ("patchy", "patchy"),
    ("ground glass", "ground-glass"),
    ("ill defined", "ill-defined"),
    ("well defined", "well-defined"),
    ("chronic appearing", "chronic"),
    ("chronically", "chronic"),
    ("diffusely", "diffuse"),
    ("focally", "focal"),
):
    for _type, _values in MODIFIERS.items():
        if _canon in _values:
            _MODIFIER_OF[_alias] = (_type, _canon)
_MAX_MOD = max(k.count(" ") + 1 for k in _MODIFIER_OF)

# Sentences about a region being normal are negative observations of these findings
# (pattern on the lower-cased sentence, finding names tried in order, region surface).
NORMAL_STATEMENTS: list[tuple[re.Pattern[str], tuple[str, ...], str]] = [
    (
        re.compile(
            r"\b(heart|cardiac|cardiomediastinal|cardio mediastinal|mediastinal)\b[^.;]*"
            r"\b(normal|within normal limits|unremarkable|not enlarged|upper limits? of normal|"
            r"stable|size is normal|normal size)\b"
        ),
        ("cardiomegaly", "enlarged cardiac silhouette", "cardiac enlargement"),
        "heart",
    ),
    (
        re.compile(r"\blungs?\b[^.;]*\b(clear|well aerated|well expanded and clear)\b"),
        ("lung opacity", "opacity", "airspace opacity", "consolidation"),
        "lungs",
    ),
    (
        re.compile(
            r"\b(osseous|bony|skeletal|bones?)\b[^.;]*\b(intact|unremarkable|normal|"
            r"no acute|grossly intact)\b"
        ),
        ("fracture", "bone fracture"),
        "bones",
    ),
    (
        re.compile(r"\bpleural spaces?\b[^.;]*\b(clear|normal|unremarkable)\b"),
        ("pleural effusion",),
        "pleural spaces",
    ),
]
# "The heart is enlarged": positive findings stated through a region.
ABNORMAL_STATEMENTS: list[tuple[re.Pattern[str], tuple[str, ...]]] = [
    (
        re.compile(
            r"\b(heart|cardiac silhouette|cardiac shadow|cardiomediastinal silhouette|"
            r"heart size|cardiac size)\b[^.;]*\b(enlarged|enlargement|large|prominent)\b"
        ),
        ("cardiomegaly", "enlarged cardiac silhouette"),
    ),
    (
        re.compile(r"\blungs?\b[^.;]*\b(hyperinflated|hyperexpanded|hyperlucent|overinflated)\b"),
        ("hyperinflation", "lung hyperinflation", "emphysema"),
    ),
    (
        re.compile(r"\b(low lung volumes|lungs? (are|is) (hypoinflated|hypoexpanded))\b"),
        ("low lung volumes", "hypoinflation", "lung hypoinflation"),
    ),
]


def _phrase_table(rows: list[tuple[str, ...]]) -> dict[tuple[str, ...], tuple[str, ...]]:
    return {tuple(r[0].split()): r for r in rows}


_PRE = _phrase_table(PRE_TRIGGERS)
_POST = _phrase_table(POST_TRIGGERS)
_CHANGE = _phrase_table(CHANGE_PHRASES)
_CHILD = _phrase_table(CHILD_CONNECTORS)
_PSEUDO = {tuple(p.split()) for p in PSEUDO_NEGATION}


@dataclass
class _Hit:
    start: int
    end: int
    value: tuple[str, ...]


def _find_phrases(words: list[str], table: dict[tuple[str, ...], tuple[str, ...]]) -> list[_Hit]:
    """Longest phrase matches of `table` over `words`, non-overlapping."""
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


PREPOSITION_GAP = {
    "in",
    "the",
    "at",
    "of",
    "within",
    "over",
    "involving",
    "bilateral",
    "left",
    "right",
    "both",
    "a",
    "an",
    "along",
    "projecting",
    "overlying",
    "seen",
    "noted",
    "is",
    "are",
    "there",
    "lower",
    "upper",
    "mid",
    "middle",
}


def _distance(m: _Mention, r: Span) -> tuple[int, int]:
    if r.end <= m.span.start:
        return (m.span.start - r.end, 0)
    return (r.start - m.span.end, 1)


class RuleExtractor:
    """Sentence -> raw observations, using the ontology lexicon."""

    def __init__(
        self, lexicon: Lexicon, region_ancestors: Callable[[str], list[str]] | None = None
    ) -> None:
        self.lexicon = lexicon
        self.region_ancestors = region_ancestors or (lambda name: [])

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
            while j > 0 and words[j - 1] in ("of", "in", "the", "at", "within", "involving"):
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
        return sorted(out, key=lambda s: s.start)

    # -- clause structure ----------------------------------------------------------------
    @staticmethod
    def _clauses(words: list[str]) -> list[int]:
        """Clause id per token: a terminator or a statement-starting comma opens a new one."""
        ids, cur = [], 0
        for i, w in enumerate(words):
            if w in TERMINATORS:
                cur += 1
            elif w == ",":
                nxt = words[i + 1 : i + 5]
                starts_list = bool(nxt) and nxt[0] in LIST_CONNECTORS
                if not starts_list and any(x in STATEMENT_WORDS for x in nxt):
                    cur += 1
            ids.append(cur)
        return ids

    def extract(self, sentence: str) -> list[RawObservation]:
        tokens = tokenize(sentence)
        words = [t.text for t in tokens]
        if not words:
            return []
        spans = self._composed(self.lexicon.find(tokens, sentence), words, tokens, sentence)
        clause = self._clauses(words)
        findings = [_Mention(s, first=s.start, last=s.end) for s in spans if s.kind == "finding"]
        regions = [s for s in spans if s.kind == "region"]
        covered = {i for s in spans for i in range(s.start, s.end)}

        pre = [h for h in _find_phrases(words, _PRE) if not (set(range(h.start, h.end)) & covered)]
        post = _find_phrases(words, _POST)
        pseudo = _find_phrases(words, {k: (" ".join(k),) for k in _PSEUDO})
        pseudo_tokens = {i for h in pseudo for i in range(h.start, h.end)}
        changes = [
            h for h in _find_phrases(words, _CHANGE) if not (set(range(h.start, h.end)) & covered)
        ]

        for m in findings:
            self._probability(m, findings, pre, post, pseudo_tokens, clause, words)
        self._children(findings, words, clause)
        self._attach_regions(findings, regions, clause, words, tokens)
        self._modifiers(findings, words, clause, covered)
        finding_clauses = {clause[m.span.start] for m in findings}
        for m in findings:
            m.changes = [h.value[1] for h in changes if clause[h.start] == clause[m.span.start]]
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
        observations = self._to_raw(findings, sentence, tokens, changes)
        if not any(m.parent is None for m in findings):
            observations += self._statements(sentence)
        return observations

    # -- negation / uncertainty ----------------------------------------------------------
    def _probability(
        self,
        m: _Mention,
        findings: list[_Mention],
        pre: list[_Hit],
        post: list[_Hit],
        pseudo: set[int],
        clause: list[int],
        words: list[str],
    ) -> None:
        c = clause[m.span.start]
        best: _Hit | None = None
        for h in pre:
            if (
                h.end <= m.span.start
                and clause[h.start] == c
                and h.start not in pseudo
                and (best is None or h.start > best.start)
            ):
                best = h
        negated_before = any(
            h.value[1] == "negative"
            and h.end <= m.span.start
            and clause[h.start] == c
            and h.start not in pseudo
            for h in pre
        )
        post_hit = next((h for h in post if h.start >= m.span.end and clause[h.start] == c), None)
        if negated_before:
            neg_end = max(
                h.end
                for h in pre
                if h.value[1] == "negative"
                and h.end <= m.span.start
                and clause[h.start] == c
                and h.start not in pseudo
            )
            # "no definite X" hedges the negation; "clear, without X" does not.
            hedge = any(w in HEDGES for w in words[neg_end : m.span.start])
            m.probability = "unlikely" if hedge else "negative"
        elif best is not None:
            m.probability = best.value[1]
        if post_hit is not None and not negated_before:
            m.probability = post_hit.value[1]

    # -- children ------------------------------------------------------------------------
    def _children(self, findings: list[_Mention], words: list[str], clause: list[int]) -> None:
        for j in range(1, len(findings)):
            b = findings[j]
            a = findings[j - 1]
            gap = words[a.span.end : b.span.start]
            hit = None
            for i in range(len(gap)):
                for n in range(min(4, len(gap) - i), 0, -1):
                    row = _CHILD.get(tuple(gap[i : i + n]))
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
            b.parent, b.child_type = root, hit[1]
            parent = findings[root]
            if parent.probability == "negative" and hit[1] == "suggestive_of":
                b.probability = "negative"  # "no opacity to suggest pneumonia"
            elif hit[2] is not None and b.probability == "positive":
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
        tops = findings
        for r in regions:
            same = [m for m in tops if clause[m.span.start] == clause[r.start]]
            if not same:
                continue
            before = [m for m in same if m.span.end <= r.start]
            # "opacity in the left upper lobe": a region after a preposition belongs to the
            # finding before it, even when another finding follows closely.
            if before and set(words[before[-1].span.end : r.start]) <= PREPOSITION_GAP:
                target = before[-1]
            else:
                target = min(same, key=lambda m, r=r: _distance(m, r))
            target.regions.append(r)
            gap = words[r.end : target.span.start]
            if r.end <= target.span.start and all(
                w in _MODIFIER_OF or w in LATERALITY_WORDS or w in ("and", ",") for w in gap
            ):
                target.first = min(target.first, r.start)
            else:
                target.last = max(target.last, r.end)
        in_region = {i for r in regions for i in range(r.start, r.end)}
        for i, w in enumerate(words):
            side = LATERALITY_WORDS.get(w)
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
            for implied in IMPLIED_REGIONS.get(w, ()):
                hit = self.lexicon.lookup(implied.split())
                if hit and hit[1] == "region":
                    target.regions.append(Span(i, i + 1, "region", hit[0], tokens[i].raw))
                    break

    def _modifiers(
        self, findings: list[_Mention], words: list[str], clause: list[int], covered: set[int]
    ) -> None:
        for m in findings:
            lo = m.span.start
            # Walk left over modifiers, laterality words and regions of this finding.
            i = m.span.start - 1
            while i >= 0 and clause[i] == clause[m.span.start] and m.span.start - i <= 6:
                matched = False
                for n in range(min(_MAX_MOD, i + 1), 0, -1):
                    phrase = " ".join(words[i - n + 1 : i + 1])
                    if phrase in _MODIFIER_OF:
                        mtype, value = _MODIFIER_OF[phrase]
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
                    words[i] in LATERALITY_WORDS
                    or words[i] in ("to", "and", ",")
                    or (i in covered and any(r.start <= i < r.end for r in m.regions))
                ):
                    i -= 1
                    continue
                break
            m.first = min(m.first, lo)
            # Modifiers inside the matched words ("mild cardiomegaly" is one synonym).
            for j in range(m.span.start, m.span.end):
                hit = _MODIFIER_OF.get(words[j])
                if hit and hit[1] not in m.modifiers.get(hit[0], []):
                    m.modifiers.setdefault(hit[0], []).append(hit[1])
            if m.laterality == "bilateral":
                vals = m.modifiers.setdefault("spread", [])
                if "bilateral" not in vals:
                    vals.append("bilateral")

    # -- output --------------------------------------------------------------------------
    def _to_raw(
        self, findings: list[_Mention], sentence: str, tokens: list[Token], changes: list[_Hit]
    ) -> list[RawObservation]:
        change_words = {i for h in changes for i in range(h.start, h.end)}
        raws: list[RawObservation] = []
        for m in findings:
            words = [
                tokens[i].raw.lower()
                for i in range(m.first, max(m.last, m.span.end))
                if i not in change_words and tokens[i].text[0].isalnum()
            ]
            phrase = " ".join(words) or m.span.text.lower()
            prefix = {
                "negative": "no ",
                "possible": "possible ",
                "may": "possible ",
                "uncertain": "possible ",
                "probable": "probable ",
                "high probability": "probable ",
                "unlikely": "unlikely ",
            }.get(m.probability, "")
            name = re.sub(r"\s+", " ", f"{prefix}{phrase}").strip()
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
            else:
                raw.summary_sentence = _sentence_of(raw.name)
        out: list[RawObservation] = []
        for k, m in enumerate(findings):
            if m.parent is None:
                out.append(raws[k])
            else:
                raws[m.parent].children.append(raws[k])
        return out

    def _statements(self, sentence: str) -> list[RawObservation]:
        """Region-level statements ("heart size is normal", "the heart is enlarged")."""
        low = sentence.lower()
        out: list[RawObservation] = []
        negated = re.search(r"\b(no|not|without)\b", low) is not None
        for pattern, names in ABNORMAL_STATEMENTS:
            if pattern.search(low):
                name = next((n for n in names if self.lexicon.lookup(n.split())), None)
                if name:
                    concept = self.lexicon.lookup(name.split())[0]
                    prob = (
                        "negative"
                        if re.search(r"\bnot (enlarged|large|prominent)", low)
                        else "positive"
                    )
                    mods = {}
                    for word, (mtype, value) in _MODIFIER_OF.items():
                        if re.search(rf"\b{re.escape(word)}\b", low):
                            mods.setdefault(mtype, []).append(value)
                    reg = self.lexicon.lookup(["heart"]) if concept == names[0] else None
                    out.append(
                        RawObservation(
                            name=("no " if prob == "negative" else "") + name,
                            summary_sentence=sentence,
                            entity=[concept],
                            regions=[reg[0]] if reg and reg[1] == "region" else [],
                            probability=prob,
                            modifiers=mods,
                        )
                    )
                    return out
        for pattern, names, region in NORMAL_STATEMENTS:
            if pattern.search(low) and not (negated and "no acute" not in low):
                name = next((n for n in names if self.lexicon.lookup(n.split())), None)
                if name:
                    concept = self.lexicon.lookup(name.split())[0]
                    reg = self.lexicon.lookup(region.split())
                    out.append(
                        RawObservation(
                            name=f"no {name}",
                            summary_sentence=sentence,
                            entity=[concept],
                            regions=[reg[0]] if reg and reg[1] == "region" else [],
                            probability="negative",
                        )
                    )
        return out


def _sentence_of(name: str) -> str:
    return f"No {name[3:]}." if name.startswith("no ") else f"{name[:1].upper()}{name[1:]}."
