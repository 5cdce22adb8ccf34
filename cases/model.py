"""Typed records of the case database: what ``CaseStore`` reads and writes.

Each stored record knows its columns (``COLUMNS``), builds itself from a DuckDB row
(``from_row``) and turns itself back into bindable column values (``to_row``). The audit
chain hashes ``payload(record)``, the canonical JSON form of ``to_row()``, so a record read
back from the database hashes exactly as it did when it was written.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any, ClassVar, NewType, Protocol

from cases.errors import InvalidRecord
from cases.geometry import Geometry, geometry_from_json, geometry_to_json
from cases.rows import (
    Codec,
    Part,
    Stored,
    canonical_json,
    flattened,
    from_db_time,
    json_list,
)
from kernel import (
    AnchorKind,
    AnchorStatus,
    Calibration,
    CalibrationSource,
    InvalidValue,
    Language,
    Side,
    turn_number,
)
from ontology.model import MatchStatus

CaseId = NewType("CaseId", str)
"""Case identifier such as ``C000042``."""
ImageId = NewType("ImageId", str)
"""SHA-256 (hex) of the decoded pixel array: dtype, shape and bytes."""
ConversationId = NewType("ConversationId", int)
AnchorId = NewType("AnchorId", str)
"""Anchor identifier within one conversation, such as ``A3``."""
AnnotationId = NewType("AnnotationId", int)

JsonObject = dict[str, Any]


# --------------------------------------------------------------------------- enums


class SourceFormat(StrEnum):
    """File format the image was imported from."""

    DICOM = "dicom"
    PNG = "png"
    JPEG = "jpeg"


class ModalityLutSource(StrEnum):
    """How stored values become modality values (DICOM PS3.3 C.11.1)."""

    MODALITY_LUT_SEQUENCE = "ModalityLUTSequence"
    RESCALE = "rescale"
    IDENTITY = "identity"


class VoiSource(StrEnum):
    """How modality values become display values (DICOM PS3.3 C.11.2)."""

    VOI_LUT_SEQUENCE = "VOILUTSequence"
    WINDOW = "window"
    """Window Center / Width, first pair when several are given."""
    MIN_MAX = "minmax"
    """No VOI in the file: the image's own value range."""
    BIT_DEPTH = "bitdepth"
    """8-bit PNG/JPEG: values shown as stored (0 black, 255 white)."""


class IssueCode(StrEnum):
    """Why an image carries an intake warning."""

    BURNED_IN_ANNOTATION = "burned_in_annotation"
    LATERAL_VIEW = "lateral_view"
    NON_FRONTAL_VIEW = "non_frontal_view"
    VIEW_POSITION_MISSING = "view_position_missing"
    NON_CHEST_BODY_PART = "non_chest_body_part"
    BODY_PART_UNRECOGNISED = "body_part_unrecognised"
    NON_HUMAN = "non_human"
    NOT_A_RADIOGRAPH_MODALITY = "not_a_radiograph_modality"
    FOR_PROCESSING = "for_processing"
    NO_CALIBRATION = "no_calibration"
    INVALID_PIXEL_SPACING = "invalid_pixel_spacing"
    LOSSY_COMPRESSION = "lossy_compression"
    COLOR_CONVERTED = "color_converted"
    SMALL_IMAGE = "small_image"
    INVALID_WINDOW = "invalid_window"
    BURNED_IN_TEXT_BLANKED = "burned_in_text_blanked"


class BurnedInPolicy(StrEnum):
    """When the intake looks for burned-in text in the pixels and blanks it."""

    OFF = "off"
    """Never change pixels (a BurnedInAnnotation YES header still gives a warning)."""
    AUTO = "auto"
    """Blank detected text when (0028,0301) Burned In Annotation is YES (default)."""
    ALWAYS = "always"
    """Look for text on every image (``casebook import --blank-burned-in``)."""


class Severity(StrEnum):
    """How loudly the user interface shows an import issue."""

    WARNING = "warning"
    INFO = "info"


SignStatus = MatchStatus
"""A scorecard item's result on this radiograph: the ontology's one ``MatchStatus``."""


class Verdict(StrEnum):
    """A reviewer's judgement of an AI anchor or turn."""

    AGREE = "agree"
    DISAGREE = "disagree"
    UNCERTAIN = "uncertain"


