"""A conversation as a DICOM Structured Report: TID 1500 Measurement Report (highdicom).

What goes in, so other viewers (OHIF, PACS) can read it:

* The observer is a **device**: CXR Casebook, with the conversation's backend, model id
  and version as the device model name and the casebook version as software version.
  The report is flagged unverified and incomplete: it is an AI draft for a reader.
* Each finding, landmark, measurement line and reader-drawn anchor (its latest
  version) is a TID 1410 planar ROI group: the anchor id, conversation and turn in its
  tracking identifier; its geometry as a 2-D SCOORD on the source image (boxes and
  contours as closed POLYLINEs, landmarks as POINTs, masks as their bounding box); its
  anatomical site (RadLex, with laterality); its measurements in UCUM ``mm`` (the
  calibration source is the measurement method; uncalibrated pixel values are left out);
  and the scorecard items that cite it as qualitative evaluations.
* A distance measured with a spacing the engine *estimated* from typical anatomy (an
  image without calibration) is exported, but flagged as such in two standard places:
  its method reads "Pixel spacing estimated from typical anatomy (+/-15 %)", and its
  TID 310 measurement properties carry the +/- range of measurement uncertainty in mm.
  A viewer that shows only the number still shows the method beside it.
* Scorecard items that cite no anchor go into one TID 1501 image-level group per profile.
* Signs are coded with their RadLex id (scheme ``RADLEX``); signs without one use the
  casebook's local scheme ``99CXRCB`` with the sign code (e.g. ``A03``) and its English
  name. A sign's result is DCM Present / Absent / Presence Undetermined (the last for
  "not assessable on a radiograph"). Both schemes are declared in the Coding Scheme
  Identification Sequence. Region anchors (zone and organ outlines, the "not connected"
  corridor) are context for the overlay and are not exported.

The source image is referenced by the remapped UIDs of its image row (never the stored
header file, whose edits could carry a name into the report). A PNG
or JPEG import has no DICOM identity, so one is derived from the installation salt
(``CaseStore.derived_uid``): the same case and image always get the same UIDs, and a
report exported twice references the same source.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

import highdicom as hd
import numpy as np
from pydicom.dataset import Dataset
from pydicom.sr.codedict import codes
from pydicom.uid import SecondaryCaptureImageStorage

from cases.deidentify import is_registered_sop_class, is_valid_uid
from cases.errors import InvalidRecord
from cases.geometry import Box, Geometry
from cases.model import (
    Anchor,
    AnchorKind,
    CalibrationSource,
    Conversation,
    Image,
    Measurement,
    Side,
    SignMatch,
    SignStatus,
)
from cases.store import CaseStore
from ontology import load_vocabulary

LOCAL_SCHEME = "99CXRCB"
"""Private coding scheme for casebook signs and concepts without a RadLex id."""
RADLEX_SCHEME = "RADLEX"
RADLEX_UID = "2.16.840.1.113883.6.256"
DEVICE_NAME = "CXR Casebook"

PROCEDURE = hd.sr.CodedConcept("399208008", "SCT", "Plain chest X-ray")
STATUS_CODES = {
    SignStatus.MET: codes.DCM.Present,
    SignStatus.NOT_MET: codes.DCM.Absent,
    SignStatus.NOT_ASSESSABLE: codes.DCM.PresenceUndetermined,
}
MEASUREMENT_NAMES = {
    "center_to_hilum": hd.sr.CodedConcept(
        "center_to_hilum", LOCAL_SCHEME, "Lesion centre to hilum distance"
    ),
    "edge_gap": hd.sr.CodedConcept(
        "edge_gap", LOCAL_SCHEME, "Gap without connecting strand"
    ),
    "center_distance": hd.sr.CodedConcept(
        "center_distance", LOCAL_SCHEME, "Centre-to-centre distance"
    ),
}
ESTIMATED_RELATIVE_ERROR = 0.15
"""engine.geometry.ESTIMATE_RELATIVE_ERROR (cases does not import engine); measurements
store their own ``relative_error``, this is the fallback for one that lacks it."""
EXPORTED_KINDS = {
    AnchorKind.FINDING,
    AnchorKind.LANDMARK,
    AnchorKind.MEASUREMENT,
    AnchorKind.USER_DRAWN,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class SrSource:
    """The image a report points at, and whether its identity was derived."""

    dataset: Dataset
    derived: bool
    """True for PNG/JPEG imports, whose UIDs come from the installation salt."""


_PATIENT_AND_STUDY = (
    "PatientName", "PatientID", "PatientBirthDate", "PatientSex", "StudyDate",
    "StudyTime", "ReferringPhysicianName", "StudyID", "AccessionNumber",
)  # fmt: skip


def source_reference(store: CaseStore, image: Image) -> SrSource:
    """Return the evidence dataset the report points at, built from de-identified values.

    highdicom copies the patient and study modules of the evidence into the report, so
    the evidence is rebuilt here from the image row (remapped UIDs, a validated SOP
    Class, the modality defined term) with every identifying attribute empty. The
    stored header file is never the source: an edit to it (``audit verify`` reports
    one) cannot put a name into an export. A PNG or JPEG import has no DICOM identity,
    so its UIDs are derived from the installation salt.
    """
    ds = Dataset()
    derived = image.sop_instance_uid is None
    if derived:
        ds.SOPClassUID = SecondaryCaptureImageStorage
        ds.StudyInstanceUID = store.derived_uid(f"casebook-study:{image.case_id}")
        ds.SeriesInstanceUID = store.derived_uid(f"casebook-series:{image.image_id}")
        ds.SOPInstanceUID = store.derived_uid(f"casebook-image:{image.image_id}")
        ds.Modality = "OT"
    else:
        ds.SOPClassUID = (
            image.sop_class_uid
            if is_registered_sop_class(image.sop_class_uid)
            else SecondaryCaptureImageStorage  # rows written before UIDs were checked
        )
        ds.StudyInstanceUID = _uid(store, image.study_uid, f"study:{image.case_id}")
        ds.SeriesInstanceUID = _uid(store, image.series_uid, f"series:{image.image_id}")
        ds.SOPInstanceUID = _uid(
            store, image.sop_instance_uid, f"image:{image.image_id}"
        )
        ds.Modality = image.modality or "OT"
    ds.Rows, ds.Columns = image.rows, image.columns
    for keyword in _PATIENT_AND_STUDY:
        setattr(ds, keyword, "")
    return SrSource(dataset=ds, derived=derived)


def _uid(store: CaseStore, value: str | None, seed: str) -> str:
    """Return a stored UID when it is a valid one, else one derived from ``seed``."""
    return (
        value
        if is_valid_uid(value) and value
        else store.derived_uid(f"casebook-{seed}")
    )


def _sign_concept(code: str) -> hd.sr.CodedConcept:
    sign = load_vocabulary().find_sign(code)
    if sign is None:
        return hd.sr.CodedConcept(code, LOCAL_SCHEME, code)
    if sign.radlex:
        return hd.sr.CodedConcept(sign.radlex, RADLEX_SCHEME, sign.name_en[:64])
    return hd.sr.CodedConcept(sign.code, LOCAL_SCHEME, sign.name_en[:64])


def _finding_site(anchor: Anchor) -> list[hd.sr.FindingSite]:
    if anchor.location is None:
        return []
    term = load_vocabulary().find_anatomy(anchor.location)
    if term is None:
        return []
    location = (
        hd.sr.CodedConcept(term.radlex, RADLEX_SCHEME, term.name_en[:64])
        if term.radlex
        else hd.sr.CodedConcept(term.id, LOCAL_SCHEME, term.name_en[:64])
    )
    laterality = {Side.RIGHT: codes.SCT.Right, Side.LEFT: codes.SCT.Left}.get(
        anchor.side or Side.MIDLINE
    )
    return [hd.sr.FindingSite(anatomic_location=location, laterality=laterality)]


def _finding_type(anchor: Anchor) -> hd.sr.CodedConcept:
    if anchor.kind is AnchorKind.LANDMARK:
        return hd.sr.CodedConcept("landmark", LOCAL_SCHEME, "Anatomical landmark")
    if anchor.kind is AnchorKind.MEASUREMENT:
        return hd.sr.CodedConcept("measurement", LOCAL_SCHEME, "Measurement line")
    # Finding labels read "nodule, right middle zone": the noun names it.
    noun = anchor.label.split(",")[0].split("(")[0].strip()
    for sign in load_vocabulary().search(noun, limit=1) if noun else []:
        if sign.radlex:
            return hd.sr.CodedConcept(sign.radlex, RADLEX_SCHEME, sign.name_en[:64])
    return hd.sr.CodedConcept(codes.SCT.Finding.value, "SCT", "Finding")


def _region(anchor: Anchor, source: hd.sr.SourceImageForRegion) -> hd.sr.ImageRegion:
    """Return the anchor's geometry as a 2-D SCOORD on the source image."""
    geometry = anchor.geometry
    points = geometry.points
    match geometry.kind:
        case "point":
            return hd.sr.ImageRegion(
                graphic_type=hd.sr.GraphicTypeValues.POINT,
                graphic_data=np.array(points, dtype=float),
                source_image=source,
            )
        case "line":
            data = np.array(points, dtype=float)
        case "polygon":
            data = np.array([*points, points[0]], dtype=float)
        case _:  # a box or a mask: its bounding box, closed
            box = _bounding_box(geometry)
            data = np.array(
                [
                    [box.x0, box.y0],
                    [box.x1, box.y0],
                    [box.x1, box.y1],
                    [box.x0, box.y1],
                    [box.x0, box.y0],
                ],
                dtype=float,
            )
    return hd.sr.ImageRegion(
        graphic_type=hd.sr.GraphicTypeValues.POLYLINE,
        graphic_data=data,
        source_image=source,
    )


