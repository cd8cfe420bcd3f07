"""Region boxes per image (OpenCV): from segmentation masks (CXAS layout: one PNG per
structure, or one NPZ), from Chest ImaGenome boxes, or, with neither, from a classical
model-free lung-field segmentation from which the lung zones are derived.

    boxes = localize_image("cxr.png", onto)            # {region: [(x1, y1, x2, y2), ...]}
    regions = regions_from_masks(load_mask_folder(d), onto)   # {region: RegionBox}
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from cxrkg.ingest.extract.build import RegionBox

BBox = tuple[float, float, float, float]
# Quality of each way of localizing (the seed's localization_quality options).
QUALITY = {
    "mask": "BBOX_AND_MASK_LOCALIZATION",
    "bbox": "BBOX_LOCALIZATION",
    "classical": "FALLBACK_LOCALIZATION",
}


class LocalizationError(ValueError):
    """An image or mask that cannot be localized; the message names the file and why."""


# -- masks -> boxes ---------------------------------------------------------------------------
def clean_mask(
    mask: np.ndarray, *, min_fraction: float = 0.0005, rel_fraction: float = 0.1, kernel: int = 3
) -> np.ndarray:
    """Binary mask after morphological opening and closing, without parts that are too
    small (below `min_fraction` of the image or `rel_fraction` of the largest part)."""
    m = (np.asarray(mask) > 0).astype(np.uint8)
    if kernel > 1:
        k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (kernel, kernel))
        m = cv2.morphologyEx(m, cv2.MORPH_OPEN, k)
        m = cv2.morphologyEx(m, cv2.MORPH_CLOSE, k)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(m, connectivity=8)
    if n <= 1:
        return m
    areas = stats[1:, cv2.CC_STAT_AREA]
    keep_min = max(min_fraction * m.size, rel_fraction * areas.max())
    keep = np.zeros(n, dtype=bool)
    keep[1:] = areas >= keep_min
    return keep[labels].astype(np.uint8)


def mask_box(mask: np.ndarray) -> BBox | None:
    """The box around a mask's pixels, (x1, y1, x2, y2) with x2/y2 exclusive; None if empty."""
    ys, xs = np.nonzero(mask)
    if len(xs) == 0:
        return None
    return (float(xs.min()), float(ys.min()), float(xs.max() + 1), float(ys.max() + 1))


def super_box(boxes: Iterable[BBox]) -> BBox | None:
    boxes = list(boxes)
    if not boxes:
        return None
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


def intersect_box(a: BBox, b: BBox) -> BBox | None:
    x1, y1, x2, y2 = max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])
    return (x1, y1, x2, y2) if x2 > x1 and y2 > y1 else None


def load_mask_folder(folder: Path) -> dict[str, np.ndarray]:
    """CXAS layout: `<folder>/<structure name>.png` (non-zero = inside), or one `.npz` with an
    array per structure. Names are the file stems / array keys, as CXAS writes them."""
    folder = Path(folder)
    masks: dict[str, np.ndarray] = {}
    if folder.is_file() and folder.suffix == ".npz":
        try:
            with np.load(folder, allow_pickle=False) as data:
                for key in data.files:
                    masks[key] = np.asarray(data[key])
        except (OSError, ValueError) as exc:
            raise LocalizationError(f"{folder}: not a readable NPZ of masks ({exc})") from exc
        return masks
    if not folder.is_dir():
        raise LocalizationError(f"{folder}: no such mask folder or .npz file")
    for path in sorted(folder.glob("*.png")):
        m = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
        if m is None:
            raise LocalizationError(f"{path}: not a readable PNG mask")
        masks[path.stem] = m
    for path in sorted(folder.glob("*.npz")):
        masks.update(load_mask_folder(path))
    return masks


def _concept_name(onto: Any, text: str) -> str | None:
    if onto is None:
        return text
    c = onto.get(text.replace("_", " "), kind="region")
    return c.name if c is not None else None


def regions_from_masks(
    masks: Mapping[str, np.ndarray], onto: Any = None, **clean: Any
) -> dict[str, RegionBox]:
    """Boxes of every mask (cleaned, mapped to ontology region names), then of every composite
    region the ontology defines over them (union, intersection, super box)."""
    cleaned: dict[str, np.ndarray] = {}
    for name, mask in masks.items():
        region = _concept_name(onto, name)
        if region is None:
            continue
        m = clean_mask(mask, **clean)
        if m.any():
            cleaned[region] = np.maximum(cleaned[region], m) if region in cleaned else m
    out = {r: RegionBox([b], "mask") for r, m in cleaned.items() if (b := mask_box(m))}
    if onto is not None:
        _add_composites(out, cleaned, onto)
    return out


