"""`analyze(radiograph) -> ImageAnalysis`: the once-per-image analysis every turn reuses.

The analysis segments the anatomy, builds the anatomy map, detects and measures focal
opacities, looks for larger or diffuse opacities, precomputes each focal finding's
relation to its hilum and a few global measures. It is cached in memory by pixel hash
and engine version, and serialises to bytes so the case store can keep it.
"""

from __future__ import annotations

import io
import json
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Protocol

import cv2
import numpy as np
import numpy.typing as npt

from engine.anatomy import (
    AnatomyMap,
    Band,
    GridTransform,
    Location,
    Region,
    Zone,
    ZoneRule,
    build_anatomy_map,
    frontal_chest_doubts,
    resize_to_grid,
)
from engine.findings import (
    Candidate,
    Finding,
    FindingKind,
    HilumRelation,
    LungOutline,
    LungSites,
    Margin,
    Notch,
    SizeCorrection,
    SizeEstimate,
    Spicule,
    correct_size,
    describe_focal,
    find_diffuse_opacities,
    hilum_relation,
    lung_field_stats,
)
from engine.geometry import (
    THORACIC_WIDTH_PLAUSIBLE_MM,
    Box,
    estimate_calibration,
    implausible_thoracic_width_mm,
)
from engine.model import Calibration, CalibrationSource, Radiograph, Side
from engine.segmentation import OnnxSegmenter, Segmenter

GRID_SIZE = 512
WORK_LONG_SIDE = 1024  # focal measurement and hilum paths run at about this resolution
MAX_FOCAL_FINDINGS = 5
LATERAL_VIEWS = frozenset({"LL", "RL", "LATERAL", "LAT", "RLD", "LLD"})
ANALYSIS_FORMAT = 2
# A costophrenic recess, even one blunted by fluid, is well short of a straight line: an
# angle past this means the fitted wall and base lines are nearly parallel, i.e. the
# outline found no recess, and the value would read as "blunted" on a normal film.
CPA_PLAUSIBLE_MAX_DEG = 150.0


class NoduleDetector(Protocol):
    """Proposes focal opacities, best first, in input-image pixels.

    Attributes:
        version: recorded in the analysis (the cache key includes it).
        describe_score: candidates scoring at least this get a contour and margin
            description (about 2 false positives per image on the training folds).
        report_score: findings scoring at least this are listed in answers (about 1
            false positive per image on the training folds).
    """

    version: str
    describe_score: float
    report_score: float

    def detect(
        self,
        image: npt.NDArray[np.float32],
        lung_mask: npt.NDArray[np.bool_] | None,
        mm_per_px: float | None,
        *,
        heart_mask: npt.NDArray[np.bool_] | None = None,
    ) -> list[Candidate]: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class GlobalMeasures:
    """Whole-film measures used by scorecards (None when not measurable)."""

    cardiothoracic_ratio: float | None
    cpa_angle_deg: dict[str, float]  # "right"/"left" -> costophrenic angle in degrees
    mediastinum_width_ratio: float | None


