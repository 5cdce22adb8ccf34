"""Turn raw language-model output into an answer the dialogue can trust, or say why not.

Pure code shared by the MedGemma and the OpenAI-compatible backends. The policy:

| model output                                   | result                                       |
|------------------------------------------------|----------------------------------------------|
| `<unused94>thought … <unused95>answer`         | thought dropped, answer kept                 |
| `thought … <unused95>answer` (no opening tag)  | everything up to `<unused95>` dropped        |
| `<unused94>thought …` never closed             | draft shown, even with text before it; warning |
| `Final Answer: ```json[…]``` ` / bare `[…]`     | boxes parsed (localisation turns only)       |
| malformed JSON (after light repair)            | no boxes, a warning; never an exception      |
| box with y0 > y1 or x0 > x1                     | corners swapped, warning                     |
| box outside 0..1000                            | clipped to 0..1000, warning                  |
| box with zero area, wrong length, non-numbers  | dropped, warning                             |
| box entirely in the square padding             | dropped, warning                             |
| prose with numbers not in the facts            | draft shown instead, warning                 |
| prose citing an anchor id that does not exist  | draft shown instead, warning                 |
| prose in the wrong language, or empty          | draft shown instead, warning                 |
| prose with U+FFFD (undecodable bytes)          | draft shown instead, warning                 |
| prose with special-token text (`<end_of_image>`, `<start_of_turn>`, `<unusedNN>`, …) | draft shown instead, warning |

Malformed model output is a property of the answer, not a failure of the backend: the
dialogue still has its grounded draft, so a bad box or sentence becomes a warning on the
turn (stored with the raw output) and never an exception. `BackendFailed` is for
transport problems (a server error, a body that is not the protocol).

Box coordinates follow MedGemma 1.5: `box_2d = [y0, x0, y1, x1]`, y first, on a 0-1000
grid of the square-padded image (see `prompting.prepare_image`).
"""

from __future__ import annotations

import ast
import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from engine.backends.base import ModelBox, TurnContext
from engine.geometry import Box
from engine.model import Side
from kernel import Language

THOUGHT_START = "<unused94>"
THOUGHT_END = "<unused95>"
END_MARKERS = ("<end_of_turn>", "<eos>", "<pad>")
GRID = 1000.0
SIDE_MARGIN = 0.05
"""Fraction of the image width around the centre line where `check_box_side` stays silent."""

_FINAL_ANSWER = re.compile(
    r"(?:\*\*)?final\s+answer\s*:?\s*(?:\*\*)?\s*:?", re.IGNORECASE
)
_FENCE = re.compile(r"```[ \t]*(?:json|JSON)?[ \t]*\n?(.*?)(?:```|\Z)", re.DOTALL)
_CITATION = re.compile(r"\[\s*([A-Za-z]{1,3}\d+)\s*\]")
_ANCHOR_ID = re.compile(r"(?<![A-Za-z0-9])[A-Z]{1,3}\d+(?![A-Za-z0-9])")
_LIST_MARKER = re.compile(r"^\s*\d{1,2}[.)、]\s", re.MULTILINE)
_NUMBER = re.compile(r"(?<![A-Za-z0-9.])\d+(?:\.\d+)?")
_CJK = re.compile(r"[\u3400-\u9fff]")
_TRAILING_COMMA = re.compile(r",\s*([\]}])")
_CONTROL_TOKEN = re.compile(
    r"<(?:start_of_turn|end_of_turn|start_of_image|end_of_image|image_soft_token"
    r"|bos|eos|pad|unk|mask|unused\d+)>"
)
"""Gemma's special tokens as decoded text: never part of an answer a reader should see."""
REPLACEMENT_CHAR = "\ufffd"


@dataclass(frozen=True, slots=True, kw_only=True)
class SplitOutput:
    """Raw output split at the thinking trace."""

    answer: str
    thought: str
    complete: bool  # False when the thought never ended (output cut by max_new_tokens)


@dataclass(frozen=True, slots=True, kw_only=True)
class BoxParse:
    """What a localisation answer yields."""

    boxes: tuple[ModelBox, ...]
    prose: str  # the reasoning, without "Final Answer:" and the JSON
    warnings: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Interpretation:
    """A model's turn as the dialogue receives it."""

    text: str  # what the reader sees: the model's prose, or the grounded draft
    model_text: str  # the model's prose after cleaning (kept even when not shown)
    boxes: tuple[ModelBox, ...]
    warnings: tuple[str, ...]
    used_draft: bool


