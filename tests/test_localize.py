"""Localization: masks -> boxes with known answers, composites, and the classical lung-field
segmentation on the two real NIH radiographs."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from cxrkg.ingest.localize import (
    LocalizationError,
    clean_mask,
    draw_overlay,
    load_mask_folder,
    localize_image,
    mask_box,
    regions_from_boxes,
    regions_from_masks,
    segment_lungs,
)
from cxrkg.ontology import load_ontology

# The two real NIH images, as committed with the demo (a copy of ../shared/data/images).
IMAGES = Path(__file__).resolve().parent.parent / "demo" / "images"


def _rect_mask(shape: tuple[int, int], x1: int, y1: int, x2: int, y2: int) -> np.ndarray:
    m = np.zeros(shape, dtype=np.uint8)
    m[y1:y2, x1:x2] = 255
    return m


def test_mask_box_is_exact_for_a_rectangle() -> None:
    assert mask_box(_rect_mask((100, 120), 10, 20, 40, 70)) == (10.0, 20.0, 40.0, 70.0)
    assert mask_box(np.zeros((5, 5))) is None


def test_clean_mask_drops_specks_and_keeps_the_structure() -> None:
    m = _rect_mask((200, 200), 50, 50, 150, 150)
    m[5:7, 5:7] = 255  # a 4-pixel speck far away
    m[190, 190] = 255
    cleaned = clean_mask(m)
    assert mask_box(cleaned) == (50.0, 50.0, 150.0, 150.0)


def test_small_second_part_is_dropped_relative_to_the_largest() -> None:
    m = _rect_mask((300, 300), 10, 10, 200, 200)
    m[250:262, 250:262] = 255  # 144 px next to 36,100 px: below 10 %
    assert mask_box(clean_mask(m)) == (10.0, 10.0, 200.0, 200.0)


def test_masks_from_png_folder_and_npz(tmp_path: Path) -> None:
    shape = (100, 100)
    cv2.imwrite(str(tmp_path / "right lung.png"), _rect_mask(shape, 5, 10, 45, 90))
    cv2.imwrite(str(tmp_path / "left lung.png"), _rect_mask(shape, 55, 12, 95, 88))
    masks = load_mask_folder(tmp_path)
    assert set(masks) == {"right lung", "left lung"}
    npz = tmp_path / "m.npz"
    np.savez(npz, heart=_rect_mask(shape, 30, 40, 70, 80))
    assert set(load_mask_folder(npz)) == {"heart"}
    boxes = regions_from_masks(masks)
    assert boxes["right lung"].bboxes == [(5.0, 10.0, 45.0, 90.0)]
    assert boxes["right lung"].source == "mask"


def test_unreadable_mask_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "broken.png").write_bytes(b"not a png")
    with pytest.raises(LocalizationError, match="broken.png"):
        load_mask_folder(tmp_path)
    with pytest.raises(LocalizationError, match="no such mask folder"):
        load_mask_folder(tmp_path / "missing")


def test_composites_union_intersection_and_superbox_from_masks() -> None:
    onto = load_ontology()  # lungs = union, retrocardiac = intersection, mediastinum = superbox
    shape = (200, 200)
    masks = {
        "right lung": _rect_mask(shape, 10, 20, 90, 180),
        "left lung": _rect_mask(shape, 110, 20, 190, 180),
        "left lower lung zone": _rect_mask(shape, 110, 120, 190, 180),
        "cardiac silhouette": _rect_mask(shape, 70, 100, 150, 170),
        "upper mediastinum": _rect_mask(shape, 85, 10, 115, 100),
    }
    boxes = regions_from_masks(masks, onto)
    assert sorted(boxes["lungs"].bboxes) == [(10.0, 20.0, 90.0, 180.0), (110.0, 20.0, 190.0, 180.0)]
    assert boxes["retrocardiac region"].bboxes == [(110.0, 120.0, 150.0, 170.0)]
    assert boxes["mediastinum"].bboxes == [(70.0, 10.0, 150.0, 170.0)]
    from_boxes = regions_from_boxes(
        {
            "left lower lung zone": [(110, 120, 190, 180)],
            "cardiac silhouette": [(70, 100, 150, 170)],
        },
        onto,
    )
    assert from_boxes["retrocardiac region"].bboxes == [(110.0, 120.0, 150.0, 170.0)]
    assert from_boxes["retrocardiac region"].source == "bbox"


@pytest.mark.parametrize("name", ["00000001_000.png", "00027426_000.png"])
def test_classical_segmentation_finds_both_lungs_on_real_radiographs(name: str) -> None:
    gray = cv2.imread(str(IMAGES / name), cv2.IMREAD_GRAYSCALE)
    right, left = segment_lungs(gray)
    rb, lb = mask_box(right), mask_box(left)
    assert rb is not None and lb is not None
    h, w = gray.shape
    # Patient's right lung on the image's left half, left lung on the right half.
    assert (rb[0] + rb[2]) / 2 < w / 2 < (lb[0] + lb[2]) / 2
    for box in (rb, lb):
        bw, bh = box[2] - box[0], box[3] - box[1]
        assert 0.2 * w < bw < 0.5 * w and 0.45 * h < bh < 0.8 * h
        assert box[1] < 0.25 * h and box[3] > 0.6 * h  # apex high, base low
    boxes = localize_image(IMAGES / name)
    heart = boxes["cardiac silhouette"][0]
    assert rb[0] < heart[0] < heart[2] < lb[2]  # between the lateral lung edges
    upper, lower = boxes["right upper lung zone"][0], boxes["right lower lung zone"][0]
    assert upper[1] < lower[1]


def test_classical_segmentation_rejects_an_image_without_lungs(tmp_path: Path) -> None:
    flat = tmp_path / "flat.png"
    cv2.imwrite(str(flat), np.full((256, 256), 128, dtype=np.uint8))
    with pytest.raises(LocalizationError):
        localize_image(flat)


def test_overlay_is_written(tmp_path: Path) -> None:
    src = IMAGES / "00000001_000.png"
    out = draw_overlay(src, localize_image(src), tmp_path / "o.png")
    img = cv2.imread(str(out))
    assert img.shape[:2] == (512, 512) and img.ndim == 3


def test_imagenome_objects_give_region_boxes_in_original_pixels() -> None:
    from cxrkg.ingest.localize import regions_from_imagenome
    from cxrkg.ingest.model import ImageObject

    objs = [
        ImageObject(
            object_id="i1_right lung",
            image_id="i1",
            bbox_name="right lung",
            x1=10,
            y1=10,
            x2=100,
            y2=200,
            original_x1=50,
            original_y1=40,
            original_x2=900,
            original_y2=1800,
        ),
        ImageObject(
            object_id="i1_left lung",
            image_id="i1",
            bbox_name="left lung",
            original_x1=1000,
            original_y1=60,
            original_x2=1900,
            original_y2=1850,
        ),
        ImageObject(
            object_id="i1_bad",
            image_id="i1",
            bbox_name="trachea",
            original_x1=5,
            original_y1=5,
            original_x2=5,
            original_y2=9,
        ),
    ]
    boxes = regions_from_imagenome(objs, load_ontology())["i1"]
    assert boxes["right lung"].bboxes == [(50.0, 40.0, 900.0, 1800.0)]
    assert boxes["right lung"].source == "bbox"
    assert sorted(boxes["lungs"].bboxes) == [
        (50.0, 40.0, 900.0, 1800.0),
        (1000.0, 60.0, 1900.0, 1850.0),
    ]
    assert "trachea" not in boxes  # a zero-width box is dropped
