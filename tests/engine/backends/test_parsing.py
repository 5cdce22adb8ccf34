"""The MedGemma output parser on literal, realistic model outputs."""

from __future__ import annotations

import numpy as np
import pytest

from engine.backends.parsing import (
    ThoughtFilter,
    box_2d_to_pixels,
    check_box_side,
    interpret_output,
    normalise_box_2d,
    parse_localization,
    side_named,
    split_thinking,
    unsupported_numbers,
)
from engine.backends.prompting import prepare_image
from engine.geometry import Box
from engine.model import Side
from tests.engine.backends.conftest import DRAFT_ZH

# MedGemma 1.5-4B on a localisation prompt: it thinks unprompted, then reasons and answers.
THINKING_LOCALIZATION = (
    "<unused94>thought\n"
    "The user asks for the right hilum. On a PA radiograph the patient's right side is on the "
    "image left. The hilum sits at the root of the lung, lateral to the mediastinum, around "
    "the middle of the lung field.\n"
    "<unused95>The right hilum lies at the root of the right lung, medial to the nodule [A3], "
    "consistent with a normal hilar position.\n\n"
    "Final Answer: ```json\n"
    '[{"box_2d": [380, 300, 520, 430], "label": "right hilum"}]\n'
    "```<end_of_turn>"
)
# The notebook's own example shape: JSON glued to the fences, no newline.
NO_THINKING_FENCED = (
    "The left lung apex is at the top of the left hemithorax, above the clavicle.\n"
    'Final Answer: ```json[{"box_2d": [90, 560, 230, 820], "label": "left lung apex"}]```'
)
BARE_LIST = (
    "Reasoning: the heart projects over the lower mediastinum, more to the patient's left.\n"
    'Final Answer: [{"box_2d": [520, 380, 800, 700], "label": "cardiac silhouette"}]'
)
ONLY_CLOSING_TAG = (
    "thought\nLocate the trachea: midline, above the carina.<unused95>"
    'The trachea is midline.\nFinal Answer: ```json[{"box_2d": [60, 460, 380, 540], "label": "trachea"}]```'
)
UNCLOSED_THOUGHT = "<unused94>thought\nThe user wants the right costophrenic angle. Let me think about where"
MALFORMED = (
    "The right lung apex is superior.\n"
    'Final Answer: ```json[{"box_2d": [40, 120, 220, 400], "label": "right lung apex"```'
)
PYTHONISH = "Final Answer: ```json[{'box_2d': [100, 100, 300, 400], 'label': 'right upper zone',},]```"
SWAPPED = (
    'Final Answer: ```json[{"box_2d": [520, 430, 380, 300], "label": "right hilum"}]```'
)
OUT_OF_RANGE = (
    'Final Answer: ```json[{"box_2d": [-20, 300, 1040, 430], "label": "right lung"}]```'
)
SEVERAL = (
    "Final Answer: ```json\n"
    '[{"box_2d": [100, 120, 800, 480], "label": "right lung"},\n'
    ' {"box_2d": [100, 520, 820, 880]},\n'
    ' {"box_2d": [100, 100, 100, 300], "label": "flat"},\n'
    ' {"label": "no box"}]\n```'
)


def parse(text: str, rows: int = 1000, cols: int = 1000, label: str = "target"):
    return parse_localization(
        text, rows=rows, cols=cols, default_label=label, source="test"
    )


class TestThinkingTrace:
    def test_trace_is_removed_and_kept_apart(self):
        split = split_thinking(THINKING_LOCALIZATION)
        assert split.complete
        assert split.answer.startswith("The right hilum lies")
        assert "<unused" not in split.answer and "<end_of_turn>" not in split.answer
        assert split.thought.startswith("The user asks for the right hilum")

    def test_closing_tag_alone_ends_the_thought(self):
        split = split_thinking(ONLY_CLOSING_TAG)
        assert split.answer.startswith("The trachea is midline.")
        assert "Locate the trachea" in split.thought

    def test_unclosed_thought_gives_no_answer(self):
        split = split_thinking(UNCLOSED_THOUGHT)
        assert not split.complete
        assert split.answer == ""

    def test_output_without_trace_is_unchanged(self):
        assert split_thinking("Plain answer [A3].").answer == "Plain answer [A3]."


