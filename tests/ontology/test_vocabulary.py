"""Lookups over the bundled vocabulary: signs, anatomy mentions, profiles."""

import pytest

from ontology import (
    RegionKind,
    Side,
    UnknownAnatomy,
    UnknownProfile,
    UnknownSign,
    Vocabulary,
    load_vocabulary,
)


def test_vocabulary_is_loaded_once() -> None:
    assert load_vocabulary() is load_vocabulary()


def test_bilingual_search_finds_the_same_sign(vocabulary: Vocabulary) -> None:
    zh = vocabulary.search("毛刺征")
    en = vocabulary.search("spiculation")
    assert zh[0] == en[0]
    assert zh[0].code == "A14"


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("毛刺征", "A14"),
        ("毛刺", "A14"),  # Chinese substring
        ("Spiculation", "A14"),  # case
        ("ｓｐｉｃｕｌａｔｉｏｎ", "A14"),  # full-width letters
        ("a14", "A14"),  # code
        ("RID5713", "A14"),  # RadLex id
        ("FID0490", "A01"),  # OIDM id
        ("气胸", "D11"),  # exact name before 液气胸, 张力性气胸
        ("nodule", "A01"),  # exact name before "solitary pulmonary nodule"
        ("分叶", "A12"),
        ("Kerley B", "B18"),
        ("空泡征", "A23"),
        ("cardiothoracic ratio", "F02"),
        ("infiltrate", "B64"),  # the deprecated term, whose note names B01/B02
    ],
)
def test_search_ranks_the_expected_sign_first(
    vocabulary: Vocabulary, query: str, first: str
) -> None:
    results = vocabulary.search(query)
    assert results and results[0].code == first


def test_search_finds_every_sign_containing_the_query(vocabulary: Vocabulary) -> None:
    codes = {s.code for s in vocabulary.search("气胸", limit=50)}
    assert {"D11", "D08", "D15"} <= codes


@pytest.mark.parametrize("query", ["", "   ", "zzzz-no-such-sign"])
def test_search_returns_nothing_for_blank_or_unknown_text(
    vocabulary: Vocabulary, query: str
) -> None:
    assert vocabulary.search(query) == []


def test_search_honours_the_limit(vocabulary: Vocabulary) -> None:
    assert len(vocabulary.search("钙化", limit=3)) == 3
    with pytest.raises(ValueError, match="limit must be at least 1"):
        vocabulary.search("钙化", limit=0)


@pytest.mark.parametrize(
    ("question", "codes"),
    [
        ("what is 毛刺征?", ["A14"]),
        ("explain spiculation", ["A14"]),
        ("Explain SPICULATION please", ["A14"]),
        # the longer phrase wins over 空气支气管征 and 结节 inside it
        ("结节内空气支气管征是什么意思?", ["A22"]),
        ("什么是分叶征和毛刺征?", ["A12", "A14"]),
        ("Is there a pleural effusion?", ["D01"]),
        ("is there a massive pleural effusion?", ["D07"]),
        # "mass" must not match inside "massive"
        ("is it massive?", []),
        ("are these nodules?", ["A01"]),
        ("心胸比是多少?", ["F02"]),
        ("肺部是否有异常?", []),
    ],
)
def test_match_sign_in_text(
    vocabulary: Vocabulary, question: str, codes: list[str]
) -> None:
    assert [s.code for s in vocabulary.match_sign_in_text(question)] == codes


def test_get_sign_accepts_any_case_and_raises_for_unknown_codes(
    vocabulary: Vocabulary,
) -> None:
    assert vocabulary.get_sign("a14").code == "A14"
    assert vocabulary.find_sign("Z99") is None
    with pytest.raises(UnknownSign, match="no sign has code 'Z99'"):
        vocabulary.get_sign("Z99")
    with pytest.raises(KeyError):
        vocabulary.get_sign("Z99")


# (question, [(matched text, region id, side, kind, level)]) in result order
ANATOMY_CASES = [
    (
        "右肺中叶那个圆形影,边缘是否规则?",
        [("右肺中叶", "right_middle_lobe", "right", "lobe", "middle")],
    ),
    ("右中肺野", [("右中肺野", "right_middle_zone", "right", "zone", "middle")]),
    ("右肺中野见结节", [("右肺中野", "right_middle_zone", "right", "zone", "middle")]),
    ("右中野", [("右中野", "right_middle_zone", "right", "zone", "middle")]),
    ("右中叶", [("右中叶", "right_middle_lobe", "right", "lobe", "middle")]),
    (
        "right middle zone",
        [("right middle zone", "right_middle_zone", "right", "zone", "middle")],
    ),
    (
        "Right Mid-Zone",
        [("Right Mid-Zone", "right_middle_zone", "right", "zone", "middle")],
    ),
    ("the RML", [("RML", "right_middle_lobe", "right", "lobe", "middle")]),
    # extra spaces still match, and the span points into the original text
    (
        "the  right   middle\tzone",
        [("right   middle\tzone", "right_middle_zone", "right", "zone", "middle")],
    ),
    ("左下肺", [("左下肺", "left_lower_zone", "left", "zone", "lower")]),
    (
        "outer band of the right middle zone",
        [
            ("right middle zone", "right_middle_zone", "right", "zone", "middle"),
            ("outer band", None, None, "band", "outer"),
        ],
    ),
    (
        "右中肺野外带",
        [
            ("右中肺野", "right_middle_zone", "right", "zone", "middle"),
            ("外带", None, None, "band", "outer"),
        ],
    ),
    # a side word next to a generic word combines into one region
    ("右侧中野", [("右侧中野", "right_middle_zone", "right", "zone", "middle")]),
    ("左肺的外带", [("左肺的外带", "left_outer_band", "left", "band", "outer")]),
    (
        "upper zone of the left lung",
        [("upper zone of the left lung", "left_upper_zone", "left", "zone", "upper")],
    ),
    ("这个病灶距离右肺门有多远?", [("右肺门", "right_hilum", "right", "hilum", "")]),
    (
        "心影后区有无病变",
        [("心影后区", "retrocardiac", "left", "zone", "retrocardiac")],
    ),
    (
        "右肋膈角变钝",
        [("右肋膈角", "right_costophrenic_angle", "right", "pleural", "costophrenic")],
    ),
    ("左肺尖", [("左肺尖", "left_apex", "left", "zone", "apex")]),
    (
        "右锁骨下区",
        [("右锁骨下区", "right_subclavicular", "right", "zone", "subclavicular")],
    ),
    # only one region fits, so the side is implied
    ("中叶", [("中叶", "right_middle_lobe", "right", "lobe", "middle")]),
    ("舌段", [("舌段", "lingula", "left", "lobe", "lingula")]),
    # generic words without a side keep side None for the dialogue to resolve
    ("肺门", [("肺门", None, None, "hilum", "")]),
    ("中野", [("中野", None, None, "zone", "middle")]),
    ("no anatomy here", []),
]


