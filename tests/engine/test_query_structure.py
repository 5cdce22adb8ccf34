"""Reading rules by the structure of a question, each shown on phrasings of its own.

Issue #12, sixteenth round: a rule reads the roles of a question's parts (a request verb
over a universal and findings; a possibility or a chance as the thing asked; a moved
bound; a correction at the end; a place stated and another asked), so that phrasings
nobody has written yet are read the same way, in either language.
"""

import pytest

from engine.dialogue.query import understand
from engine.intents import IntentKind
from ontology import load_vocabulary
from tests.engine.conftest import read_after as after


@pytest.fixture(scope="module")
def vocabulary():
    return load_vocabulary()


@pytest.mark.parametrize(
    ("text", "side", "kind"),
    [
        ("please enumerate every odd-looking region on the right", "right", None),
        ("mention all of the problem areas you see on the left", "left", None),
        ("两肺所有不正常的部位都跟我交代一下", "both", None),
        ("把肿块统统报一遍，位置大小都带上", None, "mass"),
        ("give me all the nodules, where each one is and how big", None, "nodule"),
        ("show me the left lung opacities over 4 mm", "left", "opacity"),
        ("把左肺的肿块全报一遍", "left", "mass"),
        ("I'd love every right-sided nodule listed with sizes", "right", "nodule"),
    ],
)
def test_a_request_over_every_finding_is_a_list(vocabulary, text, side, kind):
    query = understand(text, vocabulary)
    assert query.intent is IntentKind.LIST
    assert (query.side, query.kind) == (side, kind)
    assert query.attribute is None  # the place and size wanted are each line's columns


@pytest.mark.parametrize(
    "text",
    [
        "右肺有问题的地方吗",
        "左肺不正常的地方多不多",
        "is every nodule calcified?",
        "I'd like a read first: is anything abnormal at all?",
        "I'd like to know whether abnormal areas exist at all",
    ],
)
def test_no_request_verb_over_every_finding_is_no_list(vocabulary, text):
    assert understand(text, vocabulary).intent is not IntentKind.LIST


@pytest.mark.parametrize(
    ("text", "profile"),
    [
        ("有没有气胸的可能", "pneumothorax"),
        ("肺炎的可能有没有", "pneumonia"),
        ("is there a possibility of tuberculosis here", "tuberculosis"),
        ("有没有 heart failure 的可能", "heart_failure"),
    ],
)
def test_a_possibility_asked_is_the_profile_checklist(vocabulary, text, profile):
    query = understand(text, vocabulary)
    assert query.intent is IntentKind.PROFILE
    assert query.profile == profile


@pytest.mark.parametrize(
    "text",
    [
        "气胸的可能性大吗",
        "结核可能性有几成",
        "how probable is pneumonia on this film",
        "what's the likelihood of heart failure",
        "is that 肺癌 or not",
        "肿瘤 yes or no?",
        "is the mass 恶性的",
        "is A3 癌?",
    ],
)
def test_a_chance_asked_or_cancer_asked_outright_is_refused(vocabulary, text):
    query = understand(text, vocabulary)
    assert query.intent is IntentKind.OUT_OF_SCOPE
    assert query.refusal == "clinical"


@pytest.mark.parametrize(
    "text", ["possible pneumothorax on the left?", "左侧可能有气胸吗"]
)
def test_possible_before_a_kind_is_a_hedged_presence(vocabulary, text):
    assert understand(text, vocabulary).intent is IntentKind.PRESENCE


@pytest.mark.parametrize("text", ["早期肺癌 or not", "会不会是 lung cancer"])
def test_the_profile_s_own_name_or_could_it_be_is_still_the_checklist(vocabulary, text):
    assert understand(text, vocabulary).intent is IntentKind.PROFILE


@pytest.mark.parametrize(
    ("first", "then", "min_mm", "max_mm"),
    [
        ("any nodules bigger than 10 mm?", "drop the cutoff to 6 mm", 6, None),
        ("左肺有没有大于2厘米的肿块", "门槛降到1厘米呢", 10, None),
        ("list the nodules under 3 mm", "raise the bar to 5 mm", None, 5),
        ("how many masses over 3 cm?", "fine, the cutoff 2 cm then", 20, None),
        ("any nodules under 6 mm?", "and with 9 mm as the limit?", None, 9),
        ("左肺有没有大于1厘米的肿块", "按2厘米算呢", 20, None),
        ("列出小于4毫米的结节", "标准改成6毫米", None, 6),
    ],
)
def test_a_moved_bound_keeps_the_direction_of_the_one_before(
    vocabulary, first, then, min_mm, max_mm
):
    query = after(vocabulary, first, then)
    assert (query.min_mm, query.max_mm) == (min_mm, max_mm)
    assert query.ellipsis
    assert query.attribute != "size"  # the new value bounds the findings, no size asked