class TestBoxes:
    def test_fenced_json_after_final_answer(self):
        parsed = parse(THINKING_LOCALIZATION.split("<unused95>")[1])
        assert [b.label for b in parsed.boxes] == ["right hilum"]
        # y first on the grid: [y0, x0, y1, x1] = [380, 300, 520, 430]
        assert parsed.boxes[0].box == Box(300.0, 380.0, 430.0, 520.0)
        assert (
            parsed.prose
            == "The right hilum lies at the root of the right lung, medial to the nodule [A3], consistent with a normal hilar position."
        )
        assert parsed.warnings == ()

    def test_json_glued_to_the_fences(self):
        parsed = parse(NO_THINKING_FENCED)
        assert parsed.boxes[0].label == "left lung apex"
        assert parsed.boxes[0].box == Box(560.0, 90.0, 820.0, 230.0)
        assert "Final Answer" not in parsed.prose and "```" not in parsed.prose

    def test_bare_list(self):
        parsed = parse(BARE_LIST)
        assert parsed.boxes[0].box == Box(380.0, 520.0, 700.0, 800.0)

    def test_bare_list_without_final_answer_marker_is_cut_from_the_prose(self):
        parsed = parse(
            'The heart is here [{"box_2d": [520, 380, 800, 700], "label": "heart"}] as shown.'
        )
        assert len(parsed.boxes) == 1
        assert parsed.prose == "The heart is here  as shown."

    def test_malformed_json_gives_a_warning_not_an_exception(self):
        parsed = parse(MALFORMED)
        assert parsed.boxes == ()
        assert any("malformed" in w for w in parsed.warnings)
        assert parsed.prose == "The right lung apex is superior."

    def test_python_literal_with_trailing_commas_is_repaired(self):
        parsed = parse(PYTHONISH)
        assert [b.label for b in parsed.boxes] == ["right upper zone"]

    def test_swapped_corners_are_put_in_order_with_a_warning(self):
        parsed = parse(SWAPPED)
        assert parsed.boxes[0].box == Box(300.0, 380.0, 430.0, 520.0)
        assert any("swapped" in w for w in parsed.warnings)

    def test_coordinates_off_the_grid_are_clipped_with_a_warning(self):
        parsed = parse(OUT_OF_RANGE)
        assert parsed.boxes[0].box == Box(300.0, 0.0, 430.0, 1000.0)
        assert any("clipped" in w for w in parsed.warnings)

    def test_each_entry_is_judged_on_its_own(self):
        parsed = parse(SEVERAL, label="lungs")
        assert [b.label for b in parsed.boxes] == [
            "right lung",
            "lungs",
        ]  # missing label -> target
        assert any("'flat' was dropped" in w for w in parsed.warnings)
        assert any("without box_2d" in w for w in parsed.warnings)

    def test_no_box_at_all_is_reported(self):
        parsed = parse("The hilum is at the root of the lung.", label="right hilum")
        assert parsed.boxes == ()
        assert parsed.warnings == (
            "the model gave no box for 'right hilum'; no model box was kept",
        )

    @pytest.mark.parametrize(
        "values",
        [
            [1, 2, 3],
            [1, 2, 3, "4"],
            [0, 0, float("nan"), 10],
            [True, 0, 10, 10],
            [5, 0, 5, 100],
            "0,0,1,1",
        ],
    )
    def test_unusable_box_2d_raises(self, values):
        with pytest.raises(ValueError, match="box_2d"):
            normalise_box_2d(values)


