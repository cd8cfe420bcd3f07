"""The one internal model: `SceneGraph`, what every source yields and the loader writes.

It follows the fields of MIMIC-Ext-CXR-QBA's `sxxxxxxxx.scene_graph.json` and
`sxxxxxxxx.metadata.json`, plus what Chest ImaGenome adds (per-image objects with
original-pixel boxes, attribute relations, comparison relations to the previous study,
study order). Every model keeps unknown fields (`extra="allow"`), so nothing a source
carries is dropped on the way into the graph.
"""

from __future__ import annotations

import hashlib
import json
from math import isfinite
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from cxrkg.ontology.values import (
    EXTRACTION_CRITERIA,
    QA_CRITERIA,
    criterion_of,
    quality_code,
    quality_name,
    read_quality,
    release_quality,
    unknown_quality_keys,
)

LOC = "localization_quality"


def _quality_record(value: Any) -> Any:
    """Quality keys in the seed's or the release's spelling, values as codes or names:
    cxrkg keeps the seed's keys and the option names (see ontology/values.py). A value no
    criterion knows stays as given, for `_check_quality` to reject naming its field."""
    if not isinstance(value, dict):
        return value
    try:
        return read_quality(value)
    except ValueError:
        out: dict[str, Any] = {}
        for key, item in value.items():
            try:
                out.update(read_quality({key: item}))
            except ValueError:
                out[criterion_of(key) or key] = item
        return out


def _loc_quality(value: Any) -> Any:
    return quality_name(LOC, value)


# -- input limits: what the graph can hold exactly (docs/graph-model.md, "Input limits") ----
MAX_ID_BYTES = 200  # an id becomes a file name (`<study_id>.qa.json`): 255 bytes at most
MAX_NESTING = 64  # levels of JSON objects and lists in one study
INT64 = (-(2**63), 2**63 - 1)  # graph integers are 64-bit
FLOAT_DIGITS = 15  # FalkorDB answers doubles with 15 significant digits


class FieldProblem(ValueError):
    """A value the graph cannot hold as given; `field` is its dotted path in the study."""

    def __init__(self, field: str, problem: str):
        # a key of hostile input may be in the path: keep the message encodable
        self.field = field.encode("utf-8", "backslashreplace").decode("utf-8")
        self.problem = problem
        super().__init__(f"{self.field}: {problem}" if field else problem)


def check_identifier(value: str) -> str:
    """Ids become graph keys and file names (`qa/p10/p10000001/s50000001.qa.json`): no path
    separators, no `.`/`..`, no control characters, at most MAX_ID_BYTES bytes."""
    size = len(value.encode("utf-8", "surrogatepass"))
    if not value or size > MAX_ID_BYTES:
        raise ValueError(f"an id has 1 to {MAX_ID_BYTES} bytes of UTF-8, this one {size}")
    if value in (".", "..") or any(c in value for c in "/\\") or not value.isprintable():
        raise ValueError(
            f"{value[:60]!r} cannot be an id: ids become file names, so no '/', '\\', '.' or"
            " '..' alone, and no control or invisible characters"
        )
    return value


def _graph_float(value: float) -> float:
    """A finite double, kept to the 15 significant digits the store gives back."""
    if value.is_integer() and -1e15 < value < 1e15:
        return value  # the common case, and exact already
    if not isfinite(value):
        raise ValueError(f"{value} is not a finite number")
    return float(f"{value:.{FLOAT_DIGITS}g}")


# Strict: pydantic would read true as 1 and "7" as 7, a stored value the input did not hold.
Identifier = Annotated[str, AfterValidator(check_identifier)]
GraphFloat = Annotated[float, Field(strict=True), AfterValidator(_graph_float)]
GraphInt = Annotated[int, Field(strict=True, ge=INT64[0], le=INT64[1])]
Number = Annotated[float, Field(strict=True, allow_inf_nan=False)]  # kept in JSON text
BBox = tuple[GraphFloat, GraphFloat, GraphFloat, GraphFloat]
QualityValue = Annotated[str, Field(strict=True)] | GraphInt | GraphFloat | None