@dataclass(frozen=True, slots=True, kw_only=True)
class ImageAnalysis:
    """Everything the dialogue needs to answer questions about one image."""

    key: str
    engine_version: str
    shape: tuple[int, int]  # rows, cols of the input image
    calibration: Calibration
    estimated_calibration: Calibration | None
    view_position: str | None
    anatomy: AnatomyMap = field(repr=False)
    findings: tuple[Finding, ...]
    candidates: tuple[Candidate, ...] = field(repr=False)
    hilum_relations: dict[str, HilumRelation] = field(repr=False)
    measures: GlobalMeasures
    probability: npt.NDArray[np.uint8] = field(
        repr=False
    )  # (5, G, G) structure probabilities x 255
    thumbnail: npt.NDArray[np.uint8] = field(
        repr=False
    )  # the image on the grid, 0..255
    warnings: tuple[str, ...]
    timings_ms: dict[str, float]
    focal_report_score: float = 0.5
    """Focal findings scoring at least this are listed in answers (the detector's choice)."""
    frontal_doubts: tuple[str, ...] = ()
    """Why the film does not look like a frontal chest; findings are withheld if any."""

    def finding(self, finding_id: str) -> Finding | None:
        return next((f for f in self.findings if f.id == finding_id), None)

    @property
    def focal_findings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.is_focal)

    @property
    def implausible_thorax_mm(self) -> float | None:
        """The thoracic width in mm when the stored spacing makes it implausible.

        Computed, not stored, so an analysis cached before this check still has it;
        the analysis also lists it once among its warnings (`_warnings`).
        """
        return implausible_thoracic_width_mm(
            self.anatomy.thoracic_width_px, self.calibration
        )

    @property
    def zone_rule(self) -> ZoneRule:
        """How the zones were drawn; `zone_rule.describe(lang)` words it for a reader."""
        return self.anatomy.zone_rule

    # -- serialisation ---------------------------------------------------------------
    def to_bytes(self) -> bytes:
        meta = {
            "format": ANALYSIS_FORMAT,
            "key": self.key,
            "engine_version": self.engine_version,
            "shape": list(self.shape),
            "calibration": _calibration_json(self.calibration),
            "estimated_calibration": None
            if self.estimated_calibration is None
            else _calibration_json(self.estimated_calibration),
            "view_position": self.view_position,
            "anatomy": self.anatomy.meta(),
            "findings": [finding_to_json(f) for f in self.findings],
            "candidates": [
                [c.center[0], c.center[1], c.radius_px, c.score]
                for c in self.candidates
            ],
            "hilum_relations": {
                k: _hilum_json(v) for k, v in self.hilum_relations.items()
            },
            "measures": asdict(self.measures),
            "warnings": list(self.warnings),
            "focal_report_score": self.focal_report_score,
            "frontal_doubts": list(self.frontal_doubts),
            "timings_ms": self.timings_ms,
        }
        arrays = self.anatomy.to_npz()
        arrays["probability"] = self.probability
        arrays["thumbnail"] = self.thumbnail
        arrays["meta"] = np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8)
        buffer = io.BytesIO()
        np.savez_compressed(buffer, **arrays)  # type: ignore[arg-type]
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, payload: bytes) -> ImageAnalysis:
        with np.load(io.BytesIO(payload)) as npz:
            arrays = {k: npz[k] for k in npz.files}
        meta = json.loads(arrays.pop("meta").tobytes().decode("utf-8"))
        if meta.get("format") != ANALYSIS_FORMAT:
            raise ValueError(
                f"analysis format {meta.get('format')!r} is not {ANALYSIS_FORMAT}; re-analyse the image"
            )
        anatomy = AnatomyMap.from_npz(arrays, meta["anatomy"])
        return cls(
            key=meta["key"],
            engine_version=meta["engine_version"],
            shape=(int(meta["shape"][0]), int(meta["shape"][1])),
            calibration=_calibration_from(meta["calibration"]),
            estimated_calibration=None
            if meta["estimated_calibration"] is None
            else _calibration_from(meta["estimated_calibration"]),
            view_position=meta["view_position"],
            anatomy=anatomy,
            findings=tuple(finding_from_json(f) for f in meta["findings"]),
            candidates=tuple(
                Candidate((c[0], c[1]), c[2], c[3]) for c in meta["candidates"]
            ),
            hilum_relations={
                k: _hilum_from(v) for k, v in meta["hilum_relations"].items()
            },
            measures=GlobalMeasures(**meta["measures"]),
            probability=arrays["probability"],
            thumbnail=arrays["thumbnail"],
            warnings=tuple(meta["warnings"]),
            focal_report_score=float(meta["focal_report_score"]),
            frontal_doubts=tuple(meta.get("frontal_doubts", ())),
            timings_ms=meta["timings_ms"],
        )


