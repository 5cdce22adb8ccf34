"""A sign this tool never assesses is said apart from one it could not measure here.

"Not measured on this image" suggests another image might be measured; for a sign
without a rule, or one resting on a feature the engine never measures, that is wrong.
"""

from ontology import MatchStatus, Observation, Unassessable, Vocabulary, assess, score


def obs(feature: str, value: bool | int | float, *anchors: str) -> Observation:
    return Observation(feature=feature, value=value, evidence_anchor_ids=anchors)


def test_a_sign_without_a_rule_is_not_assessed_by_this_tool(
    small_vocabulary: Vocabulary,
) -> None:
    item = assess([], small_vocabulary.get_sign("A04"), small_vocabulary)
    assert item.status is MatchStatus.NOT_ASSESSABLE
    assert item.unassessable is Unassessable.NOT_ASSESSED
    assert "does not assess" in item.reason_en and "不在胸片上评估" in item.reason_zh
    assert "this image" not in item.reason_en


def test_a_feature_never_measured_is_told_from_one_missed_on_this_image(
    small_vocabulary: Vocabulary,
) -> None:
    ctr = small_vocabulary.get_sign("F01")
    never = assess([], ctr, small_vocabulary, measured={"focal.spicule_count"})
    assert never.unassessable is Unassessable.NOT_ASSESSED
    # measured by the engine, but not on this image: the measurement failed here
    missed = assess(
        [obs("view.frontal_pa", True)],
        ctr,
        small_vocabulary,
        measured={"heart.ctr", "view.frontal_pa"},
    )
    assert missed.unassessable is Unassessable.NOT_MEASURED
    assert missed.reason_en == "not measured on this image"
    # without the engine's list nothing is claimed about other images
    assert assess([], ctr, small_vocabulary).unassessable is Unassessable.NOT_MEASURED


def test_the_totals_count_never_assessed_apart(small_vocabulary: Vocabulary) -> None:
    card = score(
        [obs("view.frontal_pa", True)],
        small_vocabulary.get_profile("test"),
        small_vocabulary,
        measured={"heart.ctr", "view.frontal_pa", "focal.spicule_count"},
    )
    never = card.not_assessable_because(Unassessable.NOT_ASSESSED)
    assert never >= 1
    assert f"{never} not assessed by this tool" in card.totals("en")
    assert f"本工具不评估 {never} 项" in card.totals("zh")