def strip_end_markers(text: str) -> str:
    """Remove Gemma's end-of-turn / padding tokens that survive decoding."""
    for marker in END_MARKERS:
        text = text.replace(marker, "")
    return text


def split_thinking(raw: str) -> SplitOutput:
    """Separate MedGemma's thinking trace (`<unused94>thought … <unused95>`) from the answer.

    MedGemma 1.5-4B may think without being asked, and the trace sometimes arrives
    without the opening tag, so everything up to the first `<unused95>` is thought.
    """
    text = strip_end_markers(raw)
    if THOUGHT_END in text:
        thought, answer = text.split(THOUGHT_END, 1)
        return SplitOutput(
            answer=answer.strip(), thought=_thought_body(thought), complete=True
        )
    start = text.find(THOUGHT_START)
    if start >= 0:
        return SplitOutput(
            answer=text[:start].strip(),
            thought=_thought_body(text[start:]),
            complete=False,
        )
    return SplitOutput(answer=text.strip(), thought="", complete=True)


def _thought_body(text: str) -> str:
    body = text.replace(THOUGHT_START, "").strip()
    return body.removeprefix("thought").strip()


def normalise_box_2d(
    values: Any,
) -> tuple[tuple[float, float, float, float], tuple[str, ...]]:
    """Validate a `box_2d` = [y0, x0, y1, x1] on the 0-1000 grid, repairing what is safe.

    Swapped corners are put in order and coordinates outside 0..1000 are clipped, each
    with a warning.

    Raises:
        ValueError: not four finite numbers, or no area left after repair.
    """
    if not isinstance(values, list | tuple) or len(values) != 4:
        raise ValueError(
            f"box_2d must be four numbers [y0, x0, y1, x1], got {values!r}"
        )
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        raise ValueError(f"box_2d must hold numbers, got {values!r}")
    y0, x0, y1, x1 = (float(v) for v in values)
    if not all(math.isfinite(v) for v in (y0, x0, y1, x1)):
        raise ValueError(f"box_2d must hold finite numbers, got {values!r}")
    warnings = []
    if y0 > y1 or x0 > x1:
        warnings.append(
            f"box_2d {list(values)} had its corners out of order; they were swapped"
        )
        y0, y1 = min(y0, y1), max(y0, y1)
        x0, x1 = min(x0, x1), max(x0, x1)
    clipped = tuple(min(max(v, 0.0), GRID) for v in (y0, x0, y1, x1))
    if clipped != (y0, x0, y1, x1):
        warnings.append(f"box_2d {list(values)} left the 0-1000 grid; it was clipped")
    y0, x0, y1, x1 = clipped
    if y1 - y0 <= 0 or x1 - x0 <= 0:
        raise ValueError(f"box_2d {list(values)} has no area")
    return (y0, x0, y1, x1), tuple(warnings)


def box_2d_to_pixels(
    box_2d: tuple[float, float, float, float], *, rows: int, cols: int
) -> Box:
    """Map a valid `box_2d` from the padded square's 0-1000 grid to pixels of the image.

    The square has side `S = max(rows, cols)` with the image centred in it (left padding
    `(S - cols) // 2`, top padding `(S - rows) // 2`, as in `prompting.prepare_image`).
    The result is clipped to the image.

    Raises:
        ValueError: the box lies entirely in the padding.
    """
    y0, x0, y1, x1 = box_2d
    side = max(rows, cols)
    left, top = (side - cols) // 2, (side - rows) // 2
    box = Box(
        x0 / GRID * side - left,
        y0 / GRID * side - top,
        x1 / GRID * side - left,
        y1 / GRID * side - top,
    )
    inside = box.clipped(cols, rows)
    if inside.width <= 0 or inside.height <= 0:
        raise ValueError(
            f"box_2d {list(box_2d)} lies entirely in the padding around the image"
        )
    return inside


def side_named(text: str) -> Side | None:
    """The patient side a label names ("right"/"右" or "left"/"左"), or None if unclear."""
    lowered = text.lower()
    right = bool(re.search(r"\bright\b", lowered)) or "右" in text
    left = bool(re.search(r"\bleft\b", lowered)) or "左" in text
    if right == left:
        return None
    return Side.RIGHT if right else Side.LEFT