class Analyzer:
    """Runs the pipeline with a segmenter and a nodule detector (fakes in tests)."""

    def __init__(self, segmenter: Segmenter, detector: NoduleDetector) -> None:
        self.segmenter = segmenter
        self.detector = detector
        self.version = f"embedded-vision/11 {segmenter.version} {detector.version}"

    def analyze(self, radiograph: Radiograph) -> ImageAnalysis:
        timings: dict[str, float] = {}
        clock = time.perf_counter()

        def lap(name: str) -> None:
            nonlocal clock
            now = time.perf_counter()
            timings[name] = round((now - clock) * 1000, 1)
            clock = now

        image = np.clip(radiograph.pixels.astype(np.float32, copy=False), 0.0, 1.0)
        rows, cols = radiograph.shape
        work, factor = _work_image(image)
        work_calibration = radiograph.calibration.scaled(factor)
        grid = GridTransform.letterbox(rows, cols, GRID_SIZE)
        on_grid = resize_to_grid(image, grid)
        lap("prepare")

        structures = self.segmenter.segment(
            work, GridTransform.letterbox(work.shape[0], work.shape[1], GRID_SIZE)
        )
        anatomy = build_anatomy_map(structures, grid, on_grid)
        lap("anatomy")

        doubts = frontal_chest_doubts(anatomy, rows, cols)
        warnings = _warnings(radiograph, anatomy, doubts)
        estimated = None
        if not radiograph.calibration.is_calibrated and anatomy.thoracic_width_px:
            estimated = estimate_calibration(anatomy.thoracic_width_px)

        lung_work = _lung_mask_on(work, anatomy, factor)
        mm_per_px = work_calibration.mean_mm or (
            estimated.mean_mm * (1 / factor)
            if estimated and estimated.mean_mm
            else None
        )
        candidates_work = self.detector.detect(
            work,
            lung_work,
            mm_per_px,
            heart_mask=_heart_mask_on(work, anatomy, factor),
        )
        candidates = tuple(
            Candidate(
                (c.center[0] / factor, c.center[1] / factor),
                c.radius_px / factor,
                c.score,
            )
            for c in candidates_work
        )
        lap("nodule_detection")

        measure_calibration = (
            radiograph.calibration
            if radiograph.calibration.is_calibrated
            else (estimated or radiograph.calibration)
        )
        findings, relations = _describe_focal(
            image,
            work,
            factor,
            candidates,
            anatomy,
            measure_calibration,
            describe_score=self.detector.describe_score,
            size_correction=getattr(self.detector, "size_correction", None),
            thorax_sites=bool(getattr(self.detector, "thorax_sites", False)),
        )
        lap("focal_findings")

        diffuse = find_diffuse_opacities(
            image,
            anatomy,
            radiograph.calibration,
            first_id=len(findings) + 1,
            focal=tuple(findings),
        )
        ranked = _rank(findings + diffuse)
        relations = {
            new: rel
            for old, rel in relations.items()
            if (new := _renamed(old, ranked)) is not None
        }
        lap("diffuse_opacities")

        angles, angle_warnings = _plausible_angles(_cpa_angles(anatomy))
        if not doubts:
            # On a film that is withheld as a whole, per-angle notes only repeat it.
            warnings += angle_warnings
        measures = GlobalMeasures(
            cardiothoracic_ratio=anatomy.cardiothoracic_ratio,
            cpa_angle_deg=angles,
            mediastinum_width_ratio=_mediastinum_ratio(anatomy),
        )
        if doubts:
            # Findings and measures on what is not a frontal chest film would only
            # mislead; the detector's raw candidates stay for evaluation.
            ranked, relations = [], {}
            measures = GlobalMeasures(
                cardiothoracic_ratio=None,
                cpa_angle_deg={},
                mediastinum_width_ratio=None,
            )
        probability = np.round(structures.probability * 255).astype(np.uint8)
        lap("measures")
        return ImageAnalysis(
            key=radiograph.key,
            engine_version=self.version,
            shape=(rows, cols),
            calibration=radiograph.calibration,
            estimated_calibration=estimated,
            view_position=radiograph.view_position,
            anatomy=anatomy,
            findings=tuple(f for f, _ in ranked),
            candidates=candidates,
            hilum_relations=relations,
            measures=measures,
            probability=probability,
            thumbnail=np.round(on_grid * 255).astype(np.uint8),
            warnings=warnings,
            timings_ms=timings,
            focal_report_score=self.detector.report_score,
            frontal_doubts=doubts,
        )


