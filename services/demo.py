"""The demo database: films any fresh machine has, with real conversations and a review.

Films: the DICOM WG-04 chest CR ``RG1_J2KI.dcm`` that the ``pydicom-data`` package ships
(found through the package's file list; no network; a MONOCHROME1 CR without a usable
pixel spacing), the same film saved as a PNG, and synthetic phantoms from
``cases.phantom`` with known spacing and ground truth: the seed article's film (a
lobulated, spiculated ~12 mm nodule in the outer band of the right middle zone and a
streaky opacity in the left lower zone), a normal film, and two variations (a left upper
zone nodule on a MONOCHROME1 CR, and a PNG without pixel spacing).

A phantom is drawn, not photographed, and the learned models may not read it: one whose
reading would not convince a radiologist (a CTR no adult PA film has, a drawn nodule not
found, a finding outside the lungs; ``reading_problems``) is left out, and the report says
why. The shipped models leave every phantom out today; the tests' fake models, which read
a phantom's own masks and nodules, keep them all.

Conversations run through the real engine and the embedded backend and are stored like
any other: the seed's four questions in Chinese and in English on the real film (its
Chinese run is the one the worklist opens on), two questions on its PNG copy, and on the
phantoms that stay, the same seed questions, a question about a reader-drawn box, and
shorter ones. Reviewer annotations agree with the refined nodule contour, mark the streaky
opacity as uncertain and outline the real film's leading opacity, so every page has
something to show.

Idempotent: films are recognised by their pixels, conversations by their title,
annotations by author, conversation and label; a second run reports what exists and
completes what an interrupted run left unfinished.
"""

from __future__ import annotations

import functools
import importlib.metadata
import io
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt
from PIL import Image as PILImage

import cases
from cases.display import decoded_display
from cases.phantom import (
    NoduleSpec,
    Phantom,
    PhantomSpec,
    make_phantom,
    seed_scenario_spec,
)
from cases.phantom_dicom import DicomOptions, SpacingAttribute, phantom_dicom_bytes
from cases.worklist import ConversationMark, ReviewStatus
from engine.analysis import AnalysisCache, ImageAnalysis
from engine.anchors import AnchorKind, AnchorStyle
from engine.backends.base import ModelBackend
from engine.backends.embedded import EmbeddedBackend
from engine.dialogue.facts import CTR_PLAUSIBLE, ctr_fact
from engine.geometry import Box
from engine.model import Radiograph
from services import workflows

IMPORTER = "demo:importer"
READER = "demo:resident"
REVIEWER = "demo:attending"

SEED_ZH = (
    "肺部是否有异常?",
    "右肺中叶那个圆形影,边缘是否规则?",
    "这个病灶距离右肺门有多远?是否与肺门结构相连?",
    "如果这是早期肺癌,典型X线表现应该有哪些?当前影像符合几条?",
)
SEED_EN = (
    "Is there anything abnormal in the lungs?",
    "That round opacity in the right middle lobe: is its margin regular?",
    "How far is this lesion from the right hilum? Is it connected to hilar structures?",
    "If this were early lung cancer, what are the typical X-ray signs, and how many does this image meet?",
)
PYDICOM_DATA_FILE = "RG1_J2KI.dcm"

Progress = Callable[[str], None]


# --------------------------------------------------------------------------- films


@dataclass(frozen=True, slots=True, kw_only=True)
class DemoFilm:
    """One demo image: how to make its file and what it is."""

    key: str
    title: str
    file_name: str
    spacing_mm: float | None = None
    """Pixel spacing to record for a PNG (DICOM files carry their own)."""
    tags: tuple[str, ...] = ()
    review: ReviewStatus = ReviewStatus.UNREVIEWED
    """The worklist's review status the demo gives the film's case."""
    phantom: Phantom | None = field(default=None, compare=False, repr=False)
    path: Path | None = None
    as_png: bool = False
    """Save the file at ``path`` as an 8-bit PNG, as a film often arrives by e-mail."""

    def data(self) -> bytes:
        """The file's bytes."""
        if self.path is not None:
            return _png_of(self.path) if self.as_png else self.path.read_bytes()
        if self.phantom is None:
            raise ValueError(f"demo film {self.key} has neither a file nor a phantom")
        if self.file_name.endswith(".png"):
            return _png(self.phantom)
        return phantom_dicom_bytes(self.phantom, _DICOM_OPTIONS[self.key])


