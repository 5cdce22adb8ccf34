"""Questions about what this tool does not measure or cannot promise, answered as such.

The engine measures lung nodules and opacities, the cardiothoracic ratio and the
costophrenic angles. A question about the mediastinum, the hila's size, the heart's
shape, bones, the aorta, free air, lines and tubes or the film's quality used to fall
through to the lung findings, so "Is the mediastinum widened?" was answered "Yes: 1
finding" with a lung nodule. A reader must instead be told that the structure was not
assessed, and given no yes or no.
"""

from __future__ import annotations

import math
import re

from engine.analysis import ImageAnalysis
from engine.anatomy import Region
from engine.dialogue.phrases import say
from engine.dialogue.query_records import Query
from engine.dialogue.records import Draft, Section
from engine.findings import Finding
from engine.geometry import nearest_edges
from engine.intents import IntentKind
from engine.wording import kind_phrase
from kernel import Language
from ontology import RegionKind
from ontology.phrases import load_phrases

__all__ = [
    "answer_detection_limit",
    "answer_unassessed",
    "asks_detection_limit",
    "asks_heart_borders",
    "heart_border_contacts",
    "heart_border_line",
    "unassessed_subject",
]

# Regions whose own state the engine never measures; a finding kind asked in them
# ("any nodule near the clavicle?") is still a lung question.
_UNMEASURED_REGIONS = (RegionKind.MEDIASTINAL, RegionKind.BONE)

# What such a question is read as when it falls through: a yes/no, a read of the
# film, a description or a comparison of the two sides; a refusal for naming nothing
# known ("Is the trachea midline?" used to be told it is not about the film).
_FALLS_THROUGH = (
    IntentKind.PRESENCE,
    IntentKind.SCREENING,
    IntentKind.DESCRIBE,
    IntentKind.COMPARE,
    IntentKind.HELP,
)


# the asking words a Chinese pattern spans ("肺门有没有增大"), left out when it is quoted
_ASKING = re.compile(r"有没有|是否|有无|是不是")


def unassessed_subject(q: Query) -> str | None:
    """The words naming an unmeasured structure the question is about, if it is one."""
    if q.kind is not None or q.anchors or q.ordinals or q.superlative or q.profile:
        return None
    if q.cue.demonstrative:
        return None  # "右锁骨上方那个是什么": a thing pointed at beside the structure
    off_topic = q.intent is IntentKind.OUT_OF_SCOPE and q.refusal == "scope_off_topic"
    if q.intent not in _FALLS_THROUGH and not off_topic:
        return None
    if q.attribute not in (None, "shape", "size", "location"):
        return None
    if q.zone or q.band or q.lobe:
        return None  # "左下野靠近心缘的那个": a lung place with a landmark beside it
    phrases = load_phrases()
    if q.intent is IntentKind.SCREENING and not phrases.cue("yes_no").find(q.text):
        # "按气道、肺野、纵隔到骨骼的顺序讲讲": a read of the whole film, in an order
        return None
    said = phrases.cue("unassessed_structure").find(q.text)
    if said:
        return _ASKING.sub("", said).strip()
    region = next((m for m in q.mentions if m.kind in _UNMEASURED_REGIONS), None)
    return None if region is None else region.text


def answer_unassessed(draft: Draft, what: str, lang: Language) -> None:
    """Say that ``what`` is not assessed, with no yes or no, and what the tool measures."""
    draft.sections.append(
        Section(
            title=say("title_unassessed", lang),
            lines=(
                say("unassessed_structure", lang, what=what),
                say("unassessed_no_answer", lang),
            ),
        )
    )


def asks_detection_limit(q: Query) -> bool:
    """Whether the question asks the tool's limits: the smallest finding or the threshold.

    "what's the smallest nodule you could miss here?" asks about the tool, not which
    finding on the film is the smallest; read as a rank it named one.
    """
    if q.anchors or q.ordinals:
        return False
    if q.intent is IntentKind.OUT_OF_SCOPE and q.refusal != "scope_off_topic":
        # "what's your reporting threshold?" names nothing on the film and so reads as
        # off topic; a diagnosis, an instruction or another study stays refused
        return False
    return load_phrases().cue("detection_limit").find(q.text) is not None