def check_box_side(
    box: Box, image_width: float, claimed_side: Side | str | None
) -> str | None:
    """Say when a box sits on the wrong side of a frontal film for the side it claims.

    On a PA (or AP) film the patient's right is on the image left. Without an anatomy map
    the image centre stands in for the midline, so boxes whose centre is within
    `SIDE_MARGIN` of it are never flagged; the dialogue's anatomy-map check is finer.

    Returns:
        A one-line warning, or None when the side is consistent or cannot be judged.
    """
    if claimed_side is None or image_width <= 0:
        return None
    claimed = Side(claimed_side)
    if claimed is Side.MIDLINE:
        return None
    centre = box.center[0] / image_width
    if claimed is Side.RIGHT and centre > 0.5 + SIDE_MARGIN:
        actual = "image right, the patient's left"
    elif claimed is Side.LEFT and centre < 0.5 - SIDE_MARGIN:
        actual = "image left, the patient's right"
    else:
        return None
    return (
        f"box for the patient's {claimed.value} side lies on the {actual} on a PA film "
        f"(centre x = {box.center[0]:.0f} of {image_width:.0f} px); possible left/right confusion"
    )


def parse_localization(
    answer: str, *, rows: int, cols: int, default_label: str, source: str
) -> BoxParse:
    """Parse a localisation answer: reasoning, then `Final Answer:` with a JSON box list.

    Accepts fenced (```json … ```) and bare JSON lists (or a single object), anywhere
    after "Final Answer:" or, without that marker, anywhere in the answer.
    """
    marker = None
    for match in _FINAL_ANSWER.finditer(answer):
        marker = match
    prose, payload = (
        (answer[: marker.start()], answer[marker.end() :])
        if marker
        else (answer, answer)
    )
    warnings: list[str] = []
    items, found, json_warning = _json_items(payload)
    if json_warning:
        warnings.append(json_warning)
    if not marker and found:
        prose = _FENCE.sub("", prose)
        prose = _remove_bare_json(prose)
    boxes: list[ModelBox] = []
    for item in items:
        if not isinstance(item, dict) or "box_2d" not in item:
            warnings.append(
                f"model box entry without box_2d was ignored: {json.dumps(item)[:80]}"
            )
            continue
        label = item.get("label")
        label = (
            label.strip() if isinstance(label, str) and label.strip() else default_label
        )
        try:
            grid_box, box_warnings = normalise_box_2d(item["box_2d"])
            warnings.extend(box_warnings)
            box = box_2d_to_pixels(grid_box, rows=rows, cols=cols)
        except ValueError as exc:
            warnings.append(f"model box '{label}' was dropped: {exc}")
            continue
        boxes.append(ModelBox(label=label, box=box, source=source))
    if not boxes and not warnings:
        warnings.append(
            f"the model gave no box for '{default_label}'; no model box was kept"
        )
    elif not boxes:
        warnings.append(f"no usable model box for '{default_label}' was kept")
    return BoxParse(boxes=tuple(boxes), prose=prose.strip(), warnings=tuple(warnings))


def _json_items(payload: str) -> tuple[list[Any], bool, str | None]:
    """JSON box items in the payload: (items, whether any JSON was found, warning)."""
    candidates = [m.group(1) for m in _FENCE.finditer(payload) if m.group(1).strip()]
    fenced = bool(candidates)
    if not fenced:
        candidates = _bare_json_candidates(payload)
    if not candidates:
        return [], False, None
    for candidate in candidates:
        value = _loads_lenient(candidate)
        if value is not None:
            items = value if isinstance(value, list) else [value]
            return items, True, None
    excerpt = candidates[0].strip().replace("\n", " ")[:80]
    return [], True, f"the model's box JSON is malformed and was ignored: {excerpt}"


def _bare_json_candidates(text: str) -> list[str]:
    """Substrings that start a JSON list or object and parse (or the first that does not)."""
    decoder = json.JSONDecoder()
    found: list[str] = []
    first_failure: str | None = None
    index = 0
    while index < len(text):
        start = min(
            (i for i in (text.find("[", index), text.find("{", index)) if i >= 0),
            default=-1,
        )
        if start < 0:
            break
        try:
            _, end = decoder.raw_decode(text, start)
        except json.JSONDecodeError:
            if first_failure is None and "box_2d" in text[start:]:
                first_failure = text[start:]
            index = start + 1
            continue
        found.append(text[start:end])
        index = end
    boxes = [c for c in found if "box_2d" in c]
    if boxes:
        return boxes
    return [first_failure] if first_failure is not None else []