@pytest.mark.parametrize(
    ("first", "then", "slot", "value"),
    [
        ("A1 margin?", "A3 this time", "anchors", ("A3",)),
        ("A1多大，用毫米", "这次量一下A4，用厘米", "anchors", ("A4",)),
        ("A2多大，单位毫米", "这次A5，厘米", "anchors", ("A5",)),
        (
            "any consolidation in the left lower zone?",
            "effusion, same area?",
            "zone",
            "lower",
        ),
        ("右上肺野有结节吗", "肿块呢，还是刚才那个地方", "side", "right"),
        ("左下肺野有实变吗", "积液呢 相同的位置", "zone", "lower"),
        ("左上肺野有没有结节", "肿块呢 位置不变", "zone", "upper"),
        (
            "any mass in the right upper zone?",
            "GGO, matching location?",
            "zone",
            "upper",
        ),
    ],
)
def test_a_repeat_marker_beside_slots_repeats_the_question(
    vocabulary, first, then, slot, value
):
    query = after(vocabulary, first, then)
    assert query.ellipsis
    assert getattr(query, slot) == value
    assert query.intent is not IntentKind.LOCATION  # "same location" asks no place


@pytest.mark.parametrize(
    ("first", "then", "ordinal"),
    [
        ("第一个结节有钙化吗", "另一个呢", 2),
        ("how big is the second mass", "and the other one?", 1),
        ("第二个结节边缘光滑吗", "另外那个有没有钙化", 1),
    ],
)
def test_the_other_one_after_a_position_is_the_other_position(
    vocabulary, first, then, ordinal
):
    query = after(vocabulary, first, then)
    assert query.ordinals == (ordinal,)
    assert query.side is None  # the other finding, not the other side


@pytest.mark.parametrize(
    ("text", "side", "lobe", "kind"),
    [
        (
            "LUL collapse is known. Any opacity in the other upper lobe?",
            "right",
            "right_upper_lobe",
            "opacity",
        ),
        (
            "The right middle lobe consolidation is documented; is there a nodule in the"
            " contralateral lower lobe?",
            "left",
            "left_lower_lobe",
            "nodule",
        ),
        (
            "已知左下叶有实变，对侧下叶有没有积液",
            "right",
            "right_lower_lobe",
            "effusion",
        ),
        (
            "左上叶结节是已知的，另一边上叶有没有肿块",
            "right",
            "right_upper_lobe",
            "mass",
        ),
    ],
)
def test_a_lobe_stated_then_the_other_lobe_asked(vocabulary, text, side, lobe, kind):
    query = understand(text, vocabulary)
    assert (query.side, query.lobe, query.kind) == (side, lobe, kind)
    assert query.intent is IntentKind.PRESENCE  # 另一边上叶: no 边上 (margin) asked
    assert not query.ellipsis


@pytest.mark.parametrize(
    ("text", "attribute"),
    [
        ("右上那颗结节和左下那颗 哪颗大", "size"),
        ("左肺门那块影跟右肺门那块，哪处更密", "density"),
        (
            "the nodule at the left apex and the one in the right mid zone, which is rounder",
            "shape",
        ),
    ],
)
def test_two_fronted_findings_then_which_is_a_comparison(vocabulary, text, attribute):
    query = understand(text, vocabulary)
    assert query.intent is IntentKind.COMPARE
    assert query.attribute == attribute


@pytest.mark.parametrize(
    ("text", "anchors"),
    [
        ("A4那个边边毛糙不", ("A4",)),
        ("A2的边边怎么样", ("A2",)),
        ("A6表面光整吗", ("A6",)),
    ],
)
def test_a_colloquial_edge_or_a_margin_value_asks_the_margin(vocabulary, text, anchors):
    query = understand(text, vocabulary)
    assert query.attribute == "margin"
    assert query.anchors == anchors


def test_cantonese_which_side_at_the_head_of_a_question_stays(vocabulary):
    assert understand("边边有积液", vocabulary).attribute == "location"


