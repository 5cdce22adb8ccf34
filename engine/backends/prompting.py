"""Chat messages for language-model backends, built from one `TurnContext`.

Pure code: no model library is imported. The MedGemma (transformers) backend and the
OpenAI-compatible backend send the same messages, so a vLLM server and the local model
see the same prompt.

Layout, chosen so that follow-up turns share the longest possible prefix (the KV /
prefix cache then covers the system text, the image and every earlier exchange):

    system:    SYSTEM_TEXT (never changes)
    user:      [image] + question 1          <- earlier turns: question only
    assistant: answer 1
    ...
    user:      ([image] +) facts of this turn + instructions + question N

The facts (anchors with ids, locations and measured numbers, and the dialogue's grounded
draft) go only into the last user message: they change every turn, and a model that
sees them once, next to the question, cannot confuse stale numbers with current ones.
"""

from __future__ import annotations

import base64
import hashlib
import io
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from PIL import Image

from engine.backends.base import AnchorBrief, TurnContext

PROMPT_VERSION = "casebook-prompt/1"
"""Recorded on every turn; bump it whenever the wording below changes."""

MODEL_IMAGE_SIDE = 896
"""MedGemma's SigLIP input size; images are padded to a square and resized to this."""

SYSTEM_TEXT = (
    "You are an expert radiologist assisting a trained reader in CXR Casebook, a decision-"
    "support tool for frontal chest radiographs; it is not a diagnostic device. Casebook's "
    "measurement code has analysed the radiograph. With each question you receive its facts: "
    "anchors (stored regions with ids such as A1, each with a kind, a label, an anatomical "
    "location and measured numbers) and a grounded draft answer. Sides are the patient's: on "
    "a PA or AP film the patient's right is on the image left.\n"
    "Rules for every answer:\n"
    "- Cite the anchors you refer to by id in square brackets, e.g. [A3]; cite only ids "
    "listed in the facts.\n"
    "- Use only the numbers given in the facts. Never estimate, convert or invent a "
    "measurement, size, distance, count or probability.\n"
    "- Use hedged wording; never state a definitive diagnosis.\n"
    "- This is decision support for a trained reader, not a diagnosis; keep the draft's "
    "note saying so.\n"
    "- Unless the question asks for bounding boxes, answer in at most six sentences of "
    "plain text, without JSON or coordinates."
)
"""Everything that is the same on every turn lives here, in the cached prefix."""

LANGUAGE_INSTRUCTIONS = {
    "en": "Write the answer in English, the language of the question.",
    "zh": (
        "Write the answer in Simplified Chinese (简体中文), the language of the question; "
        "keep anchor ids such as [A3] unchanged."
    ),
}

HEDGING = {
    "en": 'Hedge with words such as "suggests" or "consistent with".',
    "zh": "Hedge with words such as 提示、符合、考虑.",
}

LOCALIZATION_INSTRUCTION = (
    "Instructions: The following user query will require outputting bounding boxes. The "
    "format of bounding boxes coordinates is [y0, x0, y1, x1] where (y0, x0) must be top-left "
    "corner and (y1, x1) the bottom-right corner. This implies that x0 < x1 and y0 < y1. "
    "Always normalize the x and y coordinates the range [0, 1000], meaning that a bounding "
    "box starting at 15% of the image width would be associated with an x coordinate of 150. "
    "You MUST output a single parseable json list of objects enclosed into ```json...``` "
    'brackets, for instance ```json[{"box_2d": [800, 3, 840, 471], "label": "car"}, '
    '{"box_2d": [400, 22, 600, 73], "label": "dog"}]``` is a valid output. Now answer to the '
    "user query.\n\n"
    'Remember "left" refers to the patient\'s left side where the heart is and sometimes '
    "underneath an L in the upper right corner of the image.\n\n"
    "Query: Where is the {object_name}? Don't give a final answer without reasoning. Output "
    'the final answer in the format "Final Answer: X" where X is a JSON list of objects. The '
    'object needs a "box_2d" and "label" key. Answer:'
)
"""MedGemma 1.5's localisation prompt, verbatim from google-health/medgemma
notebooks/cxr_anatomy_localization_with_hugging_face.ipynb (the wording it was trained
on, typos included); only the object name is substituted."""