def asks_under_threshold(q: Query) -> bool:
    """Whether a limits question asks what lies under the threshold on this film.

    "what about the one under threshold", "阈值以下的那个呢" ask for the candidates
    scored just under it, first; "what's the smallest nodule you could miss?" asks
    about the tool, and the candidates follow its limits.
    """
    return _UNDER_THRESHOLD.search(q.text) is not None


_UNDER_THRESHOLD = re.compile(
    r"(?<![a-z])(?:below|under|beneath|just under|short of)\s+(?:the\s+|your\s+)?"
    r"(?:report(?:ing)?\s+)?(?:threshold|cut-?off)"
    r"|(?:低于|不到|没到|未达|未到)(?:报告)?阈值|阈值(?:以下|之下|下面|底下|下边)",
    re.IGNORECASE,
)


def answer_detection_limit(draft: Draft, lang: Language, threshold: float) -> None:
    """The tool's limits, then this film's report threshold; no finding is named."""
    draft.sections.append(
        Section(
            title=say("title_detection_limit", lang),
            lines=(
                say("detection_limit", lang),
                say("detection_limit_threshold", lang, threshold=threshold),
                say("negative_caveat", lang),
            ),
        )
    )


# An opacity this close to the heart's outline lies against its border: a silhouette sign
# is possible there (about the width of a border a reader calls lost).
HEART_BORDER_GAP_MM = 5.0
HEART_BORDER_GAP_PX = 15.0  # on a film with no pixel spacing


def asks_heart_borders(q: Query) -> bool:
    """Whether the heart's borders are asked ("heart borders ok?", "心缘清楚吗").

    Not a finding near the border ("右肺靠近心缘那里有阴影吗": a kind and a band), nor a
    distance to it from an anchor ("A2离心缘多远"), nor the outline as a whole (the
    heart's size).
    """
    if q.kind or q.anchors or q.ordinals or q.superlative or q.zone or q.band:
        return False
    if q.cue.demonstrative or q.profile or q.attribute == "distance":
        return False
    off_topic = q.intent is IntentKind.OUT_OF_SCOPE and q.refusal == "scope_off_topic"
    if q.intent not in _FALLS_THROUGH and not off_topic:
        return False
    return load_phrases().cue("heart_border_asked").find(q.text) is not None


def heart_border_contacts(
    analysis: ImageAnalysis, findings: list[Finding], side: str | None
) -> list[tuple[Finding, float]]:
    """The findings that lie against the heart's outline, with their gap in pixels.

    A gap of 0 is an opacity touching or overlapping the outline. `side` ("right",
    "left") keeps the findings on that side's border.
    """
    heart = analysis.anatomy.polygon(Region.HEART)
    if len(heart) < 3:
        return []
    col_mm = analysis.calibration.col_mm
    limit = HEART_BORDER_GAP_MM / col_mm if col_mm else HEART_BORDER_GAP_PX
    ring = [(float(x), float(y)) for x, y in heart]
    found = []
    for f in findings:
        if side in ("right", "left") and f.location.side.value != side:
            continue
        outline = list(f.contour) or [
            (f.bbox.x0, f.bbox.y0),
            (f.bbox.x1, f.bbox.y0),
            (f.bbox.x1, f.bbox.y1),
            (f.bbox.x0, f.bbox.y1),
        ]
        pair = nearest_edges(outline, ring)
        gap = 0.0 if pair is None else math.dist(pair[0], pair[1])
        if gap <= limit:
            found.append((f, gap))
    return found


def heart_border_line(
    f: Finding, gap_px: float, cited: str, analysis: ImageAnalysis, lang: Language
) -> str:
    """One opacity against the heart's border, and what a lost border there would mean."""
    side = f.location.side.value if f.location.side.value in ("right", "left") else ""
    side_word = say(f"heart_border_{side}", lang) if side else ""
    col_mm = analysis.calibration.col_mm
    if gap_px < 0.5:
        where = say("heart_borders_touching", lang, side=side_word)
    else:
        gap = f"{gap_px * col_mm:.0f} mm" if col_mm else f"{gap_px:.0f} px"
        where = say("heart_borders_near", lang, side=side_word, gap=gap)
    what = kind_phrase(f.kind, lang)
    if lang is Language.EN:
        what = what[:1].upper() + what[1:]
    lobe = say(f"heart_border_lobe_{side or 'right'}", lang)
    return say(
        "heart_borders_opacity", lang, a=cited, what=what, where=where, lobe=lobe
    )
