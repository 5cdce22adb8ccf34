"""Scoring a profile against observations, and the honesty of the counts."""

import pytest

from ontology import (
    InvalidObservation,
    ItemGroup,
    ItemResult,
    MatchStatus,
    Observation,
    Op,
    ProfileId,
    Rule,
    Scorecard,
    SignCode,
    Unassessable,
    Vocabulary,
    assess,
    score,
)

MET, NOT_MET, NA = MatchStatus.MET, MatchStatus.NOT_MET, MatchStatus.NOT_ASSESSABLE


def obs(feature: str, value: bool | int | float | str, *anchors: str) -> Observation:
    return Observation(feature=feature, value=value, evidence_anchor_ids=anchors)


# observations -> expected status per item of the small "test" profile
# (A01 spicules >= 1, A02 upper zone, A03 CT-only, A04 no rule, F01 CTR > 0.5 on PA)
SCORING_CASES = [
    pytest.param(
        [],
        {"A01": NA, "A02": NA, "A03": NA, "A04": NA, "F01": NA},
        id="nothing observed",
    ),
    pytest.param(
        [obs("focal.spicule_count", 3, "n1")], {"A01": MET}, id="spicules present"
    ),
    pytest.param(
        [obs("focal.spicule_count", 0, "n1")], {"A01": NOT_MET}, id="no spicules"
    ),
    pytest.param([obs("focal.upper_zone", True, "n1")], {"A02": MET}, id="upper zone"),
    pytest.param(
        [obs("focal.upper_zone", False, "n1")], {"A02": NOT_MET}, id="not upper zone"
    ),
    pytest.param(
        [obs("focal.spicule_count", 5, "n1")],
        {"A03": NA, "A04": NA},
        id="ct-only and rule-less stay NA",
    ),
    pytest.param(
        [obs("heart.ctr", 0.61, "h"), obs("view.frontal_pa", True, "img")],
        {"F01": MET},
        id="ctr on PA",
    ),
    pytest.param(
        [obs("heart.ctr", 0.45, "h"), obs("view.frontal_pa", True, "img")],
        {"F01": NOT_MET},
        id="normal ctr",
    ),
    pytest.param(
        [obs("heart.ctr", 0.5, "h"), obs("view.frontal_pa", True, "img")],
        {"F01": NOT_MET},
        id="ctr 0.5 not >",
    ),
    pytest.param(
        [obs("heart.ctr", 0.61, "h"), obs("view.frontal_pa", False, "img")],
        {"F01": NA},
        id="ctr on AP",
    ),
    pytest.param([obs("heart.ctr", 0.61, "h")], {"F01": NA}, id="ctr without view"),
]


@pytest.mark.parametrize(("observations", "expected"), SCORING_CASES)
def test_score_statuses(
    small_vocabulary: Vocabulary,
    observations: list[Observation],
    expected: dict[str, MatchStatus],
) -> None:
    card = score(observations, small_vocabulary.get_profile("test"), small_vocabulary)
    statuses = {str(item.sign_code): item.status for item in card.items}
    assert {code: statuses[code] for code in expected} == expected
    assert card.met + card.not_met + card.not_assessable == card.total == 5


@pytest.mark.parametrize(
    ("observations", "reason_en", "reason_zh", "why"),
    [
        # No observation of anything: the CTR was not measured at all.
        ([], "not measured on this image", "本图未测得", Unassessable.NOT_MEASURED),
        # A CTR, but the view is unknown: say what is missing, not just "not measured".
        (
            [obs("heart.ctr", 0.61)],
            "not measured on this image: PA films only",
            "本图未测得：仅适用于后前位片",
            Unassessable.NOT_MEASURED,
        ),
        (
            [obs("heart.ctr", 0.61), obs("view.frontal_pa", False)],
            "PA films only",
            "仅适用于后前位片",
            Unassessable.NOT_VALID,
        ),
    ],
)
def test_not_assessable_items_say_why(
    small_vocabulary: Vocabulary,
    observations: list[Observation],
    reason_en: str,
    reason_zh: str,
    why: Unassessable,
) -> None:
    card = score(observations, small_vocabulary.get_profile("test"), small_vocabulary)
    (ctr,) = [i for i in card.items if i.sign_code == "F01"]
    assert ctr.status is NA and ctr.unassessable is why
    assert ctr.reason_en.startswith(reason_en) and ctr.reason_zh.startswith(reason_zh)
    if observations and why is Unassessable.NOT_MEASURED:
        assert "does not record" in ctr.reason_en and "未记录" in ctr.reason_zh