def regions_from_boxes(
    boxes: Mapping[str, Iterable[BBox]], onto: Any = None, source: str = "bbox"
) -> dict[str, RegionBox]:
    """Named boxes (e.g. Chest ImaGenome objects) -> region boxes plus composites."""
    out: dict[str, RegionBox] = {}
    for name, bs in boxes.items():
        region = _concept_name(onto, name)
        bs = [tuple(float(v) for v in b) for b in bs]
        if region and bs:
            out.setdefault(region, RegionBox([], source)).bboxes.extend(bs)
    if onto is not None:
        _add_composites(out, {}, onto)
    return out


def _add_composites(out: dict[str, RegionBox], masks: dict[str, np.ndarray], onto: Any) -> None:
    """Derive composite regions until nothing new appears (composites of composites)."""
    composites = [c for c in onto.concepts("region") if getattr(c, "composite", None)]
    changed = True
    while changed:
        changed = False
        for c in composites:
            if c.name in out:
                continue
            op, parts = c.composite
            if not all(p in out for p in parts):
                continue
            source = (
                "mask"
                if all(out[p].source == "mask" for p in parts)
                else next(out[p].source for p in parts if out[p].source != "mask")
            )
            box: BBox | None
            if op == "union":
                if all(p in masks for p in parts):
                    m = np.zeros_like(masks[parts[0]])
                    for p in parts:
                        m = np.maximum(m, masks[p])
                    masks[c.name] = m
                    out[c.name] = RegionBox([b for p in parts for b in out[p].bboxes], source)
                else:
                    out[c.name] = RegionBox([b for p in parts for b in out[p].bboxes], source)
                changed = True
                continue
            if op == "intersection":
                if all(p in masks for p in parts):
                    m = masks[parts[0]].copy()
                    for p in parts[1:]:
                        m = np.minimum(m, masks[p])
                    box = mask_box(m)
                    if box:
                        masks[c.name] = m
                else:
                    box = super_box(out[parts[0]].bboxes)
                    for p in parts[1:]:
                        other = super_box(out[p].bboxes)
                        box = intersect_box(box, other) if box and other else None
            else:  # superbox
                box = super_box(b for p in parts for b in out[p].bboxes)
            if box:
                out[c.name] = RegionBox([box], source)
                changed = True


def regions_from_imagenome(
    objects: Iterable[Any], onto: Any = None
) -> dict[str, dict[str, RegionBox]]:
    """Chest ImaGenome objects (`SceneGraph.image_objects`) -> image id -> region boxes in
    original pixels (224-px boxes when the original ones are missing), plus composites."""
    per_image: dict[str, dict[str, list[BBox]]] = {}
    for obj in objects:
        coords = (obj.original_x1, obj.original_y1, obj.original_x2, obj.original_y2)
        if any(v is None for v in coords):
            coords = (obj.x1, obj.y1, obj.x2, obj.y2)
        if any(v is None for v in coords) or coords[2] <= coords[0] or coords[3] <= coords[1]:
            continue
        per_image.setdefault(obj.image_id, {}).setdefault(obj.bbox_name, []).append(
            tuple(float(v) for v in coords)
        )
    return {image: regions_from_boxes(boxes, onto) for image, boxes in per_image.items()}


# -- classical lung-field segmentation -------------------------------------------------------
def read_gray(path: Path | str) -> np.ndarray:
    img = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    if img is None:
        raise LocalizationError(f"{path}: not a readable image")
    return img