class ImportStatus(StrEnum):
    """What an import did."""

    IMPORTED = "imported"
    EXISTING = "existing"
    """The same pixels were already stored; nothing was written."""


class CaseSort(StrEnum):
    """Orderings offered by the case list."""

    NEWEST = "newest"
    OLDEST = "oldest"
    CASE_ID = "case_id"
    MOST_TURNS = "most_turns"
    LAST_ACTIVITY = "last_activity"


# --------------------------------------------------------------------------- helpers


def utc_now() -> datetime:
    """Return the current time in UTC, at DuckDB's microsecond precision."""
    return datetime.now(UTC)


def _load_json(value: str | None) -> Any:
    return None if value is None else json.loads(value)


def _pair(values: Sequence[float]) -> tuple[float, float]:
    if len(values) != 2:
        raise InvalidRecord(f"expected two numbers, got {list(values)!r}")
    return float(values[0]), float(values[1])


def _check_probability(name: str, value: float | None) -> None:
    if value is not None and not (math.isfinite(value) and 0.0 <= value <= 1.0):
        raise InvalidRecord(f"{name} must be in [0, 1], got {value!r}")


def _check_non_negative(name: str, value: float | None) -> None:
    if value is not None and not (math.isfinite(value) and value >= 0.0):
        raise InvalidRecord(f"{name} must be a finite number >= 0, got {value!r}")


class Row(Protocol):
    """A stored record: its columns, a row constructor and its column values."""

    COLUMNS: ClassVar[tuple[str, ...]]
    JSON_COLUMNS: ClassVar[frozenset[str]]

    def to_row(self) -> dict[str, Any]: ...


def payload(record: Row) -> JsonObject:
    """Return the canonical JSON-ready form of a stored record (what the audit hashes)."""
    result: JsonObject = {}
    for column, value in record.to_row().items():
        if column in record.JSON_COLUMNS:
            result[column] = _load_json(value)
        elif isinstance(value, datetime):
            result[column] = from_db_time(value).isoformat()
        elif isinstance(value, tuple | list):
            result[column] = list(value)
        else:
            result[column] = value
    return result


# --------------------------------------------------------------------------- images


def calibration(
    row_mm: float | None, col_mm: float | None, source: CalibrationSource
) -> Calibration:
    """Return the calibration of an image, as the case store checks it.

    Raises:
        InvalidRecord: a spacing is not a positive finite number, or it disagrees with
            the source (the kernel's message, as a bad record of the case store).
    """
    try:
        return Calibration(row_mm=row_mm, col_mm=col_mm, source=source)
    except InvalidValue as exc:
        raise InvalidRecord(str(exc)) from exc


