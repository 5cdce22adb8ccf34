"""Run the burned-in text detector over real films and list what it would blank.

Usage:
    python bench/scan_burned_in.py [FOLDER ...]   (default: ../shared/data/{cxr,cxr-train,dicom})

For every PNG (masks skipped) and DICOM file, prints the boxes ``find_text_boxes`` returns
and the time it took, then one summary line: files scanned, files with detections, median
seconds per file. Review the listed files by eye: each box should hold print or a lead
marker, never anatomy. docs/trust.md quotes the summary of the default run.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pydicom
from PIL import Image

from cases.pixel_redaction import find_text_boxes

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = [
    ROOT.parent / "shared" / "data" / name for name in ("cxr", "cxr-train", "dicom")
]


def _films(folders: list[Path]) -> list[Path]:
    files = []
    for folder in folders:
        files += [
            p
            for p in sorted(folder.rglob("*"))
            if (p.suffix == ".png" and "_mask" not in p.name) or p.suffix == ".dcm"
        ]
    return files


def main(argv: list[str]) -> int:
    folders = [Path(a) for a in argv] or DEFAULT
    missing = [f for f in folders if not f.is_dir()]
    if missing:
        print(f"no such folder: {', '.join(map(str, missing))}", file=sys.stderr)
        return 1
    times, hits = [], 0
    films = _films(folders)
    for path in films:
        pixels = (
            pydicom.dcmread(path).pixel_array
            if path.suffix == ".dcm"
            else np.asarray(Image.open(path))
        )
        if pixels.ndim == 3:
            pixels = pixels[..., 0]
        start = time.perf_counter()
        boxes = find_text_boxes(pixels)
        times.append(time.perf_counter() - start)
        if boxes:
            hits += 1
            print(f"{path.relative_to(path.parents[1])}: {boxes}")
    print(
        f"{len(films)} films scanned, {hits} with detections, "
        f"median {statistics.median(times):.2f} s per film"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