def _work_image(
    image: npt.NDArray[np.float32],
) -> tuple[npt.NDArray[np.float32], float]:
    long_side = max(image.shape)
    if long_side <= WORK_LONG_SIDE:
        return image, 1.0
    factor = WORK_LONG_SIDE / long_side
    size = (
        max(1, round(image.shape[1] * factor)),
        max(1, round(image.shape[0] * factor)),
    )
    work = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    # The exact factor per axis can differ by rounding; use the column factor.
    return work.astype(np.float32), size[0] / image.shape[1]


def _lung_mask_on(
    work: npt.NDArray[np.float32], anatomy: AnatomyMap, factor: float
) -> npt.NDArray[np.bool_] | None:
    if not anatomy.lungs_found:
        return None
    lungs = anatomy.mask(Region.RIGHT_LUNG) | anatomy.mask(Region.LEFT_LUNG)
    return _grid_mask_on(work, anatomy, lungs, factor)


def _heart_mask_on(
    work: npt.NDArray[np.float32], anatomy: AnatomyMap, factor: float
) -> npt.NDArray[np.bool_] | None:
    """The cardiac silhouette on the work image (None when no lungs were found)."""
    if not anatomy.lungs_found:
        return None
    return _grid_mask_on(work, anatomy, anatomy.mask(Region.HEART), factor)


def _grid_mask_on(
    work: npt.NDArray[np.float32],
    anatomy: AnatomyMap,
    grid_mask: npt.NDArray[np.bool_],
    factor: float,
) -> npt.NDArray[np.bool_]:
    grid = anatomy.grid
    # Grid -> work pixels: work = image * factor, image = (grid - offset) / scale.
    s = grid.scale / factor
    matrix = np.array(
        [[1 / s, 0, -grid.offset_x / s], [0, 1 / s, -grid.offset_y / s]],
        dtype=np.float64,
    )
    # warpAffine samples dst(x) = src(M x) only with WARP_INVERSE_MAP; without it the
    # work -> grid map was applied forwards and shrank the mask into the top-left
    # quarter on every film larger than the grid, so the detector fell back to its
    # thoracic ellipse (no lung site, apices outside the search region).
    inverse = cv2.invertAffineTransform(matrix)
    mask = cv2.warpAffine(
        grid_mask.astype(np.uint8),
        inverse,
        (work.shape[1], work.shape[0]),
        flags=cv2.INTER_NEAREST | cv2.WARP_INVERSE_MAP,
    )
    return mask.astype(bool)


def _describe_focal(
    image: npt.NDArray[np.float32],
    work: npt.NDArray[np.float32],
    factor: float,
    candidates: tuple[Candidate, ...],
    anatomy: AnatomyMap,
    calibration: Calibration,
    *,
    describe_score: float,
    size_correction: SizeCorrection | None = None,
    thorax_sites: bool = False,
) -> tuple[list[Finding], dict[str, HilumRelation]]:
    stats = lung_field_stats(image, anatomy)
    outline = LungOutline(anatomy) if anatomy.lungs_found else None
    sites = LungSites(anatomy, calibration.mean_mm, outline, thorax=thorax_sites)
    work_calibration = calibration.scaled(factor)
    findings: list[Finding] = []
    relations: dict[str, HilumRelation] = {}
    for candidate in candidates:
        if len(findings) >= MAX_FOCAL_FINDINGS or candidate.score < describe_score:
            break
        if any(
            math.dist(candidate.center, f.center) < max(f.long_axis_px, 1) / 2
            for f in findings
        ):
            continue  # the same lesion proposed twice
        placed = _placed(
            describe_focal(
                image,
                candidate,
                finding_id=f"F{len(findings) + 1}",
                calibration=calibration,
                anatomy=anatomy,
                lung_stats=stats,
                outline=outline,
            ),
            sites,
        )
        if placed is None:
            continue  # measured centre off the lungs: chest wall, neck or abdomen
        if any(
            math.dist(placed.center, f.center)
            < max(f.long_axis_px, placed.long_axis_px) / 2
            for f in findings
        ):
            continue  # the scale search led two seeds to one lesion
        finding = placed
        if size_correction is not None:
            finding = correct_size(finding, size_correction)
        findings.append(finding)
        scaled = _scale_finding(finding, factor)
        relation = hilum_relation(
            work, scaled, _scaled_anatomy_view(anatomy, factor), work_calibration
        )
        if relation is not None:
            relations[finding.id] = _unscale_relation(relation, factor)
    return findings, relations


