"""Score a profile against engine observations: met, not met or not assessable."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import replace

from kernel import Language
from ontology.errors import InvalidObservation
from ontology.model import (
    Assessability,
    Feature,
    FeatureValue,
    ItemGroup,
    ItemResult,
    MatchStatus,
    Observation,
    Profile,
    ProfileItem,
    Rule,
    Scorecard,
    Sign,
    Unassessable,
)
from ontology.phrases import load_phrases
from ontology.vocabulary import Vocabulary

NEEDS_CT_EN = "needs CT"
NEEDS_CT_ZH = "需CT评估"
NOT_MEASURED_EN = "not measured on this image"
NOT_MEASURED_ZH = "本图未测得"
NOT_ASSESSED_EN = "this tool does not assess it on radiographs"
NOT_ASSESSED_ZH = "本工具不在胸片上评估此项"


def score(
    observations: Iterable[Observation],
    profile: Profile,
    vocabulary: Vocabulary,
    *,
    measured: Collection[str] | None = None,
    needs: Mapping[str, str] | None = None,
) -> Scorecard:
    """Evaluate every item of a profile against the observations of one image.

    A sign that only CT can assess is not assessable ("needs CT"). A sign without a
    rule, or whose feature is not among `measured` (the features the engine measures
    on any radiograph, when it says), is one this tool never assesses ("not assessed
    by this tool on radiographs"); one whose feature the engine measures but did not
    observe on this image is "not measured on this image". A sign without a rule that
    `needs` maps to a measured sign (a thin-walled cavity needs a cavity) is not met
    when that sign is not met, with its measured reason; when that sign is present, the
    tool cannot tell the kind apart (not assessed by this tool). Otherwise the item is met when any observation of its
    feature satisfies the rule (several findings give several observations), with
    those observations' anchors as evidence; if none does it is not met, with every
    observation of the feature as evidence.

    Raises:
        InvalidObservation: an observation names a feature outside the catalogue or
            has a value of the wrong type or range.
        UnknownSign: a profile item names a sign the vocabulary lacks.
    """
    by_feature = _by_feature(observations, vocabulary)
    return Scorecard(
        profile_id=profile.id,
        profile_version=profile.version,
        name_en=profile.name_en,
        name_zh=profile.name_zh,
        items=tuple(
            _score_item(
                item,
                vocabulary.get_sign(item.sign_code),
                by_feature,
                vocabulary,
                measured,
                needs,
            )
            for item in profile.items
        ),
        limitations_en=profile.limitation_text("en"),
        limitations_zh=profile.limitation_text("zh"),
    )


def assess(
    observations: Iterable[Observation],
    sign: Sign,
    vocabulary: Vocabulary,
    *,
    measured: Collection[str] | None = None,
    needs: Mapping[str, str] | None = None,
) -> ItemResult:
    """Evaluate one sign on its own ("is there an effusion?"), by the rules of `score`.

    Raises:
        InvalidObservation: as for `score`.
    """
    item = ProfileItem(sign_code=sign.code, group=ItemGroup.CORE)
    by_feature = _by_feature(observations, vocabulary)
    return _score_item(item, sign, by_feature, vocabulary, measured, needs)


def _by_feature(
    observations: Iterable[Observation], vocabulary: Vocabulary
) -> dict[str, list[Observation]]:
    by_feature: defaultdict[str, list[Observation]] = defaultdict(list)
    for observation in observations:
        _check_observation(observation, vocabulary)
        by_feature[observation.feature].append(observation)
    return by_feature


def _check_observation(observation: Observation, vocabulary: Vocabulary) -> None:
    feature = vocabulary.features.get(observation.feature)
    if feature is None:
        raise InvalidObservation(
            f"observation of {observation.feature!r}: not in the feature catalogue "
            "(ontology/data/features.toml); add it there or fix the engine's name"
        )
    if not feature.accepts(observation.value):
        raise InvalidObservation(
            f"observation of {feature.name}: value {observation.value!r} is not a "
            f"{feature.type} in range {feature.minimum}..{feature.maximum}"
        )


def _score_item(
    item: ProfileItem,
    sign: Sign,
    by_feature: dict[str, list[Observation]],
    vocabulary: Vocabulary,
    measured: Collection[str] | None = None,
    needs: Mapping[str, str] | None = None,
) -> ItemResult:
    needed = (needs or {}).get(str(sign.code))
    if sign.rule is None and needed is not None:
        other = vocabulary.get_sign(needed)
        basis = _score_own(item, other, by_feature, vocabulary, measured)
        return _by_needed_sign(basis, sign, other)
    return _score_own(item, sign, by_feature, vocabulary, measured)


def _score_own(
    item: ProfileItem,
    sign: Sign,
    by_feature: dict[str, list[Observation]],
    vocabulary: Vocabulary,
    measured: Collection[str] | None,
) -> ItemResult:
    """One item by its sign's own rule."""

    def result(
        status: MatchStatus,
        reason_en: str,
        reason_zh: str,
        evidence: Sequence[Observation] = (),
        observed: FeatureValue | None = None,
        why: Unassessable | None = None,
    ) -> ItemResult:
        anchors = tuple(
            dict.fromkeys(a for o in evidence for a in o.evidence_anchor_ids)
        )
        return ItemResult(
            sign_code=sign.code,
            name_en=sign.name_en,
            name_zh=sign.name_zh,
            group=item.group,
            status=status,
            evidence_anchor_ids=anchors,
            reason_en=reason_en,
            reason_zh=reason_zh,
            observed_value=observed,
            note_en=item.note_en,
            note_zh=item.note_zh,
            unassessable=why,
        )

    not_measured = Unassessable.NOT_MEASURED
    never = result(
        MatchStatus.NOT_ASSESSABLE,
        NOT_ASSESSED_EN,
        NOT_ASSESSED_ZH,
        why=Unassessable.NOT_ASSESSED,
    )
    if sign.cxr_assessable is Assessability.CT_ONLY:
        return result(
            MatchStatus.NOT_ASSESSABLE,
            NEEDS_CT_EN,
            NEEDS_CT_ZH,
            why=Unassessable.NEEDS_CT,
        )
    rule = sign.rule
    if rule is None:
        return never
    if measured is not None and not {
        rule.feature,
        *(r.feature for r in rule.requires),
    } <= set(measured):
        return never  # a feature this tool never measures: no image would have it
    for requirement in rule.requires:
        seen = by_feature.get(requirement.feature, [])
        if not seen:
            # Say what is missing: "not measured" alone reads as if the tool had failed.
            if rule.not_valid_en:
                return result(
                    MatchStatus.NOT_ASSESSABLE,
                    f"{NOT_MEASURED_EN}: {rule.not_valid_en}, and this image does not record whether that holds",
                    f"{NOT_MEASURED_ZH}：{rule.not_valid_zh}，本图未记录是否满足",
                    why=not_measured,
                )
            return result(
                MatchStatus.NOT_ASSESSABLE,
                NOT_MEASURED_EN,
                NOT_MEASURED_ZH,
                why=not_measured,
            )
        if not any(requirement.evaluate(o.value) for o in seen):
            return result(
                MatchStatus.NOT_ASSESSABLE,
                rule.not_valid_en,
                rule.not_valid_zh,
                seen,
                seen[0].value,
                why=Unassessable.NOT_VALID,
            )
    observed = by_feature.get(rule.feature, [])
    if not observed:
        return result(
            MatchStatus.NOT_ASSESSABLE,
            NOT_MEASURED_EN,
            NOT_MEASURED_ZH,
            why=not_measured,
        )
    feature = vocabulary.features[rule.feature]
    borderline = [o for o in observed if _straddles(rule, o, by_feature)]
    if borderline and len(borderline) == len(observed):
        low, high = _interval(rule.feature, borderline[0], by_feature)
        unit = f" {feature.unit}" if feature.unit else ""
        shown_en = f"{feature.label('en')} {low:g} to {high:g}{unit}"
        shown_zh = f"{feature.label('zh')} {low:g}–{high:g}{unit}"
        straddles = {
            lang: load_phrases().say(
                "item_borderline_straddles",
                lang,
                shown=shown,
                criterion=rule.criterion(feature, lang.value),
            )
            for lang, shown in ((Language.EN, shown_en), (Language.ZH, shown_zh))
        }
        return result(
            MatchStatus.NOT_ASSESSABLE,
            borderline_reason(straddles[Language.EN], Language.EN),
            borderline_reason(straddles[Language.ZH], Language.ZH),
            borderline,
            borderline[0].value,
            why=Unassessable.BORDERLINE,
        )
    satisfying = [o for o in observed if rule.evaluate(o.value)]
    if satisfying:
        value = satisfying[0].value
        return result(
            MatchStatus.MET,
            *_reasons(rule, feature, value, met=True),
            satisfying,
            value,
        )
    value = observed[0].value
    return result(
        MatchStatus.NOT_MET, *_reasons(rule, feature, value, met=False), observed, value
    )


def _by_needed_sign(basis: ItemResult, sign: Sign, other: Sign) -> ItemResult:
    """A sign judged by the measured sign it needs (`basis`, that sign's result)."""
    own = replace(
        basis, sign_code=sign.code, name_en=sign.name_en, name_zh=sign.name_zh
    )
    if basis.status is MatchStatus.NOT_MET:
        return replace(
            own,
            reason_en=f"no {other.name_en.lower()} ({basis.reason_en}), so no {sign.name_en.lower()}",
            reason_zh=f"未见{other.name_zh}（{basis.reason_zh}），故无{sign.name_zh}",
        )
    if basis.status is MatchStatus.MET:
        return replace(
            own,
            status=MatchStatus.NOT_ASSESSABLE,
            unassessable=Unassessable.NOT_ASSESSED,
            reason_en=f"{other.name_en.lower()} present ({basis.reason_en}); whether it is {sign.name_en.lower()} is not assessed by this tool",
            reason_zh=f"有{other.name_zh}（{basis.reason_zh}）；本工具不评估是否为{sign.name_zh}",
        )
    # the needed sign not measured here, or borderline: that is this sign's state too
    return own


def borderline_reason(why: str, lang: Language) -> str:
    """A checklist item at its cut-off: "borderline, why" (answers.toml `item_borderline`).

    The item line puts it after the sign's name and a colon ("Upper lobe location:
    borderline, ..."), so the reason never opens with a second colon.
    """
    return load_phrases().say("item_borderline", lang, why=why)


def headline(card: Scorecard, lang: Language | str = Language.EN) -> str:
    """Say "N of M core signs met" first, supporting signs beside it, counter-signs apart.

    A counter-sign that is present argues against the condition, so it is never
    added to the count of signs met; it is named on its own.
    """
    zh = Language(lang) is Language.ZH
    core = card.in_group(ItemGroup.CORE)
    met = card.count(MatchStatus.MET, ItemGroup.CORE)
    unknown = card.count(MatchStatus.NOT_ASSESSABLE, ItemGroup.CORE)
    support = card.in_group(ItemGroup.SUPPORTING)
    support_met = card.count(MatchStatus.MET, ItemGroup.SUPPORTING)
    counter = [
        i
        for i in card.in_group(ItemGroup.BENIGN_COUNTER)
        if i.status is MatchStatus.MET
    ]
    names = (
        "、".join(i.name_zh for i in counter)
        if zh
        else ", ".join(i.name_en for i in counter)
    )
    if zh:
        text = f"符合 {met}/{len(core)} 条核心征象（{unknown} 条无法评估）"
        text += f"；支持征象 {support_met}/{len(support)}" if support else ""
        if card.in_group(ItemGroup.BENIGN_COUNTER):
            text += f"；反向（良性）征象单列：{names or '无'}"
        return text + "。"
    text = f"{met} of {len(core)} core signs met ({unknown} not assessable)"
    text += f"; supporting signs {support_met} of {len(support)}" if support else ""
    if card.in_group(ItemGroup.BENIGN_COUNTER):
        text += f"; counter-signs (favouring benign), listed apart: {names or 'none present'}"
    return text + "."


def _interval(
    feature: str, observation: Observation, by_feature: dict[str, list[Observation]]
) -> tuple[FeatureValue, FeatureValue]:
    """The uncertainty interval of an observed value.

    Read from `<feature>_low` / `<feature>_high` observations of the same evidence;
    the value itself at both ends when the engine sent none.
    """
    ends = []
    for suffix in ("_low", "_high"):
        same = [
            o.value
            for o in by_feature.get(feature + suffix, [])
            if o.evidence_anchor_ids == observation.evidence_anchor_ids
        ]
        ends.append(same[0] if same else observation.value)
    return ends[0], ends[1]


def _straddles(
    rule: Rule, observation: Observation, by_feature: dict[str, list[Observation]]
) -> bool:
    """Whether a value's interval lies on both sides of the rule's cut-off (borderline)."""
    low, high = _interval(rule.feature, observation, by_feature)
    return rule.evaluate(low) != rule.evaluate(high)


def _places_off_cut(rule: Rule, feature: Feature, value: FeatureValue) -> int | None:
    """Decimals that keep a shown value off the rule's cut-off unless it is on it.

    A ratio of 0.502 shown as "0.50" beside "needs more than 0.5" reads as failing the
    rule it meets; one more decimal shows the side it lies on.
    """
    if not isinstance(value, float) or isinstance(rule.value, bool):
        return None
    for places in range(feature.places, feature.places + 5):
        rounded = round(value, places)
        if rounded != rule.value or rounded == value:
            return places
    return None


def _reasons(
    rule: Rule, feature: Feature, value: FeatureValue, *, met: bool
) -> tuple[str, str]:
    """What was measured and what the sign needs, in a reader's words.

    "spicules: 0, needs at least 1" / "毛刺数 0，需 ≥1". A yes/no feature needs no
    criterion: "centre in an upper zone: no" beside "not met" says it all.
    """
    places = _places_off_cut(rule, feature, value)
    en, zh = feature.show(value, "en", places), feature.show(value, "zh", places)
    if isinstance(rule.value, bool):
        return en, zh
    if met:
        return (
            f"{en}, which is {rule.criterion(feature, 'en')}",
            f"{zh}，满足 {rule.criterion(feature, 'zh')}",
        )
    return (
        f"{en}, needs {rule.criterion(feature, 'en')}",
        f"{zh}，需 {rule.criterion(feature, 'zh')}",
    )
