"""The anatomy map: lung fields, zones, bands, hila, heart and friends on a frontal film.

The map turns a radiograph into an anatomical coordinate system. It is computed once per
image from the segmentation network's probability maps, on a square working grid that
letterboxes the image; every region can be looked up by point, drawn as a polygon in
image pixels, or serialised.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import cast

import cv2
import numpy as np
import numpy.typing as npt
from scipy import ndimage

from engine.geometry import Point, mask_to_polygon
from engine.model import Side
from kernel import Language
from ontology.phrases import load_phrases

BoolMask = npt.NDArray[np.bool_]


class Region(StrEnum):
    """Anatomical regions of the map; the ids match the ontology's anatomy vocabulary."""

    RIGHT_LUNG = "right_lung"
    LEFT_LUNG = "left_lung"
    RIGHT_UPPER_ZONE = "right_upper_zone"
    RIGHT_MIDDLE_ZONE = "right_middle_zone"
    RIGHT_LOWER_ZONE = "right_lower_zone"
    LEFT_UPPER_ZONE = "left_upper_zone"
    LEFT_MIDDLE_ZONE = "left_middle_zone"
    LEFT_LOWER_ZONE = "left_lower_zone"
    RIGHT_INNER_BAND = "right_inner_band"
    RIGHT_MIDDLE_BAND = "right_middle_band"
    RIGHT_OUTER_BAND = "right_outer_band"
    LEFT_INNER_BAND = "left_inner_band"
    LEFT_MIDDLE_BAND = "left_middle_band"
    LEFT_OUTER_BAND = "left_outer_band"
    RIGHT_HILUM = "right_hilum"
    LEFT_HILUM = "left_hilum"
    HEART = "heart"
    MEDIASTINUM = "mediastinum"
    RETROCARDIAC = "retrocardiac"
    RIGHT_APEX = "right_apex"
    LEFT_APEX = "left_apex"
    RIGHT_SUBCLAVICULAR = "right_subclavicular"
    LEFT_SUBCLAVICULAR = "left_subclavicular"
    RIGHT_COSTOPHRENIC_ANGLE = "right_costophrenic_angle"
    LEFT_COSTOPHRENIC_ANGLE = "left_costophrenic_angle"
    RIGHT_CARDIOPHRENIC_ANGLE = "right_cardiophrenic_angle"
    LEFT_CARDIOPHRENIC_ANGLE = "left_cardiophrenic_angle"
    RIGHT_HEMIDIAPHRAGM = "right_hemidiaphragm"
    LEFT_HEMIDIAPHRAGM = "left_hemidiaphragm"
    RIGHT_UPPER_LOBE = "right_upper_lobe"
    RIGHT_MIDDLE_LOBE = "right_middle_lobe"
    RIGHT_LOWER_LOBE = "right_lower_lobe"
    LEFT_UPPER_LOBE = "left_upper_lobe"
    LINGULA = "lingula"
    LEFT_LOWER_LOBE = "left_lower_lobe"
    RIGHT_CLAVICLE = "right_clavicle"
    LEFT_CLAVICLE = "left_clavicle"


class Zone(StrEnum):
    """Vertical thirds of a lung field (上/中/下野)."""

    UPPER = "upper"
    MIDDLE = "middle"
    LOWER = "lower"


class Band(StrEnum):
    """Horizontal thirds of a lung field from the mediastinal edge outward (内/中/外带)."""

    INNER = "inner"
    MIDDLE = "middle"
    OUTER = "outer"


class ZoneRule(StrEnum):
    """How the zone boundaries were placed, recorded on every map.

    Radiology places the zone lines at the anterior ends of the 2nd and 4th ribs. The
    engine does not locate ribs (no rib detector has been validated on real films), so
    the zones are equal thirds of the lung height, and answers that name a zone should
    say so.
    """

    EQUAL_THIRDS = "equal_thirds_of_lung_height"

    def describe(self, lang: Language = Language.EN) -> str:
        """The rule in a reader's words, for answers and overlay legends."""
        return load_phrases().say(f"zone_rule_{self.value}", lang)


LOBES: dict[Side, tuple[Region, ...]] = {
    Side.RIGHT: (
        Region.RIGHT_UPPER_LOBE,
        Region.RIGHT_MIDDLE_LOBE,
        Region.RIGHT_LOWER_LOBE,
    ),
    Side.LEFT: (Region.LEFT_UPPER_LOBE, Region.LINGULA, Region.LEFT_LOWER_LOBE),
}
APPROXIMATE_REGIONS = frozenset(r for lobes in LOBES.values() for r in lobes)
"""Lobes are projections on a PA film: a reader must confirm them on a lateral film or CT."""

_ZONES = {
    Side.RIGHT: (
        Region.RIGHT_UPPER_ZONE,
        Region.RIGHT_MIDDLE_ZONE,
        Region.RIGHT_LOWER_ZONE,
    ),
    Side.LEFT: (
        Region.LEFT_UPPER_ZONE,
        Region.LEFT_MIDDLE_ZONE,
        Region.LEFT_LOWER_ZONE,
    ),
}
_BANDS = {
    Side.RIGHT: (
        Region.RIGHT_INNER_BAND,
        Region.RIGHT_MIDDLE_BAND,
        Region.RIGHT_OUTER_BAND,
    ),
    Side.LEFT: (
        Region.LEFT_INNER_BAND,
        Region.LEFT_MIDDLE_BAND,
        Region.LEFT_OUTER_BAND,
    ),
}
_LUNG = {Side.RIGHT: Region.RIGHT_LUNG, Side.LEFT: Region.LEFT_LUNG}