def _placed(finding: Finding, sites: LungSites) -> Finding | None:
    """The finding with its lung site settled, or None when its centre is not lung.

    A centre at the lung-field border counts as inside the field (so the wording never
    says "zone X, outside the lung field"); one behind the heart or below a dome stays
    marked outside the field, and its regions carry the place (retrocardiac, the
    hemidiaphragm) so the location words say "retrocardiac" or "behind the dome".
    """
    if not sites.is_lung(finding.center):
        return None
    location = finding.location
    if sites.in_field(finding.center):
        if not location.inside_lung:
            return replace(finding, location=replace(location, inside_lung=True))
        return finding
    if location.side is Side.MIDLINE:
        return finding
    place: Region | None = None
    if sites.in_retrocardiac(finding.center):
        place = Region.RETROCARDIAC
    elif sites.in_recess(finding.center):
        # Below the dome: lower-lobe lung projected over the hemidiaphragm.
        place = (
            Region.RIGHT_HEMIDIAPHRAGM
            if location.side is Side.RIGHT
            else Region.LEFT_HEMIDIAPHRAGM
        )
    if place is None or place in location.regions:
        return finding
    location = replace(location, regions=(*location.regions, place))
    return replace(finding, location=location)


def _scale_finding(f: Finding, factor: float) -> Finding:
    return replace(
        f,
        center=(f.center[0] * factor, f.center[1] * factor),
        long_axis_px=f.long_axis_px * factor,
        short_axis_px=f.short_axis_px * factor,
    )


class _ScaledAnatomy:
    """The landmarks of an anatomy map in work-image pixels (for hilum paths)."""

    def __init__(self, anatomy: AnatomyMap, factor: float) -> None:
        self.landmarks = {
            k: (v[0] * factor, v[1] * factor) for k, v in anatomy.landmarks.items()
        }
        self.thoracic_width_px = (
            None
            if anatomy.thoracic_width_px is None
            else anatomy.thoracic_width_px * factor
        )


def _scaled_anatomy_view(anatomy: AnatomyMap, factor: float) -> Any:
    return _ScaledAnatomy(anatomy, factor)


def _unscale_relation(r: HilumRelation, factor: float) -> HilumRelation:
    def un(p: tuple[float, float] | None) -> tuple[float, float] | None:
        return None if p is None else (round(p[0] / factor, 1), round(p[1] / factor, 1))

    hilum = un(r.hilum_point)
    edge = un(r.edge_point)
    assert hilum is not None and edge is not None
    return replace(
        r,
        hilum_point=hilum,
        edge_point=edge,
        gap_start=un(r.gap_start),
        gap_end=un(r.gap_end),
        gap_px=round(r.gap_px / factor, 1),
    )


def _rank(findings: list[Finding]) -> list[tuple[Finding, str]]:
    """Focal findings first, each group by confidence; renumber F1, F2, ...

    The two groups' confidences are on different scales (the nodule classifier's
    calibrated probability, the diffuse-opacity heuristic), so they are not interleaved.
    The old ids are kept alongside to carry the hilum relations over.
    """
    ordered = sorted(findings, key=lambda f: (not f.is_focal, -f.confidence))
    return [(replace(f, id=f"F{i + 1}"), f.id) for i, f in enumerate(ordered)]