class TestPadding:
    @pytest.mark.parametrize(
        ("rows", "cols", "box_2d", "expected"),
        [
            # square: no padding, y first
            (1000, 1000, (100, 200, 300, 600), Box(200, 100, 600, 300)),
            (2000, 2000, (100, 200, 300, 600), Box(400, 200, 1200, 600)),
            # portrait 1000 x 500: 250 px of padding left and right
            (1000, 500, (0, 250, 1000, 750), Box(0, 0, 500, 1000)),
            (1000, 500, (100, 300, 200, 400), Box(50, 100, 150, 200)),
            # landscape 600 x 1000: 200 px of padding above and below
            (600, 1000, (200, 0, 800, 1000), Box(0, 0, 1000, 600)),
            (600, 1000, (300, 100, 500, 200), Box(100, 100, 200, 300)),
            # a box reaching into the padding is clipped to the image
            (1000, 500, (0, 0, 500, 500), Box(0, 0, 250, 500)),
        ],
    )
    def test_grid_to_image_pixels(self, rows, cols, box_2d, expected):
        assert box_2d_to_pixels(box_2d, rows=rows, cols=cols) == expected

    def test_odd_padding_uses_floor_division_like_the_notebook(self):
        # S = 1001, left padding (1001 - 600) // 2 = 200
        box = box_2d_to_pixels((0, 200, 1000, 800), rows=1001, cols=600)
        assert box.x0 == pytest.approx(200 / 1000 * 1001 - 200)
        assert box.y1 == pytest.approx(1001)

    def test_box_in_the_padding_is_rejected(self):
        with pytest.raises(ValueError, match="padding"):
            box_2d_to_pixels((100, 0, 900, 200), rows=1000, cols=500)

    @pytest.mark.parametrize(("rows", "cols"), [(700, 400), (400, 700), (512, 512)])
    def test_prepare_image_and_box_mapping_are_inverse(self, rows, cols):
        image = np.zeros((rows, cols), dtype=np.float32)
        y0, x0, y1, x1 = rows // 5, cols // 4, rows // 2, cols * 3 // 4
        image[y0:y1, x0:x1] = 1.0
        square = np.asarray(prepare_image(image, side_px=1000).square)
        ys, xs = np.nonzero(square > 127)
        grid = (
            ys.min(),
            xs.min(),
            ys.max() + 1,
            xs.max() + 1,
        )  # what a perfect model answers
        box = box_2d_to_pixels(grid, rows=rows, cols=cols)
        tolerance = max(rows, cols) / 1000 * 1.5
        assert box.x0 == pytest.approx(x0, abs=tolerance)
        assert box.y0 == pytest.approx(y0, abs=tolerance)
        assert box.x1 == pytest.approx(x1, abs=tolerance)
        assert box.y1 == pytest.approx(y1, abs=tolerance)


class TestSides:
    @pytest.mark.parametrize(
        ("label", "side"),
        [
            ("right hilum", Side.RIGHT),
            ("Left lung apex", Side.LEFT),
            ("右肺门", Side.RIGHT),
            ("左肋膈角", Side.LEFT),
            ("cardiac silhouette", None),
            ("left and right lungs", None),
            ("bright spot", None),
        ],
    )
    def test_side_named(self, label, side):
        assert side_named(label) is side

    @pytest.mark.parametrize(
        ("box", "claimed", "flagged"),
        [
            (Box(100, 100, 400, 800), "right", False),  # image left = patient right
            (Box(600, 100, 900, 800), "right", True),
            (Box(600, 100, 900, 800), Side.LEFT, False),
            (Box(100, 100, 400, 800), "left", True),
            (
                Box(460, 100, 580, 800),
                "left",
                False,
            ),  # straddles the centre: not judged
            (Box(100, 100, 400, 800), "midline", False),
            (Box(100, 100, 400, 800), None, False),
        ],
    )
    def test_check_box_side(self, box, claimed, flagged):
        message = check_box_side(box, 1000, claimed)
        assert (message is not None) == flagged
        if flagged:
            assert "left/right confusion" in message