def test_only_not_assessable_items_carry_a_reason_to_be_so(
    small_vocabulary: Vocabulary,
) -> None:
    card = score(
        [obs("heart.ctr", 0.61), obs("view.frontal_pa", True)],
        small_vocabulary.get_profile("test"),
        small_vocabulary,
    )
    for item in card.items:
        assert (item.unassessable is None) == (item.status is not NA)
    assert card.not_assessable == sum(
        card.not_assessable_because(w) for w in Unassessable
    )


def test_one_sign_is_assessed_alone_by_the_same_rules(
    small_vocabulary: Vocabulary,
) -> None:
    ctr = small_vocabulary.get_sign("F01")
    met = assess(
        [obs("heart.ctr", 0.61, "a9"), obs("view.frontal_pa", True)],
        ctr,
        small_vocabulary,
    )
    assert (met.status, met.evidence_anchor_ids) == (MatchStatus.MET, ("a9",))
    unknown_view = assess([obs("heart.ctr", 0.61)], ctr, small_vocabulary)
    assert unknown_view.unassessable is Unassessable.NOT_MEASURED


def test_ct_only_sign_is_never_assessable(small_vocabulary: Vocabulary) -> None:
    # A03's rule (spicule_count >= 0) would be met by any observation; CT-only wins.
    for value in (0, 1, 7):
        card = score(
            [obs("focal.spicule_count", value, "n1")],
            small_vocabulary.get_profile("test"),
            small_vocabulary,
        )
        (item,) = [i for i in card.items if i.sign_code == "A03"]
        assert item.status is NA
        assert (item.reason_en, item.reason_zh) == ("needs CT", "需CT评估")
        assert item.evidence_anchor_ids == ()


def test_any_of_several_findings_meets_the_item_with_its_own_evidence(
    small_vocabulary: Vocabulary,
) -> None:
    observations = [
        obs("focal.spicule_count", 0, "n1"),
        obs("focal.spicule_count", 4, "n2"),
    ]
    card = score(observations, small_vocabulary.get_profile("test"), small_vocabulary)
    (item,) = [i for i in card.items if i.sign_code == "A01"]
    assert item.status is MET
    assert item.evidence_anchor_ids == ("n2",)
    assert item.observed_value == 4
    assert item.reason_en == "spicules: 4, which is at least 1"


def test_not_met_cites_every_observation_of_the_feature(
    small_vocabulary: Vocabulary,
) -> None:
    observations = [
        obs("focal.spicule_count", 0, "n1"),
        obs("focal.spicule_count", 0, "n2", "n1"),
    ]
    card = score(observations, small_vocabulary.get_profile("test"), small_vocabulary)
    (item,) = [i for i in card.items if i.sign_code == "A01"]
    assert item.status is NOT_MET
    assert item.evidence_anchor_ids == ("n1", "n2")


@pytest.mark.parametrize(
    ("observations", "code", "reason_en", "reason_zh"),
    [
        (
            [obs("focal.spicule_count", 0, "n1")],
            "A01",
            "spicules: 0, needs at least 1",
            "毛刺数 0，需 ≥1",
        ),
        (
            [obs("focal.spicule_count", 2, "n1")],
            "A01",
            "spicules: 2, which is at least 1",
            "毛刺数 2，满足 ≥1",
        ),
        (
            [obs("focal.upper_zone", False, "n1")],
            "A02",
            "centre in an upper zone: no",
            "中心位于上肺野：否",
        ),
        (
            [obs("heart.ctr", 0.4712, "h"), obs("view.frontal_pa", True)],
            "F01",
            "cardiothoracic ratio: 0.47, needs more than 0.5",
            "心胸比 0.47，需 >0.5",
        ),
    ],
)
def test_reasons_are_written_in_words_not_rule_strings(
    small_vocabulary: Vocabulary,
    observations: list[Observation],
    code: str,
    reason_en: str,
    reason_zh: str,
) -> None:
    card = score(observations, small_vocabulary.get_profile("test"), small_vocabulary)
    (item,) = [i for i in card.items if i.sign_code == code]
    assert (item.reason_en, item.reason_zh) == (reason_en, reason_zh)