@pytest.mark.parametrize(("question", "expected"), ANATOMY_CASES)
def test_find_anatomy_in_text(
    vocabulary: Vocabulary,
    question: str,
    expected: list[tuple[str, str | None, str | None, str, str]],
) -> None:
    mentions = vocabulary.find_anatomy_in_text(question)
    found = [
        (m.text, m.region_id, m.side and m.side.value, m.kind.value, m.level)
        for m in mentions
    ]
    assert found == expected
    for mention in mentions:
        assert question[mention.start : mention.end] == mention.text


@pytest.mark.parametrize(
    "question",
    ["ignore the rules", "follow your rules", "rmls", "lulls me", "rulers", "allll"],
)
def test_lobe_abbreviations_match_only_as_whole_tokens(
    vocabulary: Vocabulary, question: str
) -> None:
    # "rules" is RUL plus a plural ending; an abbreviation is a token of its own.
    assert vocabulary.find_anatomy_in_text(question) == []


@pytest.mark.parametrize(
    ("question", "region"),
    [("lesion in the RUL?", "right_upper_lobe"), ("lll nodule", "left_lower_lobe")],
)
def test_lobe_abbreviations_still_match_alone(
    vocabulary: Vocabulary, question: str, region: str
) -> None:
    assert [m.region_id for m in vocabulary.find_anatomy_in_text(question)] == [region]


def test_lobe_and_zone_are_different_regions(vocabulary: Vocabulary) -> None:
    lobe = vocabulary.find_anatomy_in_text("右肺中叶")[0]
    zone = vocabulary.find_anatomy_in_text("右中肺野")[0]
    assert lobe.region_id != zone.region_id
    assert vocabulary.get_anatomy("right_middle_lobe").approximate
    assert not vocabulary.get_anatomy("right_middle_zone").approximate


def test_region_for_combines_side_and_pattern(vocabulary: Vocabulary) -> None:
    region = vocabulary.region_for(Side.RIGHT, RegionKind.BAND, "outer")
    assert region is not None and region.id == "right_outer_band"
    assert vocabulary.region_for("left", "lobe", "middle") is None


def test_get_anatomy_raises_for_unknown_ids(vocabulary: Vocabulary) -> None:
    with pytest.raises(
        UnknownAnatomy, match="no anatomy region has id 'left_middle_lobe'"
    ):
        vocabulary.get_anatomy("left_middle_lobe")


@pytest.mark.parametrize(
    ("question", "profile_id"),
    [
        (
            "如果这是早期肺癌,典型X线表现应该有哪些?当前影像符合几条?",
            "early_lung_cancer",
        ),
        ("肺癌的表现有哪些", "early_lung_cancer"),
        ("Could this be lung cancer?", "early_lung_cancer"),
        ("signs of early lung cancer", "early_lung_cancer"),
        ("是否有气胸?", "pneumothorax"),
        ("心衰的X线表现", "heart_failure"),
        ("pulmonary oedema signs", "heart_failure"),
        ("胸腔积液吗", "pleural_effusion"),
        ("肺炎?", "pneumonia"),
        ("TB?", "tuberculosis"),
        ("肺结核的表现", "tuberculosis"),
    ],
)
def test_find_profile_in_text(
    vocabulary: Vocabulary, question: str, profile_id: str
) -> None:
    profile = vocabulary.find_profile_in_text(question)
    assert profile is not None and profile.id == profile_id


def test_find_profile_in_text_returns_none_without_a_condition(
    vocabulary: Vocabulary,
) -> None:
    assert vocabulary.find_profile_in_text("肺部是否有异常?") is None


def test_get_profile_raises_with_the_known_ids(vocabulary: Vocabulary) -> None:
    assert vocabulary.get_profile("pneumonia").id == "pneumonia"
    with pytest.raises(UnknownProfile, match="known profiles: early_lung_cancer"):
        vocabulary.get_profile("lung_cancer")