@dataclass(frozen=True, slots=True, kw_only=True)
class ImportIssue:
    """A tolerable problem found on import, shown beside the image."""

    code: IssueCode
    severity: Severity
    message: str

    def to_json(self) -> JsonObject:
        """Return the JSON object stored in the image's ``issues`` column."""
        return {
            "code": self.code.value,
            "severity": self.severity.value,
            "message": self.message,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ImportIssue:
        """Build an issue from its stored JSON object."""
        return cls(
            code=IssueCode(data["code"]),
            severity=Severity(data["severity"]),
            message=data["message"],
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class DisplayParams:
    """What the display pipeline needs: modality LUT, VOI and polarity.

    LUT tables (Modality LUT Sequence, VOI LUT Sequence) live in the de-identified header
    file in the store; the other values are copied here so lists and checks need no file.
    """

    photometric_interpretation: str
    bits_stored: int
    pixel_representation: int
    modality_lut: ModalityLutSource
    rescale_slope: float
    rescale_intercept: float
    voi: VoiSource
    window_center: float | None
    window_width: float | None
    voi_lut_function: str | None
    invert: bool
    """True when low values are white (MONOCHROME1, or Presentation LUT Shape INVERSE)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Image(Stored):
    """One de-identified radiograph; its pixels live in the store under ``store_path``."""

    image_id: ImageId
    case_id: CaseId
    source_format: SourceFormat
    store_path: str
    """Pixel file, relative to the store folder."""
    header_path: str | None
    """De-identified DICOM header (no pixel data), relative to the store folder."""
    rows: int
    columns: int
    dtype: str
    """NumPy dtype string of the stored pixels, e.g. ``<u2``."""
    calibration: Calibration
    display: DisplayParams
    modality: str | None
    sop_class_uid: str | None
    study_uid: str | None
    """Remapped (de-identified) Study Instance UID."""
    series_uid: str | None
    sop_instance_uid: str | None
    transfer_syntax_uid: str | None
    """Transfer syntax of the imported file (the stored pixels are always decoded)."""
    lossy_compression: bool
    view_position: str | None
    """(0018,5101) View Position as written in the file (PA, AP, LL, ...)."""
    body_part: str | None
    """(0018,0015) Body Part Examined."""
    burned_in_annotation: bool | None
    deid_method: str
    issues: tuple[ImportIssue, ...]
    imported_at: datetime
    imported_by: str

    COLUMNS: ClassVar[tuple[str, ...]] = (
        "image_id", "case_id", "source_format", "store_path", "header_path", "rows", "columns",
        "dtype", "row_spacing_mm", "col_spacing_mm", "calibration_source",
        "photometric_interpretation", "bits_stored", "pixel_representation", "modality_lut",
        "rescale_slope", "rescale_intercept", "voi", "window_center", "window_width",
        "voi_lut_function", "invert", "modality", "sop_class_uid", "study_uid", "series_uid",
        "sop_instance_uid", "transfer_syntax_uid", "lossy_compression", "view_position",
        "body_part", "burned_in_annotation", "deid_method", "issues", "warning_count",
        "imported_at", "imported_by",
    )  # fmt: skip
    JSON_COLUMNS: ClassVar[frozenset[str]] = frozenset({"issues"})
    PARTS: ClassVar[Mapping[str, Part]] = {
        "calibration": Part(
            field="calibration",
            columns=("row_spacing_mm", "col_spacing_mm", "calibration_source"),
            dump=lambda c: {
                "row_spacing_mm": c.row_mm,
                "col_spacing_mm": c.col_mm,
                "calibration_source": c.source.value,
            },
            load=lambda r: calibration(
                r["row_spacing_mm"],
                r["col_spacing_mm"],
                CalibrationSource(r["calibration_source"]),
            ),
        ),
        "display": flattened("display", DisplayParams),
    }
    CODECS: ClassVar[Mapping[str, Codec]] = {"issues": json_list(ImportIssue)}
    DERIVED: ClassVar[Mapping[str, Callable[[Any], Any]]] = {
        "warning_count": lambda image: len(image.warnings)
    }

    @property
    def warnings(self) -> tuple[ImportIssue, ...]:
        """Issues the user interface must show as warnings."""
        return tuple(i for i in self.issues if i.severity is Severity.WARNING)


@dataclass(frozen=True, slots=True, kw_only=True)
class BlankedBox:
    """Pixels filled with one value: columns ``x0..x1-1``, rows ``y0..y1-1``."""

    x0: int
    y0: int
    x1: int
    y1: int
    fill: float
    """The stored value written into the box (the local background)."""

    def to_json(self) -> JsonObject:
        """Return the box as stored in the de-identification report."""
        return {
            "x0": self.x0,
            "y0": self.y0,
            "x1": self.x1,
            "y1": self.y1,
            "fill": self.fill,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> BlankedBox:
        """Build a box from its stored JSON object."""
        return cls(
            x0=int(data["x0"]),
            y0=int(data["y0"]),
            x1=int(data["x1"]),
            y1=int(data["y1"]),
            fill=float(data["fill"]),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class DeidSummary:
    """What de-identification did to one image: names and boxes, never values."""

    method: str
    removed: tuple[str, ...] = ()
    """Header attributes of the file that were not kept (keywords; private tags by number)."""
    replaced: tuple[str, ...] = ()
    """Attributes given a new value (UIDs remapped with the installation salt)."""
    emptied: tuple[str, ...] = ()
    """Identifying attributes that had a value and are kept present but empty."""
    dropped_values: tuple[str, ...] = ()
    """Kept technical attributes whose value was dropped because it held free text."""
    burned_in_annotation: bool | None = None
    """(0028,0301) Burned In Annotation as the file gave it."""
    pixel_policy: BurnedInPolicy = BurnedInPolicy.AUTO
    pixels_searched: bool = False
    """Whether the burned-in text detector ran on this image."""
    detector: str | None = None
    blanked: tuple[BlankedBox, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class DeidReport(Stored):
    """The stored de-identification report of one image (audited with its import)."""

    image_id: ImageId
    summary: DeidSummary
    created_at: datetime

    COLUMNS: ClassVar[tuple[str, ...]] = (
        "image_id", "method", "removed", "replaced", "emptied", "dropped_values",
        "burned_in_annotation", "pixel_policy", "pixels_searched", "detector",
        "blanked_boxes", "created_at",
    )  # fmt: skip
    JSON_COLUMNS: ClassVar[frozenset[str]] = frozenset(
        {"removed", "replaced", "emptied", "dropped_values", "blanked_boxes"}
    )
    PARTS: ClassVar[Mapping[str, Part]] = {
        "summary": flattened(
            "summary",
            DeidSummary,
            renamed={"blanked": "blanked_boxes"},
            codecs={
                "removed": json_list(),
                "replaced": json_list(),
                "emptied": json_list(),
                "dropped_values": json_list(),
                "blanked": json_list(BlankedBox),
            },
        )
    }


@dataclass(frozen=True, slots=True, kw_only=True)
class Case(Stored):
    """A case: one study (DICOM images that share a Study Instance UID) or one image file."""

    case_id: CaseId
    study_uid: str | None
    """Remapped Study Instance UID that groups the case's DICOM images; None for PNG/JPEG."""
    created_at: datetime
    created_by: str

    COLUMNS: ClassVar[tuple[str, ...]] = (
        "case_id",
        "study_uid",
        "created_at",
        "created_by",
    )
    JSON_COLUMNS: ClassVar[frozenset[str]] = frozenset()


@dataclass(frozen=True, slots=True, kw_only=True)
class CaseDetail:
    """A case with its images and how much conversation it holds."""

    case: Case
    images: tuple[Image, ...]
    conversation_count: int
    turn_count: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ImportOutcome:
    """What importing one file did."""

    status: ImportStatus
    case_id: CaseId
    image: Image
    new_case: bool
    """True when the import opened a case (False: added to a study's case, or existing)."""
    ignored_calibration: Calibration | None = None
    """For an existing image: the calibration this import would have given it, when it
    differs from the stored one. Stored images never change, so it was not applied."""


# --------------------------------------------------------------------------- case list


@dataclass(frozen=True, slots=True, kw_only=True)
class CaseQuery:
    """Search, filters, sort and page of the case list.

    ``text`` matches the case id, question and answer text, finding (anchor) labels and
    sign codes, case-insensitively. ``sign_code`` matches scorecard items that were met.
    Dates filter on the day the case was created in the casebook (study dates are removed
    by de-identification).
    """

    text: str | None = None
    finding: str | None = None
    sign_code: str | None = None
    created_from: date | None = None
    created_to: date | None = None
    has_conversations: bool | None = None
    backend: str | None = None
    verdict: Verdict | None = None
    has_warnings: bool | None = None
    sort: CaseSort = CaseSort.NEWEST
    page: int = 1
    page_size: int = 50

    MAX_PAGE_SIZE: ClassVar[int] = 500

    def __post_init__(self) -> None:
        if self.page < 1:
            raise InvalidRecord(f"page must be >= 1, got {self.page}")
        if not 1 <= self.page_size <= self.MAX_PAGE_SIZE:
            raise InvalidRecord(
                f"page_size must be in [1, {self.MAX_PAGE_SIZE}], got {self.page_size}"
            )
        if (
            self.created_from
            and self.created_to
            and self.created_from > self.created_to
        ):
            raise InvalidRecord(
                f"created_from {self.created_from} is after created_to {self.created_to}"
            )


@dataclass(frozen=True, slots=True, kw_only=True)
class CaseSummary:
    """One line of the case list."""

    case_id: CaseId
    created_at: datetime
    image_count: int
    modality: str | None
    view_position: str | None
    calibration_source: CalibrationSource | None
    warning_count: int
    conversation_count: int
    turn_count: int
    last_turn_at: datetime | None


@dataclass(frozen=True, slots=True, kw_only=True)
class CasePage:
    """A page of the case list and the total number of matching cases."""

    items: tuple[CaseSummary, ...]
    total: int
    page: int
    page_size: int

    @property
    def page_count(self) -> int:
        """Number of pages (at least 1, so an empty list still has page 1)."""
        return max(1, -(-self.total // self.page_size))


# --------------------------------------------------------------------------- conversations


@dataclass(frozen=True, slots=True, kw_only=True)
class Conversation(Stored):
    """A conversation about one image of a case, with the engine that answered it."""

    conversation_id: ConversationId
    case_id: CaseId
    image_id: ImageId
    backend: str
    model_id: str
    model_version: str
    parameters: JsonObject
    title: str | None
    created_by: str
    created_at: datetime

    COLUMNS: ClassVar[tuple[str, ...]] = (
        "conversation_id", "case_id", "image_id", "backend", "model_id", "model_version",
        "parameters", "title", "created_by", "created_at",
    )  # fmt: skip
    JSON_COLUMNS: ClassVar[frozenset[str]] = frozenset({"parameters"})


@dataclass(frozen=True, slots=True, kw_only=True)
class AnchorWrite:
    """An anchor a turn creates, or a new geometry version of an existing one."""

    anchor_id: AnchorId
    status: AnchorStatus
    """``created`` for a new id; ``refined`` for a new version or a child that refines parents."""
    kind: AnchorKind
    label: str
    geometry: Geometry
    location: str | None = None
    """Anatomy region id (docs/architecture.md), e.g. ``right_middle_zone``."""
    side: Side | None = None
    zone: str | None = None
    band: str | None = None
    parent_ids: tuple[AnchorId, ...] = ()
    confidence: float | None = None
    label_zh: str | None = None
    """The Chinese label (``label`` is the English one)."""
    style: str | None = None
    """How the overlay draws the anchor (the engine's AnchorStyle); None before 0003."""
    region: str | None = None
    """The anatomy region a region or landmark anchor is (``location`` may be derived)."""
    lobe: str | None = None
    finding_id: str | None = None
    """The analysis finding (F1, ...) a finding anchor shows."""
    size_mm: tuple[float, float] | None = None
    """Long and short axis in mm, when calibrated."""
    attributes: JsonObject = field(default_factory=dict)
    """Display marks beside the geometry: notch clock positions, spicule tips, centre."""

    def __post_init__(self) -> None:
        if self.status is AnchorStatus.REFERENCED:
            raise InvalidRecord(
                f"anchor {self.anchor_id}: list referenced anchors in TurnWrite.referenced_anchor_ids"
            )
        _check_probability(f"anchor {self.anchor_id} confidence", self.confidence)
        if not self.anchor_id:
            raise InvalidRecord("anchor_id must not be empty")


@dataclass(frozen=True, slots=True, kw_only=True)
class MeasurementWrite:
    """A number a turn computed from geometry (never from a language model)."""

    kind: str
    """e.g. ``distance``, ``gap``, ``diameter``."""
    from_anchor: AnchorId | None
    to_anchor: AnchorId | None
    value_mm: float | None
    """None when the image has no calibration."""
    value_px: float | None
    calibration: CalibrationSource
    detail: JsonObject = field(default_factory=dict)

    def __post_init__(self) -> None:
        _check_non_negative(f"measurement {self.kind} value_mm", self.value_mm)
        _check_non_negative(f"measurement {self.kind} value_px", self.value_px)
        if self.value_mm is not None and self.calibration is CalibrationSource.NONE:
            raise InvalidRecord(
                f"measurement {self.kind} gives mm on an image without calibration"
            )


@dataclass(frozen=True, slots=True, kw_only=True)
class SignMatchWrite:
    """One scorecard item's result and the anchors that are its evidence."""

    profile_id: str
    profile_version: str
    sign_code: str
    status: SignStatus
    evidence_anchor_ids: tuple[AnchorId, ...] = ()
    reason: str | None = None
    name_en: str | None = None
    """The sign's name as the answer gave it (None where the answer was in Chinese only)."""
    name_zh: str | None = None
    item_group: str | None = None
    """The item's group in its profile (core, supporting, ...)."""
    reason_zh: str | None = None
    """The reason in Chinese (``reason`` is the English one)."""
    profile_name_en: str | None = None
    """The profile's name as the answer gave it (the same on every item of a turn)."""
    profile_name_zh: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class TurnWrite:
    """Everything one turn stores, written in one transaction by ``append_turn``."""

    conversation_id: ConversationId
    index: int
    """The turn number, counted from 1 (``kernel.FIRST_TURN``); the conversation's next."""
    question: str
    language: Language
    intent: str
    answer_text: str
    answer_json: JsonObject
    raw_output: str | None
    latency_ms: float
    actor: str
    anchors: tuple[AnchorWrite, ...] = ()
    referenced_anchor_ids: tuple[AnchorId, ...] = ()
    measurements: tuple[MeasurementWrite, ...] = ()
    sign_matches: tuple[SignMatchWrite, ...] = ()

    def __post_init__(self) -> None:
        try:
            turn_number(self.index)
        except InvalidValue as exc:
            raise InvalidRecord(str(exc)) from exc
        _check_non_negative("latency_ms", self.latency_ms)
        ids = [a.anchor_id for a in self.anchors]
        if len(ids) != len(set(ids)):
            raise InvalidRecord(
                f"turn {self.index} writes an anchor id twice: {sorted(ids)}"
            )


@dataclass(frozen=True, slots=True, kw_only=True)
class Turn(Stored):
    """A stored question and answer."""

    conversation_id: ConversationId
    index: int
    question: str
    language: Language
    intent: str
    answer_text: str
    answer_json: JsonObject
    raw_output: str | None
    latency_ms: float
    actor: str
    created_at: datetime

    COLUMNS: ClassVar[tuple[str, ...]] = (
        "conversation_id", "turn_index", "question", "language", "intent", "answer_text",
        "answer_json", "raw_output", "latency_ms", "actor", "created_at",
    )  # fmt: skip
    JSON_COLUMNS: ClassVar[frozenset[str]] = frozenset({"answer_json"})
    RENAMED: ClassVar[Mapping[str, str]] = {"index": "turn_index"}


@dataclass(frozen=True, slots=True, kw_only=True)
class Anchor(Stored):
    """One stored version of an anchor; ``turn_index`` is the turn that wrote it."""

    conversation_id: ConversationId
    anchor_id: AnchorId
    turn_index: int
    status: AnchorStatus
    kind: AnchorKind
    label: str
    geometry: Geometry
    location: str | None
    side: Side | None
    zone: str | None
    band: str | None
    parent_ids: tuple[AnchorId, ...]
    confidence: float | None
    label_zh: str | None = None
    style: str | None = None
    region: str | None = None
    lobe: str | None = None
    finding_id: str | None = None
    size_mm: tuple[float, float] | None = None
    attributes: JsonObject = field(default_factory=dict)

    COLUMNS: ClassVar[tuple[str, ...]] = (
        "conversation_id", "anchor_id", "turn_index", "status", "kind", "label", "geometry",
        "location", "side", "zone", "band", "parent_ids", "confidence", "label_zh",
        "style", "region", "lobe", "finding_id", "size_mm", "attributes",
    )  # fmt: skip
    JSON_COLUMNS: ClassVar[frozenset[str]] = frozenset({"geometry", "attributes"})
    # An anchor keeps the engine's exact box, even one without area (a point's box).
    CODECS: ClassVar[Mapping[str, Codec]] = {
        "geometry": Codec(
            dump=lambda g: canonical_json(geometry_to_json(g, allow_empty_box=True)),
            load=lambda s: geometry_from_json(json.loads(s), allow_empty_box=True),
        ),
        "size_mm": Codec(dump=list, load=_pair).optional(),
    }

    @classmethod
    def from_write(
        cls, write: AnchorWrite, conversation_id: ConversationId, turn_index: int
    ) -> Anchor:
        """Place an anchor write in its conversation and turn."""
        return cls(
            conversation_id=conversation_id,
            anchor_id=write.anchor_id,
            turn_index=turn_index,
            status=write.status,
            kind=write.kind,
            label=write.label,
            geometry=write.geometry,
            location=write.location,
            side=write.side,
            zone=write.zone,
            band=write.band,
            parent_ids=tuple(write.parent_ids),
            confidence=write.confidence,
            label_zh=write.label_zh,
            style=write.style,
            region=write.region,
            lobe=write.lobe,
            finding_id=write.finding_id,
            size_mm=write.size_mm,
            attributes=dict(write.attributes),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class AnchorEvent(Stored):
    """What one turn did with one anchor (created, refined or referenced)."""

    conversation_id: ConversationId
    turn_index: int
    anchor_id: AnchorId
    status: AnchorStatus

    COLUMNS: ClassVar[tuple[str, ...]] = (
        "conversation_id",
        "turn_index",
        "anchor_id",
        "status",
    )
    JSON_COLUMNS: ClassVar[frozenset[str]] = frozenset()


@dataclass(frozen=True, slots=True, kw_only=True)
class AnchorState:
    """An anchor as it stood after a turn, and what that turn did with it (None: nothing)."""

    anchor: Anchor
    status_in_turn: AnchorStatus | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Measurement(Stored):
    """A stored measurement of a turn."""

    conversation_id: ConversationId
    turn_index: int
    index: int
    kind: str
    from_anchor: AnchorId | None
    to_anchor: AnchorId | None
    value_mm: float | None
    value_px: float | None
    calibration: CalibrationSource
    detail: JsonObject

    COLUMNS: ClassVar[tuple[str, ...]] = (
        "conversation_id", "turn_index", "measurement_index", "kind", "from_anchor",
        "to_anchor", "value_mm", "value_px", "calibration_source", "detail",
    )  # fmt: skip
    JSON_COLUMNS: ClassVar[frozenset[str]] = frozenset({"detail"})
    RENAMED: ClassVar[Mapping[str, str]] = {
        "index": "measurement_index",
        "calibration": "calibration_source",
    }

    @classmethod
    def from_write(
        cls,
        write: MeasurementWrite,
        conversation_id: ConversationId,
        turn_index: int,
        index: int,
    ) -> Measurement:
        """Place a measurement write in its conversation and turn."""
        return cls(
            conversation_id=conversation_id,
            turn_index=turn_index,
            index=index,
            kind=write.kind,
            from_anchor=write.from_anchor,
            to_anchor=write.to_anchor,
            value_mm=write.value_mm,
            value_px=write.value_px,
            calibration=write.calibration,
            detail=dict(write.detail),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class SignMatch(Stored):
    """A stored scorecard item of a turn."""

    conversation_id: ConversationId
    turn_index: int
    index: int
    profile_id: str
    profile_version: str
    sign_code: str
    status: SignStatus
    evidence_anchor_ids: tuple[AnchorId, ...]
    reason: str | None
    name_en: str | None = None
    name_zh: str | None = None
    item_group: str | None = None
    reason_zh: str | None = None
    profile_name_en: str | None = None
    profile_name_zh: str | None = None

    COLUMNS: ClassVar[tuple[str, ...]] = (
        "conversation_id", "turn_index", "item_index", "profile_id", "profile_version",
        "sign_code", "status", "evidence_anchor_ids", "reason", "name_en", "name_zh",
        "item_group", "reason_zh", "profile_name_en", "profile_name_zh",
    )  # fmt: skip
    _TEXT: ClassVar[tuple[str, ...]] = (
        "name_en", "name_zh", "item_group", "reason_zh", "profile_name_en",
        "profile_name_zh",
    )  # fmt: skip
    RENAMED: ClassVar[Mapping[str, str]] = {"index": "item_index"}

    @classmethod
    def from_write(
        cls,
        write: SignMatchWrite,
        conversation_id: ConversationId,
        turn_index: int,
        index: int,
    ) -> SignMatch:
        """Place a sign-match write in its conversation and turn."""
        return cls(
            conversation_id=conversation_id,
            turn_index=turn_index,
            index=index,
            profile_id=write.profile_id,
            profile_version=write.profile_version,
            sign_code=write.sign_code,
            status=write.status,
            evidence_anchor_ids=tuple(write.evidence_anchor_ids),
            reason=write.reason,
            **{name: getattr(write, name) for name in cls._TEXT},
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class TurnDetail:
    """A turn with everything it wrote."""

    turn: Turn
    anchors: tuple[Anchor, ...]
    anchor_events: tuple[AnchorEvent, ...]
    measurements: tuple[Measurement, ...]
    sign_matches: tuple[SignMatch, ...]


# --------------------------------------------------------------------------- annotations


@dataclass(frozen=True, slots=True, kw_only=True)
class AnnotationWrite:
    """A reviewer's drawing or judgement, optionally about a turn or an anchor."""

    case_id: CaseId
    image_id: ImageId
    author: str
    geometry: Geometry | None
    label: str
    verdict: Verdict | None = None
    note: str | None = None
    conversation_id: ConversationId | None = None
    turn_index: int | None = None
    anchor_id: AnchorId | None = None

    def __post_init__(self) -> None:
        if (
            self.turn_index is not None or self.anchor_id is not None
        ) and self.conversation_id is None:
            raise InvalidRecord(
                "an annotation linked to a turn or anchor needs its conversation_id"
            )
        if self.geometry is None and self.verdict is None:
            raise InvalidRecord("an annotation needs a geometry, a verdict, or both")


@dataclass(frozen=True, slots=True, kw_only=True)
class Annotation(Stored):
    """A stored reviewer annotation."""

    annotation_id: AnnotationId
    case_id: CaseId
    image_id: ImageId
    author: str
    geometry: Geometry | None
    label: str
    verdict: Verdict | None
    note: str | None
    conversation_id: ConversationId | None
    turn_index: int | None
    anchor_id: AnchorId | None
    created_at: datetime

    COLUMNS: ClassVar[tuple[str, ...]] = (
        "annotation_id", "case_id", "image_id", "author", "geometry", "label", "verdict",
        "note", "conversation_id", "turn_index", "anchor_id", "created_at",
    )  # fmt: skip
    JSON_COLUMNS: ClassVar[frozenset[str]] = frozenset({"geometry"})
    CODECS: ClassVar[Mapping[str, Codec]] = {
        "geometry": Codec(
            dump=lambda g: canonical_json(geometry_to_json(g)),
            load=lambda s: geometry_from_json(json.loads(s)),
        ).optional()
    }


# --------------------------------------------------------------------------- audit


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditRecord(Stored):
    """One link of the append-only audit chain."""

    seq: int
    recorded_at: datetime
    actor: str
    action: str
    """e.g. ``image.import``, ``turn.append``, ``export.record``."""
    entity_type: str
    entity_id: str
    payload_sha256: str
    prev_hash: str
    hash: str
    payload: JsonObject = field(compare=False, repr=False)

    COLUMNS: ClassVar[tuple[str, ...]] = (
        "seq", "recorded_at", "actor", "action", "entity_type", "entity_id",
        "payload_sha256", "prev_hash", "hash", "payload",
    )  # fmt: skip
    JSON_COLUMNS: ClassVar[frozenset[str]] = frozenset({"payload"})

    def to_json(self) -> JsonObject:
        """Return the record as exported and printed, time in ISO 8601."""
        return {
            "seq": self.seq,
            "recorded_at": self.recorded_at.isoformat(),
            "actor": self.actor,
            "action": self.action,
            "entity_type": self.entity_type,
            "entity_id": self.entity_id,
            "payload_sha256": self.payload_sha256,
            "prev_hash": self.prev_hash,
            "hash": self.hash,
            "payload": self.payload,
        }


class AuditProblemKind(StrEnum):
    """How the audit chain or an audited entity is broken."""

    RECORD_MISSING = "record_missing"
    RECORDS_OUT_OF_ORDER = "records_out_of_order"
    CHAIN_BROKEN = "chain_broken"
    RECORD_HASH_MISMATCH = "record_hash_mismatch"
    PAYLOAD_HASH_MISMATCH = "payload_hash_mismatch"
    ENTITY_CHANGED = "entity_changed"
    ENTITY_MISSING = "entity_missing"
    ENTITY_UNRECORDED = "entity_unrecorded"
    ROW_MALFORMED = "row_malformed"
    """A row cannot be read as its record type (edited to an impossible value)."""
    SALT_REPLACED = "salt_replaced"
    """The de-identification salt file is not the one the database recorded."""
    SUMMARY_CHANGED = "summary_changed"
    """A case-list summary row no longer matches the rows it is derived from."""
    FILE_ORPHANED = "file_orphaned"
    """A file in the store folder that no row references (an interrupted import)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditProblem:
    """The first broken link found by ``CaseStore.verify_audit``."""

    kind: AuditProblemKind
    seq: int | None
    entity_type: str | None
    entity_id: str | None
    message: str
    """Plain words, e.g. ``turn 2 of conversation 1: answer_text changed (audit record 7)``."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditReport:
    """Result of walking the audit chain and re-hashing what it covers."""

    ok: bool
    records_checked: int
    entities_checked: int
    head_seq: int | None
    head_hash: str | None
    """Publish this hash elsewhere to detect a rewrite of the whole chain later."""
    problem: AuditProblem | None
    """The first broken link (the chain's own, else the first changed entity)."""
    problems: tuple[AuditProblem, ...] = ()
    """Every problem found: at most one in the chain, then each tampered entity."""


@dataclass(frozen=True, slots=True, kw_only=True)
class StoreStats:
    """Counts and sizes for status pages."""

    cases: int
    images: int
    conversations: int
    turns: int
    anchors: int
    annotations: int
    audit_records: int
    database_bytes: int
    store_bytes: int