def _png(phantom: Phantom) -> bytes:
    return _png_bytes(phantom.pixels)


def _png_bytes(display: npt.NDArray[np.floating]) -> bytes:
    buffer = io.BytesIO()
    pixels = np.round(np.clip(display, 0, 1) * 255).astype(np.uint8)
    PILImage.fromarray(pixels, mode="L").save(buffer, format="PNG")
    return buffer.getvalue()


def _png_of(path: Path) -> bytes:
    """A DICOM film as it looks (VOI LUT and MONOCHROME1 applied), saved as a PNG."""
    decoded = cases.read_image(
        path.read_bytes(), name=path.name, salt=b"casebook-demo-png"
    )
    return _png_bytes(decoded_display(decoded))


_DICOM_OPTIONS = {
    "seed": DicomOptions(modality="DX", uid_seed="casebook-demo-seed"),
    "normal": DicomOptions(modality="DX", uid_seed="casebook-demo-normal"),
    "left-upper": DicomOptions(
        modality="CR",
        photometric="MONOCHROME1",
        spacing=SpacingAttribute.IMAGER_PIXEL_SPACING,
        uid_seed="casebook-demo-left-upper",
    ),
}


def find_pydicom_chest() -> Path | None:
    """The chest CR that the pydicom-data package ships, or None when it is not installed."""
    try:
        distribution = importlib.metadata.distribution("pydicom-data")
    except importlib.metadata.PackageNotFoundError:
        return None
    for entry in distribution.files or ():
        if entry.name == PYDICOM_DATA_FILE:
            path = Path(str(distribution.locate_file(entry)))
            return path if path.is_file() else None
    return None


def films() -> list[DemoFilm]:
    """The demo films, the seed film first."""
    return list(_films())


@functools.cache
def _films() -> tuple[DemoFilm, ...]:
    # Drawing the phantoms takes a few seconds; they are the same every time.
    found = [
        DemoFilm(
            key="seed",
            title="Seed scenario film (phantom)",
            file_name="seed-phantom.dcm",
            tags=("phantom", "nodule", "seed scenario"),
            review=ReviewStatus.TEACHING,
            phantom=make_phantom(seed_scenario_spec()),
        ),
        DemoFilm(
            key="normal",
            title="Normal film (phantom)",
            file_name="normal-phantom.dcm",
            tags=("phantom", "normal"),
            review=ReviewStatus.TEACHING,
            phantom=make_phantom(
                PhantomSpec(rows=1024, columns=1024, spacing_mm=0.35, seed=7)
            ),
        ),
        DemoFilm(
            key="left-upper",
            title="Left upper zone nodule, CR MONOCHROME1 (phantom)",
            file_name="left-upper-phantom.dcm",
            tags=("phantom", "nodule", "monochrome1"),
            phantom=make_phantom(
                PhantomSpec(
                    rows=1200,
                    columns=1000,
                    spacing_mm=0.3,
                    seed=11,
                    nodules=(
                        NoduleSpec(
                            side=cases.Side.LEFT,
                            lateral=0.55,
                            caudal=0.28,
                            diameter_mm=18.0,
                            lobulated=True,
                        ),
                    ),
                )
            ),
        ),
        DemoFilm(
            key="no-spacing",
            title="PNG without pixel spacing (phantom)",
            file_name="right-lower-phantom.png",
            tags=("phantom", "nodule", "uncalibrated"),
            phantom=make_phantom(
                PhantomSpec(
                    rows=900,
                    columns=900,
                    spacing_mm=0.4,
                    seed=23,
                    nodules=(
                        NoduleSpec(
                            side=cases.Side.RIGHT,
                            lateral=0.6,
                            caudal=0.78,
                            diameter_mm=14.0,
                        ),
                    ),
                )
            ),
        ),
    ]
    chest = find_pydicom_chest()
    if chest is not None:
        # What the phantom PNG was for, on a film the engine reads: no pixel spacing and
        # no DICOM header, so every distance is an estimate and the view is unrecorded.
        # Imported before the DICOM file, so that the worklist (newest first) opens on
        # the real film itself.
        found.append(
            DemoFilm(
                key="pydicom-png",
                title="The same real film as a PNG without pixel spacing",
                file_name="wg04-chest-cr.png",
                tags=("real film", "uncalibrated", "png"),
                review=ReviewStatus.TEACHING,
                path=chest,
                as_png=True,
            )
        )
        found.append(
            DemoFilm(
                key="pydicom-cr",
                title="Start here: the seed scenario on a real chest CR (DICOM WG-04)",
                file_name=PYDICOM_DATA_FILE,
                tags=("real film", "seed scenario", "CR", "monochrome1"),
                review=ReviewStatus.REVIEWED,
                path=chest,
            )
        )
    return tuple(found)


