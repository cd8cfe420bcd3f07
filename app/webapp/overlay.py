"""Boxes drawn on a study's images: which boxes an image has, and the image with them drawn."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from PIL import Image as PILImage
from PIL import ImageDraw, ImageFont

from cxrkg.ingest.model import SceneGraph

POSITIVE = (220, 38, 38)  # red: the finding is there
NEGATIVE = (22, 163, 74)  # green: the report says it is absent
REGION = (37, 99, 235)  # blue: an anatomical region
UNCERTAIN = (217, 119, 6)  # amber: no positiveness recorded


@dataclass(frozen=True)
class Box:
    """One box on one image, with what it belongs to."""

    key: str  # unique within the study: "obs:O01:0", "region:left lung:0"
    kind: str  # "observation" or "region"
    label: str
    image_id: str
    xyxy: tuple[float, float, float, float]
    positiveness: str | None = None
    is_fallback: bool = False

    @property
    def colour(self) -> tuple[int, int, int]:
        if self.kind == "region":
            return REGION
        return {"pos": POSITIVE, "neg": NEGATIVE}.get(self.positiveness or "", UNCERTAIN)


def study_boxes(sg: SceneGraph, image_id: str) -> list[Box]:
    """Every observation and region box the scene graph places on one image."""
    boxes: list[Box] = []
    for obs in sg.observations.values():
        loc = obs.localization.get(image_id)
        for i, b in enumerate(loc.bboxes if loc else []):
            boxes.append(
                Box(
                    f"obs:{obs.obs_id}:{i}",
                    "observation",
                    f"{obs.obs_id} {obs.name}",
                    image_id,
                    tuple(b),
                    obs.positiveness,
                    loc.is_fallback if loc else False,
                )
            )
    for region in sg.regions.values():
        loc = region.localization.get(image_id)
        for i, b in enumerate(loc.bboxes if loc else []):
            boxes.append(
                Box(
                    f"region:{region.region}:{i}",
                    "region",
                    region.region,
                    image_id,
                    tuple(b),
                    None,
                    loc.is_fallback if loc else False,
                )
            )
    return boxes


def flat_boxes(image_ids: list[str], flat: list[float], per_image: list[int]) -> dict[str, list]:
    """Undo the graph's flat box encoding (x1,y1,x2,y2,... with a count per image)."""
    out: dict[str, list[tuple[float, float, float, float]]] = {}
    pos = 0
    for image_id, n in zip(image_ids, per_image, strict=False):
        out[image_id] = [tuple(flat[pos + 4 * k : pos + 4 * k + 4]) for k in range(n)]
        pos += 4 * n
    return out


def resolve_image_path(path: str | None, extra_roots: tuple[Path, ...] = ()) -> Path | None:
    """The image file on disk, or None. Relative paths are tried against the demo folder
    (demo studies store `images/…png`) and any other roots the caller knows."""
    if not path:
        return None
    p = Path(path)
    if p.is_absolute():
        return p if p.is_file() else None
    roots = (*extra_roots, Path(str(resources.files("cxrkg.demo"))))
    for root in roots:
        candidate = root / p
        if candidate.is_file():
            return candidate
    return None


def draw_boxes(image: PILImage.Image, boxes: list[Box], *, labels: bool = True) -> PILImage.Image:
    """A copy of the image in RGB with each box outlined in its colour and labelled."""
    out = image.convert("RGB")
    draw = ImageDraw.Draw(out)
    width = max(2, round(max(out.size) / 256))
    font = ImageFont.load_default(size=max(11, round(max(out.size) / 45)))
    for box in boxes:
        x1, y1, x2, y2 = box.xyxy
        draw.rectangle((x1, y1, x2, y2), outline=box.colour, width=width)
        if labels:
            text = box.label if len(box.label) <= 40 else box.label[:39] + "…"
            tx, ty = x1 + width, max(0, y1 - font.size - 2 * width)
            bbox = draw.textbbox((tx, ty), text, font=font)
            draw.rectangle(bbox, fill=box.colour)
            draw.text((tx, ty), text, fill=(255, 255, 255), font=font)
    return out


def render_image(path: Path, boxes: list[Box], *, labels: bool = True) -> PILImage.Image:
    with PILImage.open(path) as img:
        return draw_boxes(img, boxes, labels=labels)