class TestInterpretation:
    def test_good_answer_is_shown_with_its_boxes(self, make_context):
        context = make_context(
            question="Where is the right hilum?",
            localize=True,
            localize_target="right hilum",
        )
        result = interpret_output(
            THINKING_LOCALIZATION,
            context,
            image_size=(1000, 1000),
            source="medgemma box_2d",
        )
        assert not result.used_draft
        assert result.text.startswith("The right hilum lies")
        assert result.boxes[0].source == "medgemma box_2d"
        assert result.warnings == ()

    def test_box_labelled_with_the_other_side_is_flagged(self, make_context):
        context = make_context(localize=True, localize_target="left lung apex")
        raw = 'The apex [A1].\nFinal Answer: ```json[{"box_2d": [90, 100, 230, 400], "label": "right lung apex"}]```'
        result = interpret_output(raw, context, image_size=(1000, 1000), source="t")
        assert any("left/right confusion" in w for w in result.warnings)

    def test_localisation_with_no_box_keeps_the_answer_and_warns(self, make_context):
        context = make_context(localize=True, localize_target="right hilum")
        result = interpret_output(
            "The right hilum [A1] is medial.",
            context,
            image_size=(100, 100),
            source="t",
        )
        assert result.boxes == ()
        assert "no box for 'right hilum'" in result.warnings[0]

    def test_final_answer_label_is_dropped_from_plain_answers(self, make_context):
        raw = "Final Answer: The opacity [A3] suggests a solitary nodule of 18.2 x 12.0 mm."
        result = interpret_output(raw, make_context(), image_size=(60, 80), source="t")
        assert (
            result.text
            == "The opacity [A3] suggests a solitary nodule of 18.2 x 12.0 mm."
        )

    def test_invented_number_falls_back_to_the_draft(self, make_context):
        context = make_context()
        raw = "The nodule [A3] measures 23.5 mm and is 5.2 cm from the hilum."
        result = interpret_output(raw, context, image_size=(60, 80), source="t")
        assert result.used_draft and result.text == context.draft
        assert result.model_text == raw
        assert "numbers Casebook did not measure (23.5)" in result.warnings[-1]

    def test_unknown_anchor_falls_back_to_the_draft(self, make_context):
        result = interpret_output(
            "See [A9].", make_context(), image_size=None, source="t"
        )
        assert result.used_draft
        assert "A9" in result.warnings[-1]

    def test_wrong_language_falls_back_to_the_draft(self, make_context):
        context = make_context(question="描述这个结节", language="zh", draft=DRAFT_ZH)
        result = interpret_output(
            "The nodule [A3] suggests ...", context, image_size=None, source="t"
        )
        assert result.used_draft and result.text == DRAFT_ZH
        assert "(zh)" in result.warnings[-1]

    def test_chinese_answer_with_given_numbers_is_kept(self, make_context):
        context = make_context(question="描述这个结节", language="zh", draft=DRAFT_ZH)
        raw = "右中肺野外带结节 [A3]，大小18.2 x 12.0 mm，距右肺门5.2 cm，提示孤立性结节。仅供参考。"
        result = interpret_output(raw, context, image_size=None, source="t")
        assert not result.used_draft and result.text == raw

    def test_unfinished_thought_shows_the_draft(self, make_context):
        context = make_context()
        result = interpret_output(
            UNCLOSED_THOUGHT, context, image_size=None, source="t"
        )
        assert result.used_draft
        assert "thinking trace" in result.warnings[0]

    def test_text_before_an_unfinished_thought_is_not_shown(self, make_context):
        """Cut by max_new_tokens inside a trace it opened mid-answer: the draft is shown."""
        context = make_context()
        raw = "The opacity [A3] suggests<unused94>thought\nLet me reconsider the margin"
        result = interpret_output(raw, context, image_size=None, source="t")
        assert result.used_draft and result.text == context.draft
        assert result.model_text == "The opacity [A3] suggests"
        assert result.warnings == (
            "the model's answer ended inside its thinking trace (max_new_tokens "
            "reached?); the grounded draft is shown instead",
        )

    @pytest.mark.parametrize(
        ("raw", "problem"),
        [
            # A tiny random MedGemma's real English answer (finish_reason 'length').
            (
                "\ufffd\ufffd\ufffd/d\ufffd\ufffdU\ufffdc^<end_of_image>\ufffd,\ufffdD]sU",
                "undecodable bytes (U+FFFD)",
            ),
            (
                "The opacity [A3] \ufffd suggests a nodule.",
                "undecodable bytes (U+FFFD)",
            ),
            (
                "The opacity [A3] suggests a nodule.<end_of_image>",
                "control tokens (<end_of_image>)",
            ),
            (
                "The opacity [A3] suggests a nodule.<start_of_turn>user\nAnd now?",
                "control tokens (<start_of_turn>)",
            ),
            (
                "The opacity <unused12> [A3] suggests a nodule.",
                "control tokens (<unused12>)",
            ),
            (
                "<start_of_image><image_soft_token> [A3]",
                "control tokens (<start_of_image>, <image_soft_token>)",
            ),
        ],
        ids=[
            "tiny model",
            "replacement char",
            "end_of_image",
            "start_of_turn",
            "unused",
            "image tokens",
        ],
    )
    def test_gibberish_falls_back_to_the_draft(self, make_context, raw, problem):
        context = make_context()
        result = interpret_output(raw, context, image_size=None, source="t")
        assert result.used_draft and result.text == context.draft
        assert any(
            problem in w and "grounded draft is shown" in w for w in result.warnings
        )

    def test_gibberish_on_a_localisation_turn_falls_back_too(self, make_context):
        context = make_context(
            localize=True, localize_target="right hilum", intent="locate"
        )
        raw = "\ufffd\ufffd<end_of_image>\ufffd"
        result = interpret_output(raw, context, image_size=(60, 80), source="t")
        assert result.used_draft and result.text == context.draft

    def test_answer_without_citation_is_kept_with_a_warning(self, make_context):
        result = interpret_output(
            "This suggests a nodule.", make_context(), image_size=None, source="t"
        )
        assert not result.used_draft
        assert result.warnings == ("the model's answer cites no anchor id",)