def test_bundled_reasons_never_show_a_feature_name(vocabulary: Vocabulary) -> None:
    observations = [
        obs("focal.spicule_count", 0, "n1"),
        obs("focal.diameter_mm", 12.43, "n1"),
        obs("focal.upper_zone", True, "n1"),
        obs("focal.lobulation_notches", 2, "n1"),
    ]
    card = score(observations, vocabulary.get_profile("early_lung_cancer"), vocabulary)
    judged = [i for i in card.items if i.status is not NA]
    assert judged
    for item in judged:
        assert "focal." not in item.reason_en + item.reason_zh, item
        assert ">=" not in item.reason_en + item.reason_zh, item


def test_scorecard_carries_profile_identity_groups_and_limitations(
    small_vocabulary: Vocabulary,
) -> None:
    profile = small_vocabulary.get_profile("test")
    card = score([], profile, small_vocabulary)
    assert (card.profile_id, card.profile_version) == ("test", "1.0.0")
    assert [i.group for i in card.items] == [i.group for i in profile.items]
    assert card.limitations_zh == profile.limitations_zh


@pytest.mark.parametrize(
    ("observation", "message"),
    [
        (obs("focal.spikes", 1), "not in the feature catalogue"),
        (obs("focal.spicule_count", True), "is not a int"),  # a bool is not a count
        (obs("focal.spicule_count", 1.5), "is not a int"),
        (obs("focal.spicule_count", -1), "range 0.0..None"),
        (obs("heart.ctr", 1.4), "range 0.0..1.0"),
        (obs("focal.upper_zone", 1), "is not a bool"),
    ],
)
def test_invalid_observations_are_rejected(
    small_vocabulary: Vocabulary, observation: Observation, message: str
) -> None:
    with pytest.raises(InvalidObservation, match=message):
        score([observation], small_vocabulary.get_profile("test"), small_vocabulary)


def test_observation_checks_its_own_fields() -> None:
    with pytest.raises(ValueError, match="feature must be a non-empty str"):
        Observation(feature="", value=1)
    with pytest.raises(TypeError, match="evidence_anchor_ids must be a tuple"):
        Observation(feature="heart.ctr", value=0.5, evidence_anchor_ids=["a1"])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("op", "threshold", "value", "expected"),
    [
        (">=", 1, 1, True),
        (">=", 1, 0, False),
        (">", 0.5, 0.5, False),
        (">", 0.5, 0.51, True),
        ("<", 0.5, 0.49, True),
        ("<", 0.5, 0.5, False),
        ("<=", 30, 30.0, True),
        ("<=", 30, 30.1, False),
        ("==", 1, 1, True),
        ("==", 1, 1.0, True),
        ("==", True, True, True),
        ("==", True, False, False),
        ("==", 1, True, False),  # True is not the count 1
        ("!=", False, True, True),
        ("!=", 1, True, True),
    ],
)
def test_rule_evaluate(
    op: str, threshold: float, value: bool | float, expected: bool
) -> None:
    rule = Rule(feature="f.x", op=Op(op), value=threshold)
    assert rule.evaluate(value) is expected


def test_rule_accepts_the_stored_operator_spelling() -> None:
    rule = Rule(feature="f.x", op=">=", value=1)  # type: ignore[arg-type]
    assert rule.op is Op.GE
    with pytest.raises(ValueError, match="'=>' is not a valid Op"):
        Rule(feature="f.x", op="=>", value=1)  # type: ignore[arg-type]


def test_rule_rejects_ordering_on_non_numbers() -> None:
    with pytest.raises(ValueError, match="needs a number"):
        Rule(feature="f.x", op=Op.GE, value=True)
    with pytest.raises(TypeError, match="needs a number"):
        Rule(feature="f.x", op=Op.GE, value=1).evaluate("many")