def _bounding_box(geometry: Geometry) -> Box:
    box = geometry.bounding_box()
    if geometry.kind == "mask" and not box.has_area:
        raise InvalidRecord("an empty mask anchor has no region to export")
    return box


def _measurement(m: Measurement, anchor: Anchor | None) -> hd.sr.Measurement | None:
    if m.value_mm is None:
        return None  # uncalibrated: UCUM has no pixel unit; the bundle keeps pixels
    name = MEASUREMENT_NAMES.get(m.kind) or hd.sr.CodedConcept(
        m.kind[:16], LOCAL_SCHEME, m.kind.replace("_", " ")[:64]
    )
    properties = None
    if m.calibration is CalibrationSource.ESTIMATED:
        error = float(m.detail.get("relative_error") or ESTIMATED_RELATIVE_ERROR)
        percent = round(error * 100)
        method = hd.sr.CodedConcept(
            "calib-estimated",
            LOCAL_SCHEME,
            f"Pixel spacing estimated from typical anatomy (+/-{percent} %)",
        )
        spread = round(m.value_mm * error, 2)
        properties = hd.sr.MeasurementProperties(
            upper_measurement_uncertainty=spread,
            lower_measurement_uncertainty=spread,
        )
    else:
        method = hd.sr.CodedConcept(
            f"calib-{m.calibration.value}"[:16],
            LOCAL_SCHEME,
            f"Pixel spacing from {m.calibration.value}",
        )
    return hd.sr.Measurement(
        name=name,
        value=round(m.value_mm, 2),
        unit=codes.UCUM.Millimeter,
        method=method,
        properties=properties,
        finding_sites=_finding_site(anchor) if anchor is not None else None,
    )