@pytest.mark.parametrize(
    "text",
    ["whereabouts is A9?", "A9 whereabouts", "A9在片子的哪个地方", "A9在哪一个部位"],
)
def test_whereabouts_and_which_place_ask_a_location(vocabulary, text):
    query = understand(text, vocabulary)
    assert query.intent is IntentKind.LOCATION
    assert query.anchors == ("A9",)


@pytest.mark.parametrize(
    ("text", "anchors"),
    [
        ("how calcified is A1? sorry, A4", ("A4",)),
        ("A3多大 不对 是A7", ("A7",)),
        ("how far apart are A1 and A2, no wait, A1 and A5", ("A1", "A5")),
        ("A4离胸壁多远 说错了 A6离胸壁", ("A6",)),
        ("how far is A2 from the hilum, sorry, A8 from the hilum", ("A8",)),
        # the question goes on after the corrected anchor, set off by a mark
        ("how calcified is A1... oops, A6, roughly?", ("A6",)),
        ("A1 钙化吗…sorry, A3，说一下", ("A3",)),
        # one named, another said not to be meant
        ("how big is A4, not A2", ("A4",)),
        ("是A5而不是A1，多大", ("A5",)),
    ],
)
def test_an_anchor_corrected_at_the_end_replaces_the_one_asked(
    vocabulary, text, anchors
):
    assert understand(text, vocabulary).anchors == anchors


@pytest.mark.parametrize(
    "text",
    ["A1比A2大，不是吗", "A1多大，不对，A2更大吧", "A1多大，不对，A2更大吧，在哪"],
)
def test_two_anchors_with_no_correction_of_one_stay(vocabulary, text):
    assert understand(text, vocabulary).anchors == ("A1", "A2")


@pytest.mark.parametrize(
    ("text", "slot", "value"),
    [
        # a value corrected inside a question: it takes the old one's place
        ("第二个多大？不对，我是想问第三个", "ordinals", (3,)),
        ("third one, margins? sorry, I meant the fifth", "ordinals", (5,)),
        # the question broke off at the first value: read from the corrected one
        ("最大的……呃，不对，最小的结节在哪", "superlative", "smallest"),
        ("the biggest… no wait, the smallest one, where?", "superlative", "smallest"),
        ("第一个…sorry, the fourth one，多大", "ordinals", (4,)),
        ("masses over 2 cm? no, 3 cm", "min_mm", 30),
        # more said straight after the new value: another statement, nothing corrected
        ("第一个多大？不对，第二个更大", "ordinals", (1, 2)),
        # 不是 says which is not meant
        ("A1是6毫米，不是8毫米吧", "min_mm", None),
    ],
)
def test_a_value_corrected_in_the_question_is_the_one_asked(
    vocabulary, text, slot, value
):
    assert getattr(understand(text, vocabulary), slot) == value


@pytest.mark.parametrize("text", ["量一下A3到肺门", "A3 to the hilum, in cm"])
def test_a_value_to_the_hilum_is_a_distance(vocabulary, text):
    assert understand(text, vocabulary).attribute == "distance"


@pytest.mark.parametrize(
    "text",
    [
        "空气新月征怎么理解才对",
        "剪影征我老是搞不明白",
        "can't make sense of the silhouette sign",
    ],
)
def test_trouble_understanding_a_sign_asks_what_it_means(vocabulary, text):
    query = understand(text, vocabulary)
    assert query.intent is IntentKind.EXPLAIN_SIGN
    assert query.kind is None  # 剪影's 影 names no opacity on the film


@pytest.mark.parametrize(
    ("turns", "kind", "side"),
    [
        (("左肺有几个肿块", "列出来", "第二个多大"), "mass", "left"),
        (
            ("any nodules in the right lung?", "list them", "where is the first"),
            "nodule",
            "right",
        ),
        (("右肺有没有结节", "把这些都说一下", "第一个多大"), "nodule", "right"),
        (
            ("any masses on the left?", "show those to me", "the second, where"),
            "mass",
            "left",
        ),
    ],
)
def test_a_list_with_no_object_lists_what_was_asked_before(
    vocabulary, turns, kind, side
):
    listed = after(vocabulary, *turns[:2])
    assert listed.intent is IntentKind.LIST
    assert (listed.kind, listed.side) == (kind, side)
    assert after(vocabulary, *turns).kind == kind