GEMMA3_CHAT_TEMPLATE = (
    "{{ bos_token }}\n"
    "{%- if messages[0]['role'] == 'system' -%}\n"
    "    {%- if messages[0]['content'] is string -%}\n"
    "        {%- set first_user_prefix = messages[0]['content'] + '\\n\\n' -%}\n"
    "    {%- else -%}\n"
    "        {%- set first_user_prefix = messages[0]['content'][0]['text'] + '\\n\\n' -%}\n"
    "    {%- endif -%}\n"
    "    {%- set loop_messages = messages[1:] -%}\n"
    "{%- else -%}\n"
    '    {%- set first_user_prefix = "" -%}\n'
    "    {%- set loop_messages = messages -%}\n"
    "{%- endif -%}\n"
    "{%- for message in loop_messages -%}\n"
    "    {%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) -%}\n"
    '        {{ raise_exception("Conversation roles must alternate user/assistant/user/assistant/...") }}\n'
    "    {%- endif -%}\n"
    "    {%- if (message['role'] == 'assistant') -%}\n"
    '        {%- set role = "model" -%}\n'
    "    {%- else -%}\n"
    "        {%- set role = message['role'] -%}\n"
    "    {%- endif -%}\n"
    "    {{ '<start_of_turn>' + role + '\\n' + (first_user_prefix if loop.first else \"\") }}\n"
    "    {%- if message['content'] is string -%}\n"
    "        {{ message['content'] | trim }}\n"
    "    {%- elif message['content'] is iterable -%}\n"
    "        {%- for item in message['content'] -%}\n"
    "            {%- if item['type'] == 'image' -%}\n"
    "                {{ '<start_of_image>' }}\n"
    "            {%- elif item['type'] == 'text' -%}\n"
    "                {{ item['text'] | trim }}\n"
    "            {%- endif -%}\n"
    "        {%- endfor -%}\n"
    "    {%- else -%}\n"
    '        {{ raise_exception("Invalid content type") }}\n'
    "    {%- endif -%}\n"
    "    {{ '<end_of_turn>\\n' }}\n"
    "{%- endfor -%}\n"
    "{%- if add_generation_prompt -%}\n"
    "    {{'<start_of_turn>model\\n'}}\n"
    "{%- endif -%}\n"
)
"""The Gemma 3 chat template (identical in every Gemma 3 / MedGemma tokenizer config).

Real checkpoints ship it; it is here so that models built from a configuration (the test
fixture, bench/gpu_check.py) render exactly like MedGemma, and so that
`render_gemma3` below can be checked against it."""

Message = dict[str, Any]

CONTROL_TOKENS = (
    "<bos>", "<eos>", "<pad>", "<start_of_turn>", "<end_of_turn>",
    "<start_of_image>", "<end_of_image>", "<image_soft_token>", "<unused94>", "<unused95>",
)  # fmt: skip
"""Gemma control tokens. Typed or generated text must never carry them into a prompt: an
`<image_soft_token>` in a question breaks the image-token count, and `<start_of_turn>`
would let text forge a turn."""


def sanitize(text: str) -> str:
    """Remove Gemma control tokens from text that goes into a prompt."""
    for token in CONTROL_TOKENS:
        text = text.replace(token, "")
    return text


