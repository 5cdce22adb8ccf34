"""The dialogue's phrase tables, answer sentences and mappings load and check themselves."""

import pytest

from ontology import load_vocabulary
from ontology.errors import InvalidOntologyData
from ontology.phrases import load_phrases


def test_every_mapping_names_signs_and_regions_that_exist():
    phrases = load_phrases()
    vocabulary = load_vocabulary()
    for code in [*phrases.kind_signs, *phrases.kind_film_signs.values()]:
        assert vocabulary.find_sign(code) is not None, code
    for lobe, zones in phrases.equivalent_places.items():
        assert vocabulary.find_anatomy(lobe) is not None
        assert all(vocabulary.find_anatomy(z) is not None for z in zones)


def test_every_answer_sentence_has_both_languages_and_fills_its_fields():
    phrases = load_phrases()
    assert set(phrases.answers["ctr_normal"]) == {"zh", "en"}
    # the CTR arrives as printed (engine/dialogue/facts.py CtrFact.shown)
    assert phrases.say("ctr_normal", "en", value="0.46", cut=0.5) == (
        "Cardiothoracic ratio about 0.46 (≤ 0.5); cardiac size within normal limits."
    )


def test_a_missing_sentence_or_field_is_named():
    with pytest.raises(InvalidOntologyData, match=r"\[no_such_sentence\] en"):
        load_phrases().say("no_such_sentence", "en")
    with pytest.raises(InvalidOntologyData, match=r"\[ctr_normal\] zh: missing"):
        load_phrases().say("ctr_normal", "zh", value=0.4)


def test_cues_match_chinese_anywhere_and_english_on_word_boundaries():
    side = load_phrases().cue("kind_nodule")
    assert side.find("右肺那个结节") == "结节"
    assert side.find("Any nodules?") == "nodules"  # a stem takes its whole word
    assert load_phrases().cue("attribute_ctr").find("the doctor said") is None


def test_english_cues_are_found_beside_chinese_characters():
    # "请问right side": to `\b` a Chinese character is a word character too
    phrases = load_phrases()
    assert phrases.cue("side_right").find("请问right side有积液吗") is not None
    assert phrases.cue("side_left").find("左肺呢 and the left lung?") is not None
