"""Answers from the ontology: scorecards, sign explanations, out of scope and help."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from engine.anchors import (
    Anchor,
)
from engine.dialogue.facts import (
    lesion_observations,
    reconcile,
)
from engine.dialogue.handlers.relations import RelationAnswers
from engine.dialogue.phrases import _item_line, fleischner_words, say
from engine.dialogue.query import Query
from engine.dialogue.records import (
    Draft,
    Section,
    _bind_anchor,
)
from engine.findings import Finding
from engine.intents import Intent
from engine.references import (
    Binding,
    Outcome,
    Rule,
)
from engine.wording import (
    cite,
)
from kernel import Language
from ontology import (
    AnatomyMention,
    ItemGroup,
    MatchStatus,
    Profile,
    Sign,
    Vocabulary,
    assess,
    score,
)
from ontology.scoring import headline


def item_feature(vocabulary: Vocabulary, sign_code: Any) -> str:
    sign = vocabulary.find_sign(str(sign_code))
    rule = getattr(sign, "rule", None)
    return "" if rule is None else rule.feature


class ProfileAnswers(RelationAnswers):
    """Scorecards, sign explanations, out-of-scope questions and help."""

    def _profile(
        self,
        draft: Draft,
        *,
        intent: Intent,
        lang: Language,
        index: int,
        mentions: list[AnatomyMention],
        profile: Profile | None,
        drawn: Anchor | None,
        **_: Any,
    ) -> None:
        zh = lang == "zh"
        if profile is None:
            names = [
                f"{p.name(lang)} ({p.id})" for p in self.vocabulary.profiles.values()
            ]
            draft.sections.append(
                Section(
                    title="【请选择评估方案】" if zh else "Which profile?",
                    lines=(
                        "请说明要对照的临床方案，例如："
                        if zh
                        else "Say which clinical profile to check, for example:",
                        *names,
                    ),
                )
            )
            return
        focal_profile = any(
            item_feature(self.vocabulary, i.sign_code).startswith("focal.")
            for i in profile.items
        )
        subject_finding: Finding | None = None
        subject_anchor: Anchor | None = None
        if focal_profile:
            resolution = self._resolve(draft, intent, index, mentions, drawn)
            if resolution.outcome is Outcome.AMBIGUOUS:
                self._explain_unresolved(draft, resolution, lang, index)
                return
            if resolution.finding is not None and resolution.finding.is_focal:
                subject_finding = resolution.finding
                subject_anchor = self._anchor_for_finding(subject_finding, index)
                _bind_anchor(draft, subject_anchor)
        observations = []
        if subject_finding is not None and subject_anchor is not None:
            observations += lesion_observations(
                self.analysis, subject_finding, subject_anchor.id
            )
        observations += [
            o
            for o in self._film_observations()
            if subject_finding is None or o.feature != "focal.present"
        ]
        scored = score(observations, profile, self.vocabulary)
        card = replace(
            scored, items=tuple(self._with_anchors(i, index) for i in scored.items)
        )
        card = reconcile(card, self.analysis, subject_finding)
        draft.scorecard = card
        lines = [headline(card, lang)]
        for group in ItemGroup:
            if card.in_group(group):
                lines.append(card.group_heading(group, lang) + ("：" if zh else ":"))
                lines.extend(_item_line(item, lang) for item in card.in_group(group))
        lines.append(
            f"合计：{card.totals(lang)}。" if zh else f"Total: {card.totals(lang)}."
        )
        if subject_anchor is None and focal_profile:
            lines.append(
                "本图未确定局灶性病灶作为评估对象，病灶相关条目均无法评估。"
                if zh
                else "No focal lesion was established as the subject, so the lesion items are not assessable."
            )
        limitation = profile.limitations_zh if zh else profile.limitations_en
        if limitation:
            lines.append(limitation)
        name = profile.name(lang)
        title = (
            f"【{name}X线典型征象对照】"
            if zh
            else f"{name}: radiographic sign checklist"
        )
        cited = sorted(
            {a for i in card.items for a in i.evidence_anchor_ids},
            key=lambda s: int(s[1:]),
        )
        draft.sections.append(
            Section(title=title, lines=tuple(lines), anchor_ids=tuple(cited))
        )

    def _explain(
        self, draft: Draft, *, lang: Language, index: int, signs: list[Any], **_: Any
    ) -> None:
        zh = lang == "zh"
        if not signs:
            self._help(draft, lang=lang)
            return
        sign = signs[0]
        lines = [sign.visual_pattern_zh if zh else sign.visual_pattern_en]
        meaning = sign.clinical_meaning_zh if zh else sign.clinical_meaning_en
        if meaning:
            lines.append(("临床意义：" if zh else "Clinical meaning: ") + meaning)
        assess = {
            "yes": ("胸片可评估", "Assessable on a radiograph"),
            "limited": ("胸片评估有限", "Limited on a radiograph"),
            "ct_only": ("仅 CT 可评估", "CT only"),
        }[sign.cxr_assessable.value]
        lines.append(assess[0] if zh else assess[1])
        codes = [
            c
            for c in (
                f"RadLex {sign.radlex}" if sign.radlex else "",
                ("Fleischner 术语表：" if zh else "Fleischner glossary: ")
                + fleischner_words(sign.fleischner.value, lang),
            )
            if c
        ]
        lines.append("；".join(codes) if zh else "; ".join(codes))
        cited: list[str] = []
        if sign.rule is not None and sign.rule.feature.startswith("focal."):
            lines += self._sign_on_focus(draft, sign, lang, index, cited)
        draft.sections.append(
            Section(
                title=f"【征象解释：{sign.name('zh')}】"
                if zh
                else f"Sign: {sign.name('en')}",
                lines=tuple(line for line in lines if line),
                anchor_ids=tuple(cited),
            )
        )

    def _sign_on_focus(
        self, draft: Draft, sign: Sign, lang: Language, index: int, cited: list[str]
    ) -> list[str]:
        """A lesion sign on the lesions the conversation is about, each bound and named.

        With several focal findings in focus each is assessed on its own line, so that no
        one of them is picked silently.
        """
        zh = lang == "zh"
        focus = [
            (a, f)
            for a in self.anchors.focus(index)
            if a.finding_id
            and (f := self.analysis.finding(a.finding_id)) is not None
            and f.is_focal
        ]
        lines: list[str] = []
        if len(focus) > 1:
            lines.append(
                f"对话当前涉及 {len(focus)} 个局灶性病灶，逐一评估："
                if zh
                else f"The conversation is about {len(focus)} focal lesions; each is assessed:"
            )
        for anchor, f in focus:
            item = assess(
                lesion_observations(self.analysis, f, anchor.id), sign, self.vocabulary
            )
            if item.status is MatchStatus.NOT_ASSESSABLE:
                continue
            anchor = self.anchors.reference(anchor.id, index)
            cited.append(anchor.id)
            draft.bindings.append(
                Binding(
                    phrase="本图当前病灶" if zh else "the lesion under discussion",
                    rule=Rule.FOCUS,
                    anchor_id=anchor.id,
                    finding_id=f.id,
                    note="no lesion named: the conversation's current focus"
                    + (f" (one of {len(focus)})" if len(focus) > 1 else ""),
                )
            )
            present = item.status is MatchStatus.MET
            lines.append(
                f"{cite([anchor.id])} 本图当前病灶（{self._finding_label(f, Language.ZH)}）："
                + ("符合" if present else "不符合")
                + f"（{item.reason('zh')}）"
                if zh
                else f"{cite([anchor.id])} On this image, the lesion under discussion ({self._finding_label(f, Language.EN)}): "
                + ("present" if present else "absent")
                + f" ({item.reason('en')})"
            )
        return lines

    def _out_of_scope(
        self, draft: Draft, *, lang: Language, query: Query, **_: Any
    ) -> None:
        """The refusal, its reason first; a request off the film also gets the examples."""
        reason = query.refusal or "clinical"
        draft.sections.append(
            Section(
                title=say("title_out_of_scope", lang),
                lines=(say(f"refuse_{reason}", lang),),
            )
        )
        if reason == "scope_off_topic":
            self._help(draft, lang=lang)

    def _help(self, draft: Draft, *, lang: Language, **_: Any) -> None:
        draft.sections.append(
            Section(
                title=say("title_help", lang),
                lines=tuple(say("help_examples", lang).splitlines()),
            )
        )


__all__ = ["ProfileAnswers"]