# --------------------------------------------------------------------------- reading


def _radiograph(film: DemoFilm) -> Radiograph:
    """The film as the engine will see it once imported (nothing is stored)."""
    decoded = cases.read_image(
        film.data(),
        name=film.file_name,
        salt=b"casebook-demo-reading",
        spacing_mm=film.spacing_mm,
    )
    return Radiograph(
        pixels=decoded_display(decoded),
        calibration=decoded.calibration,
        key=decoded.image_id,
        view_position=decoded.view_position,
    )


def reading_problems(film: DemoFilm, analysis: ImageAnalysis) -> tuple[str, ...]:
    """Why the engine's reading of a phantom would not convince a radiologist (empty if none).

    A phantom is drawn, not photographed: the learned models may not read it at all. Its
    reading must hold an adult CTR (a value outside 0.3-0.8 is a failed outline), find
    every nodule drawn (a film shown for its nodule must not answer "not found") and
    report nothing outside the lungs (lung behind the heart or a dome is lung).
    """
    if film.phantom is None:
        return ()
    problems: list[str] = []
    ctr = ctr_fact(analysis)
    if not ctr.observable:
        low, high = CTR_PLAUSIBLE
        problems.append(
            "cardiothoracic ratio not measured"
            if ctr.value is None
            else f"cardiothoracic ratio {ctr.value:.2f}, outside {low}-{high}"
        )
    reported = [
        f
        for f in analysis.findings
        if f.is_focal and f.confidence >= analysis.focal_report_score
    ]
    for nodule in film.phantom.truth.nodules:
        if not any(
            math.dist(f.center, nodule.center_px) <= nodule.diameter_px
            for f in reported
        ):
            problems.append(f"the {nodule.diameter_mm:.0f} mm nodule is not found")
    outside = sum(not f.location.in_lung for f in reported)
    if outside:
        problems.append(f"{outside} finding(s) reported outside the lungs")
    return tuple(problems)


# --------------------------------------------------------------------------- conversations


@dataclass(frozen=True, slots=True, kw_only=True)
class DemoQuestion:
    """A question, optionally about a box drawn on the film (image pixels)."""

    text: str
    box: Box | None = None
    box_label: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class DemoConversation:
    """A scripted conversation on one film."""

    key: str
    film: str
    title: str
    questions: tuple[DemoQuestion, ...]
    actor: str = READER
    mark: ConversationMark | None = None
    """Kept for teaching or QA: read-only for everyone once the demo has asked."""


def _opacity_box(film: DemoFilm) -> Box | None:
    truth = film.phantom.truth.opacity if film.phantom else None
    if truth is None:
        return None
    x0, y0, x1, y1 = truth.box_px
    pad = 0.15 * max(x1 - x0, y1 - y0)
    return Box(x0 - pad, y0 - pad, x1 + pad, y1 + pad)


