"""Boxes drawn on a study's images: which boxes an image has, and the image with them drawn."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path, PurePosixPath, PureWindowsPath

from PIL import Image as PILImage
from PIL import ImageDraw, ImageFont

from cxrkg.config import Settings, get_settings
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


class ImagePathRefused(ValueError):
    """An image path from the data that points outside the image roots."""


def image_roots(settings: Settings | None = None) -> tuple[Path, ...]:
    """The folders the app serves images from: `image_roots` of the configuration, and the
    bundled demo folder (the demo studies store `images/…png`)."""
    settings = settings or get_settings()
    return (*settings.image_roots, Path(str(resources.files("cxrkg.demo"))))


def resolve_image_path(path: str | None, roots: tuple[Path, ...] | None = None) -> Path | None:
    """The image file for a path stored with a study, looked up under the image roots; None
    when no root has it. Stored data does not choose which files the app reads: an absolute
    path, a `..` step or a link leading out of its root raises ImagePathRefused."""
    if not path:
        return None
    p = PurePosixPath(path)
    if p.is_absolute() or PureWindowsPath(path).is_absolute() or ".." in p.parts:
        raise ImagePathRefused(
            f"{path[:200]!r} is not served: image paths are relative to the configured image"
            " roots (absolute paths and '..' are refused)"
        )
    if "\x00" in path:
        raise ImagePathRefused("an image path with a NUL character is not served")
    for root in image_roots() if roots is None else roots:
        base = root.resolve()
        candidate = (base / p).resolve()
        if not candidate.is_relative_to(base):
            raise ImagePathRefused(f"{path[:200]!r} leads outside the image root {root}")
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
