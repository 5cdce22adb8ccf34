"""Engine fixtures: a synthetic chest film with known geometry, and fakes for our ports.

The fakes stand in for the two learned parts (segmenter, nodule detector) so that the
anatomy map, the measurements and the dialogue are tested against exact ground truth.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import pytest

from engine.analysis import Analyzer, ImageAnalysis
from engine.anatomy import GridTransform, StructureMasks
from engine.dialogue.query import understand
from engine.dialogue.query_records import DialogueState, Query, TurnRecord
from engine.findings import Candidate
from engine.model import Calibration, CalibrationSource, Radiograph
from ontology.vocabulary import Vocabulary

SIZE = 1024  # phantom rows and columns
SPACING = 0.35  # mm per pixel, like the JSRT development set


@dataclass
class Phantom:
    """A frontal film drawn from simple shapes; every mask and point is known."""

    image: np.ndarray
    right_lung: np.ndarray  # patient right = image left
    left_lung: np.ndarray
    heart: np.ndarray
    nodules: list[tuple[float, float, float]] = field(
        default_factory=list
    )  # x, y, radius px


def _ellipse(
    shape: tuple[int, int], center: tuple[int, int], axes: tuple[int, int]
) -> np.ndarray:
    mask = np.zeros(shape, np.uint8)
    cv2.ellipse(mask, center, axes, 0, 0, 360, 1, -1)
    return mask.astype(bool)


def lobulated_outline(
    cx: float, cy: float, r: float, notch_hours: tuple[int, ...], depth: float = 0.3
) -> np.ndarray:
    """A round outline with notches at the given clock hours (12 up, clockwise)."""
    points = []
    for i in range(360):
        a = math.radians(i)
        radius = r
        for hour in notch_hours:
            centre = math.radians((hour % 12) * 30)
            diff = math.atan2(math.sin(a - centre), math.cos(a - centre))
            radius -= depth * r * math.exp(-((diff / math.radians(15)) ** 2))
        points.append((cx + radius * math.sin(a), cy - radius * math.cos(a)))
    return np.array(points, np.float32)


def make_phantom(
    nodules: tuple[tuple[float, float, float, tuple[int, ...]], ...] = (
        (290, 560, 26, (10, 3)),
    ),
    *,
    rows: int = SIZE,
    cols: int = SIZE,
) -> Phantom:
    shape = (rows, cols)
    sx, sy = cols / SIZE, rows / SIZE
    right = _ellipse(
        shape, (int(300 * sx), int(470 * sy)), (int(150 * sx), int(320 * sy))
    )
    left = _ellipse(
        shape, (int(724 * sx), int(480 * sy)), (int(150 * sx), int(300 * sy))
    )
    heart = _ellipse(
        shape, (int(580 * sx), int(650 * sy)), (int(170 * sx), int(120 * sy))
    )
    left &= ~heart
    image = np.full(shape, 0.78, np.float32)  # soft tissue and mediastinum
    image[right | left] = 0.25  # aerated lung is dark
    image[heart] = 0.8
    rng = np.random.default_rng(0)
    image += rng.normal(0, 0.01, shape).astype(np.float32)
    image = cv2.GaussianBlur(image, (0, 0), 2.0)
    out = []
    for x, y, r, hours in nodules:
        x, y, r = x * sx, y * sy, r * min(sx, sy)
        outline = lobulated_outline(x, y, r, hours)
        mask = np.zeros(shape, np.uint8)
        cv2.fillPoly(mask, [np.round(outline).astype(np.int32)], 1)
        blob = cv2.GaussianBlur(mask.astype(np.float32), (0, 0), 1.2)
        image = image + 0.3 * blob
        out.append((x, y, r))
    return Phantom(
        image=np.clip(image, 0, 1),
        right_lung=right,
        left_lung=left,
        heart=heart,
        nodules=out,
    )


class FakeSegmenter:
    """Returns the phantom's masks, letterboxed onto the working grid."""

    version = "fake-seg"

    def __init__(self, phantom: Phantom) -> None:
        self.phantom = phantom

    def segment(self, image: np.ndarray, grid: GridTransform) -> StructureMasks:
        rows, cols = image.shape
        side = max(rows, cols)
        top, left = (side - rows) // 2, (side - cols) // 2

        def on_grid(mask: np.ndarray) -> np.ndarray:
            resized = cv2.resize(
                mask.astype(np.uint8), (cols, rows), interpolation=cv2.INTER_NEAREST
            )
            square = np.zeros((side, side), np.uint8)
            square[top : top + rows, left : left + cols] = resized
            return cv2.resize(
                square, (grid.size, grid.size), interpolation=cv2.INTER_NEAREST
            ).astype(bool)

        right, left_lung, heart = (
            on_grid(m)
            for m in (
                self.phantom.right_lung,
                self.phantom.left_lung,
                self.phantom.heart,
            )
        )
        empty = np.zeros_like(right)
        probability = np.stack([right, left_lung, heart, empty, empty]).astype(
            np.float32
        )
        return StructureMasks(
            right_lung=right,
            left_lung=left_lung,
            heart=heart,
            right_clavicle=empty,
            left_clavicle=empty,
            probability=probability,
        )