def _renamed(old_id: str, ranked: list[tuple[Finding, str]]) -> str | None:
    for f, old in ranked:
        if old == old_id and f.is_focal:
            return f.id
    return None


def _warnings(
    radiograph: Radiograph, anatomy: AnatomyMap, doubts: tuple[str, ...]
) -> tuple[str, ...]:
    out: list[str] = []
    if doubts:
        out.append(
            "this does not look like a frontal chest radiograph ("
            + "; ".join(doubts)
            + "): findings and measures are withheld; check the image and its view"
        )
    view = (radiograph.view_position or "").upper()
    if view in LATERAL_VIEWS:
        out.append(
            f"view position {view}: the engine expects a frontal (PA/AP) film; results are unreliable"
        )
    elif view == "AP":
        out.append(
            "AP film: the cardiothoracic ratio overstates heart size on AP films"
        )
    if not anatomy.lungs_found:
        out.append("lung fields not found: this may not be a frontal chest radiograph")
    if not radiograph.calibration.is_calibrated:
        out.append(
            "no pixel spacing: distances are given in pixels or as labelled estimates"
        )
    width = implausible_thoracic_width_mm(
        anatomy.thoracic_width_px, radiograph.calibration
    )
    if width is not None:
        low, high = THORACIC_WIDTH_PLAUSIBLE_MM
        out.append(
            f"calibration looks implausible: at the stored pixel spacing the chest "
            f"measures {width / 10:.1f} cm wide (an adult's is about {low / 10:.0f}-"
            f"{high / 10:.0f} cm); sizes and distances may be wrong; check the spacing"
        )
    return tuple(out)


def _cpa_angles(anatomy: AnatomyMap) -> dict[str, float]:
    """Costophrenic angle per side, from the lateral wall and the base of the lung field.

    Lines are fitted to the lateral border over the lowest fifth of the lung height above
    the recess and to the base over the lateral third; a normal recess is acute, a
    blunted one (fluid, thickening) is obtuse or rounded.
    """
    angles: dict[str, float] = {}
    for side, region in (
        (Side.RIGHT, Region.RIGHT_LUNG),
        (Side.LEFT, Region.LEFT_LUNG),
    ):
        lung = anatomy.mask(region)
        ys = np.flatnonzero(lung.any(axis=1))
        if len(ys) < 20:
            continue
        top, bottom = ys[0], ys[-1]
        height = bottom - top
        rows = np.arange(int(top + 0.6 * height), int(top + 0.85 * height))
        if side is Side.RIGHT:
            wall = np.array(
                [[np.argmax(lung[y]), y] for y in rows if lung[y].any()],
                dtype=np.float64,
            )
        else:
            wall = np.array(
                [
                    [lung.shape[1] - 1 - np.argmax(lung[y, ::-1]), y]
                    for y in rows
                    if lung[y].any()
                ],
                dtype=np.float64,
            )
        cols = np.flatnonzero(lung.any(axis=0))
        width = cols[-1] - cols[0]
        lateral_cols = (
            cols[cols <= cols[0] + width / 3]
            if side is Side.RIGHT
            else cols[cols >= cols[-1] - width / 3]
        )
        bottoms = lung.shape[0] - 1 - np.argmax(lung[::-1, :], axis=0)
        base = np.array([[x, bottoms[x]] for x in lateral_cols], dtype=np.float64)
        if len(wall) < 5 or len(base) < 5:
            continue
        wall_dir = _direction(wall, downward=True)
        base_dir = _direction(base, downward=False, medial_right=side is Side.RIGHT)
        cos = float(np.clip(np.dot(-wall_dir, base_dir), -1.0, 1.0))
        angles[side.value] = round(math.degrees(math.acos(cos)), 1)
    return angles


def _plausible_angles(
    angles: dict[str, float],
) -> tuple[dict[str, float], tuple[str, ...]]:
    """The angles a recess can form, and a warning for each side whose outline failed."""
    kept = {s: a for s, a in angles.items() if a <= CPA_PLAUSIBLE_MAX_DEG}
    failed = tuple(
        f"{side} costophrenic angle not measured: the lung outline gave {angle:.0f}°, "
        "which no recess forms; judge the angle on the image"
        for side, angle in angles.items()
        if side not in kept
    )
    return kept, failed


