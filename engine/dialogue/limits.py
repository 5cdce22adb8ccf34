"""What one radiograph cannot give, asked of the film: refused with the reason why.

A nodule's volume needs cross-sectional imaging, and its doubling time that volume at
two examinations; Hounsfield units exist only on CT; a differential diagnosis is a
diagnosis, which this tool does not make; a myocardial infarction does not show on a
radiograph; a de-identified case has no name to give. Asked of the film ("what is its
volume?", "HU?", "鉴别诊断有哪些", "是不是心梗", "病人叫什么"), each is refused with its
own reason (answers.toml `refuse_limit_*`), not with the refusal of a question off the
film, and not answered with a description that never says why the number is missing.
"""

from __future__ import annotations

from ontology.phrases import Phrases

# Tried in this order: "volume doubling time" is a doubling time, not a volume. A cardiac
# event ("was he having a heart attack") does not show on the film, and who the patient
# is is not kept: cases are de-identified on import.
LIMITS = ("doubling_time", "volume", "hounsfield", "differential", "event", "identity")
# Kinds whose volume is a lesion's (None: "its volume", the finding in focus).
_LESIONS = frozenset({None, "nodule", "mass", "lesion", "opacity"})


def limit_asked(
    text: str, subject: bool, phrases: Phrases, *, kind: str | None = None
) -> str | None:
    """The limit of a radiograph a question runs into (one of LIMITS), if any.

    `subject`: the question names what it asks about (a finding, a place, "it"); `kind`
    the kind of finding it names. A doubling time asked for its meaning ("what does
    doubling time mean?", "倍增时间是什么意思") is the sign's definition; asked as a
    value, or of a subject, a limit. The volume of an effusion or a pneumothorax has
    an answer of its own (what the film measures instead), so only a lesion's is one.
    """
    for name in LIMITS:
        if not phrases.cue(f"limit_{name}").find(text):
            continue
        if name == "volume" and kind not in _LESIONS:
            continue
        if name == "doubling_time" and not _asked_as_value(text, subject, phrases):
            return None
        return name
    return None


def asks_a_volume(text: str, phrases: Phrases) -> bool:
    """Whether a volume is asked ("how many ml", "体积多少"), of whatever kind."""
    return phrases.cue("limit_volume").find(text) is not None


def _asked_as_value(text: str, subject: bool, phrases: Phrases) -> bool:
    if phrases.cue("explain_strong").find(text):
        return False
    return subject or phrases.cue("measurement_ask").find(text) is not None


__all__ = ["LIMITS", "asks_a_volume", "limit_asked"]
