"""Graph construction, regions (QBA section 1c): the tree of every mentioned region with
the intermediate regions filled in from the ontology, region-region relations, and boxes
per image for observations and regions from the boxes the study's images have."""

from __future__ import annotations

from dataclasses import dataclass

from cxrkg.ingest.extract.concepts import Concepts, names
from cxrkg.ingest.model import Localization, Observation, Region, RegionRegionRelation


@dataclass
class RegionBox:
    """Boxes of one region on one image; `source` is mask, bbox or segmentation."""

    bboxes: list[tuple[float, float, float, float]]
    source: str = "bbox"


def region_tree(
    c: Concepts, obs: dict[str, Observation]
) -> tuple[dict[str, Region], list[RegionRegionRelation]]:
    region_names: list[str] = []
    for o in obs.values():
        for r in o.regions:
            if r.region not in region_names:
                region_names.append(r.region)
    # Fill the intermediate regions up to the root, so every region hangs in one tree.
    for r in list(region_names):
        for a in c.ancestors(r):
            if a not in region_names and c.region(a) is not None:
                region_names.append(a)
    regions: dict[str, Region] = {}
    for r in region_names:
        concept = c.region(r)
        regions[r] = Region(region=r, laterality=concept.laterality if concept else None)
    rels: list[RegionRegionRelation] = []
    for r in region_names:
        try:
            parents = names(c.onto.parents(r))
        except KeyError:
            parents = []
        for p in parents:
            if p in regions:
                rels.append(
                    RegionRegionRelation(region=p, related_region=r, relation_type="sub_region")
                )
        counter = c.onto.counterpart(r) if regions[r].laterality in ("left", "right") else None
        counter = counter if isinstance(counter, str) or counter is None else counter.name
        if counter and counter in regions:
            rels.append(
                RegionRegionRelation(
                    region=r,
                    related_region=counter,
                    relation_type=regions[counter].laterality or "right",
                )
            )
    return regions, rels


class Localizer:
    """Boxes of observations and regions from the boxes of the regions on each image."""

    def __init__(self, concepts: Concepts) -> None:
        self.c = concepts

    def _boxes_for(self, region: str, boxes: dict[str, RegionBox]) -> tuple[RegionBox | None, bool]:
        if region in boxes:
            return boxes[region], False
        for a in self.c.ancestors(region):  # nearest ancestor first
            if a in boxes:
                return boxes[a], True
        return None, False

    def localize(
        self,
        obs: dict[str, Observation],
        regions: dict[str, Region],
        region_boxes: dict[str, dict[str, RegionBox]],
    ) -> None:
        for image_id, boxes in region_boxes.items():
            for o in obs.values():
                lz = self.localization(image_id, [r.region for r in o.regions], boxes)
                if lz is not None:
                    o.localization[image_id] = lz
            for name, reg in regions.items():
                lz = self.localization(image_id, [name], boxes)
                if lz is not None:
                    reg.localization[image_id] = lz
                    reg.region_localization_quality = lz.localization_quality

    def localization(
        self, image_id: str, region_names: list[str], boxes: dict[str, RegionBox]
    ) -> Localization | None:
        if not region_names:
            return None
        found, refs, missing, fallback, sources = [], [], [], False, set()
        for r in region_names:
            box, is_fb = self._boxes_for(r, boxes)
            if box is None:
                missing.append(r)
                continue
            fallback |= is_fb
            refs.append(r)
            sources.add(box.source)
            found += [tuple(float(v) for v in b) for b in box.bboxes]
        if not found:
            return Localization(
                image_id=image_id,
                missing_localization=missing,
                localization_quality="NO_LOCALIZATION",
            )
        # Boxes of the model-free lung segmentation are estimates: a fallback localization.
        fallback = fallback or "classical" in sources
        if (
            fallback
            and not missing
            and ("classical" in sources or all(self._boxes_for(r, boxes)[1] for r in refs))
        ):
            quality = "FALLBACK_LOCALIZATION"
        elif missing or fallback:
            quality = "INCOMPLETE_LOCALIZATION"
        elif sources == {"mask"}:
            quality = "BBOX_AND_MASK_LOCALIZATION"
        else:
            quality = "BBOX_LOCALIZATION"
        return Localization(
            image_id=image_id,
            localization_reference_ids=refs,
            bboxes=found,
            instance_mask_ids=refs if "mask" in sources else [],
            missing_localization=missing,
            is_fallback=fallback,
            localization_quality=quality,
        )
