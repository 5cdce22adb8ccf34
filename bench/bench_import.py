"""Import throughput: 2048 x 2048 12-bit DICOM films, decode + de-identify + store.

Usage:
    python bench/bench_import.py [--count 20] [--size 2048] [--syntax explicit|rle|j2k|jpegls]

Writes ``--count`` distinct DX films made by the phantom writer (with identifying data in
every attribute group, so de-identification does real work) to a temporary folder, then
imports them one by one into a fresh case database with ``CaseStore.import_file``: read,
decode, de-identify the header, hash the pixels, write the pixel and header files and
commit the rows with their audit records. Prints one JSON line and one Markdown table row.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from pydicom.uid import (
    ExplicitVRLittleEndian,
    JPEG2000Lossless,
    JPEGLSLossless,
    RLELossless,
)

from cases import open_store
from cases.phantom import render_phantom
from cases.phantom_dicom import DicomOptions, phantom_dataset

SYNTAXES = {
    "explicit": ExplicitVRLittleEndian,
    "rle": RLELossless,
    "j2k": JPEG2000Lossless,
    "jpegls": JPEGLSLossless,
}


def write_films(folder: Path, count: int, size: int, syntax: str) -> list[Path]:
    """Write ``count`` films that differ in their pixels (so none is a duplicate)."""
    phantom = render_phantom(size=size, spacing_mm=0.35 * 1024 / size)
    rng = np.random.default_rng(0)
    paths = []
    for i in range(count):
        options = DicomOptions(
            bits_stored=12,
            include_phi=True,
            uid_seed=f"bench-{i}",
            window=(2048.0, 4096.0),
        )
        dataset = phantom_dataset(phantom, options)
        pixels = dataset.pixel_array.astype(np.int32)
        # Quantum noise of +-2 values, so that every film is unique (no re-import).
        pixels += rng.integers(-2, 3, pixels.shape, dtype=np.int32)
        pixels = np.clip(pixels, 0, 4095).astype(np.uint16)
        dataset.PixelData = pixels.tobytes()
        if SYNTAXES[syntax] != ExplicitVRLittleEndian:
            dataset.compress(SYNTAXES[syntax], pixels, generate_instance_uid=False)
        path = folder / f"film-{i:03d}.dcm"
        dataset.save_as(path, enforce_file_format=True)
        paths.append(path)
    return paths


def run(count: int, size: int, syntax: str) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="casebook-bench-import-") as tmp:
        folder = Path(tmp)
        films = write_films(folder, count, size, syntax)
        file_mb = statistics.mean(p.stat().st_size for p in films) / 2**20
        per_image = []
        with open_store(folder / "db" / "casebook.duckdb") as store:
            start = time.perf_counter()
            for path in films:
                t0 = time.perf_counter()
                store.import_file(path, actor="bench")
                per_image.append(time.perf_counter() - t0)
            total = time.perf_counter() - start
            assert store.stats().images == count
    return {
        "benchmark": "import",
        "images": count,
        "size": f"{size}x{size}",
        "bits_stored": 12,
        "transfer_syntax": SYNTAXES[syntax].name,
        "file_mib": round(file_mb, 2),
        "images_per_s": round(count / total, 2),
        "median_ms_per_image": round(statistics.median(per_image) * 1000, 1),
        "machine": f"{platform.machine()}, {_cores()} cores, Python {platform.python_version()}",
    }


def _cores() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20)
    parser.add_argument("--size", type=int, default=2048)
    parser.add_argument("--syntax", choices=sorted(SYNTAXES), default="explicit")
    args = parser.parse_args(argv)
    result = run(args.count, args.size, args.syntax)
    print(json.dumps(result, ensure_ascii=False))
    print(
        f"| import {result['size']} 12-bit DX, {result['transfer_syntax']} ({result['file_mib']} MiB) "
        f"| {result['images']} | {result['images_per_s']} images/s | {result['median_ms_per_image']} ms |"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