def _direction(
    points: npt.NDArray[np.float64], *, downward: bool, medial_right: bool = True
) -> npt.NDArray[np.float64]:
    centred = points - points.mean(axis=0)
    _, vectors = np.linalg.eigh(np.cov(centred.T))
    d = vectors[:, -1]
    if downward and d[1] < 0:
        d = -d
    if not downward and ((d[0] < 0) if medial_right else (d[0] > 0)):
        d = -d
    return np.asarray(d / (np.linalg.norm(d) or 1.0))


def _mediastinum_ratio(anatomy: AnatomyMap) -> float | None:
    """Upper mediastinal width (at a sixth of the lung height) over the thoracic width."""
    m = anatomy.mask(Region.MEDIASTINUM)
    lungs = anatomy.mask(Region.RIGHT_LUNG) | anatomy.mask(Region.LEFT_LUNG)
    if not m.any() or not anatomy.thoracic_width_px:
        return None
    ys = np.flatnonzero(lungs.any(axis=1))
    y = int(ys[0] + (ys[-1] - ys[0]) / 6)
    width_grid = float(m[y].sum())
    return round(width_grid / anatomy.grid.scale / anatomy.thoracic_width_px, 3)


# -- JSON helpers ----------------------------------------------------------------------


def _calibration_json(c: Calibration) -> dict[str, Any]:
    return {"row_mm": c.row_mm, "col_mm": c.col_mm, "source": c.source.value}


def _calibration_from(d: dict[str, Any]) -> Calibration:
    return Calibration(
        row_mm=d["row_mm"], col_mm=d["col_mm"], source=CalibrationSource(d["source"])
    )


def _hilum_json(r: HilumRelation) -> dict[str, Any]:
    return asdict(r)


def _hilum_from(d: dict[str, Any]) -> HilumRelation:
    def pt(v: Any) -> tuple[float, float] | None:
        return None if v is None else (float(v[0]), float(v[1]))

    return HilumRelation(
        hilum_point=pt(d["hilum_point"]) or (0.0, 0.0),
        edge_point=pt(d["edge_point"]) or (0.0, 0.0),
        gap_start=pt(d["gap_start"]),
        gap_end=pt(d["gap_end"]),
        gap_px=float(d["gap_px"]),
        connected=bool(d["connected"]),
        strand_fraction=float(d["strand_fraction"]),
        contrast_along_path=float(d["contrast_along_path"]),
    )


def finding_to_json(f: Finding) -> dict[str, Any]:
    data = asdict(f)
    data["kind"] = f.kind.value
    data["bbox"] = f.bbox.as_list()
    data["location"] = {
        "side": f.location.side.value,
        "zone": None if f.location.zone is None else f.location.zone.value,
        "band": None if f.location.band is None else f.location.band.value,
        "lobe": None if f.location.lobe is None else f.location.lobe.value,
        "inside_lung": f.location.inside_lung,
        "regions": [r.value for r in f.location.regions],
    }
    return data