class FakeDetector:
    """Proposes scripted candidates in input-image pixels (scaled to the work image)."""

    version = "fake-det"
    describe_score = 0.15
    report_score = 0.5

    def __init__(self, candidates: list[Candidate], input_cols: int) -> None:
        self.candidates = candidates
        self.input_cols = input_cols

    def detect(
        self,
        image: np.ndarray,
        lung_mask: np.ndarray | None,
        mm_per_px: float | None,
        *,
        heart_mask: np.ndarray | None = None,
    ) -> list[Candidate]:
        f = image.shape[1] / self.input_cols
        return [
            Candidate((c.center[0] * f, c.center[1] * f), c.radius_px * f, c.score)
            for c in self.candidates
        ]


def analyse(
    phantom: Phantom,
    candidates: list[Candidate],
    *,
    spacing: float | None = SPACING,
    view: str | None = "PA",
    key: str = "phantom",
) -> ImageAnalysis:
    calibration = (
        Calibration(
            row_mm=spacing, col_mm=spacing, source=CalibrationSource.PIXEL_SPACING
        )
        if spacing
        else Calibration()
    )
    cols = phantom.image.shape[1]
    analyzer = Analyzer(FakeSegmenter(phantom), FakeDetector(candidates, cols))
    return analyzer.analyze(
        Radiograph(
            pixels=phantom.image, calibration=calibration, key=key, view_position=view
        )
    )


def two_nodules(key: str) -> ImageAnalysis:
    """A lobulated right-lung nodule (0.9) and a smaller left-lung one (0.6)."""
    film = make_phantom(((290, 560, 26, (10, 3)), (720, 420, 18, ())))
    return analyse(
        film,
        [Candidate((290, 560), 26, 0.9), Candidate((720, 420), 18, 0.6)],
        key=key,
    )


@pytest.fixture(scope="module")
def phantom() -> Phantom:
    return make_phantom()


@pytest.fixture(scope="module")
def seed_analysis(phantom: Phantom) -> ImageAnalysis:
    """One lobulated nodule in the right middle zone, plus a weaker left-lung candidate."""
    x, y, r = phantom.nodules[0]
    return analyse(
        phantom, [Candidate((x, y), r, 0.92), Candidate((760, 330), 12, 0.2)]
    )


def shared_rows(shared_data: Path) -> list[dict[str, str]]:
    """The rows of ``../shared/data/cxr/manifest.csv``."""
    manifest = shared_data / "cxr" / "manifest.csv"
    return list(csv.DictReader(manifest.open(encoding="utf-8")))


def shared_radiograph(shared_data: Path, row: dict[str, str], key: str) -> Radiograph:
    """A film of the shared set as a reader imports it: PA, with its pixel spacing."""
    pixels = cv2.imread(str(shared_data / "cxr" / row["file"]), cv2.IMREAD_GRAYSCALE)
    spacing = float(row["pixel_spacing_mm"])
    return Radiograph(
        pixels=pixels.astype(np.float32) / 255,
        calibration=Calibration(
            row_mm=spacing, col_mm=spacing, source=CalibrationSource.USER
        ),
        key=f"{key}-{row['case_id']}",
        view_position="PA",
    )


def read_after(vocabulary: Vocabulary, *turns: str) -> Query:
    """The last of ``turns`` as understood after the ones before it, in one conversation."""
    state = DialogueState()
    for said in turns[:-1]:
        state.add(TurnRecord(query=understand(said, vocabulary, state)))
    return understand(turns[-1], vocabulary, state)