def _item(status: MatchStatus) -> ItemResult:
    return ItemResult(
        sign_code=SignCode("A01"),
        name_en="x",
        name_zh="甲",
        group=ItemGroup.CORE,
        status=status,
        evidence_anchor_ids=(),
        reason_en="",
        reason_zh="",
    )


def test_counts_add_up_to_the_total() -> None:
    card = Scorecard(
        profile_id=ProfileId("p"),
        profile_version="1.0.0",
        name_en="P",
        name_zh="甲",
        items=(_item(MET), _item(MET), _item(NOT_MET), _item(NA)),
    )
    assert (card.met, card.not_met, card.not_assessable, card.total) == (2, 1, 1, 4)


def test_scorecard_rejects_an_item_without_a_real_status() -> None:
    with pytest.raises(ValueError, match="use a MatchStatus"):
        Scorecard(
            profile_id=ProfileId("p"),
            profile_version="1.0.0",
            name_en="P",
            name_zh="甲",
            items=(_item("maybe"),),  # type: ignore[arg-type]
        )


def test_seed_turn_four_scorecard(vocabulary: Vocabulary) -> None:
    """The seed's nodule: spiculated, lobulated, no calcification, mid zone, 12 mm."""
    nodule = "lesion-1"
    observations = [
        obs("focal.spicule_count", 3, nodule),
        obs("focal.lobulation_notches", 2, nodule),
        obs("focal.calcification_likelihood", 0.05, nodule),
        obs("focal.upper_lobe", False, nodule),
        obs("focal.diameter_mm", 12.0, nodule),
        obs("hilum.enlarged", False, "hilum-r"),
    ]
    card = score(observations, vocabulary.get_profile("early_lung_cancer"), vocabulary)
    core = {i.sign_code: i.status for i in card.in_group(ItemGroup.CORE)}
    assert core == {"A14": MET, "A12": MET, "A41": MET, "A51": NOT_MET, "A61": NOT_MET}
    assert {i.status for i in card.in_group(ItemGroup.CT_PENDING)} == {NA}
    assert all(i.reason_en == "needs CT" for i in card.in_group(ItemGroup.CT_PENDING))
    assert card.met + card.not_met + card.not_assessable == card.total == 18
    assert card.count(MET, ItemGroup.CORE) == 3
    (spiculation,) = [i for i in card.items if i.sign_code == "A14"]
    assert spiculation.evidence_anchor_ids == (nodule,)

    en = card.summary("en")
    assert "Core signs (5: 3 met, 2 not met, 0 not assessable)." in en
    assert "Pending CT (3: 0 met, 0 not met, 3 not assessable)." in en
    assert (
        f"{card.not_assessable} not assessable ({card.not_assessable_because(Unassessable.NEEDS_CT)} need CT"
        in en
    )
    assert "cannot exclude lung cancer" in en
    zh = card.summary("zh")
    assert "核心征象（5 项：符合 3，不符合 2，无法评估 0）。" in zh
    assert "胸片不能排除肺癌" in zh


def test_summary_rejects_an_unknown_language(small_vocabulary: Vocabulary) -> None:
    card = score([], small_vocabulary.get_profile("test"), small_vocabulary)
    with pytest.raises(ValueError, match="'fr' is not a valid Language"):
        card.summary("fr")


@pytest.mark.parametrize(
    ("low", "high", "status"),
    [(17.0, 23.0, NA), (21.0, 25.0, MET), (14.0, 18.0, NOT_MET)],
)
def test_a_size_interval_that_straddles_the_cut_off_is_borderline(
    vocabulary: Vocabulary, low: float, high: float, status: MatchStatus
) -> None:
    nodule = "lesion-1"
    observations = [
        obs("focal.diameter_mm", (low + high) / 2, nodule),
        obs("focal.diameter_mm_low", low, nodule),
        obs("focal.diameter_mm_high", high, nodule),
    ]
    card = score(observations, vocabulary.get_profile("early_lung_cancer"), vocabulary)
    (size,) = [i for i in card.items if i.sign_code == "A61"]
    assert size.status is status
    if status is NA:
        assert size.reason_en.startswith("borderline, long axis 17 to 23 mm")
        assert "at least 20" in size.reason_en
        assert size.reason_zh.startswith("临界，")