@pytest.mark.parametrize(
    ("first", "then", "kind"),
    [
        ("any nodules over 8 mm on the right?", "effusion, same side?", "effusion"),
        ("右肺有没有大于1厘米的结节", "气胸呢", "pneumothorax"),
    ],
)
def test_a_size_bound_is_not_carried_to_a_kind_it_cannot_pick_out(
    vocabulary, first, then, kind
):
    query = after(vocabulary, first, then)
    assert query.ellipsis and query.kind == kind
    assert (query.min_mm, query.max_mm) == (None, None)


# Seventeenth round (scope): refusals by what is asked, background by where it stands


@pytest.mark.parametrize(
    "text",
    [
        "A1 转移的几率大不大",
        "how likely is it that the left mass is malignant",
        "what's the cancer risk for A2",
        "risk of metastasis from A4?",
        "恶性风险高吗",
    ],
)
def test_a_chance_of_malignancy_is_refused_whatever_finding_is_named(vocabulary, text):
    query = understand(text, vocabulary)
    assert query.intent is IntentKind.OUT_OF_SCOPE
    assert query.refusal == "clinical"


def test_the_greatest_chance_of_malignancy_still_ranks_the_findings(vocabulary):
    query = understand("which nodule carries the greatest chance of cancer", vocabulary)
    assert query.intent is not IntentKind.OUT_OF_SCOPE
    assert query.superlative == "most_suspicious"


@pytest.mark.parametrize(
    "text",
    [
        "A3是肺癌不",
        "右上那个是恶性肿瘤没",
        "这是 metastatic tumour 吗",
        "TB - is that what this film shows?",
    ],
)
def test_a_diagnosis_asked_as_its_identity_in_any_yes_no_form_is_refused(
    vocabulary, text
):
    assert understand(text, vocabulary).intent is IntentKind.OUT_OF_SCOPE


@pytest.mark.parametrize("text", ["这是早期肺癌不", "effusion - is that what this is?"])
def test_the_profile_s_own_name_or_a_film_finding_asked_as_identity_is_not_refused(
    vocabulary, text
):
    assert understand(text, vocabulary).intent is not IntentKind.OUT_OF_SCOPE


@pytest.mark.parametrize(
    "text",
    [
        "帮忙找个看肺结节的专家",
        "推荐一下胸外科比较强的医院吧",
        "know a decent thoracic surgeon?",
        "any chest clinic you would suggest",
        "呼吸科说A2要拿掉，到底该不该拿掉",
        "they plan to resect A1 - should they take it out?",
    ],
)
def test_a_referral_or_a_plan_asked_about_is_refused(vocabulary, text):
    query = understand(text, vocabulary)
    assert query.intent is IntentKind.OUT_OF_SCOPE
    assert query.refusal == "clinical"


@pytest.mark.parametrize(
    ("text", "intent", "kind"),
    [
        ("大爷腿肿得厉害有没有胸腔积液", IntentKind.PRESENCE, "effusion"),
        ("踝关节肿痛好久两肺有结节吗", IntentKind.PRESENCE, "nodule"),
        ("腿部的片子有没有骨折", IntentKind.OUT_OF_SCOPE, None),
    ],
)
def test_a_body_part_with_a_symptom_is_history_not_another_study(
    vocabulary, text, intent, kind
):
    query = understand(text, vocabulary)
    assert query.intent is intent
    assert query.kind == kind


@pytest.mark.parametrize(
    "text",
    [
        "外院低剂量CT说有个5毫米结节这个片子上能看出来吗",
        "an outside study measured a 9 mm nodule; is it visible here?",
        "thin-section CT showed 6mm nodule, do u see it",
        "外院查出来一个7毫米的结节这张片子上有吗",
    ],
)
def test_another_study_s_size_is_background_even_run_on(vocabulary, text):
    query = understand(text, vocabulary)
    assert query.intent is IntentKind.PRESENCE
    assert query.kind == "nodule"
    assert query.attribute is None and query.min_mm is None and query.max_mm is None


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("老太太抽烟半辈子了你帮忙看看有没有肿块", IntentKind.PRESENCE),
        ("病人吸烟三十年了请找一下最小的结节在哪", IntentKind.LOCATION),
    ],
)
def test_a_run_on_history_closed_by_le_then_the_tool_addressed_is_background(
    vocabulary, text, intent
):
    assert understand(text, vocabulary).intent is intent


@pytest.mark.parametrize(
    "text",
    ["有啥可以问你的", "有什么东西我能问您", "这软件咋用呀教教我", "what may i ask"],
)
def test_a_question_about_what_to_ask_or_how_to_use_is_help(vocabulary, text):
    assert understand(text, vocabulary).intent is IntentKind.HELP