def conversations(by_key: dict[str, DemoFilm]) -> list[DemoConversation]:
    """The scripted conversations for the films that exist."""
    seed = by_key.get("seed")
    scripts = [
        DemoConversation(
            key="seed-zh",
            film="seed",
            title="种子场景（中文）",
            questions=tuple(DemoQuestion(text=q) for q in SEED_ZH),
        ),
        DemoConversation(
            key="seed-en",
            film="seed",
            title="Seed scenario (English)",
            questions=tuple(DemoQuestion(text=q) for q in SEED_EN),
        ),
        DemoConversation(
            key="seed-drawn",
            film="seed",
            title="A reader-drawn region",
            questions=(
                DemoQuestion(
                    text="What is in this region?",
                    box=None if seed is None else _opacity_box(seed),
                    box_label="streaky area",
                ),
                DemoQuestion(text="How large is it?"),
            ),
        ),
        DemoConversation(
            key="normal",
            film="normal",
            title="Normal film",
            questions=(DemoQuestion(text=SEED_EN[0]),),
            mark=ConversationMark.TEACHING,
        ),
        DemoConversation(
            key="left-upper",
            film="left-upper",
            title="Left upper zone",
            questions=(
                DemoQuestion(text="肺部是否有异常?"),
                DemoQuestion(text="这个病灶距离左肺门有多远?"),
            ),
        ),
        DemoConversation(
            key="no-spacing",
            film="no-spacing",
            title="Uncalibrated PNG",
            questions=(
                DemoQuestion(text=SEED_EN[0]),
                DemoQuestion(text="How far is this lesion from the right hilum?"),
            ),
        ),
    ]
    if "pydicom-png" in by_key:
        scripts.append(
            DemoConversation(
                key="pydicom-png",
                film="pydicom-png",
                title="A PNG without pixel spacing",
                questions=(
                    DemoQuestion(text=SEED_EN[0]),
                    DemoQuestion(text="How far is this lesion from the right hilum?"),
                ),
                # Teaching: without spacing every distance is an estimate, said as one.
                mark=ConversationMark.TEACHING,
            )
        )
    if "pydicom-cr" in by_key:
        # The real film carries the flagship scenario: the phantoms teach the geometry,
        # but the learned models see real radiographs best.
        # English first, so that the Chinese seed scenario is the film's newest
        # conversation: the one its case page opens on.
        scripts.append(
            DemoConversation(
                key="pydicom-cr-en",
                film="pydicom-cr",
                title="Seed scenario on a real film (WG-04 CR)",
                questions=tuple(DemoQuestion(text=q) for q in SEED_EN),
            )
        )
        scripts.append(
            DemoConversation(
                key="pydicom-cr",
                film="pydicom-cr",
                title="种子场景，真实胸片 (WG-04 CR)",
                questions=tuple(DemoQuestion(text=q) for q in SEED_ZH),
            )
        )
    return [
        s
        for s in scripts
        if s.film in by_key
        and all(q.box is not None or q.box_label is None for q in s.questions)
    ]


# --------------------------------------------------------------------------- report


