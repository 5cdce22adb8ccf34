"""Checklist items the tool answers from a sign it measures (round 19, item a).

A thin-walled cavity needs a cavity, a calcified granuloma needs calcification, an
effusion is judged by the costophrenic angles: a checklist says "not met" with the
measured reason, never "this tool does not assess it", for a fact another answer states.
"""

from __future__ import annotations

import pytest

from engine.dialogue import Conversation
from engine.findings import Candidate
from engine.observations import MEASURED_FEATURES, global_observations
from ontology import MatchStatus, Observation, Unassessable, load_vocabulary
from ontology.phrases import load_phrases
from ontology.scoring import NOT_ASSESSED_EN, assess

from .conftest import analyse, make_phantom, two_nodules


@pytest.fixture(scope="module")
def vocabulary():
    return load_vocabulary()


@pytest.fixture(scope="module")
def two():
    return two_nodules("r19a-two")


def _judge(vocabulary, code, *observations):
    return assess(
        observations,
        vocabulary.get_sign(code),
        vocabulary,
        measured=MEASURED_FEATURES,
        needs=load_phrases().needs_sign,
    )


def test_every_needed_sign_is_one_the_engine_measures(vocabulary):
    for code, needed in load_phrases().needs_sign.items():
        assert vocabulary.get_sign(code).rule is None, code
        rule = vocabulary.get_sign(needed).rule
        assert rule is not None and rule.feature in MEASURED_FEATURES, needed


@pytest.mark.parametrize(
    ("code", "feature", "value", "reason_en", "reason_zh"),
    [
        ("A26", "focal.central_lucency", 0.1, "no cavitation", "未见空洞"),
        ("A53", "focal.calcification_likelihood", 0.2, "no calcification", "未见钙化"),
        ("D01", "pleura.cpa_blunted_any", False, "costophrenic", "肋膈角"),
    ],
)
def test_a_sign_without_its_measured_parent_is_not_met(
    vocabulary, code, feature, value, reason_en, reason_zh
):
    seen = Observation(feature=feature, value=value, evidence_anchor_ids=("a1",))
    item = _judge(vocabulary, code, seen)
    assert item.status is MatchStatus.NOT_MET, item
    assert reason_en in item.reason_en and reason_zh in item.reason_zh, item
    assert item.evidence_anchor_ids == ("a1",)
    assert str(item.sign_code) == code


def test_with_its_parent_present_the_kind_is_not_told_apart(vocabulary):
    seen = Observation(
        feature="focal.central_lucency", value=0.8, evidence_anchor_ids=("a1",)
    )
    item = _judge(vocabulary, "A26", seen)
    assert item.status is MatchStatus.NOT_ASSESSABLE
    assert item.unassessable is Unassessable.NOT_ASSESSED
    assert "cavitation present" in item.reason_en and "薄壁空洞" in item.reason_zh


def test_with_its_parent_unmeasured_the_film_is_said_to_lack_it(vocabulary):
    item = _judge(vocabulary, "A26")
    assert item.unassessable is Unassessable.NOT_MEASURED


@pytest.mark.parametrize(
    ("question", "line", "said", "never"),
    [
        (
            "early lung cancer checklist for A1",
            "Thin-walled cavity",
            "no cavitation",
            NOT_ASSESSED_EN,
        ),
        (
            "A1按早期肺癌标准逐条对照",
            "薄壁空洞",
            "未见空洞",
            "本工具不在胸片上评估此项",
        ),
    ],
)
def test_the_checklist_states_the_measured_reason(two, question, line, said, never):
    conversation = Conversation(two)
    conversation.ask("list the nodules")
    text = conversation.ask(question).answer_text
    row = next(r for r in text.splitlines() if line in r)
    assert said in row and never not in row, row


def _one_lesion(y: float, key: str):
    film = make_phantom(((300, y, 20, ()),))
    return analyse(film, [Candidate((300, y), 20, 0.9)], key=key)


@pytest.mark.parametrize(("y", "upper"), [(330, True), (640, False)])
def test_a_lone_lesion_counts_for_its_zone(y, upper):
    analysis = _one_lesion(y, f"r19a-zone-{y}")
    zones = [f.location.zone.value for f in analysis.focal_findings]
    observed = global_observations(
        analysis, lambda name: name, focal_report_threshold=0.5
    )
    value = next(o.value for o in observed if o.feature == "opacity.upper_zone")
    assert value is upper, zones


@pytest.mark.parametrize(
    ("question", "met"),
    [
        ("A1按肺结核标准对照", "✔ 上肺野为主"),
        ("TB checklist for A1", "✔ Upper-zone predominance"),
    ],
)
def test_the_tb_card_counts_an_upper_zone_lesion(question, met):
    text = Conversation(_one_lesion(330, "r19a-tb")).ask(question).answer_text
    assert met in text, text


def test_the_measured_list_is_what_the_builders_name(vocabulary):
    """Every catalogue feature the observation builders can emit is listed, and no more.

    Read from their source, so a branch no fixture reaches (a diffuse opacity, an AP
    view) counts too; a feature name built at run time is spelt out here.
    """
    import inspect
    import re

    from engine import observations
    from engine.dialogue import facts

    source = inspect.getsource(observations.focal_observations)
    source += inspect.getsource(observations.global_observations)
    source += inspect.getsource(facts.lesion_observations)
    named = set(re.findall(r'"([a-z_]+\.[a-z_]+)"', source)) & set(vocabulary.features)
    named |= {f"pleura.cpa_blunted_{side}" for side in ("right", "left")}
    assert 'f"pleura.cpa_blunted_{side}"' in source  # the one built at run time
    assert named == MEASURED_FEATURES, named ^ MEASURED_FEATURES


@pytest.mark.parametrize(
    ("question", "said", "never"),
    [
        (
            "any fluid collecting at the lung bases?",
            "not measured on this image",
            NOT_ASSESSED_EN,
        ),
        ("肺底有没有积液", "本图未测得", "本工具不在胸片上评估此项"),
    ],
)
def test_an_effusion_whose_angles_were_not_measured_is_not_said_unassessed(
    two, question, said, never
):
    # the phantom's costophrenic angles are not measured: effusion is judged by them
    text = Conversation(two).ask(question).answer_text
    assert said in text and never not in text, text