def _remove_bare_json(text: str) -> str:
    for candidate in _bare_json_candidates(text):
        text = text.replace(candidate, "")
    return text


def _loads_lenient(text: str) -> Any | None:
    """json.loads, then with trailing commas removed, then as a Python literal."""
    stripped = text.strip()
    for attempt in (stripped, _TRAILING_COMMA.sub(r"\1", stripped)):
        try:
            return json.loads(attempt)
        except json.JSONDecodeError:
            continue
    try:
        value = ast.literal_eval(stripped)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None
    return value if isinstance(value, list | dict | tuple) else None


def clean_prose(text: str) -> str:
    """Drop a leading "Final Answer:" / "Answer:" label and surrounding blank space."""
    text = strip_end_markers(text).strip()
    text = re.sub(
        r"^(?:\*\*)?\s*(?:final\s+)?answer\s*:\s*(?:\*\*)?\s*",
        "",
        text,
        flags=re.IGNORECASE,
    )
    return text.strip()


def numbers_in(text: str) -> set[float]:
    """Every number in a text, ignoring anchor ids (A3) and list markers ("1.")."""
    text = _ANCHOR_ID.sub(" ", _LIST_MARKER.sub(" ", text))
    return {float(n) for n in _NUMBER.findall(text)}


def unsupported_numbers(text: str, sources: Iterable[str]) -> list[str]:
    """Numbers in `text` that none of the fact `sources` contains, in order of appearance."""
    allowed: set[float] = set()
    for source in sources:
        allowed |= numbers_in(source)
    stripped = _ANCHOR_ID.sub(" ", _LIST_MARKER.sub(" ", text))
    out: list[str] = []
    for token in _NUMBER.findall(stripped):
        if float(token) not in allowed and token not in out:
            out.append(token)
    return out


def cited_ids(text: str) -> list[str]:
    """Anchor ids cited as [A3] in a text, in order, without repeats."""
    out: list[str] = []
    for anchor_id in _CITATION.findall(text):
        if anchor_id not in out:
            out.append(anchor_id)
    return out


def language_matches(text: str, language: Language) -> bool:
    """Whether the text is plausibly in the requested language ("zh" or "en")."""
    cjk = len(_CJK.findall(text))
    letters = sum(ch.isalpha() for ch in text)
    if language == "zh":
        return cjk > 0
    return letters == 0 or cjk / letters < 0.3


def interpret_output(
    raw: str, context: TurnContext, *, image_size: tuple[int, int] | None, source: str
) -> Interpretation:
    """Apply the module's policy to one raw answer (see the table at the top).

    Args:
        raw: the model's output as decoded, special markers included.
        context: the turn the answer was written for.
        image_size: (rows, cols) of the image as imported, for mapping boxes; None
            when the model saw no image.
        source: recorded on each box, e.g. "medgemma box_2d".
    """
    split = split_thinking(raw)
    warnings: list[str] = []
    prose = split.answer
    boxes: tuple[ModelBox, ...] = ()
    if context.localize:
        target = context.localize_target or "the region asked about"
        if image_size is None:
            warnings.append(
                "a localisation question without an image: no model box was kept"
            )
        else:
            parsed = parse_localization(
                prose,
                rows=image_size[0],
                cols=image_size[1],
                default_label=target,
                source=source,
            )
            boxes, prose = parsed.boxes, parsed.prose
            warnings.extend(parsed.warnings)
            warnings.extend(_label_side_warnings(boxes, target))
    prose = clean_prose(prose)
    problem = (
        None
        if split.complete
        # What came before a trace that never closed was not the final answer.
        else "the model's answer ended inside its thinking trace (max_new_tokens reached?)"
    )
    problem = problem or _garbage_problem(prose) or _grounding_problem(prose, context)
    if problem is None:
        known = {a.id for a in context.anchors}
        if known and not cited_ids(prose):
            warnings.append("the model's answer cites no anchor id")
        return Interpretation(
            text=prose,
            model_text=prose,
            boxes=boxes,
            warnings=tuple(warnings),
            used_draft=False,
        )
    warnings.append(f"{problem}; the grounded draft is shown instead")
    return Interpretation(
        text=context.draft,
        model_text=prose,
        boxes=boxes,
        warnings=tuple(warnings),
        used_draft=True,
    )