def _size_measurements(anchor: Anchor) -> list[hd.sr.Measurement]:
    size = anchor.size_mm
    if size is None:
        return []
    return [
        hd.sr.Measurement(
            name=name, value=round(float(value), 2), unit=codes.UCUM.Millimeter
        )
        for name, value in (
            (codes.SCT.LongAxis, size[0]),
            (codes.SCT.ShortAxis, size[1]),
        )
        if value is not None
    ]


def _line_anchor_for(m: Measurement, anchors: Sequence[Anchor]) -> Anchor | None:
    for anchor in anchors:
        attributes = anchor.attributes
        if (
            anchor.kind is AnchorKind.MEASUREMENT
            and attributes.get("measurement") == m.kind
            and set(anchor.parent_ids) == {m.from_anchor, m.to_anchor}
        ):
            return anchor
    return None


def _latest_sign_matches(matches: Sequence[SignMatch]) -> list[SignMatch]:
    latest: dict[tuple[str, str], SignMatch] = {}
    for match in sorted(matches, key=lambda s: (s.turn_index, s.index)):
        latest[(match.profile_id, match.sign_code)] = match
    return sorted(latest.values(), key=lambda s: (s.turn_index, s.index))


def _evaluation(match: SignMatch) -> hd.sr.QualitativeEvaluation:
    return hd.sr.QualitativeEvaluation(
        name=_sign_concept(match.sign_code), value=STATUS_CODES[match.status]
    )