@dataclass(frozen=True, slots=True, kw_only=True)
class PreparedImage:
    """The radiograph as the model sees it: centred on a black square, 8-bit grey.

    Attributes:
        square: `side_px` x `side_px` grey image (PIL mode "L").
        rows, cols: size of the image as imported; boxes are mapped back to it.
        digest: hash of the square's pixels (and the original size); two contexts with
            the same digest give the model identical image tokens.
    """

    square: Image.Image = field(repr=False, compare=False)
    rows: int
    cols: int
    digest: str

    @property
    def rgb(self) -> Image.Image:
        """The square as RGB, which is what the MedGemma notebooks feed the processor."""
        return self.square.convert("RGB")

    def png_data_url(self) -> str:
        """The square as a base64 PNG data URL (OpenAI `image_url` content part)."""
        buffer = io.BytesIO()
        self.square.save(buffer, format="PNG")
        return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode(
            "ascii"
        )


def prepare_image(
    pixels: npt.NDArray[np.floating[Any]], side_px: int = MODEL_IMAGE_SIDE
) -> PreparedImage:
    """Pad the radiograph to a centred square and resize it to the model's input size.

    MedGemma 1.5 was trained on square-padded radiographs (zero padding, centred), and its
    boxes are relative to that square. The left/top padding is `(S - w) // 2` /
    `(S - h) // 2` with `S = max(h, w)`, exactly as in the official notebook, so that
    `parsing.box_2d_to_pixels` can undo it. Resizing here (bilinear, like the Gemma 3
    image processor) keeps the HTTP payload small and gives the local and the served model
    the same pixels.

    Args:
        pixels: presentation-ready image, float 0..1 with 1 = white, shape (rows, cols)
            or (rows, cols, 3).
        side_px: side of the square sent to the model.

    Raises:
        ValueError: the array is not a 2-D grey or 3-channel image.
    """
    array = np.asarray(pixels, dtype=np.float32)
    if array.ndim == 3 and array.shape[2] == 3:
        array = array.mean(axis=2)
    if array.ndim != 2 or min(array.shape) < 1:
        raise ValueError(
            f"image must be (rows, cols) or (rows, cols, 3), got shape {array.shape}"
        )
    rows, cols = array.shape
    grey = np.rint(np.clip(np.nan_to_num(array), 0.0, 1.0) * 255.0).astype(np.uint8)
    square_side = max(rows, cols)
    square = np.zeros((square_side, square_side), dtype=np.uint8)
    top, left = (square_side - rows) // 2, (square_side - cols) // 2
    square[top : top + rows, left : left + cols] = grey
    image = Image.fromarray(square)
    if square_side != side_px:
        image = image.resize((side_px, side_px), Image.Resampling.BILINEAR)
    digest = hashlib.sha256(f"{rows}x{cols}:".encode() + image.tobytes()).hexdigest()
    return PreparedImage(square=image, rows=rows, cols=cols, digest=digest)


def anchor_line(anchor: AnchorBrief) -> str:
    """One anchor as the prompt lists it, e.g. `[A3] nodule "…"; location: …; measured: …`."""
    parts = [f'[{anchor.id}] {anchor.kind} "{anchor.label}"']
    if anchor.location:
        parts.append(f"location: {anchor.location}")
    parts.append(
        "measured: " + ", ".join(anchor.numbers)
        if anchor.numbers
        else "measured: nothing"
    )
    return "; ".join(parts)


def turn_text(context: TurnContext) -> str:
    """The text of this turn's user message: facts, language, then the question."""
    language = context.language if context.language in LANGUAGE_INSTRUCTIONS else "en"
    anchors = "\n".join(f"- {anchor_line(a)}" for a in context.anchors) or "- none yet"
    lines = [
        "Casebook facts for this question (computed by measurement code):",
        "Anchors:",
        anchors,
        "",
        "Grounded draft answer (rewrite it for the reader; keep its facts, numbers and anchor ids):",
        "<<<",
        context.draft.strip(),
        ">>>",
        "",
        f"{LANGUAGE_INSTRUCTIONS[language]} {HEDGING[language]}",
    ]
    if context.localize and context.localize_target:
        lines += [
            "Write your reasoning in the answer language, then give the boxes as instructed below.",
            "",
            LOCALIZATION_INSTRUCTION.replace("{object_name}", context.localize_target),
        ]
    lines += ["", f"Question: {context.question.strip()}"]
    return sanitize("\n".join(lines))