# Anatomical priors, as fractions of the lung height from the apex. The hilum sits in the
# inner band of the middle zone, the left slightly higher than the right; the horizontal
# fissure projects at about the 4th anterior rib.
_HILUM_LEVEL = {Side.RIGHT: 0.43, Side.LEFT: 0.39}
_FISSURE_LEVEL = 0.45
_BASAL_LEVEL = 0.75
_APEX_FALLBACK = 0.12

# Confidence of derived regions. The segmenter's probability says how sure a lung, heart
# or clavicle label is; a region cut out of a lung by a rule can be no surer than that,
# and near the rule's boundary a pixel may as well belong to the neighbour (the rule
# itself is an approximation: equal thirds instead of rib ends, a fixed fissure level).
# So a zone, band or lobe pixel's confidence falls from the label's to half of it at a
# boundary, over half a third of the lung's height or width. Projected lobes and the
# lingula are hypotheses on a PA film (the lobes overlap front to back and the fissures
# are seldom visible), and a hilum is a point placed from an anatomical prior, so both
# have a low ceiling. Regions drawn by fixed rules from the segmented borders (apices,
# basal angles, hemidiaphragms, mediastinum, retrocardiac region) get a middle ceiling.
_BOUNDARY_SPAN = 1 / 6
_LOBE_CEILING = 0.6
_HILUM_CEILING = 0.6
_RULE_CEILING = 0.8
_ZONE_SIDE = {r: side for side, regions in _ZONES.items() for r in regions}
_BAND_SIDE = {r: side for side, regions in _BANDS.items() for r in regions}
_LOBE_SIDE = {r: side for side, regions in LOBES.items() for r in regions}
_HILUM_SIDE = {Region.RIGHT_HILUM: Side.RIGHT, Region.LEFT_HILUM: Side.LEFT}
_SEGMENTED = frozenset(
    {
        Region.RIGHT_LUNG,
        Region.LEFT_LUNG,
        Region.HEART,
        Region.RIGHT_CLAVICLE,
        Region.LEFT_CLAVICLE,
    }
)