def segment_lungs(gray: np.ndarray, work_width: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """(right lung, left lung) masks at the image's size, patient's right on the image's left
    as in a frontal (PA/AP) radiograph. No model: the lung fields are the large dark areas
    inside the body, away from the image border, one on each side of the midline."""
    h, w = gray.shape[:2]
    scale = work_width / w
    small = cv2.resize(gray, (work_width, max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
    sh, sw = small.shape
    eq = cv2.createCLAHE(clipLimit=2.0, tileGridSize=(8, 8)).apply(small)
    blur = cv2.GaussianBlur(eq, (7, 7), 0)
    # Threshold from the central chest only; the border (air, labels, collimation) misleads Otsu.
    centre = blur[int(sh * 0.1) : int(sh * 0.8), int(sw * 0.15) : int(sw * 0.85)]
    t, _ = cv2.threshold(centre, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    dark = (blur < t).astype(np.uint8)
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (7, 7))
    dark = cv2.morphologyEx(dark, cv2.MORPH_OPEN, k)
    n, labels, stats, cents = cv2.connectedComponentsWithStats(dark, connectivity=4)
    candidates = []
    for i in range(1, n):
        x, y, bw, bh, area = stats[i]
        touches = x <= 1 or y <= 1 or x + bw >= sw - 1 or y + bh >= sh - 1
        if touches or area < 0.01 * sh * sw:
            continue
        cx, cy = cents[i]
        if cy > sh * 0.8:
            continue  # bowel gas and the abdomen lie below the lungs
        candidates.append((area, i, cx))
    mid = sw / 2
    right = [c for c in candidates if c[2] < mid]
    left = [c for c in candidates if c[2] >= mid]
    if not right or not left:
        # Both fields joined through the trachea: split the largest part at the midline.
        if not candidates:
            raise LocalizationError("no lung fields found (is this a frontal chest radiograph?)")
        area, i, _ = max(candidates)
        comp = labels == i
        xs = np.nonzero(comp)[1]
        cut = int(np.median(xs)) if not (right or left) else int(mid)
        rmask = comp.copy()
        rmask[:, cut:] = False
        lmask = comp.copy()
        lmask[:, :cut] = False
        if right:
            rmask = labels == max(right)[1]
        if left:
            lmask = labels == max(left)[1]
    else:
        rmask = labels == max(right)[1]
        lmask = labels == max(left)[1]
    out = []
    for m in (rmask, lmask):
        m = m.astype(np.uint8)
        m = cv2.morphologyEx(
            m, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (15, 15))
        )
        m = _fill_holes(m)
        out.append(cv2.resize(m, (w, h), interpolation=cv2.INTER_NEAREST))
    if min(o.sum() for o in out) < 0.02 * h * w:
        raise LocalizationError("lung fields too small to be lungs")
    return out[0], out[1]


def _fill_holes(mask: np.ndarray) -> np.ndarray:
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    filled = np.zeros_like(mask)
    cv2.drawContours(filled, contours, -1, 1, thickness=cv2.FILLED)
    return filled


def _rows_box(
    mask: np.ndarray,
    y1: int,
    y2: int,
    x_from: float = 0.0,
    x_to: float = 1.0,
    medial_right: bool | None = None,
) -> BBox | None:
    """Box of the mask within rows [y1, y2), optionally a lateral/medial fraction of it."""
    part = np.zeros_like(mask)
    part[y1:y2] = mask[y1:y2]
    box = mask_box(part)
    if box is None or (x_from == 0.0 and x_to == 1.0):
        return box
    x1, _, x2, _ = box
    width = x2 - x1
    a, b = x1 + x_from * width, x1 + x_to * width
    return (a, box[1], b, box[3])


def lung_zone_boxes(right: np.ndarray, left: np.ndarray) -> dict[str, list[BBox]]:
    """Lung fields and the zones derived from them: upper/mid/lower thirds of each lung,
    apical zone (top sixth), costophrenic angle, hilum, hemidiaphragm, and the cardiac
    silhouette and mediastinum between the lungs."""
    out: dict[str, list[BBox]] = {}
    h, w = right.shape
    edges: dict[str, tuple[int, int]] = {}
    for side, m in (("right", right), ("left", left)):
        box = mask_box(m)
        if box is None:
            continue
        y1, y2 = int(box[1]), int(box[3])
        hh = y2 - y1
        edges[side] = (y1, y2)
        out[f"{side} lung"] = [box]
        cuts = [y1, y1 + hh // 3, y1 + 2 * hh // 3, y2]
        for zone, (a, b) in zip(
            ("upper", "mid", "lower"), zip(cuts, cuts[1:], strict=False), strict=True
        ):
            zb = _rows_box(m, a, b)
            if zb:
                out[f"{side} {zone} lung zone"] = [zb]
        apex = _rows_box(m, y1, y1 + hh // 6)
        if apex:
            out[f"{side} apical zone"] = [apex]
        # Patient's right lung is on the image's left: its lateral side is the image's left.
        lateral_first = side == "right"
        cp = _rows_box(
            m, y2 - max(1, hh // 7), y2, *((0.0, 0.45) if lateral_first else (0.55, 1.0))
        )
        if cp:
            out[f"{side} costophrenic angle"] = [cp]
        hil = _rows_box(
            m,
            y1 + int(hh * 0.35),
            y1 + int(hh * 0.6),
            *((0.6, 1.0) if lateral_first else (0.0, 0.4)),
        )
        if hil:
            out[f"{side} hilar structures"] = [hil]
        lower = out.get(f"{side} lower lung zone")
        if lower:
            x1, _, x2, _ = lower[0]
            band = max(2.0, hh * 0.06)
            out[f"{side} hemidiaphragm"] = [(x1, max(0.0, y2 - band), x2, min(float(h), y2 + band))]
    if "right" in edges and "left" in edges:
        out["lungs"] = out["right lung"] + out["left lung"]
        top = min(edges["right"][0], edges["left"][0])
        bottom = max(edges["right"][1], edges["left"][1])
        hh = bottom - top
        # Medial edges per row: right lung's rightmost pixel, left lung's leftmost pixel.
        r_med, l_med = [], []
        for y in range(top + int(hh * 0.5), top + int(hh * 0.92)):
            rx = np.nonzero(right[y])[0]
            lx = np.nonzero(left[y])[0]
            if len(rx):
                r_med.append(rx.max())
            if len(lx):
                l_med.append(lx.min())
        if r_med and l_med:
            hx1 = float(np.percentile(r_med, 20))
            hx2 = float(np.percentile(l_med, 80))
            if hx2 > hx1:
                heart_top = float(top + hh * 0.42)
                out["cardiac silhouette"] = [(hx1, heart_top, hx2, float(bottom))]
                upper_r = [
                    np.nonzero(right[y])[0].max()
                    for y in range(top, int(heart_top))
                    if right[y].any()
                ]
                upper_l = [
                    np.nonzero(left[y])[0].min()
                    for y in range(top, int(heart_top))
                    if left[y].any()
                ]
                if upper_r and upper_l:
                    ux1 = float(np.percentile(upper_r, 50))
                    ux2 = float(np.percentile(upper_l, 50))
                    if ux2 > ux1:
                        out["upper mediastinum"] = [(ux1, float(top), ux2, heart_top)]
                        out["mediastinum"] = [
                            (min(ux1, hx1), float(top), max(ux2, hx2), float(bottom))
                        ]
    return out


def localize_image(image_path: Path | str, onto: Any = None) -> dict[str, list[BBox]]:
    """Region boxes of a frontal chest radiograph by the classical lung-field segmentation,
    plus every composite region the ontology derives from them."""
    right, left = segment_lungs(read_gray(image_path))
    boxes = lung_zone_boxes(right, left)
    if onto is None:
        return boxes
    regions = regions_from_boxes(boxes, onto, source="classical")
    return {r: list(rb.bboxes) for r, rb in regions.items()}


def classical_region_boxes(image_path: Path | str, onto: Any = None) -> dict[str, RegionBox]:
    """As `localize_image`, as the RegionBox mapping scene-graph construction takes."""
    return {r: RegionBox(bs, "classical") for r, bs in localize_image(image_path, onto).items()}


def localization_quality(source: str) -> str:
    """The seed's localization_quality of boxes from `source` (mask, bbox or classical)."""
    return QUALITY.get(source, "NO_LOCALIZATION")


def draw_overlay(
    image_path: Path | str,
    boxes: Mapping[str, Iterable[BBox]],
    out_path: Path | str,
    regions: Iterable[str] | None = None,
) -> Path:
    """Write the image with the given regions' boxes drawn and labelled."""
    img = cv2.cvtColor(read_gray(image_path), cv2.COLOR_GRAY2BGR)
    palette = [
        (0, 200, 255),
        (0, 255, 0),
        (255, 128, 0),
        (255, 0, 255),
        (0, 0, 255),
        (255, 255, 0),
        (128, 255, 128),
        (0, 128, 255),
        (200, 100, 255),
    ]
    names = list(regions) if regions is not None else list(boxes)
    for k, name in enumerate(names):
        color = palette[k % len(palette)]
        for b in boxes.get(name, []):
            x1, y1, x2, y2 = (int(round(v)) for v in b)
            cv2.rectangle(img, (x1, y1), (x2 - 1, y2 - 1), color, 1)
            cv2.putText(
                img, name, (x1 + 2, y1 + 10), cv2.FONT_HERSHEY_SIMPLEX, 0.3, color, 1, cv2.LINE_AA
            )
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(out_path), img)
    return out_path


OVERLAY_SETS = {
    "structures": [
        "right lung",
        "left lung",
        "cardiac silhouette",
        "upper mediastinum",
        "right hilar structures",
        "left hilar structures",
        "right costophrenic angle",
        "left costophrenic angle",
    ],
    "zones": [
        "right upper lung zone",
        "right mid lung zone",
        "right lower lung zone",
        "left upper lung zone",
        "left mid lung zone",
        "left lower lung zone",
        "right apical zone",
        "left apical zone",
    ],
}


def main(argv: list[str] | None = None) -> None:
    """`python -m cxrkg.ingest.localize IMAGE... --out DIR`: overlays of the classical boxes."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("images", nargs="+", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    from cxrkg.ontology import load_ontology

    onto = load_ontology()
    for image in args.images:
        boxes = localize_image(image, onto)
        for name, regions in OVERLAY_SETS.items():
            out = draw_overlay(image, boxes, args.out / f"{image.stem}_{name}.png", regions)
            print(out)


if __name__ == "__main__":
    main()