def hostile_value(data: Any) -> FieldProblem | None:
    """The first value in raw (JSON-like) input, or in models built from it, that the graph
    cannot hold exactly: nesting past MAX_NESTING, a NaN or infinite number, text with a lone
    UTF-16 surrogate or a NUL. Recursion stops at MAX_NESTING, so any depth is safe."""
    try:
        _scan(data, 0)
    except _Found as found:
        return FieldProblem(".".join(str(k) for k in reversed(found.path)), found.problem)
    return None


class _Found(Exception):
    def __init__(self, problem: str):
        self.problem = problem
        self.path: list[Any] = []


def _scan(value: Any, depth: int) -> None:
    # Hot on every study (~500 values each): leaves are checked inline, type dispatch without
    # isinstance chains, and a path is built only when something is found.
    kind = type(value)
    if kind is str:
        if "\x00" in value or not value.isascii():
            problem = _text_problem(value)
            if problem:
                raise _Found(problem)
        return
    if kind is float:
        if not isfinite(value):
            raise _Found(f"{value} is not a finite number")
        return
    if kind is not dict and kind is not list and kind is not tuple:
        if not isinstance(value, BaseModel):
            return
        value = {**value.__dict__, **(value.__pydantic_extra__ or {})}
    if depth >= MAX_NESTING:
        raise _Found(f"nested deeper than {MAX_NESTING} levels")
    items = value.items() if type(value) is dict else enumerate(value)
    for key, item in items:
        try:
            if type(key) is str and ("\x00" in key or not key.isascii()):
                problem = _text_problem(key)
                if problem:
                    raise _Found(f"a key: {problem}")
            sub = type(item)
            if sub is str:
                if "\x00" in item or not item.isascii():
                    _scan(item, depth + 1)
            elif sub is float:
                if not isfinite(item):
                    _scan(item, depth + 1)
            elif sub is not int and sub is not bool and item is not None:
                _scan(item, depth + 1)
        except _Found as found:
            found.path.append(key)
            raise


def _text_problem(text: str) -> str | None:
    if "\x00" in text:
        return "the text holds a NUL character"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return f"the text holds a lone UTF-16 surrogate ({text[exc.start]!r}), which is not text"
    return None


def _without_nulls(quality: dict[str, Any]) -> dict[str, Any]:
    """A criterion whose value is null is no criterion (the graph cannot store a null
    property): dropped here, so the study reads back as it was accepted."""
    if None not in quality.values():
        return quality
    return {k: v for k, v in quality.items() if v is not None}


# criterion -> its option names and integer codes (quality_mappings.csv)
_QUALITY_OPTIONS: dict[str, tuple[frozenset[str], frozenset[int]]] = {
    criterion: (frozenset(o.name for o in options), frozenset(o.code for o in options))
    for criterion, options in {**QA_CRITERIA, **EXTRACTION_CRITERIA}.items()
}


def _check_quality(field: str, quality: dict[str, Any]) -> None:
    """A known quality criterion takes one of its options (name or integer code)."""
    for criterion, value in quality.items():
        known = _QUALITY_OPTIONS.get(criterion)
        if known is None or value is None:
            continue  # an unknown criterion is kept as given and caps no grade
        kind = type(value)
        if kind is str and value in known[0]:
            continue
        if kind is float and value.is_integer():
            value, kind = int(value), int
        if kind is int and value in known[1]:
            continue
        options = EXTRACTION_CRITERIA.get(criterion) or QA_CRITERIA[criterion]
        listed = ", ".join(f"{o.name} ({o.code})" for o in options)
        raise FieldProblem(
            f"{field}.{criterion}", f"unknown value {quality[criterion]!r}; known: {listed}"
        )


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)

    def extras(self) -> dict[str, Any]:
        return dict(self.__pydantic_extra__ or {})


class Sentence(_Model):
    sent_id: str
    section: str | None = None
    section_type: str | None = None
    sentence: str


class RegionRef(_Model):
    region: str
    distances: list[Any] = Field(default_factory=list)