@dataclass(frozen=True, slots=True, kw_only=True)
class FilmOutcome:
    """What happened to one film."""

    key: str
    title: str
    case_id: str
    status: str
    """``imported`` or ``existing``."""
    warnings: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class ConversationOutcome:
    """What happened to one scripted conversation."""

    key: str
    title: str
    case_id: str
    conversation_id: int
    turns: int
    status: str
    """``created``, ``completed`` (an earlier run stopped part way) or ``existing``."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AnnotationOutcome:
    """What happened to one reviewer annotation."""

    key: str
    annotation_id: int
    status: str


@dataclass(frozen=True, slots=True, kw_only=True)
class LeftOut:
    """A phantom the engine does not read sensibly, left out of the demo, and why."""

    key: str
    title: str
    problems: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class DemoReport:
    """Everything ``build`` found or made."""

    films: tuple[FilmOutcome, ...]
    conversations: tuple[ConversationOutcome, ...]
    annotations: tuple[AnnotationOutcome, ...]
    left_out: tuple[LeftOut, ...] = ()

    @property
    def created_anything(self) -> bool:
        """Whether this run wrote anything."""
        return (
            any(f.status == "imported" for f in self.films)
            or any(c.status != "existing" for c in self.conversations)
            or any(a.status == "created" for a in self.annotations)
        )


# --------------------------------------------------------------------------- build


def build(
    store: cases.CaseStore,
    *,
    cache: AnalysisCache | None = None,
    backend: ModelBackend | None = None,
    progress: Progress | None = None,
) -> DemoReport:
    """Fill ``store`` with the demo films, conversations and annotations (idempotent).

    Raises:
        ModelFileMissing: a bundled vision model is missing (the conversations need it).
        CasesError: the store refused a write.
    """
    say = progress or (lambda _: None)
    backend = backend or EmbeddedBackend()
    # Load the vision models first: a missing model stops the build before it writes anything.
    reader = cache or workflows.analysis_cache()
    _ = reader.analyzer
    demo_films, left_out = _readable(films(), reader, say)
    by_key = {f.key: f for f in demo_films}
    film_outcomes: list[FilmOutcome] = []
    case_of: dict[str, str] = {}
    image_of: dict[str, str] = {}
    for film in demo_films:
        say(f"importing {film.title}")
        outcome = store.import_bytes(
            film.data(), name=film.file_name, actor=IMPORTER, spacing_mm=film.spacing_mm
        )
        case_of[film.key] = outcome.case_id
        image_of[film.key] = outcome.image.image_id
        store.record_source_name(outcome.image.image_id, film.file_name, actor=IMPORTER)
        if store.find_case_labels(outcome.case_id) is None:
            store.set_case_labels(
                outcome.case_id,
                title=film.title,
                tags=film.tags,
                review_status=film.review,
                actor=REVIEWER,
            )
        film_outcomes.append(
            FilmOutcome(
                key=film.key,
                title=film.title,
                case_id=outcome.case_id,
                status=outcome.status.value,
                warnings=tuple(i.message for i in outcome.image.warnings),
            )
        )
    conversation_outcomes: list[ConversationOutcome] = []
    for script in conversations(by_key):
        say(f"conversation: {script.title}")
        conversation_outcomes.append(
            _converse(
                store,
                script,
                case_of[script.film],
                image_of[script.film],
                backend=backend,
                cache=cache,
            )
        )
    say("reviewer annotations")
    annotation_outcomes = _annotate(store, by_key, conversation_outcomes, image_of)
    return DemoReport(
        films=tuple(film_outcomes),
        conversations=tuple(conversation_outcomes),
        annotations=tuple(annotation_outcomes),
        left_out=tuple(left_out),
    )


def _readable(
    candidates: Sequence[DemoFilm], cache: AnalysisCache, say: Progress
) -> tuple[list[DemoFilm], list[LeftOut]]:
    """The films the engine reads sensibly, and the phantoms it does not (left out)."""
    kept: list[DemoFilm] = []
    left_out: list[LeftOut] = []
    for film in candidates:
        if film.phantom is None:
            kept.append(film)
            continue
        say(f"reading {film.title}")
        problems = reading_problems(film, cache.get(_radiograph(film)))
        if problems:
            left_out.append(LeftOut(key=film.key, title=film.title, problems=problems))
        else:
            kept.append(film)
    return kept, left_out


def _converse(
    store: cases.CaseStore,
    script: DemoConversation,
    case_id: str,
    image_id: str,
    *,
    backend: ModelBackend,
    cache: AnalysisCache | None,
) -> ConversationOutcome:
    existing = next(
        (
            c
            for c in store.list_conversations(case_id)
            if c.title == script.title and c.image_id == image_id
        ),
        None,
    )
    if existing is None:
        session = workflows.start_session(
            store,
            case_id,
            backend=backend,
            actor=script.actor,
            image_id=image_id,
            title=script.title,
            cache=cache,
        )
        status = "created"
    else:
        done = len(store.list_turns(existing.conversation_id))
        if done >= len(script.questions):
            return ConversationOutcome(
                key=script.key,
                title=script.title,
                case_id=case_id,
                conversation_id=existing.conversation_id,
                turns=done,
                status="existing",
            )
        session = workflows.resume_session(
            store,
            existing.conversation_id,
            backend=backend,
            cache=cache,
            actor=script.actor,
        )
        status = "completed"
    asked = len(store.list_turns(session.record.conversation_id))
    for question in script.questions[asked:]:
        workflows.ask(
            store,
            session,
            question.text,
            actor=script.actor,
            drawn_box=question.box,
            drawn_label=question.box_label,
        )
    if script.mark is not None:
        store.mark_conversation(
            session.record.conversation_id, script.mark, actor=REVIEWER
        )
    return ConversationOutcome(
        key=script.key,
        title=script.title,
        case_id=case_id,
        conversation_id=session.record.conversation_id,
        turns=len(store.list_turns(session.record.conversation_id)),
        status=status,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class _Review:
    key: str
    conversation: str
    turn_number: int
    style: AnchorStyle
    label: str
    verdict: cases.Verdict
    note: str
    box: Box | None
    loose_around_ai: float = 0.0
    """No box of its own: the reviewer outlines the AI's anchor this much more loosely
    (a fraction of its size on each side). Used on the real film, which has no truth."""


def _reviews(by_key: dict[str, DemoFilm]) -> list[_Review]:
    seed_film = by_key.get("seed")
    seed = None if seed_film is None else seed_film.phantom
    reviews: list[_Review] = []
    if seed is not None and seed.truth.nodules:
        nodule = seed.truth.nodules[0]
        (x, y), r = nodule.center_px, nodule.diameter_px * 0.65
        reviews.append(
            _Review(
                key="nodule-agree",
                conversation="seed-zh",
                turn_number=2,
                style=AnchorStyle.CONTOUR,
                label="nodule",
                verdict=cases.Verdict.AGREE,
                note="Lobulated margin with short spicules; agree with the contour.",
                box=Box(x - r, y - r, x + r, y + r),
            )
        )
    opacity = None if seed_film is None else _opacity_box(seed_film)
    if opacity is not None:
        reviews.append(
            _Review(
                key="opacity-uncertain",
                conversation="seed-en",
                turn_number=1,
                style=AnchorStyle.SCREENING,
                label="streaky opacity",
                verdict=cases.Verdict.UNCERTAIN,
                note="Could be atelectasis or scarring; compare with a prior film.",
                box=opacity,
            )
        )
    if "pydicom-cr" in by_key:
        # The real film has no ground truth here: the demo's reviewer outlines the AI's
        # leading opacity a little more loosely and leaves the verdict open, so the QA
        # agreement chart has a point on a real film (the note says what it is).
        reviews.append(
            _Review(
                key="real-film-opacity",
                conversation="pydicom-cr",
                turn_number=2,
                style=AnchorStyle.CONTOUR,
                label="round opacity (demo review)",
                verdict=cases.Verdict.UNCERTAIN,
                note="Demo annotation, not a clinical read: the same opacity outlined "
                "more loosely; compare with a prior film or CT.",
                box=None,
                loose_around_ai=0.25,
            )
        )
    return reviews


def _annotate(
    store: cases.CaseStore,
    by_key: dict[str, DemoFilm],
    done: Sequence[ConversationOutcome],
    image_of: dict[str, str],
) -> list[AnnotationOutcome]:
    outcomes: list[AnnotationOutcome] = []
    conversation_of = {c.key: c for c in done}
    for review in _reviews(by_key):
        target = conversation_of.get(review.conversation)
        if target is None or target.turns < review.turn_number:
            continue
        existing = next(
            (
                a
                for a in store.list_annotations(target.case_id)
                if a.author == REVIEWER
                and a.conversation_id == target.conversation_id
                and a.label == review.label
            ),
            None,
        )
        if existing is not None:
            outcomes.append(
                AnnotationOutcome(
                    key=review.key,
                    annotation_id=existing.annotation_id,
                    status="existing",
                )
            )
            continue
        anchor_id = _anchor_for(store, target.conversation_id, review)
        box = review.box or _loose_box(store, target.conversation_id, review, anchor_id)
        if box is None and review.loose_around_ai:
            continue  # the engine drew no such anchor on this film: nothing to outline
        note = store.add_annotation(
            cases.AnnotationWrite(
                case_id=cases.CaseId(target.case_id),
                image_id=cases.ImageId(
                    image_of[
                        next(
                            c.film
                            for c in conversations(by_key)
                            if c.key == review.conversation
                        )
                    ]
                ),
                author=REVIEWER,
                geometry=None
                if box is None
                else cases.Geometry(
                    "box",
                    (
                        (round(box.x0, 1), round(box.y0, 1)),
                        (round(box.x1, 1), round(box.y1, 1)),
                    ),
                ),
                label=review.label,
                verdict=review.verdict,
                note=review.note,
                conversation_id=cases.ConversationId(target.conversation_id),
                turn_index=review.turn_number,
                anchor_id=None if anchor_id is None else cases.AnchorId(anchor_id),
            )
        )
        outcomes.append(
            AnnotationOutcome(
                key=review.key, annotation_id=note.annotation_id, status="created"
            )
        )
    return outcomes


def _loose_box(
    store: cases.CaseStore, conversation_id: int, review: _Review, anchor_id: str | None
) -> Box | None:
    if not review.loose_around_ai or anchor_id is None:
        return None
    states = workflows.replay_state(store, conversation_id, review.turn_number)
    anchor = next((a for a, _ in states if a.id == anchor_id), None)
    if anchor is None:
        return None
    b = anchor.bbox
    pad_x, pad_y = b.width * review.loose_around_ai, b.height * review.loose_around_ai
    return Box(b.x0 - pad_x, b.y0 - pad_y, b.x1 + pad_x, b.y1 + pad_y)


def _anchor_for(
    store: cases.CaseStore, conversation_id: int, review: _Review
) -> str | None:
    """The AI anchor of the reviewed turn that best overlaps the reviewer's box."""
    states = workflows.replay_state(store, conversation_id, review.turn_number)
    candidates = [
        a for a, _ in states if a.style is review.style and a.kind is AnchorKind.FINDING
    ]
    if not candidates or review.box is None:
        return candidates[0].id if candidates else None
    best = max(candidates, key=lambda a: a.bbox.iou(review.box))  # type: ignore[arg-type]
    return best.id if best.bbox.iou(review.box) > 0 else None