@dataclass(frozen=True, slots=True)
class GridTransform:
    """Maps image pixels to the square working grid: grid = image * scale + offset."""

    scale: float
    offset_x: float
    offset_y: float
    size: int

    @classmethod
    def letterbox(cls, rows: int, cols: int, size: int) -> GridTransform:
        """The symmetric square letterbox, padded by whole pixels before resizing.

        This is the same geometry as the segmentation network's input.
        """
        side = max(rows, cols)
        scale = size / side
        return cls(
            scale, ((side - cols) // 2) * scale, ((side - rows) // 2) * scale, size
        )

    def to_grid(self, p: Point) -> Point:
        return (p[0] * self.scale + self.offset_x, p[1] * self.scale + self.offset_y)

    def to_image(self, g: Point) -> Point:
        return (
            (g[0] - self.offset_x) / self.scale,
            (g[1] - self.offset_y) / self.scale,
        )

    def points_to_image(self, pts: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        out = np.asarray(pts, dtype=np.float64).copy()
        out[:, 0] = (out[:, 0] - self.offset_x) / self.scale
        out[:, 1] = (out[:, 1] - self.offset_y) / self.scale
        return out


# Places where the analysis keeps a finding outside the field as lung (analysis._placed).
HIDDEN_LUNG = frozenset(
    {Region.RETROCARDIAC, Region.RIGHT_HEMIDIAPHRAGM, Region.LEFT_HEMIDIAPHRAGM}
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Location:
    """Where a point lies, in the words a report uses."""

    side: Side
    zone: Zone | None
    band: Band | None
    lobe: Region | None
    inside_lung: bool
    regions: tuple[Region, ...]

    @property
    def in_lung(self) -> bool:
        """In a lung field, or lung the film projects behind the heart or below a dome.

        The analysis marks lung behind the heart or a dome outside the field (so the
        words say where it hides) and names the place among its regions.
        """
        return self.inside_lung or any(r in HIDDEN_LUNG for r in self.regions)

    @property
    def zone_region(self) -> Region | None:
        if self.zone is None or self.side is Side.MIDLINE:
            return None
        return _ZONES[self.side][list(Zone).index(self.zone)]

    @property
    def band_region(self) -> Region | None:
        if self.band is None or self.side is Side.MIDLINE:
            return None
        return _BANDS[self.side][list(Band).index(self.band)]


@dataclass(frozen=True, slots=True, kw_only=True)
class LungExtent:
    """Row-wise extent of one lung field on the grid."""

    side: Side
    top: int
    bottom: int
    medial: npt.NDArray[np.float64] = field(repr=False)  # per row, NaN outside the lung
    lateral: npt.NDArray[np.float64] = field(repr=False)

    @property
    def height(self) -> int:
        return self.bottom - self.top + 1

    def level(self, fraction: float) -> float:
        return self.top + fraction * self.height


@dataclass(frozen=True, slots=True, kw_only=True)
class AnatomyMap:
    """Regions, landmarks and derived measures of one frontal film.

    Masks live on the square working grid (`grid`); landmarks and polygons are returned in
    image pixels. `confidence` is the segmentation's per-pixel confidence in its own label
    (lung, heart, clavicle or background, 0..1); a region's own confidence, lower for
    regions derived by rule, comes from `confidence_map`, `region_confidence` and
    `landmark_confidence`.
    """

    grid: GridTransform
    masks: dict[Region, BoolMask] = field(repr=False)
    confidence: npt.NDArray[np.float32] = field(repr=False)
    landmarks: dict[str, Point]
    zone_rule: ZoneRule
    zone_lines: dict[str, float]  # e.g. "right_upper_middle": y in image pixels
    cardiothoracic_ratio: float | None
    heart_width_px: float | None
    thoracic_width_px: float | None
    midline_x: float | None  # image pixels
    lungs_found: bool

    def mask(self, region: Region) -> BoolMask:
        return self.masks.get(
            region, np.zeros((self.grid.size, self.grid.size), dtype=bool)
        )

    def polygon(self, region: Region) -> npt.NDArray[np.float64]:
        """Outer contour of the region's largest part, in image pixels."""
        pts = mask_to_polygon(self.mask(region), epsilon_px=1.0)
        return self.grid.points_to_image(pts) if len(pts) else pts

    def regions_at(self, p: Point) -> tuple[Region, ...]:
        gx, gy = self._cell(p)
        if gx is None or gy is None:
            return ()
        return tuple(r for r, m in self.masks.items() if m[gy, gx])

    def confidence_at(self, p: Point) -> float:
        """The segmentation's confidence at a point (of whichever label it carries)."""
        gx, gy = self._cell(p)
        return 0.0 if gx is None or gy is None else float(self.confidence[gy, gx])

    def confidence_map(self, region: Region) -> npt.NDArray[np.float32]:
        """Per-pixel confidence (0..1, on the grid) that a pixel belongs to `region`.

        Segmented labels carry the network's confidence; derived regions carry it scaled
        down toward their rule boundaries and capped (see the notes at `_RULE_CEILING`).
        """
        if region in _SEGMENTED:
            return self.confidence
        return (self.confidence * self._derived_factor(region)).astype(np.float32)

    def region_confidence(self, region: Region) -> float | None:
        """Mean confidence over a region's pixels, or None when the region is empty."""
        mask = self.mask(region)
        if not mask.any():
            return None
        return round(float(self.confidence_map(region)[mask].mean()), 3)

    def landmark_confidence(self, name: str) -> float:
        """Confidence of a landmark point: the hila are estimates from a prior."""
        point = self.landmarks.get(name)
        if point is None:
            return 0.0
        ceiling = _HILUM_CEILING if name.endswith("_hilum") else _RULE_CEILING
        return round(ceiling * self.confidence_at(point), 3)

    def _derived_factor(self, region: Region) -> npt.NDArray[np.float64]:
        size = self.grid.size
        side = (
            _ZONE_SIDE.get(region)
            or _BAND_SIDE.get(region)
            or _LOBE_SIDE.get(region)
            or _HILUM_SIDE.get(region)
        )
        ext = None if side is None else _lung_extent(self.mask(_LUNG[side]), side)
        if side is None or ext is None:
            ceiling = _LOBE_CEILING if region in _LOBE_SIDE else _RULE_CEILING
            return np.full((size, size), ceiling)
        rows = np.arange(size, dtype=np.float64)[:, None]
        if region in _ZONE_SIDE:
            levels = [ext.level(1 / 3), ext.level(2 / 3)]
            return _boundary_factor(rows, levels, _BOUNDARY_SPAN * ext.height)
        if region in _BAND_SIDE:
            cols = np.arange(size, dtype=np.float64)[None, :]
            t = _band_fraction(ext, cols, size)
            return _boundary_factor(t, [1 / 3, 2 / 3], _BOUNDARY_SPAN)
        if region in _LOBE_SIDE:
            levels = [ext.level(_FISSURE_LEVEL), ext.level(_BASAL_LEVEL)]
            factor = _boundary_factor(rows, levels, _BOUNDARY_SPAN * ext.height)
            return _LOBE_CEILING * factor
        # A hilum: the point estimate, less sure toward the edge of its region.
        gx, gy = self.grid.to_grid(self.landmarks[f"{side.value}_hilum"])
        yy, xx = np.mgrid[0:size, 0:size]
        distance = np.hypot(xx - gx, yy - gy)
        mask = self.mask(region)
        reach = float(distance[mask].max()) if mask.any() else 1.0
        return _HILUM_CEILING * (1.0 - 0.5 * np.clip(distance / max(reach, 1.0), 0, 1))

    def _cell(self, p: Point) -> tuple[int | None, int | None]:
        gx, gy = self.grid.to_grid(p)
        ix, iy = round(gx), round(gy)
        if 0 <= ix < self.grid.size and 0 <= iy < self.grid.size:
            return ix, iy
        return None, None

    def side_of(self, p: Point) -> Side:
        """The patient's side of a point; PA convention: image left is patient right."""
        if self.midline_x is None:
            return (
                Side.RIGHT
                if p[0] < self.grid.to_image((self.grid.size / 2, 0))[0]
                else Side.LEFT
            )
        half_width = (self.thoracic_width_px or 0) * 0.03
        if abs(
            p[0] - self.midline_x
        ) <= half_width and Region.MEDIASTINUM in self.regions_at(p):
            return Side.MIDLINE
        return Side.RIGHT if p[0] < self.midline_x else Side.LEFT

    def lobes_near(self, p: Point, half_height_px: float = 0.0) -> tuple[Region, ...]:
        """The projected lobe at a point, then the lobe across a boundary that is near.

        Near: the lesion's upper or lower edge (`half_height_px` above or below the
        point, in image pixels) lies within half `_BOUNDARY_SPAN` of a projected lobe
        boundary, where this map's own lobe confidence (`confidence_map`) has fallen
        closer to a coin flip (half its ceiling on the boundary) than to its ceiling.
        There the film cannot say which of the two lobes the lesion lies in.
        """
        lobe = self.locate(p).lobe
        side = self.side_of(p)
        if lobe is None or side not in LOBES:
            return ()
        ext = _lung_extent(self.mask(_LUNG[side]), side)
        if ext is None:
            return (lobe,)
        y = self.grid.to_grid(p)[1]
        reach = half_height_px * self.grid.scale
        upper, middle, lower = LOBES[side]
        fissure, base = ext.level(_FISSURE_LEVEL), ext.level(_BASAL_LEVEL)
        near = _BOUNDARY_SPAN / 2 * ext.height
        across = []
        for level, above, below in ((fissure, upper, middle), (base, middle, lower)):
            if abs(y - level) - reach < near:
                across += [above, below]
        return tuple(dict.fromkeys([lobe, *across]))

    def locate(self, p: Point) -> Location:
        """Side, zone, band and projected lobe of an image point (also outside the lungs)."""
        regions = self.regions_at(p)
        side = self.side_of(p)
        inside = _LUNG.get(side) in regions if side is not Side.MIDLINE else False
        if side is Side.MIDLINE:
            return Location(
                side=side,
                zone=None,
                band=None,
                lobe=None,
                inside_lung=False,
                regions=regions,
            )
        zone = next(
            (Zone(list(Zone)[i]) for i, r in enumerate(_ZONES[side]) if r in regions),
            None,
        )
        band = next(
            (Band(list(Band)[i]) for i, r in enumerate(_BANDS[side]) if r in regions),
            None,
        )
        lobe = next((r for r in LOBES[side] if r in regions), None)
        if zone is None or band is None:
            zone, band = self._nearest_zone_band(p, side, zone, band)
        return Location(
            side=side,
            zone=zone,
            band=band,
            lobe=lobe,
            inside_lung=inside,
            regions=regions,
        )

    def _nearest_zone_band(
        self, p: Point, side: Side, zone: Zone | None, band: Band | None
    ) -> tuple[Zone | None, Band | None]:
        """Zone and band of a point outside the lung field (over the heart, below a dome)."""
        upper = self.zone_lines.get(f"{side.value}_upper_middle")
        lower = self.zone_lines.get(f"{side.value}_middle_lower")
        if zone is None and upper is not None and lower is not None:
            zone = (
                Zone.UPPER
                if p[1] < upper
                else Zone.MIDDLE
                if p[1] < lower
                else Zone.LOWER
            )
        if band is None and self.midline_x is not None and self.thoracic_width_px:
            # Fraction of the hemithorax width from the midline outward.
            t = abs(p[0] - self.midline_x) / (self.thoracic_width_px / 2)
            band = Band.INNER if t < 0.45 else Band.MIDDLE if t < 0.72 else Band.OUTER
        return zone, band

    # -- serialisation -------------------------------------------------------------
    def to_npz(self) -> dict[str, npt.NDArray[np.generic]]:
        arrays: dict[str, npt.NDArray[np.generic]] = {
            f"mask__{r.value}": np.packbits(m) for r, m in self.masks.items()
        }
        arrays["confidence"] = np.round(self.confidence * 255).astype(np.uint8)
        return arrays

    @classmethod
    def from_npz(
        cls, arrays: dict[str, npt.NDArray[np.generic]], meta: dict[str, object]
    ) -> AnatomyMap:
        size = int(meta["grid_size"])  # type: ignore[call-overload]
        grid = GridTransform(
            float(meta["grid_scale"]),  # type: ignore[arg-type]
            float(meta["grid_offset_x"]),  # type: ignore[arg-type]
            float(meta["grid_offset_y"]),  # type: ignore[arg-type]
            size,
        )
        masks = {
            Region(k.removeprefix("mask__")): np.unpackbits(v.astype(np.uint8))[
                : size * size
            ]
            .reshape(size, size)
            .astype(bool)
            for k, v in arrays.items()
            if k.startswith("mask__")
        }
        stored_landmarks = cast(dict[str, list[float]], meta["landmarks"])
        stored_lines = cast(dict[str, float], meta["zone_lines"])
        landmarks = {k: (float(v[0]), float(v[1])) for k, v in stored_landmarks.items()}
        return cls(
            grid=grid,
            masks=masks,
            confidence=arrays["confidence"].astype(np.float32) / np.float32(255),
            landmarks=landmarks,
            zone_rule=ZoneRule(str(meta["zone_rule"])),
            zone_lines={k: float(v) for k, v in stored_lines.items()},
            cardiothoracic_ratio=_opt_float(meta.get("cardiothoracic_ratio")),
            heart_width_px=_opt_float(meta.get("heart_width_px")),
            thoracic_width_px=_opt_float(meta.get("thoracic_width_px")),
            midline_x=_opt_float(meta.get("midline_x")),
            lungs_found=bool(meta["lungs_found"]),
        )

    def meta(self) -> dict[str, object]:
        return {
            "grid_size": self.grid.size,
            "grid_scale": self.grid.scale,
            "grid_offset_x": self.grid.offset_x,
            "grid_offset_y": self.grid.offset_y,
            "landmarks": {k: list(v) for k, v in self.landmarks.items()},
            "zone_rule": self.zone_rule.value,
            "zone_lines": self.zone_lines,
            "cardiothoracic_ratio": self.cardiothoracic_ratio,
            "heart_width_px": self.heart_width_px,
            "thoracic_width_px": self.thoracic_width_px,
            "midline_x": self.midline_x,
            "lungs_found": self.lungs_found,
        }


# What a frontal chest film looks like to the map, measured on the 56 development and
# 170 training films: the lung fields cover 15-46 % of the image (7 % with one hemithorax
# opacified), the heart's centre lies between the lungs' centres (31-72 % of the way from
# the right lung's), the lungs' centre lies in the upper 53 % of the image, and the
# smaller lung field is at least 58 % of the larger (2 % with an opacified hemithorax).
# The canine lateral thorax of the shared DICOM files: lungs cover 0.5 % of the image.
_LUNG_AREA_RANGE = (0.02, 0.75)
_MIN_LUNG_RATIO = 0.25
_MAX_LUNG_CENTRE = 0.75


def frontal_chest_doubts(anatomy: AnatomyMap, rows: int, cols: int) -> tuple[str, ...]:
    """Reasons the film does not look like a frontal chest radiograph; () when it does.

    A film is doubted when its lung fields cover almost none or almost all of the image,
    or when two of the other checks fail (left/right lung area ratio, heart between the
    lungs, lungs in the upper three quarters): one alone is common pathology, such as an
    opacified hemithorax that shrinks one lung field; two together are not a frontal
    chest. Films without two lung fields are reported by `lungs_found` instead. `rows`
    and `cols` are the size of the image as imported.
    """
    if not anatomy.lungs_found:
        return ()
    grid = anatomy.grid
    right = anatomy.mask(Region.RIGHT_LUNG)
    left = anatomy.mask(Region.LEFT_LUNG)
    heart = anatomy.mask(Region.HEART)
    area = float((right | left).sum()) / (rows * cols * grid.scale**2)
    lo, hi = _LUNG_AREA_RANGE
    if not lo <= area <= hi:
        return (f"the lung fields cover {area:.1%} of the image",)
    doubts = []
    smaller, larger = sorted((float(right.sum()), float(left.sum())))
    if smaller < _MIN_LUNG_RATIO * larger:
        doubts.append(f"one lung field is {smaller / larger:.0%} of the other")
    right_x = float(np.nonzero(right)[1].mean())
    left_x = float(np.nonzero(left)[1].mean())
    if not heart.any():
        doubts.append("no cardiac silhouette was found")
    elif not right_x < float(np.nonzero(heart)[1].mean()) < left_x:
        doubts.append("the heart does not lie between the lung fields")
    centre = (float(np.nonzero(right | left)[0].mean()) - grid.offset_y) / (
        rows * grid.scale
    )
    if centre > _MAX_LUNG_CENTRE:
        doubts.append(
            f"the lung fields' centre lies at {centre:.0%} of the image height"
        )
    return tuple(doubts) if len(doubts) >= 2 else ()


def unread_lung_sides(anatomy: AnatomyMap) -> tuple[Side, ...]:
    """Sides whose lung field the segmentation did not outline, so nothing there was read.

    A side is unread when no lung field was found on it, or when its field is smaller
    than `_MIN_LUNG_RATIO` of the other side's: the check `frontal_chest_doubts` makes,
    which alone is common pathology (an opacified or collapsed hemithorax shrinks the
    field traced), so the film is read, but the detector searched almost none of that
    lung and a negative answer about it would mean nothing.
    """
    areas = {
        Side.RIGHT: int(anatomy.mask(Region.RIGHT_LUNG).sum()),
        Side.LEFT: int(anatomy.mask(Region.LEFT_LUNG).sum()),
    }
    larger = max(areas.values())
    return tuple(
        side
        for side, area in areas.items()
        if area == 0 or area < _MIN_LUNG_RATIO * larger
    )


def _opt_float(value: object) -> float | None:
    return None if value is None else float(value)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True, kw_only=True)
class StructureMasks:
    """Segmented structures on the working grid, with their probabilities (0..1)."""

    right_lung: BoolMask
    left_lung: BoolMask
    heart: BoolMask
    right_clavicle: BoolMask
    left_clavicle: BoolMask
    probability: npt.NDArray[np.float32] = field(
        repr=False
    )  # (5, G, G) in the order above


def build_anatomy_map(
    structures: StructureMasks,
    grid: GridTransform,
    image_on_grid: npt.NDArray[np.float32],
) -> AnatomyMap:
    """Derive every region and landmark from the segmented structures.

    Args:
        structures: lung, heart and clavicle masks on the working grid.
        grid: the image-to-grid transform.
        image_on_grid: the radiograph resampled onto the grid (0..1), used to refine the
            hilum points toward the dense hilar vessels.
    """
    size = grid.size
    masks: dict[Region, BoolMask] = {}
    extents: dict[Side, LungExtent] = {}
    for side, lung in (
        (Side.RIGHT, structures.right_lung),
        (Side.LEFT, structures.left_lung),
    ):
        masks[_LUNG[side]] = lung
        extent = _lung_extent(lung, side)
        if extent is not None:
            extents[side] = extent
    masks[Region.HEART] = structures.heart
    masks[Region.RIGHT_CLAVICLE] = structures.right_clavicle
    masks[Region.LEFT_CLAVICLE] = structures.left_clavicle

    rows = np.arange(size, dtype=np.float64)[:, None]
    cols = np.arange(size, dtype=np.float64)[None, :]
    landmarks: dict[str, Point] = {}
    zone_lines: dict[str, float] = {}
    for side, ext in extents.items():
        lung = masks[_LUNG[side]]
        upper_line, lower_line = ext.level(1 / 3), ext.level(2 / 3)
        zone_lines[f"{side.value}_upper_middle"] = grid.to_image((0, upper_line))[1]
        zone_lines[f"{side.value}_middle_lower"] = grid.to_image((0, lower_line))[1]
        upper, middle, lower = _ZONES[side]
        masks[upper] = lung & (rows < upper_line)
        masks[middle] = lung & (rows >= upper_line) & (rows < lower_line)
        masks[lower] = lung & (rows >= lower_line)

        t = _band_fraction(ext, cols, size)
        inner, mid, outer = _BANDS[side]
        masks[inner] = lung & (t < 1 / 3)
        masks[mid] = lung & (t >= 1 / 3) & (t < 2 / 3)
        masks[outer] = lung & (t >= 2 / 3)

        _add_apex(masks, side, ext, lung, rows)
        _add_basal_regions(
            masks, structures.heart, landmarks, side, ext, lung, rows, t, grid
        )
        _add_lobes(masks, side, ext, lung, rows)
        hilum = _hilum_point(ext, lung, image_on_grid, side)
        landmarks[f"{side.value}_hilum"] = grid.to_image(hilum)
        masks[Region.RIGHT_HILUM if side is Side.RIGHT else Region.LEFT_HILUM] = (
            _hilum_region(hilum, ext, lung, t, size)
        )
        landmarks[f"{side.value}_apex"] = grid.to_image(_apex_point(ext, lung))

    midline_grid = _midline(extents)
    mediastinum = _mediastinum(extents, structures.heart, size)
    masks[Region.MEDIASTINUM] = mediastinum
    masks[Region.RETROCARDIAC] = _retrocardiac(structures.heart, midline_grid, size)

    heart_width, thoracic_width = _widths(structures.heart, extents)
    ctr = heart_width / thoracic_width if heart_width and thoracic_width else None
    confidence = _confidence(structures.probability)
    return AnatomyMap(
        grid=grid,
        masks=masks,
        confidence=confidence,
        landmarks=landmarks,
        zone_rule=ZoneRule.EQUAL_THIRDS,
        zone_lines=zone_lines,
        cardiothoracic_ratio=None if ctr is None else round(ctr, 3),
        heart_width_px=None if heart_width is None else heart_width / grid.scale,
        thoracic_width_px=None
        if thoracic_width is None
        else thoracic_width / grid.scale,
        midline_x=None if midline_grid is None else grid.to_image((midline_grid, 0))[0],
        lungs_found=len(extents) == 2,
    )


def _boundary_factor(
    values: npt.NDArray[np.float64], boundaries: list[float], span: float
) -> npt.NDArray[np.float64]:
    """1 at `span` or more from every boundary, falling linearly to 0.5 on one."""
    distance = np.min([np.abs(values - b) for b in boundaries], axis=0)
    return np.asarray(0.5 + 0.5 * np.clip(distance / span, 0.0, 1.0))


def _lung_extent(lung: BoolMask, side: Side) -> LungExtent | None:
    rows_any = np.flatnonzero(lung.any(axis=1))
    if len(rows_any) < 8:
        return None
    size = lung.shape[1]
    present = lung.any(axis=1)
    left_edge = np.where(present, np.argmax(lung, axis=1).astype(np.float64), np.nan)
    right_edge = np.where(
        present,
        (size - 1 - np.argmax(lung[:, ::-1], axis=1)).astype(np.float64),
        np.nan,
    )
    # Patient right lung lies on the image left: its medial edge is its image-right edge.
    medial, lateral = (
        (right_edge, left_edge) if side is Side.RIGHT else (left_edge, right_edge)
    )
    return LungExtent(
        side=side,
        top=int(rows_any[0]),
        bottom=int(rows_any[-1]),
        medial=medial,
        lateral=lateral,
    )


def _filled_edges(values: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Row edges with gaps filled by the nearest row (so bands continue across notches)."""
    valid = np.flatnonzero(~np.isnan(values))
    if len(valid) == 0:
        return values
    idx = np.arange(len(values))
    return np.interp(idx, valid, values[valid])


def _band_fraction(
    ext: LungExtent, cols: npt.NDArray[np.float64], size: int
) -> npt.NDArray[np.float64]:
    """Per-pixel fraction of the lung width from the medial (mediastinal) edge outward."""
    medial = _filled_edges(ext.medial)[:, None]
    lateral = _filled_edges(ext.lateral)[:, None]
    width = np.where(np.abs(lateral - medial) < 1, 1.0, lateral - medial)
    return np.clip((cols - medial) / width, -1.0, 2.0)


def _add_apex(
    masks: dict[Region, BoolMask],
    side: Side,
    ext: LungExtent,
    lung: BoolMask,
    rows: npt.NDArray[np.float64],
) -> None:
    """Apex above the clavicle's lower border; subclavicular between it and the mid zone."""
    clavicle = masks[
        Region.RIGHT_CLAVICLE if side is Side.RIGHT else Region.LEFT_CLAVICLE
    ]
    upper_line = ext.level(1 / 3)
    if clavicle.sum() > 20:
        ys = np.flatnonzero(clavicle.any(axis=1))
        # The clavicle's lower border over the lung: its lowest row where it crosses the lung.
        over_lung = clavicle & lung
        border = (
            float(np.flatnonzero(over_lung.any(axis=1))[-1])
            if over_lung.any()
            else float(ys[-1])
        )
        apex_line = min(max(border, ext.top + 2.0), upper_line - 2.0)
    else:
        apex_line = ext.level(_APEX_FALLBACK)
    apex = lung & (rows <= apex_line)
    masks[Region.RIGHT_APEX if side is Side.RIGHT else Region.LEFT_APEX] = apex
    masks[
        Region.RIGHT_SUBCLAVICULAR if side is Side.RIGHT else Region.LEFT_SUBCLAVICULAR
    ] = lung & (rows > apex_line) & (rows < upper_line)


def _add_basal_regions(
    masks: dict[Region, BoolMask],
    heart: BoolMask,
    landmarks: dict[str, Point],
    side: Side,
    ext: LungExtent,
    lung: BoolMask,
    rows: npt.NDArray[np.float64],
    t: npt.NDArray[np.float64],
    grid: GridTransform,
) -> None:
    """Costophrenic and cardiophrenic angles, and the hemidiaphragm below the lung base."""
    basal = lung & (rows >= ext.level(0.82))
    cpa = basal & (t >= 0.55)
    cardiophrenic = basal & (t <= 0.4)
    right = side is Side.RIGHT
    masks[
        Region.RIGHT_COSTOPHRENIC_ANGLE if right else Region.LEFT_COSTOPHRENIC_ANGLE
    ] = cpa
    masks[
        Region.RIGHT_CARDIOPHRENIC_ANGLE if right else Region.LEFT_CARDIOPHRENIC_ANGLE
    ] = cardiophrenic
    if cpa.any():
        ys, xs = np.nonzero(cpa)
        # The recess is the lung's lateral-inferior extreme, lowest and most lateral at
        # once (in fractions of the lung's height and width): the tip of a sharp recess,
        # the middle of a rounded (blunted) one. The lowest pixel alone slides medially
        # on a rounded base.
        lung_cols = np.flatnonzero(lung.any(axis=0))
        width = max(1, lung_cols[-1] - lung_cols[0])
        outward = (lung_cols[-1] - xs) if right else (xs - lung_cols[0])
        i = int(np.argmax((ys - ext.top) / ext.height + outward / width))
        landmarks[f"{side.value}_costophrenic_angle"] = grid.to_image(
            (float(xs[i]), float(ys[i]))
        )

    # The hemidiaphragm: a band just below the lowest lung pixel of each column, except
    # where the lung base rests on the heart (the cardiac border is not diaphragm).
    size = lung.shape[0]
    thickness = max(2, int(0.025 * size))
    bottoms = size - 1 - np.argmax(lung[::-1, :], axis=0)
    heart_below = np.zeros(size, dtype=bool)
    for x in np.flatnonzero(lung.any(axis=0)):
        y = int(bottoms[x])
        heart_below[x] = heart[y + 1 : y + 1 + 2 * thickness, x].any()
    # Only columns whose lung base is basal: medial columns can end at the aortic knob.
    basal_bottom = bottoms >= ext.level(0.7)
    cols_with_lung = np.flatnonzero(lung.any(axis=0) & ~heart_below & basal_bottom)
    diaphragm = np.zeros_like(lung)
    for x in cols_with_lung:
        y = int(bottoms[x])
        diaphragm[y + 1 : min(size, y + 1 + thickness), x] = True
    masks[Region.RIGHT_HEMIDIAPHRAGM if right else Region.LEFT_HEMIDIAPHRAGM] = (
        diaphragm
    )
    if len(cols_with_lung):
        # The dome is the highest point of the lung base over the lung's central half.
        lo, hi = np.percentile(cols_with_lung, [25, 75])
        central = cols_with_lung[(cols_with_lung >= lo) & (cols_with_lung <= hi)]
        x_dome = int(central[np.argmin(bottoms[central])])
        landmarks[f"{side.value}_hemidiaphragm_dome"] = grid.to_image(
            (float(x_dome), float(bottoms[x_dome]))
        )


def _add_lobes(
    masks: dict[Region, BoolMask],
    side: Side,
    ext: LungExtent,
    lung: BoolMask,
    rows: npt.NDArray[np.float64],
) -> None:
    """Projected lobes on a PA film (approximate by construction).

    Above the horizontal fissure level: upper lobe. Between the fissure and the lung base
    the middle lobe (right) or lingula (left) projects; the basal quarter projects the lower
    lobe. On a frontal film the lobes overlap front to back (the lower lobe's superior
    segment projects at hilar level), so a lobe named here is a hypothesis for the reader.
    """
    fissure = ext.level(_FISSURE_LEVEL)
    base = ext.level(_BASAL_LEVEL)
    upper_lobe, middle_lobe, lower_lobe = LOBES[side]
    masks[upper_lobe] = lung & (rows < fissure)
    masks[middle_lobe] = lung & (rows >= fissure) & (rows < base)
    masks[lower_lobe] = lung & (rows >= base)


def _hilum_point(
    ext: LungExtent, lung: BoolMask, image: npt.NDArray[np.float32], side: Side
) -> Point:
    """The hilar reference point: an anatomical prior refined toward the densest vessels.

    The prior sits on the medial lung border at the hilar level, a little lateral to it;
    within a small window the point moves to the peak of the smoothed density, where the
    main pulmonary artery branches project.
    """
    y0 = round(ext.level(_HILUM_LEVEL[side]))
    medial = _filled_edges(ext.medial)
    lateral = _filled_edges(ext.lateral)
    width = abs(lateral[y0] - medial[y0])
    direction = -1.0 if side is Side.RIGHT else 1.0  # lateral direction on the image
    x0 = medial[y0] + direction * 0.12 * width
    size = image.shape[0]
    half_h = max(2, int(0.07 * ext.height))
    half_w = max(2, int(0.1 * width))
    ya, yb = max(0, y0 - half_h), min(size, y0 + half_h + 1)
    xa, xb = max(0, int(x0) - half_w), min(size, int(x0) + half_w + 1)
    window = image[ya:yb, xa:xb]
    if window.size == 0:
        return (float(x0), float(y0))
    smooth = ndimage.gaussian_filter(
        window.astype(np.float64), sigma=max(1.0, size / 256)
    )
    # Stay within the lung or just medial to it: the hilum is not in the spine.
    near_lung = ndimage.binary_dilation(lung, iterations=max(1, size // 64))[
        ya:yb, xa:xb
    ]
    yy, xx = np.mgrid[ya:yb, xa:xb]
    prior = np.exp(-(((xx - x0) / half_w) ** 2 + ((yy - y0) / half_h) ** 2))
    score = np.where(near_lung, smooth * (0.5 + 0.5 * prior), -np.inf)
    iy, ix = np.unravel_index(int(np.argmax(score)), score.shape)
    if not np.isfinite(score[iy, ix]):
        return (float(x0), float(y0))
    return (float(xa + ix), float(ya + iy))


def _hilum_region(
    hilum: Point, ext: LungExtent, lung: BoolMask, t: npt.NDArray[np.float64], size: int
) -> BoolMask:
    yy, xx = np.mgrid[0:size, 0:size]
    medial = _filled_edges(ext.medial)
    lateral = _filled_edges(ext.lateral)
    width = max(4.0, abs(lateral[int(hilum[1])] - medial[int(hilum[1])]))
    rx, ry = 0.22 * width, 0.09 * ext.height
    ellipse = ((xx - hilum[0]) / rx) ** 2 + ((yy - hilum[1]) / ry) ** 2 <= 1.0
    return (
        ellipse
        & (t < 0.45)
        & ndimage.binary_dilation(lung, iterations=max(1, size // 100))
    )


def _apex_point(ext: LungExtent, lung: BoolMask) -> Point:
    xs = np.flatnonzero(lung[ext.top])
    return (float(xs.mean()), float(ext.top))


def _midline(extents: dict[Side, LungExtent]) -> float | None:
    """Midline as the mean of the two medial lung borders over the upper half."""
    if len(extents) < 2:
        return None
    r, le = extents[Side.RIGHT], extents[Side.LEFT]
    top = max(r.top, le.top)
    bottom = min(r.level(0.5), le.level(0.5))
    rows = np.arange(top, max(top + 1, int(bottom)))
    mids = (r.medial[rows] + le.medial[rows]) / 2
    mids = mids[~np.isnan(mids)]
    return float(np.median(mids)) if len(mids) else None


def _mediastinum(
    extents: dict[Side, LungExtent], heart: BoolMask, size: int
) -> BoolMask:
    """Between the medial lung borders, from the apices down to the heart's base, minus the heart."""
    out = np.zeros((size, size), dtype=bool)
    if len(extents) < 2:
        return out
    r, le = extents[Side.RIGHT], extents[Side.LEFT]
    rm, lm = _filled_edges(r.medial), _filled_edges(le.medial)
    top = min(r.top, le.top)
    heart_rows = np.flatnonzero(heart.any(axis=1))
    bottom = int(heart_rows[-1]) if len(heart_rows) else min(r.bottom, le.bottom)
    for y in range(top, bottom + 1):
        a, b = int(np.ceil(rm[y])) + 1, int(np.floor(lm[y]))
        if b > a:
            out[y, a:b] = True
    return out & ~heart


def _retrocardiac(heart: BoolMask, midline: float | None, size: int) -> BoolMask:
    """The part of the cardiac silhouette left of the midline, lower two thirds."""
    if midline is None or not heart.any():
        return np.zeros((size, size), dtype=bool)
    ys = np.flatnonzero(heart.any(axis=1))
    top, bottom = ys[0], ys[-1]
    rows = np.arange(size)[:, None]
    cols = np.arange(size)[None, :]
    return heart & (cols > midline) & (rows >= top + (bottom - top) / 3)


def _widths(
    heart: BoolMask, extents: dict[Side, LungExtent]
) -> tuple[float | None, float | None]:
    """Maximal transverse cardiac diameter and maximal internal thoracic diameter (grid px)."""
    heart_width = None
    if heart.any():
        rows = np.flatnonzero(heart.any(axis=1))
        left = np.argmax(heart[rows], axis=1)
        right = heart.shape[1] - 1 - np.argmax(heart[rows, ::-1], axis=1)
        heart_width = float((right - left + 1).max())
    if len(extents) < 2:
        return heart_width, None
    r, le = extents[Side.RIGHT], extents[Side.LEFT]
    span = le.lateral - r.lateral
    valid = span[~np.isnan(span)]
    thoracic = float(valid.max() + 1) if len(valid) else None
    return heart_width, thoracic


def _confidence(probability: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    top = probability.max(axis=0)
    # Background pixels are as certain as no structure claims them.
    return np.where(top >= 0.5, top, 1.0 - top).astype(np.float32)


def resize_to_grid(
    image: npt.NDArray[np.float32], grid: GridTransform
) -> npt.NDArray[np.float32]:
    """Letterbox an image onto the square grid (padding with the border median)."""
    rows, cols = image.shape
    side = max(rows, cols)
    top, left = (side - rows) // 2, (side - cols) // 2
    border = float(
        np.median(np.concatenate([image[0], image[-1], image[:, 0], image[:, -1]]))
    )
    square = cv2.copyMakeBorder(
        image.astype(np.float32, copy=False),
        top,
        side - rows - top,
        left,
        side - cols - left,
        cv2.BORDER_CONSTANT,
        value=border,
    )
    interpolation = cv2.INTER_AREA if side >= grid.size else cv2.INTER_LINEAR
    return cv2.resize(
        square, (grid.size, grid.size), interpolation=interpolation
    ).astype(np.float32)