def finding_from_json(d: dict[str, Any]) -> Finding:
    loc = d["location"]
    margin = d.get("margin")
    return Finding(
        id=d["id"],
        kind=FindingKind(d["kind"]),
        confidence=float(d["confidence"]),
        center=(float(d["center"][0]), float(d["center"][1])),
        contour=tuple((float(x), float(y)) for x, y in d["contour"]),
        bbox=Box(*d["bbox"]),
        long_axis_px=float(d["long_axis_px"]),
        short_axis_px=float(d["short_axis_px"]),
        long_axis_mm=d["long_axis_mm"],
        short_axis_mm=d["short_axis_mm"],
        location=Location(
            side=Side(loc["side"]),
            zone=None if loc["zone"] is None else Zone(loc["zone"]),
            band=None if loc["band"] is None else Band(loc["band"]),
            lobe=None if loc["lobe"] is None else Region(loc["lobe"]),
            inside_lung=bool(loc["inside_lung"]),
            regions=tuple(Region(r) for r in loc["regions"]),
        ),
        margin=None
        if margin is None
        else Margin(
            notches=tuple(Notch(**n) for n in margin["notches"]),
            spicules=tuple(
                Spicule(
                    clock=s["clock"],
                    length_px=s["length_px"],
                    length_mm=s["length_mm"],
                    tip=tuple(s["tip"]),
                )  # type: ignore[arg-type]
                for s in margin["spicules"]
            ),
            sharpness=float(margin["sharpness"]),
            edge_width_mm=margin["edge_width_mm"],
        ),
        homogeneity=d.get("homogeneity"),
        calcification_likelihood=d.get("calcification_likelihood"),
        central_lucency=d.get("central_lucency"),
        pleural_contact=d.get("pleural_contact"),
        lung_fraction=d.get("lung_fraction"),
        detector_score=float(d.get("detector_score", 0.0)),
        size_estimate=None
        if d.get("size_estimate") is None
        else SizeEstimate(**d["size_estimate"]),
        diameter_interval_mm=None
        if d.get("diameter_interval_mm") is None
        else (
            float(d["diameter_interval_mm"][0]),
            float(d["diameter_interval_mm"][1]),
        ),
    )


# -- the cache -------------------------------------------------------------------------


class AnalysisCache:
    """In-memory LRU of analyses by (pixel hash, engine version, calibration), safe across threads.

    Two sessions asking about the same new image wait for one analysis instead of
    computing it twice. `load`/`save` hooks let the application persist analyses (the
    case store keeps them as files) without the engine knowing about the store.
    """

    def __init__(
        self, analyzer_factory: Callable[[], Analyzer], maxsize: int = 32
    ) -> None:
        self._factory = analyzer_factory
        self._analyzer: Analyzer | None = None
        self._items: OrderedDict[tuple[str, str, str], ImageAnalysis] = OrderedDict()
        self._lock = threading.Lock()
        self._key_locks: dict[tuple[str, str, str], threading.Lock] = {}
        self.maxsize = maxsize

    @property
    def analyzer(self) -> Analyzer:
        with self._lock:
            if self._analyzer is None:
                self._analyzer = self._factory()
            return self._analyzer

    def get(
        self,
        radiograph: Radiograph,
        *,
        load: Callable[[str, str], bytes | None] | None = None,
        save: Callable[[str, str, bytes], None] | None = None,
    ) -> ImageAnalysis:
        version = self.analyzer.version
        # The same pixels with another spacing or view are another analysis (its mm and
        # view-dependent measures differ); the stored copy is keyed by pixels only
        # because a stored image's calibration never changes.
        c = radiograph.calibration
        key = (
            radiograph.key,
            version,
            f"{c.row_mm}|{c.col_mm}|{c.source.value}|{radiograph.view_position}",
        )
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                if key in self._items:
                    return self._items[key]
            analysis = None
            if load is not None:
                payload = load(radiograph.key, version)
                if payload is not None:
                    analysis = ImageAnalysis.from_bytes(payload)
            if analysis is None:
                analysis = self.analyzer.analyze(radiograph)
                if save is not None:
                    save(radiograph.key, version, analysis.to_bytes())
            with self._lock:
                self._items[key] = analysis
                self._items.move_to_end(key)
                while len(self._items) > self.maxsize:
                    self._items.popitem(last=False)
                self._key_locks.pop(key, None)
            return analysis


def default_analyzer() -> Analyzer:
    """The embedded CPU pipeline with the bundled models."""
    from engine.detection import OnnxNoduleDetector

    return Analyzer(OnnxSegmenter(), OnnxNoduleDetector())


_DEFAULT_CACHE = AnalysisCache(default_analyzer)


def analyze(radiograph: Radiograph) -> ImageAnalysis:
    """Analyse a frontal chest radiograph once; later calls with the same pixels are cached."""
    return _DEFAULT_CACHE.get(radiograph)