def _garbage_problem(prose: str) -> str | None:
    """Say when the text is not language: undecodable bytes or special-token text.

    A model that is cut mid-character, untrained or given the wrong tokenizer writes
    U+FFFD runs and special tokens; letters among them pass the language check.
    """
    if REPLACEMENT_CHAR in prose:
        return "the model's answer holds undecodable bytes (U+FFFD)"
    tokens = list(dict.fromkeys(_CONTROL_TOKEN.findall(prose)))
    if tokens:
        return f"the model's answer holds control tokens ({', '.join(tokens[:3])})"
    return None


def _grounding_problem(prose: str, context: TurnContext) -> str | None:
    if not prose:
        return "the model gave no answer text"
    if not language_matches(prose, context.language):
        return (
            f"the model did not answer in the question's language ({context.language})"
        )
    known = {a.id for a in context.anchors}
    unknown = [i for i in cited_ids(prose) if i not in known]
    if unknown:
        return f"the model cited anchors that do not exist ({', '.join(unknown)})"
    sources = [context.draft, context.question, *(context.localize_target or "",)]
    for anchor in context.anchors:
        sources += [anchor.label, anchor.location, *anchor.numbers]
    for turn in context.history:
        sources += [turn.question, turn.answer]
    extra = unsupported_numbers(prose, sources)
    if extra:
        return f"the model's answer holds numbers Casebook did not measure ({', '.join(extra[:5])})"
    return None


def _label_side_warnings(boxes: Iterable[ModelBox], target: str) -> list[str]:
    wanted = side_named(target)
    out = []
    for box in boxes:
        named = side_named(box.label)
        if wanted is not None and named is not None and named is not wanted:
            out.append(
                f"asked for the {target} but the model labelled its box '{box.label}'; "
                "possible left/right confusion"
            )
    return out


class ThoughtFilter:
    """Streaming counterpart of `split_thinking`: passes on only what the reader should see.

    Text inside `<unused94>…<unused95>` is held back, end markers are dropped and, on
    localisation turns, nothing after "Final Answer:" is shown (the boxes go to the
    overlay, not the chat). A thought without its opening tag cannot be recognised
    until `<unused95>` arrives; the final `BackendReply.text` is always authoritative.
    """

    _HOLD = (THOUGHT_START, THOUGHT_END, *END_MARKERS, "Final Answer:")

    def __init__(self, *, stop_at_final_answer: bool = False) -> None:
        self._buffer = ""
        self._in_thought = False
        self._stopped = False
        self._stop_at_final = stop_at_final_answer

    def feed(self, piece: str) -> str:
        """Add generated text; return the part that can be shown now."""
        if self._stopped:
            return ""
        self._buffer += piece
        out: list[str] = []
        while True:
            if self._in_thought:
                end = self._buffer.find(THOUGHT_END)
                if end < 0:
                    self._buffer = self._buffer[-len(THOUGHT_END) :]
                    return "".join(out)
                self._buffer = self._buffer[end + len(THOUGHT_END) :]
                self._in_thought = False
                continue
            start = self._buffer.find(THOUGHT_START)
            if start >= 0:
                out.append(self._visible(self._buffer[:start]))
                self._buffer = self._buffer[start + len(THOUGHT_START) :]
                self._in_thought = True
                continue
            keep = _partial_suffix(self._buffer, self._HOLD)
            ready, self._buffer = (
                self._buffer[: len(self._buffer) - keep],
                self._buffer[len(self._buffer) - keep :],
            )
            out.append(self._visible(ready))
            return "".join(out)

    def flush(self) -> str:
        """Return what is still held back at the end of generation."""
        if self._in_thought or self._stopped:
            return ""
        rest, self._buffer = self._buffer, ""
        return self._visible(rest)

    def _visible(self, text: str) -> str:
        if self._stopped:
            return ""
        text = strip_end_markers(text).replace(THOUGHT_END, "")
        if self._stop_at_final:
            match = _FINAL_ANSWER.search(text)
            if match:
                self._stopped = True
                return text[: match.start()]
        return text


def _partial_suffix(text: str, markers: Iterable[str]) -> int:
    """Length of the longest suffix of `text` that could start one of the markers."""
    best = 0
    for marker in markers:
        for size in range(min(len(marker), len(text)), 0, -1):
            if marker.startswith(text[-size:]):
                best = max(best, size)
                break
    return best