def build_messages(context: TurnContext, image: PreparedImage | None) -> list[Message]:
    """Chat messages in the Hugging Face multimodal format (Gemma 3 chat template).

    The image, when there is one, opens the first user message; earlier turns carry only
    their question and the answer that was shown, and this turn carries the facts.
    """
    messages: list[Message] = [
        {"role": "system", "content": [{"type": "text", "text": SYSTEM_TEXT}]}
    ]
    user_texts = [sanitize(turn.question).strip() for turn in context.history] + [
        turn_text(context)
    ]
    answers = [sanitize(turn.answer).strip() for turn in context.history]
    for index, text in enumerate(user_texts):
        content: list[dict[str, Any]] = []
        if index == 0 and image is not None:
            content.append({"type": "image", "image": image.rgb})
        content.append({"type": "text", "text": text})
        messages.append({"role": "user", "content": content})
        if index < len(answers):
            messages.append(
                {
                    "role": "assistant",
                    "content": [{"type": "text", "text": answers[index]}],
                }
            )
    return messages


def to_openai_messages(
    messages: list[Message], image: PreparedImage | None
) -> list[Message]:
    """The same messages for `/chat/completions`: the image becomes a PNG data URL part."""
    url = image.png_data_url() if image is not None else None
    converted: list[Message] = []
    for message in messages:
        if message["role"] in ("system", "assistant"):
            converted.append(
                {"role": message["role"], "content": _joined_text(message)}
            )
            continue
        parts: list[dict[str, Any]] = []
        for item in message["content"]:
            if item["type"] == "image":
                if url is None:
                    raise ValueError(
                        "the messages hold an image but no PreparedImage was given"
                    )
                parts.append({"type": "image_url", "image_url": {"url": url}})
            else:
                parts.append({"type": "text", "text": item["text"]})
        converted.append({"role": "user", "content": parts})
    return converted


def render_gemma3(
    messages: list[Message],
    *,
    image_tokens: int = 256,
    add_generation_prompt: bool = True,
) -> str:
    """Render messages as the Gemma 3 template and processor would, for audit and docs.

    Pure-Python equivalent of `GEMMA3_CHAT_TEMPLATE` followed by the processor's image
    expansion (`<start_of_image>` -> blank lines, `image_tokens` soft tokens,
    `<end_of_image>`); the backend tests check that the two agree.

    Raises:
        ValueError: roles do not alternate user/assistant after the optional system message.
    """
    prefix = ""
    loop = messages
    if messages and messages[0]["role"] == "system":
        prefix = _joined_text(messages[0], first_only=True) + "\n\n"
        loop = messages[1:]
    image_block = (
        "\n\n<start_of_image>"
        + "<image_soft_token>" * image_tokens
        + "<end_of_image>\n\n"
    )
    out = ["<bos>"]
    for index, message in enumerate(loop):
        if (message["role"] == "user") != (index % 2 == 0):
            raise ValueError(
                "Conversation roles must alternate user/assistant/user/assistant/..."
            )
        role = "model" if message["role"] == "assistant" else message["role"]
        out.append(f"<start_of_turn>{role}\n" + (prefix if index == 0 else ""))
        content = message["content"]
        if isinstance(content, str):
            out.append(content.strip())
        else:
            for item in content:
                out.append(
                    image_block if item["type"] == "image" else item["text"].strip()
                )
        out.append("<end_of_turn>\n")
    if add_generation_prompt:
        out.append("<start_of_turn>model\n")
    return "".join(out)


def _joined_text(message: Message, *, first_only: bool = False) -> str:
    content = message["content"]
    if isinstance(content, str):
        return content
    texts = [item["text"] for item in content if item["type"] == "text"]
    if first_only:
        return texts[0] if texts else ""
    return "\n\n".join(texts)
