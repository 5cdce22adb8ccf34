"""A question that takes a sign for said ("why do you call it lobulated?"), checked first.

"Why do you call it X?", "为什么说它是分叶的": the question's premise is that this tool
described the lesion with the sign X. When the lesion's own measurements do not meet
the sign's rule (the rule the scorecard holds it to), the premise is corrected before
anything else, and the property is then described as measured; a premise that holds is
answered as before, by the measurements that made the sign.
"""

from __future__ import annotations

from engine.analysis import ImageAnalysis
from engine.dialogue.facts import lesion_observations
from engine.dialogue.phrases import say
from engine.findings import Finding
from engine.observations import MEASURED_FEATURES
from kernel import Language
from ontology import MatchStatus, Sign, Vocabulary, assess
from ontology.phrases import Phrases


def premised_signs(text: str, signs: tuple[Sign, ...], phrases: Phrases) -> list[Sign]:
    """The lesion signs a "why do you call it X" question takes for said, if it is one."""
    if not phrases.cue("premise_why").find(text):
        return []
    return [
        s for s in signs if s.rule is not None and s.rule.feature.startswith("focal.")
    ]


def premise_lines(
    analysis: ImageAnalysis,
    f: Finding,
    anchor_id: str,
    cited: str,
    signs: list[Sign],
    vocabulary: Vocabulary,
    lang: Language,
) -> list[str]:
    """One line per sign taken for said that the lesion does not show, saying so first.

    `cited` is the subject as the answer cites it ("[A1]"); the reason is the scorecard's
    for the same sign on the same lesion, so the two never disagree.
    """
    observations = lesion_observations(analysis, f, anchor_id)
    lines = []
    for sign in signs:
        item = assess(observations, sign, vocabulary, measured=MEASURED_FEATURES)
        if item.status is MatchStatus.MET:
            continue
        name = sign.name(lang)
        reason = item.reason(lang)
        lines.append(
            say(
                "premise_not_said" if reason else "premise_not_said_bare",
                lang,
                a=cited,
                sign=name if Language(lang) is Language.ZH else name.lower(),
                reason=reason,
            )
        )
    return lines


__all__ = ["premise_lines", "premised_signs"]