def test_numbers_guard_ignores_anchor_ids_and_list_markers():
    text = "1. The nodule [A3] (A12) is 18.2 mm.\n2. 距肺门5.2 cm。"
    assert unsupported_numbers(text, ["18.2 mm", "5.2 cm"]) == []
    assert unsupported_numbers("大小19毫米", ["18.2 mm"]) == ["19"]


@pytest.mark.parametrize("size", [1, 2, 5, 11, 1000])
@pytest.mark.parametrize(
    ("raw", "localize", "expected"),
    [
        (
            THINKING_LOCALIZATION,
            True,
            "The right hilum lies at the root of the right lung, medial to the nodule [A3], consistent with a normal hilar position.\n\n",
        ),
        (
            NO_THINKING_FENCED,
            True,
            "The left lung apex is at the top of the left hemithorax, above the clavicle.\n",
        ),
        (
            "<unused94>thought\nhidden<unused95>Shown [A3].<end_of_turn>",
            False,
            "Shown [A3].",
        ),
        ("Final Answer: The nodule [A3].", False, "Final Answer: The nodule [A3]."),
        (UNCLOSED_THOUGHT, False, ""),
    ],
)
def test_streaming_filter_shows_only_the_answer(raw, localize, expected, size):
    shown = ThoughtFilter(stop_at_final_answer=localize)
    pieces = [shown.feed(raw[i : i + size]) for i in range(0, len(raw), size)]
    assert "".join(pieces) + shown.flush() == expected
