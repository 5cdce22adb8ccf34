"""Turn writes shared by the store and audit tests (the seed's first two turns)."""

from cases import (
    AnchorKind,
    AnchorStatus,
    AnchorWrite,
    Box,
    CalibrationSource,
    Geometry,
    Language,
    MeasurementWrite,
    Side,
    SignMatchWrite,
    SignStatus,
    TurnWrite,
)


def first_turn(conversation_id, **changes):
    values = {
        "conversation_id": conversation_id,
        "index": 1,
        "question": "肺部是否有异常?",
        "language": Language.ZH,
        "intent": "overview",
        "answer_text": "【肺部表现】右肺中野外带见一圆形结节影 (A1)。",
        "answer_json": {"sections": [{"title": "肺部表现", "anchors": ["A1"]}]},
        "raw_output": None,
        "latency_ms": 41.5,
        "actor": "reader@example.org",
        "anchors": (
            AnchorWrite(
                anchor_id="A1",
                status=AnchorStatus.CREATED,
                kind=AnchorKind.FINDING,
                label="round opacity",
                geometry=Geometry.from_box(Box(x0=40, y0=100, x1=70, y1=130)),
                location="right_middle_zone",
                side=Side.RIGHT,
                zone="middle",
                band="outer",
                confidence=0.8,
            ),
            AnchorWrite(
                anchor_id="A2",
                status=AnchorStatus.CREATED,
                kind=AnchorKind.LANDMARK,
                label="right hilum",
                geometry=Geometry.point((100, 110)),
                location="right_hilum",
                side=Side.RIGHT,
            ),
        ),
        "measurements": (
            MeasurementWrite(
                kind="distance",
                from_anchor="A1",
                to_anchor="A2",
                value_mm=47.3,
                value_px=33.8,
                calibration=CalibrationSource.PIXEL_SPACING,
                detail={"reference": "hilum centre"},
            ),
        ),
        "sign_matches": (
            SignMatchWrite(
                profile_id="early_lung_cancer",
                profile_version="1.0",
                sign_code="spiculation",
                status=SignStatus.MET,
                evidence_anchor_ids=("A1",),
            ),
            SignMatchWrite(
                profile_id="early_lung_cancer",
                profile_version="1.0",
                sign_code="air_bronchogram",
                status=SignStatus.NOT_ASSESSABLE,
                reason="needs CT",
            ),
        ),
    }
    values.update(changes)
    return TurnWrite(**values)


def refining_turn(conversation_id, index=2):
    return TurnWrite(
        conversation_id=conversation_id,
        index=index,
        question="右肺中叶那个圆形影,边缘是否规则?",
        language=Language.ZH,
        intent="describe",
        answer_text="边缘分叶 (A1), 见短毛刺 (A3)。",
        answer_json={},
        raw_output="raw model text",
        latency_ms=12.0,
        actor="reader@example.org",
        anchors=(
            AnchorWrite(
                anchor_id="A1",
                status=AnchorStatus.REFINED,
                kind=AnchorKind.FINDING,
                label="lobulated nodule",
                geometry=Geometry.polygon(((42, 102), (68, 101), (69, 128), (41, 129))),
                parent_ids=("A1",),
            ),
            AnchorWrite(
                anchor_id="A3",
                status=AnchorStatus.CREATED,
                kind=AnchorKind.FINDING,
                label="spicule",
                geometry=Geometry.from_box(Box(x0=68, y0=100, x1=75, y1=104)),
                parent_ids=("A1",),
            ),
        ),
        referenced_anchor_ids=("A2",),
    )