class Localization(_Model):
    """Boxes of one observation or region on one image, (x1, y1, x2, y2) in pixels."""

    image_id: Identifier
    localization_reference_ids: list[str] = Field(default_factory=list)
    bboxes: list[BBox] = Field(default_factory=list)
    instance_mask_ids: list[str] = Field(default_factory=list)
    missing_localization: list[str] = Field(default_factory=list)
    is_fallback: bool = False
    localization_quality: QualityValue = None

    quality_names = field_validator("localization_quality", mode="before")(_loc_quality)

    @field_validator("bboxes")
    @classmethod
    def _boxes_ordered(cls, boxes: list[BBox]) -> list[BBox]:
        for box in boxes:
            x1, y1, x2, y2 = box
            if x2 < x1 or y2 < y1:
                raise ValueError(f"box {list(box)} is not (x1, y1, x2, y2) with x1<=x2, y1<=y2")
        return boxes


class Observation(_Model):
    obs_id: str
    name: str = ""
    summary_sentence: str | None = None
    child_type: str | None = None
    child_level: GraphInt = 0
    regions: list[RegionRef] = Field(default_factory=list)
    non_resolved_regions: list[str] = Field(default_factory=list)
    laterality: str | None = None
    default_regions: list[str] = Field(default_factory=list)
    obs_entities: list[str] = Field(default_factory=list)
    obs_entities_parents: list[str] = Field(default_factory=list)
    non_resolved_obs_entities: list[str] = Field(default_factory=list)
    obs_categories: list[str] = Field(default_factory=list)
    obs_subcategories: list[str] = Field(default_factory=list)
    probability: str | None = None
    certainty: str | None = None
    positiveness: str | None = None
    modifiers: dict[str, list[str]] = Field(default_factory=dict)
    changes: list[str] = Field(default_factory=list)
    change_sentence: str | None = None
    from_report: bool = True
    obs_quality: dict[str, QualityValue] = Field(default_factory=dict)
    localization: dict[str, Localization] = Field(default_factory=dict)

    quality_names = field_validator("obs_quality", mode="before")(_quality_record)

    @field_validator("modifiers", mode="before")
    @classmethod
    def _modifier_lists(cls, value: Any) -> Any:
        # QBA writes modifiers as {type: [values]}; accept a bare string or null too.
        if isinstance(value, dict):
            return {
                k: ([] if v is None else [v] if isinstance(v, str) else v) for k, v in value.items()
            }
        if isinstance(value, list):  # the answer-style [[type, value], ...]
            out: dict[str, list[str]] = {}
            for i, pair in enumerate(value):
                if not isinstance(pair, list | tuple) or len(pair) != 2:
                    raise ValueError(f"modifiers[{i}] is not a [type, value] pair")
                out.setdefault(str(pair[0]), []).append(str(pair[1]))
            return out
        return value

    @field_validator("modifiers")
    @classmethod
    def _modifier_types(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        # The graph stores modifiers as "type:value": a type with ':' would read back split.
        for kind in value:
            if ":" in kind:
                raise ValueError(
                    f"modifier type {kind!r} contains ':', which separates type and value"
                )
        return value

    _obs_quality = field_validator("obs_quality")(_without_nulls)

    @model_validator(mode="after")
    def _keys_match(self) -> Observation:
        _check_quality("obs_quality", self.obs_quality)
        _check_localization_keys(self.localization)
        return self


class Indication(_Model):
    indication_summary: str | None = None
    patient_info: str | None = None
    indication: str | None = None
    evaluation: str | None = None
    associated_sentence_ids: list[str] = Field(default_factory=list)
    associated_obs_ids: list[str] = Field(default_factory=list)
    answer_for_indication: Observation | None = None


class Region(_Model):
    region: str
    laterality: str | None = None
    localization: dict[str, Localization] = Field(default_factory=dict)
    region_localization_quality: QualityValue = None

    quality_names = field_validator("region_localization_quality", mode="before")(_loc_quality)

    @model_validator(mode="after")
    def _keys_match(self) -> Region:
        _check_localization_keys(self.localization)
        return self


def _check_localization_keys(localization: dict[str, Localization]) -> None:
    """`localization` is keyed by image id: a key naming another image would be stored
    under the key's image with the value's boxes."""
    for key, loc in localization.items():
        if key != loc.image_id:
            raise FieldProblem(
                f"localization.{key}", f"the key differs from its image_id {loc.image_id!r}"
            )


class LocatedAt(_Model):
    region: str
    observation_id: str
    distances: list[Any] = Field(default_factory=list)
    where_specified: str | None = None


class ObsRelation(_Model):
    parent_observation_id: str
    child_observation_id: str
    child_type: str | None = None


class ObsSentRelation(_Model):
    observation_id: str
    sentence_id: str


class RegionRegionRelation(_Model):
    region: str
    related_region: str
    relation_type: str


class Image(_Model):
    """One image of the study (DICOM metadata where the source has it)."""

    image_id: Identifier
    view_position: str | None = None
    patient_orientation: str | None = None
    width: GraphInt | None = None
    height: GraphInt | None = None
    path: str | None = None
    localization_quality: QualityValue = None

    quality_names = field_validator("localization_quality", mode="before")(_loc_quality)

    @property
    def is_frontal(self) -> bool:
        return (self.view_position or "").upper() in {"PA", "AP", "AP AXIAL", "PA LLD", "AP LLD"}


class ImageObject(_Model):
    """A Chest ImaGenome object: an anatomical box on one image (224px and original pixels)."""

    object_id: str
    image_id: str
    bbox_name: str
    x1: Number | None = None
    y1: Number | None = None
    x2: Number | None = None
    y2: Number | None = None
    width: Number | None = None
    height: Number | None = None
    original_x1: Number | None = None
    original_y1: Number | None = None
    original_x2: Number | None = None
    original_y2: Number | None = None
    original_width: Number | None = None
    original_height: Number | None = None
    synsets: list[str] = Field(default_factory=list)
    name: str | None = None


class AttributeRelation(_Model):
    """A Chest ImaGenome attribute entry: what the report says of one anatomical location."""

    image_id: str
    bbox_name: str
    object_id: str | None = None
    synsets: list[str] = Field(default_factory=list)
    name: str | None = None
    attributes: list[list[str]] = Field(default_factory=list)  # [["category|yes|label", ...], ...]
    attributes_ids: list[list[str]] = Field(default_factory=list)
    phrases: list[str] = Field(default_factory=list)
    phrase_IDs: list[str] = Field(default_factory=list)
    sections: list[str] = Field(default_factory=list)
    comparison_cues: list[list[str]] = Field(default_factory=list)
    temporal_cues: list[list[str]] = Field(default_factory=list)
    severity_cues: list[list[str]] = Field(default_factory=list)
    texture_cues: list[list[str]] = Field(default_factory=list)


class ComparisonRelation(_Model):
    """A Chest ImaGenome comparison of one anatomical location with the previous study."""

    relationship_id: str
    bbox_name: str
    subject_id: str  # object_id on the current image
    object_id: str  # object_id on the previous image
    predicate: str | None = None
    synsets: list[str] = Field(default_factory=list)
    relationship_names: list[str] = Field(default_factory=list)  # "comparison|yes|improved"
    relationship_contexts: list[Number] = Field(default_factory=list)
    phrase: str | None = None
    attributes: list[str] = Field(default_factory=list)

    @property
    def previous_image_id(self) -> str:
        return self.object_id.rsplit("_", 1)[0] if "_" in self.object_id else self.object_id

    @property
    def current_image_id(self) -> str:
        return self.subject_id.rsplit("_", 1)[0] if "_" in self.subject_id else self.subject_id

    @property
    def changes(self) -> list[str]:
        return [n.rsplit("|", 1)[-1] for n in self.relationship_names]


class StudyMetadata(_Model):
    """`sxxxxxxxx.metadata.json` / a study_metadata row (known columns named, rest kept)."""

    split: str | None = None
    procedure: str | None = None
    num_observations: GraphInt | None = None
    timestamp_since_first: Number | None = None
    timespan_since_prev: Number | None = None
    quality: dict[str, QualityValue] | None = None


class SceneGraph(_Model):
    patient_id: Identifier
    study_id: Identifier
    sentences: dict[str, Sentence] = Field(default_factory=dict)
    top_level_obs_ids: list[str] = Field(default_factory=list)
    observations: dict[str, Observation] = Field(default_factory=dict)
    indication: Indication | None = None
    regions: dict[str, Region] = Field(default_factory=dict)
    located_at_relations: list[LocatedAt] = Field(default_factory=list)
    obs_relations: list[ObsRelation] = Field(default_factory=list)
    obs_sent_relations: list[ObsSentRelation] = Field(default_factory=list)
    region_region_relations: list[RegionRegionRelation] = Field(default_factory=list)
    study_quality: dict[str, QualityValue] = Field(default_factory=dict)
    study_img_localization_quality: dict[str, QualityValue] = Field(default_factory=dict)

    # Beyond the QBA scene graph: images, study metadata, longitudinal order, ImaGenome.
    images: dict[str, Image] = Field(default_factory=dict)
    metadata: StudyMetadata | None = None
    split: str | None = None
    study_order: GraphInt | None = None
    study_datetime: str | None = None
    gender: str | None = None
    age_decile: str | None = None
    reason_for_exam: str | None = None
    image_objects: list[ImageObject] = Field(default_factory=list)
    attribute_relations: list[AttributeRelation] = Field(default_factory=list)
    comparison_relations: list[ComparisonRelation] = Field(default_factory=list)
    source: str = Field("qba", description="qba, imagenome, padchest, reports, iu, ...")
    _origin: str | None = PrivateAttr(None)
    _content_hash: str | None = PrivateAttr(None)

    @property
    def origin(self) -> str | None:
        """The file (or zip member) this scene graph was read from, for messages."""
        return self._origin

    def with_origin(self, origin: str) -> SceneGraph:
        self._origin = origin
        return self

    @field_validator("patient_id", "study_id", mode="before")
    @classmethod
    def _id_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

    _study_quality = field_validator("study_quality")(_without_nulls)

    @model_validator(mode="before")
    @classmethod
    def _no_hostile_values(cls, data: Any) -> Any:
        problem = hostile_value(data)
        if problem is not None:
            raise problem
        return data

    quality_names = field_validator("study_quality", mode="before")(_quality_record)

    @field_validator("study_img_localization_quality", mode="before")
    @classmethod
    def _image_quality(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: _loc_quality(v) for k, v in value.items()}
        return value

    @model_validator(mode="after")
    def _references_resolve(self) -> SceneGraph:
        """Every relation must point at an observation, sentence or region of this study;
        keys agree with the ids they name; quality values are known."""
        _check_quality("study_quality", self.study_quality)
        for key, img in self.images.items():
            if key != img.image_id:
                raise FieldProblem(
                    f"images.{key}", f"the key differs from its image_id {img.image_id!r}"
                )
        obs = set(self.observations)
        if self.indication and self.indication.answer_for_indication:
            obs.add(self.indication.answer_for_indication.obs_id)
        for key, o in self.observations.items():
            if key != o.obs_id:
                raise ValueError(f"observations.{key}: its obs_id is {o.obs_id!r}")
        for key, s in self.sentences.items():
            if key != s.sent_id:
                raise ValueError(f"sentences.{key}: its sent_id is {s.sent_id!r}")
        for key, r in self.regions.items():
            if key != r.region:
                raise ValueError(f"regions.{key}: its region is {r.region!r}")
        for i, oid in enumerate(self.top_level_obs_ids):
            if oid not in obs:
                raise ValueError(f"top_level_obs_ids[{i}]: unknown observation {oid!r}")
        for i, rel in enumerate(self.located_at_relations):
            if rel.observation_id not in obs:
                raise ValueError(
                    f"located_at_relations[{i}].observation_id: unknown observation"
                    f" {rel.observation_id!r}"
                )
            if rel.region not in self.regions:
                raise ValueError(f"located_at_relations[{i}].region: unknown region {rel.region!r}")
        for i, rel in enumerate(self.obs_relations):
            for fld in ("parent_observation_id", "child_observation_id"):
                if getattr(rel, fld) not in obs:
                    raise ValueError(
                        f"obs_relations[{i}].{fld}: unknown observation {getattr(rel, fld)!r}"
                    )
        for i, rel in enumerate(self.obs_sent_relations):
            if rel.observation_id not in obs:
                raise ValueError(
                    f"obs_sent_relations[{i}].observation_id: unknown observation"
                    f" {rel.observation_id!r}"
                )
            if rel.sentence_id not in self.sentences:
                raise ValueError(
                    f"obs_sent_relations[{i}].sentence_id: unknown sentence {rel.sentence_id!r}"
                )
        for i, rel in enumerate(self.region_region_relations):
            for fld in ("region", "related_region"):
                if getattr(rel, fld) not in self.regions:
                    raise ValueError(
                        f"region_region_relations[{i}].{fld}: unknown region {getattr(rel, fld)!r}"
                    )
        if self.indication:
            for i, sid in enumerate(self.indication.associated_sentence_ids):
                if sid not in self.sentences:
                    raise ValueError(
                        f"indication.associated_sentence_ids[{i}]: unknown sentence {sid!r}"
                    )
            for i, oid in enumerate(self.indication.associated_obs_ids):
                if oid not in obs:
                    raise ValueError(
                        f"indication.associated_obs_ids[{i}]: unknown observation {oid!r}"
                    )
        return self

    @model_validator(mode="after")
    def _study_quality_covers_observations(self) -> SceneGraph:
        """A criterion the file leaves out of `study_quality` but its observations carry is
        their worst value (how QBA's study quality aggregates them), so an observation-level
        DISCARDED still caps the study."""
        for criterion in EXTRACTION_CRITERIA:
            if self.study_quality.get(criterion) is not None:
                continue
            values = [
                o.obs_quality[criterion]
                for o in self.observations.values()
                if o.obs_quality.get(criterion) is not None
            ]
            if values:
                self.study_quality[criterion] = min(
                    values, key=lambda v, c=criterion: quality_code(c, v)
                )
        return self

    # -- helpers every consumer wants ----------------------------------------------------
    def all_observations(self) -> dict[str, Observation]:
        """Observations including the indication's answer observation (OIND)."""
        out = dict(self.observations)
        if self.indication and self.indication.answer_for_indication:
            oind = self.indication.answer_for_indication
            out[oind.obs_id] = oind
        return out

    def content_hash(self) -> str:
        """A stable hash of everything in the scene graph (idempotent re-ingest).

        A source that read the study from files sets it from the raw bytes instead
        (`with_content_hash`), which is much cheaper than dumping the model.
        """
        if self._content_hash is None:
            payload = json.dumps(
                self.model_dump(mode="json", exclude_none=False),
                sort_keys=True,
                separators=(",", ":"),
                ensure_ascii=False,
            )
            self._content_hash = hashlib.sha256(payload.encode("utf-8")).hexdigest()[:24]
        return self._content_hash

    def with_content_hash(self, digest: str) -> SceneGraph:
        self._content_hash = digest
        return self

    def unknown_quality(self) -> list[tuple[str, str, Any]]:
        """(field, key, value) of every quality key no criterion has: it grades nothing,
        so whoever loads the study must hear of it."""
        out = [
            ("study_quality", k, self.study_quality[k])
            for k in unknown_quality_keys(self.study_quality)
        ]
        for oid, obs in self.all_observations().items():
            where = (
                "indication.answer_for_indication"
                if self.indication and obs is self.indication.answer_for_indication
                else f"observations.{oid}"
            )
            out += [
                (f"{where}.obs_quality", k, obs.obs_quality[k])
                for k in unknown_quality_keys(obs.obs_quality)
            ]
        return out

    def to_qba_json(self) -> dict[str, Any]:
        """The release's `sxxxxxxxx.scene_graph.json`: quality under the real key names as raw
        integer codes; no `images` or `metadata` (they go to `.metadata.json`); cxrkg's own
        additions only where they hold something."""
        data = self.model_dump(mode="json")
        data.pop("images", None)
        data.pop("metadata", None)
        for key in ("image_objects", "attribute_relations", "comparison_relations"):
            if not data.get(key):
                data.pop(key, None)
        for key in (
            "split",
            "study_order",
            "study_datetime",
            "gender",
            "age_decile",
            "reason_for_exam",
        ):
            if data.get(key) is None:
                data.pop(key, None)
        data["study_quality"] = release_quality(data["study_quality"])
        data["study_img_localization_quality"] = {
            k: quality_code(LOC, v) for k, v in data["study_img_localization_quality"].items()
        }
        for obs in data["observations"].values():
            _release_holder(obs, "obs_quality")
        if data.get("indication") and data["indication"].get("answer_for_indication"):
            _release_holder(data["indication"]["answer_for_indication"], "obs_quality")
        for region in data["regions"].values():
            _release_holder(region, None)
            region["region_localization_quality"] = quality_code(
                LOC, region.get("region_localization_quality")
            )
        return data

    def metadata_json(self) -> dict[str, Any]:
        """The release's `sxxxxxxxx.metadata.json`: the study's metadata as loaded, and its
        images (a real scene_graph.json has none; readers look here and in image_metadata)."""
        out: dict[str, Any] = {"patient_id": self.patient_id, "study_id": self.study_id}
        if self.metadata is not None:
            out.update(self.metadata.model_dump(mode="json", exclude_none=True))
        if self.images:
            out["images"] = {
                k: {
                    **img.model_dump(mode="json", exclude_none=True),
                    **(
                        {LOC: quality_code(LOC, img.localization_quality)}
                        if img.localization_quality is not None
                        else {}
                    ),
                }
                for k, img in self.images.items()
            }
        return out


def _release_holder(holder: dict[str, Any], quality_field: str | None) -> None:
    """Encode one dumped observation or region in place (its quality and its boxes')."""
    if quality_field:
        holder[quality_field] = release_quality(holder.get(quality_field))
    for loc in holder.get("localization", {}).values():
        loc[LOC] = quality_code(LOC, loc.get(LOC))


class IngestError(RuntimeError):
    """An input cannot be read at all (missing path, broken zip), or --strict met a bad study."""


class Rejected(BaseModel):
    """A study a source could not turn into a SceneGraph, and why."""

    file: str
    study_id: str | None = None
    field: str | None = None
    reason: str

    @field_validator("file", "study_id", "field", "reason")
    @classmethod
    def _printable(cls, value: str | None) -> str | None:
        # Hostile input ends up in these messages: keep them short and printable anywhere.
        if value is None:
            return None
        value = value.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")
        return value if len(value) <= 500 else value[:497] + "..."

    def describe(self) -> str:
        where = self.file
        if self.study_id:
            where += f" (study {self.study_id})"
        if self.field:
            where += f", field {self.field}"
        return f"{where}: {self.reason}"


class Notice(Rejected):
    """A loaded study carries something cxrkg does not use (e.g. an unknown quality key)."""


def validation_rejection(exc: ValidationError, file: str, study_id: str | None) -> Rejected:
    """Turn a pydantic error into one `Rejected` naming the first failing field."""
    first = exc.errors()[0]
    loc = ".".join(str(p) for p in first.get("loc", ()))
    msg = first.get("msg", str(exc))
    cause = (first.get("ctx") or {}).get("error")
    if isinstance(cause, FieldProblem):  # a check that names the field itself
        loc = ".".join(p for p in (loc, cause.field) if p)
        msg = cause.problem
    elif first.get("type") == "value_error":
        msg = msg.removeprefix("Value error, ")
    more = len(exc.errors()) - 1
    if more:
        msg += f" (and {more} more problem{'s' if more > 1 else ''})"
    return Rejected(file=file, study_id=study_id, field=loc or None, reason=msg)


Positiveness = Literal["pos", "neg"]