def _tracking(
    store: CaseStore, conversation: Conversation, key: str, text: str
) -> hd.sr.TrackingIdentifier:
    uid = store.derived_uid(f"casebook-track:{conversation.conversation_id}:{key}")
    return hd.sr.TrackingIdentifier(uid=uid, identifier=text[:64])


def _image_group(
    store: CaseStore,
    conversation: Conversation,
    source: SrSource,
    algorithm: hd.sr.AlgorithmIdentification,
    key: str,
    text: str,
    evaluations: list[hd.sr.QualitativeEvaluation],
) -> hd.sr.MeasurementsAndQualitativeEvaluations:
    """An image-level measurement group: evaluations that no region carries."""
    return hd.sr.MeasurementsAndQualitativeEvaluations(
        tracking_identifier=_tracking(store, conversation, key, text),
        algorithm_id=algorithm,
        qualitative_evaluations=evaluations or None,
        source_images=[
            hd.sr.SourceImageForMeasurementGroup(
                referenced_sop_class_uid=str(source.dataset.SOPClassUID),
                referenced_sop_instance_uid=str(source.dataset.SOPInstanceUID),
            )
        ],
    )


def build_structured_report(
    store: CaseStore, conversation_id: int, *, software_version: str
) -> bytes:
    """Return a conversation as a TID 1500 Comprehensive 3D SR (DICOM Part 10 bytes).

    Raises:
        RecordNotFound: the conversation does not exist.
        InvalidRecord: the conversation has no turns.
    """
    conversation = store.get_conversation(conversation_id)
    turns = store.list_turns(conversation_id)
    if not turns:
        raise InvalidRecord(
            f"conversation {conversation_id} has no turns; ask a question before exporting"
        )
    image = store.get_image(conversation.image_id)
    source = source_reference(store, image)
    region_source = hd.sr.SourceImageForRegion(
        referenced_sop_class_uid=str(source.dataset.SOPClassUID),
        referenced_sop_instance_uid=str(source.dataset.SOPInstanceUID),
    )
    states = store.anchors_after_turn(conversation_id, turns[-1].index)
    anchors = [s.anchor for s in states]
    measurements = store.list_measurements(conversation_id)
    signs = _latest_sign_matches(store.list_sign_matches(conversation_id))
    algorithm = hd.sr.AlgorithmIdentification(
        name=f"{DEVICE_NAME} {conversation.backend}"[:64],
        version=conversation.model_version[:64] or "unknown",
    )

    line_for = {id(m): _line_anchor_for(m, anchors) for m in measurements}
    groups: list[hd.sr.PlanarROIMeasurementsAndQualitativeEvaluations] = []
    for anchor in anchors:
        if anchor.kind not in EXPORTED_KINDS:
            continue
        own = [
            m
            for m in measurements
            if (line_for[id(m)] or _find(anchors, m.from_anchor)) is anchor
        ]
        values = [
            v
            for v in (_measurement(m, _find(anchors, m.from_anchor)) for m in own)
            if v is not None
        ]
        if anchor.kind is AnchorKind.FINDING:
            values += _size_measurements(anchor)
        evaluations = [
            _evaluation(s) for s in signs if anchor.anchor_id in s.evidence_anchor_ids
        ]
        groups.append(
            hd.sr.PlanarROIMeasurementsAndQualitativeEvaluations(
                tracking_identifier=_tracking(
                    store,
                    conversation,
                    anchor.anchor_id,
                    f"{anchor.anchor_id} conversation {conversation_id} turn {anchor.turn_index}",
                ),
                referenced_region=_region(anchor, region_source),
                finding_type=_finding_type(anchor),
                finding_sites=_finding_site(anchor) or None,
                algorithm_id=algorithm,
                measurements=values or None,
                qualitative_evaluations=evaluations or None,
            )
        )
    image_groups = [
        _image_group(
            store,
            conversation,
            source,
            algorithm,
            f"profile:{profile}",
            f"scorecard {profile}",
            evaluations,
        )
        for profile in dict.fromkeys(s.profile_id for s in signs)
        if (
            evaluations := [
                _evaluation(s)
                for s in signs
                if s.profile_id == profile and not s.evidence_anchor_ids
            ]
        )
    ]
    if not groups and not image_groups:
        # The engine marked nothing on the film (and no scorecard was asked for): the
        # report still says which image was read, by whom, with an empty image group,
        # since TID 1500 needs at least one measurement group.
        image_groups.append(
            _image_group(
                store,
                conversation,
                source,
                algorithm,
                "image",
                f"conversation {conversation_id}: nothing marked",
                [],
            )
        )

    observer = hd.sr.ObserverContext(
        observer_type=codes.DCM.Device,
        observer_identifying_attributes=hd.sr.DeviceObserverIdentifyingAttributes(
            uid=store.derived_uid("casebook-device"),
            name=DEVICE_NAME,
            manufacturer_name=DEVICE_NAME,
            model_name=f"{conversation.backend} {conversation.model_id} {conversation.model_version}"[
                :64
            ],
        ),
    )
    report = hd.sr.MeasurementReport(
        observation_context=hd.sr.ObservationContext(observer_device_context=observer),
        procedure_reported=PROCEDURE,
        imaging_measurements=[*groups, *image_groups] or None,
    )
    sr = hd.sr.Comprehensive3DSR(
        evidence=[source.dataset],
        content=report,
        series_instance_uid=hd.UID(),
        series_number=900,
        sop_instance_uid=hd.UID(),
        instance_number=1,
        manufacturer=DEVICE_NAME,
        is_complete=False,
        is_final=False,
        is_verified=False,
        series_description=f"CXR Casebook conversation {conversation_id} (AI draft, unverified)",
        manufacturer_model_name=conversation.backend[:64],
        software_versions=software_version[:64],
        coding_schemes=[
            hd.coding_schemes.CodingSchemeIdentificationItem(
                designator=RADLEX_SCHEME, name="RadLex", uid=RADLEX_UID
            ),
            hd.coding_schemes.CodingSchemeIdentificationItem(
                designator=LOCAL_SCHEME,
                name="CXR Casebook local codes",
                responsible_organization="CXR Casebook",
            ),
        ],
    )
    buffer = io.BytesIO()
    sr.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


def _find(anchors: Sequence[Anchor], anchor_id: str | None) -> Anchor | None:
    return next((a for a in anchors if a.anchor_id == anchor_id), None)
