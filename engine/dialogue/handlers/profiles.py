"""Answers from the ontology: scorecards, sign explanations, out of scope and help."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from engine.anchors import (
    Anchor,
)
from engine.dialogue.facts import (
    lesion_observations,
    lesion_sign_item,
    reconcile,
)
from engine.dialogue.handlers.relations import RelationAnswers
from engine.dialogue.phrases import _item_line, fleischner_words, say
from engine.dialogue.query_intent import asks_rule_out, sign_name
from engine.dialogue.query_records import Query
from engine.dialogue.records import (
    Draft,
    Section,
    _bind_anchor,
)
from engine.findings import Finding
from engine.intents import Intent
from engine.observations import MEASURED_FEATURES
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
    ProfileId,
    Scorecard,
    Sign,
    Vocabulary,
    score,
)
from ontology.phrases import load_phrases
from ontology.scoring import headline

# Refusals whose question may be about the next step with the patient ("需要做CT吗" reads
# as another study, "需要随访吗" as treatment): those get the management reason instead.
_MANAGEMENT_REFUSALS = frozenset({"clinical", "scope_other_study"})


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
        query: Query | None = None,
        **_: Any,
    ) -> None:
        if profile is None:
            names = [
                f"{p.name(lang)} ({p.id})" for p in self.vocabulary.profiles.values()
            ]
            draft.sections.append(
                Section(
                    title=say("title_which_profile", lang),
                    lines=(say("which_profile", lang), *names),
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
                if query is not None and asks_rule_out(query):
                    # the answer does not wait for the lesion to be named
                    lead = say("rule_out_no", lang, condition=_condition(profile, lang))
                    title = say("title_profile", lang, profile=profile.name(lang))
                    draft.sections.append(Section(title=title, lines=(lead,)))
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
        scored = score(
            observations,
            profile,
            self.vocabulary,
            measured=MEASURED_FEATURES,
            needs=load_phrases().needs_sign,
        )
        card = replace(
            scored, items=tuple(self._with_anchors(i, index) for i in scored.items)
        )
        card = reconcile(card, self.analysis, subject_finding)
        draft.scorecard = card
        rule_out = query is not None and asks_rule_out(query)
        nothing = focal_profile and not any(f.is_focal for f in self.reportable())
        if rule_out or (nothing and subject_anchor is None):
            lines = self._answer_first(
                card, profile, subject_finding, subject_anchor, rule_out, lang
            )
        else:
            lines = self._full_card(card, lang)
        if subject_anchor is None and focal_profile and not nothing:
            lines.append(say("profile_no_subject", lang))
        limitation = profile.limitation_text(lang)
        if limitation:
            lines.append(limitation)
        title = say("title_profile", lang, profile=profile.name(lang))
        cited = sorted(
            {a for i in card.items for a in i.evidence_anchor_ids},
            key=lambda s: int(s[1:]),
        )
        draft.sections.append(
            Section(title=title, lines=tuple(lines), anchor_ids=tuple(cited))
        )

    def _full_card(self, card: Scorecard, lang: Language) -> list[str]:
        """Every item of the checklist, group by group, under the headline."""
        lines = [headline(card, lang)]
        for group in ItemGroup:
            if card.in_group(group):
                heading = card.group_heading(group, lang)
                lines.append(say("group_heading", lang, heading=heading))
                lines.extend(_item_line(item, lang) for item in card.in_group(group))
        lines.append(say("profile_total", lang, totals=card.totals(lang)))
        return lines

    def _answer_first(
        self,
        card: Scorecard,
        profile: Profile,
        subject: Finding | None,
        anchor: Anchor | None,
        rule_out: bool,
        lang: Language,
    ) -> list[str]:
        """Answer "can you rule out X?" first, or a lesion checklist on a clear film.

        The answer first: a radiograph cannot exclude X (when asked), then what was found
        (nothing reportable, or the finding scored); then only the items the film could
        assess (met or not), the rest as counts, since a column of "not assessable"
        lines adds nothing.
        """
        lines = []
        if rule_out:
            lines.append(say("rule_out_no", lang, condition=_condition(profile, lang)))
        if not any(f.is_focal for f in self.reportable()) and any(
            item_feature(self.vocabulary, i.sign_code).startswith("focal.")
            for i in profile.items
        ):
            lines.append(say("rule_out_no_lesion", lang))
        elif subject is not None and anchor is not None:
            label = self._finding_label(subject, lang)
            lines.append(say("rule_out_scored", lang, a=cite([anchor.id]), label=label))
        assessed = [i for i in card.items if i.status is not MatchStatus.NOT_ASSESSABLE]
        if assessed or subject is not None:
            lines.append(headline(card, lang))
        lines.extend(_item_line(item, lang) for item in assessed)
        lines.append(say("profile_total", lang, totals=card.totals(lang)))
        return lines

    def _explain(
        self,
        draft: Draft,
        *,
        lang: Language,
        index: int,
        signs: list[Any],
        query: Query | None = None,
        **_: Any,
    ) -> None:
        named = None if query is None else sign_name(query.text)
        if not signs and named:
            self._unknown_sign(draft, named, lang)  # named, so never the menu
            return
        if not signs:
            self._help(draft, lang=lang)
            return
        sign = signs[0]
        # The sign's own bilingual fields, read from the vocabulary.
        lines = [getattr(sign, f"visual_pattern_{lang}")]
        meaning = getattr(sign, f"clinical_meaning_{lang}")
        if meaning:
            lines.append(say("clinical_meaning", lang, meaning=meaning))
        lines.append(say(f"assessable_{sign.cxr_assessable.value}", lang))
        fleischner = say(
            "fleischner_glossary",
            lang,
            status=fleischner_words(sign.fleischner.value, lang),
        )
        codes = [
            c for c in (f"RadLex {sign.radlex}" if sign.radlex else "", fleischner) if c
        ]
        lines.append(say("list_separator", lang).join(codes))
        cited: list[str] = []
        if sign.rule is not None and sign.rule.feature.startswith("focal."):
            lines += self._sign_on_focus(draft, sign, lang, index, cited)
        draft.sections.append(
            Section(
                title=say("title_explain_sign", lang, sign=sign.name(lang)),
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
        focus = [
            (a, f)
            for a in self.anchors.focus(index)
            if a.finding_id
            and (f := self.analysis.finding(a.finding_id)) is not None
            and f.is_focal
        ]
        lines: list[str] = []
        if len(focus) > 1:
            lines.append(say("focus_several", lang, n=len(focus)))
        for anchor, f in focus:
            item = lesion_sign_item(self.analysis, f, anchor.id, sign, self.vocabulary)
            if item.status is MatchStatus.NOT_ASSESSABLE:
                continue
            anchor = self.anchors.reference(anchor.id, index)
            cited.append(anchor.id)
            draft.bindings.append(
                Binding(
                    phrase=say("phrase_lesion_in_focus", lang),
                    rule=Rule.FOCUS,
                    anchor_id=anchor.id,
                    finding_id=f.id,
                    note="no lesion named: the conversation's current focus"
                    + (f" (one of {len(focus)})" if len(focus) > 1 else ""),
                )
            )
            present = item.status is MatchStatus.MET
            lines.append(
                say(
                    "sign_on_focus",
                    lang,
                    a=cite([anchor.id]),
                    label=self._finding_label(f, lang),
                    status=say("sign_present" if present else "sign_absent", lang),
                    reason=item.reason(lang),
                )
            )
        return lines

    def _out_of_scope(
        self, draft: Draft, *, lang: Language, query: Query, **_: Any
    ) -> None:
        """The refusal, its reason first; a request off the film also gets the examples."""
        reason = query.refusal or "clinical"
        if reason in _MANAGEMENT_REFUSALS and load_phrases().cue("management").find(
            query.text
        ):
            # "需要做CT吗", "what follow-up?": refused with the checklist's own rule,
            # not as a request to read a CT or for treatment
            reason = "management"
        # a radiograph's limit ("its volume?", "HU?") has a title of its own
        titled = f"title_refuse_{reason}" in load_phrases().answers
        draft.sections.append(
            Section(
                title=say(
                    f"title_refuse_{reason}" if titled else "title_out_of_scope", lang
                ),
                lines=(
                    say(f"refuse_{reason}", lang, **self._refusal_fields(reason, lang)),
                ),
            )
        )
        if reason == "scope_off_topic":
            self._help(draft, lang=lang)

    def _refusal_fields(self, reason: str, lang: Language) -> dict[str, str]:
        """What a refusal quotes from the ontology: the next step is the profile's own."""
        if reason != "management":
            return {}
        profile = self.vocabulary.profiles.get(ProfileId("early_lung_cancer"))
        return {"next_step": "" if profile is None else profile.next_step(lang)}

    def _unknown_sign(self, draft: Draft, named: str, lang: Language) -> None:
        """A sign asked by a name the glossary lacks: say so, and offer the nearest names."""
        near = _nearest_signs(named, self.vocabulary.signs.values(), lang)
        lines = [say("unknown_sign", lang, sign=named)]
        if near:
            joined = say("list_separator", lang).join(near)
            lines.append(say("unknown_sign_near", lang, signs=joined))
        draft.sections.append(
            Section(
                title=say("title_explain_sign", lang, sign=named), lines=tuple(lines)
            )
        )

    def _help(self, draft: Draft, *, lang: Language, **_: Any) -> None:
        draft.sections.append(
            Section(
                title=say("title_help", lang),
                lines=tuple(say("help_examples", lang).splitlines()),
            )
        )


def _condition(profile: Profile, lang: Language) -> str:
    """The profile's name inside a sentence ("cannot exclude early lung cancer")."""
    name = profile.name(lang)
    return name if lang is Language.ZH else name[:1].lower() + name[1:]


def _nearest_signs(named: str, signs: Any, lang: Language, most: int = 5) -> list[str]:
    """Glossary names sharing a word ("sail" in "Thymic sail sign") or two characters."""
    asked = _name_parts(named)
    scored = []
    for sign in signs:
        shared = len(asked & _name_parts(sign.name(lang)))
        if shared:
            scored.append((-shared, sign.name(lang)))
    return [name for _, name in sorted(scored)[:most]]


def _name_parts(name: str) -> set[str]:
    """The words of a name (less "sign"), or its character pairs where it is Chinese."""
    words = {w for w in re.findall(r"[a-z]{3,}", name.lower()) if w != "sign"}
    chinese = "".join(re.findall(r"[\u4e00-\u9fff]", name)).replace("征", "")
    return words | {chinese[i : i + 2] for i in range(len(chinese) - 1)}


__all__ = ["ProfileAnswers"]
