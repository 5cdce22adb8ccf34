"""Value types of the ontology: signs, anatomy, features, profiles and scorecards."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import NewType

from kernel import Language, Side

SignCode = NewType("SignCode", str)
"""Stable sign code: the inventory id, a category letter and two digits ("A14")."""

AnatomyId = NewType("AnatomyId", str)
"""Anatomy region id shared with the engine's anatomy map ("right_middle_zone")."""

ProfileId = NewType("ProfileId", str)
"""Scorecard profile id ("early_lung_cancer")."""

FeatureValue = bool | int | float | str
"""A value the engine observes for a feature of the feature catalogue."""


class Assessability(StrEnum):
    """How well a plain chest radiograph can assess a sign."""

    YES = "yes"
    LIMITED = "limited"
    CT_ONLY = "ct_only"


class FleischnerStatus(StrEnum):
    """Status of the term in the Fleischner Society glossary (2008, 2024 update)."""

    CURRENT = "current"
    DEPRECATED = "deprecated"
    CT_ONLY = "ct_only"
    NOT_IN_GLOSSARY = "not_in_glossary"


class NoLocationReason(StrEnum):
    """Why a sign lists no typical location: every sign has places or one of these."""

    ANYWHERE = "anywhere"
    """No predilection: it lies wherever the lesion, process or device lies."""
    VARIES_WITH_CAUSE = "varies_with_cause"
    """The place depends on the cause or subtype (fibrosis: upper zones in TB, bases in
    UIP); a more specific sign or a distribution sign (B56-B63) carries it."""
    DIFFUSE = "diffuse"
    """Spread through both lungs rather than in one place."""
    DISTRIBUTION = "distribution"
    """The sign is itself a distribution (diffuse, multifocal, bilateral, unilateral)."""
    WHOLE_FILM = "whole_film"
    """A property of the image or how it was taken (projection, exposure, rotation)."""
    OUTSIDE_ANATOMY_MAP = "outside_anatomy_map"
    """It lies in structures the anatomy map has no region for: ribs, spine, shoulder
    girdle, chest wall, skin, breast, axilla, neck, fissures, or outside the patient."""


class Actionability(StrEnum):
    """Actionability tier, mirroring the tiers of the OIDM CXR findings list."""

    INCIDENTAL = "incidental"
    CONDITIONAL = "conditional"
    SIGNIFICANT = "significant"
    CRITICAL = "critical"


class MatchStatus(StrEnum):
    """Outcome of one scorecard item on one image."""

    MET = "met"
    NOT_MET = "not_met"
    NOT_ASSESSABLE = "not_assessable"


class Unassessable(StrEnum):
    """Why an item is not assessable: the film cannot show it, or this tool did not measure it."""

    NEEDS_CT = "needs_ct"
    """Only CT can assess the sign."""
    NOT_MEASURED = "not_measured"
    """A radiograph can show it, but the engine has no measurement of it on this image."""
    NOT_ASSESSED = "not_assessed"
    """This tool never assesses it on a radiograph: no rule, or a feature it never measures."""
    NOT_VALID = "not_valid"
    """The measurement exists but its precondition fails (e.g. a CTR on an AP film)."""
    BORDERLINE = "borderline"
    """Measured, but at the cut-off: the value or its likely range lies on both sides."""


class ItemGroup(StrEnum):
    """Role of a sign within a scorecard profile."""

    CORE = "core"
    SUPPORTING = "supporting"
    CT_PENDING = "ct_pending"
    # Shown beside the others, never subtracted from them: a counter-sign favours a
    # benign or alternative explanation but does not cancel a suspicious one.
    BENIGN_COUNTER = "benign_counter"


class FeatureType(StrEnum):
    """Python type of a feature's observed value."""

    BOOL = "bool"
    INT = "int"
    FLOAT = "float"
    STR = "str"


class RegionKind(StrEnum):
    """Kind of anatomy region, used to combine a side with a generic term."""

    LUNG = "lung"
    ZONE = "zone"
    BAND = "band"
    HILUM = "hilum"
    MEDIASTINAL = "mediastinal"
    PLEURAL = "pleural"
    DIAPHRAGM = "diaphragm"
    LOBE = "lobe"
    BONE = "bone"
    HEART = "heart"


class Op(StrEnum):
    """Comparison operator of a rule."""

    EQ = "=="
    NE = "!="
    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="


ORDER_OPS = frozenset({Op.LT, Op.LE, Op.GT, Op.GE})


def _is_number(value: object) -> bool:
    # bool is an int subclass, but True is not a diameter.
    return isinstance(value, int | float) and not isinstance(value, bool)


def _as_number(value: object) -> float | None:
    return (
        float(value) if isinstance(value, int | float) and _is_number(value) else None
    )


def _same(a: FeatureValue, b: FeatureValue) -> bool:
    # Without the bool check, True == 1 would let a count satisfy a yes/no rule.
    return isinstance(a, bool) == isinstance(b, bool) and a == b


@dataclass(frozen=True, slots=True, kw_only=True)
class Rule:
    """A measurable test of one feature, e.g. ``focal.spicule_count >= 1``.

    ``requires`` lists conditions on other features that must hold before the rule
    means anything (the cardiothoracic ratio only on a PA film); when they fail the
    sign is not assessable on that image, for the reason given in ``not_valid_*``.
    """

    feature: str
    op: Op
    value: FeatureValue
    basis: str = field(default="", compare=False)
    requires: tuple[Rule, ...] = ()
    not_valid_en: str = field(default="", compare=False)
    not_valid_zh: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        # Accept the stored spelling (">=") as well as the enum member.
        object.__setattr__(self, "op", Op(self.op))
        if self.op in ORDER_OPS and not _is_number(self.value):
            raise ValueError(
                f"rule on {self.feature!r}: {self.op} needs a number, got {self.value!r}"
            )

    def evaluate(self, value: FeatureValue) -> bool:
        """Return whether an observed value satisfies the rule.

        Raises:
            TypeError: an ordering operator meets a value that is not a number.
        """
        if self.op is Op.EQ:
            return _same(value, self.value)
        if self.op is Op.NE:
            return not _same(value, self.value)
        observed, threshold = _as_number(value), _as_number(self.value)
        if observed is None or threshold is None:
            raise TypeError(
                f"{self.feature} {self.op} {self.value!r} needs a number, got {value!r}"
            )
        if self.op is Op.LT:
            return observed < threshold
        if self.op is Op.LE:
            return observed <= threshold
        if self.op is Op.GT:
            return observed > threshold
        return observed >= threshold

    def describe(self) -> str:
        """Return the rule as text, e.g. ``focal.spicule_count >= 1``."""
        value = str(self.value).lower() if isinstance(self.value, bool) else self.value
        return f"{self.feature} {self.op} {value}"

    def criterion(self, feature: Feature, lang: Language | str) -> str:
        """Return what the rule asks of a value, in words: "at least 1", "≥1", "at least 20 mm".

        A yes/no rule is its expected answer ("yes", "否").
        """
        zh = Language(lang) is Language.ZH
        if isinstance(self.value, bool):
            return feature.value_words(self.value, lang)
        words = _OP_ZH if zh else _OP_EN
        value = feature.value_words(self.value, lang)
        return f"{words[self.op]}{value}" if zh else f"{words[self.op]} {value}".strip()


# How a rule's operator reads to a radiologist, in each language.
_OP_EN = {
    Op.GE: "at least",
    Op.GT: "more than",
    Op.LE: "at most",
    Op.LT: "less than",
    Op.EQ: "exactly",
    Op.NE: "not",
}
_OP_ZH = {Op.GE: "≥", Op.GT: ">", Op.LE: "≤", Op.LT: "<", Op.EQ: "=", Op.NE: "≠"}


@dataclass(frozen=True, slots=True, kw_only=True)
class Source:
    """A bibliographic or data source that sign and profile entries cite by key."""

    key: str
    citation: str = field(compare=False)
    version: str = field(default="", compare=False)
    url: str = field(default="", compare=False)
    note: str = field(default="", compare=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class Category:
    """A sign category of the inventory (A..I)."""

    id: str
    name_en: str = field(compare=False)
    name_zh: str = field(compare=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class Sign:
    """A chest radiograph sign with its names, codes, meaning and measurable rule."""

    code: SignCode
    name_en: str = field(compare=False)
    name_zh: str = field(compare=False)
    category: Category = field(compare=False)
    fleischner: FleischnerStatus = field(compare=False)
    cxr_assessable: Assessability = field(compare=False)
    visual_pattern_en: str = field(compare=False)
    visual_pattern_zh: str = field(compare=False)
    clinical_meaning_en: str = field(compare=False)
    clinical_meaning_zh: str = field(compare=False)
    sources: tuple[str, ...] = field(compare=False)
    synonyms_en: tuple[str, ...] = field(default=(), compare=False)
    synonyms_zh: tuple[str, ...] = field(default=(), compare=False)
    radlex: str = field(default="", compare=False)
    """Exact RadLex concept id, or "" where RadLex has none."""
    radlex_related: tuple[str, ...] = field(default=(), compare=False)
    """Closest RadLex concepts (broader descriptor or post-coordination parts)."""
    oidm_fid: str = field(default="", compare=False)
    typical_locations: tuple[AnatomyId, ...] = field(default=(), compare=False)
    no_typical_location: NoLocationReason | None = field(default=None, compare=False)
    """Why ``typical_locations`` is empty; None when it lists places."""
    actionability: Actionability | None = field(default=None, compare=False)
    rule: Rule | None = field(default=None, compare=False)
    review_note: str = field(default="", compare=False)

    def name(self, lang: Language | str) -> str:
        """Return the preferred name in a language ("en" or "zh")."""
        return self.name_zh if Language(lang) is Language.ZH else self.name_en

    @property
    def all_names(self) -> tuple[str, ...]:
        """Return names and synonyms in both languages."""
        return (
            self.name_en,
            self.name_zh,
            *self.synonyms_en,
            *self.synonyms_zh,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class AnatomyTerm:
    """An anatomy region of the PA film, shared with the engine's anatomy map."""

    id: AnatomyId
    name_en: str = field(compare=False)
    name_zh: str = field(compare=False)
    side: Side = field(compare=False)
    kind: RegionKind = field(compare=False)
    level: str = field(default="", compare=False)
    """Position within the kind: upper/middle/lower, inner/middle/outer, apex ..."""
    synonyms_en: tuple[str, ...] = field(default=(), compare=False)
    synonyms_zh: tuple[str, ...] = field(default=(), compare=False)
    radlex: str = field(default="", compare=False)
    approximate: bool = field(default=False, compare=False)
    note_en: str = field(default="", compare=False)
    note_zh: str = field(default="", compare=False)

    def name(self, lang: Language | str) -> str:
        """Return the preferred name in a language ("en" or "zh")."""
        return self.name_zh if Language(lang) is Language.ZH else self.name_en


@dataclass(frozen=True, slots=True, kw_only=True)
class RegionPattern:
    """A side-less region description ("middle zone") to combine with a side."""

    kind: RegionKind
    level: str = ""
    side: Side | None = None
    """None means any side."""


@dataclass(frozen=True, slots=True, kw_only=True)
class GenericTerm:
    """A word such as 中野 / "middle zone" that names a region pattern, not a region."""

    id: str
    name_en: str = field(compare=False)
    name_zh: str = field(compare=False)
    pattern: RegionPattern = field(compare=False)
    synonyms_en: tuple[str, ...] = field(default=(), compare=False)
    synonyms_zh: tuple[str, ...] = field(default=(), compare=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class AnatomyMention:
    """A region named in a question, with its span in the question text."""

    text: str
    start: int
    end: int
    kind: RegionKind
    level: str = ""
    side: Side | None = None
    """The stated side (or the only possible one, as for 中叶), else None."""
    region_id: AnatomyId | None = None
    """The concrete region, or None when the side is missing or no such region exists."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Feature:
    """One entry of the feature catalogue: what the engine observes and rules test."""

    name: str
    type: FeatureType = field(compare=False)
    meaning_en: str = field(compare=False)
    label_en: str = field(compare=False)
    """A reader's short name for the feature ("spicules"), used in reasons."""
    label_zh: str = field(compare=False)
    unit: str = field(default="", compare=False)
    minimum: float | None = field(default=None, compare=False)
    maximum: float | None = field(default=None, compare=False)

    def label(self, lang: Language | str) -> str:
        """Return the short name in a language ("en" or "zh")."""
        return self.label_zh if Language(lang) is Language.ZH else self.label_en

    def value_words(
        self, value: FeatureValue, lang: Language | str, places: int | None = None
    ) -> str:
        """Return a value as a reader sees it: "yes"/"是", "12.4 mm", "35%", "0.47".

        `places` overrides the decimals of a measured number (a value next to a
        cut-off needs more of them to show which side it lies on).
        """
        zh = Language(lang) is Language.ZH
        if isinstance(value, bool):
            return ("是" if value else "否") if zh else ("yes" if value else "no")
        if isinstance(value, str):
            return value
        if self.unit == "fraction":
            return f"{value:.0%}"
        # Millimetres to a tenth, ratios and likelihoods to a hundredth: what the engine
        # measures, without float noise ("0.47", not "0.4699999").
        shown = (
            str(value)
            if isinstance(value, int)
            else f"{value:.{self.places if places is None else places}f}"
        )
        if "." in shown:
            shown = shown.rstrip("0").rstrip(".")
        return f"{shown} mm" if self.unit == "mm" else shown

    @property
    def places(self) -> int:
        """Decimals a measured number is shown with: millimetres to a tenth, else a hundredth."""
        return 1 if self.unit == "mm" else 2

    def show(
        self, value: FeatureValue, lang: Language | str, places: int | None = None
    ) -> str:
        """Return an observed value with the feature's name: "spicules: 0" / "毛刺数 0"."""
        words = self.value_words(value, lang, places)
        if Language(lang) is Language.ZH:
            return (
                f"{self.label_zh}：{words}"
                if isinstance(value, bool)
                else f"{self.label_zh} {words}"
            )
        return f"{self.label_en}: {words}"

    def accepts(self, value: object) -> bool:
        """Return whether a value has this feature's type and lies in its range."""
        if self.type is FeatureType.BOOL:
            return isinstance(value, bool)
        if self.type is FeatureType.STR:
            return isinstance(value, str)
        if self.type is FeatureType.INT:
            ok = isinstance(value, int) and not isinstance(value, bool)
        else:
            ok = _is_number(value)
        number = _as_number(value)
        if not ok or number is None:
            return False
        if self.minimum is not None and number < self.minimum:
            return False
        return self.maximum is None or number <= self.maximum


@dataclass(frozen=True, slots=True, kw_only=True)
class ProfileItem:
    """One sign of a scorecard profile and the role it plays there."""

    sign_code: SignCode
    group: ItemGroup
    note_en: str = field(default="", compare=False)
    note_zh: str = field(default="", compare=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class Profile:
    """A versioned scorecard profile: which signs to check for one condition."""

    id: ProfileId
    version: str
    name_en: str = field(compare=False)
    name_zh: str = field(compare=False)
    items: tuple[ProfileItem, ...] = field(compare=False)
    sources: tuple[str, ...] = field(compare=False)
    limitations_en: str = field(compare=False)
    limitations_zh: str = field(compare=False)
    synonyms_en: tuple[str, ...] = field(default=(), compare=False)
    synonyms_zh: tuple[str, ...] = field(default=(), compare=False)
    next_step_en: str = field(default="", compare=False)
    """The general next step the profile's sources give (a report's impression cites it)."""
    next_step_zh: str = field(default="", compare=False)

    def name(self, lang: Language | str) -> str:
        """Return the profile name in a language ("en" or "zh")."""
        return self.name_zh if Language(lang) is Language.ZH else self.name_en

    def next_step(self, lang: Language | str) -> str:
        return self.next_step_zh if Language(lang) is Language.ZH else self.next_step_en

    def limitation_text(self, lang: Language | str) -> str:
        """The limitations, then the next step: what a checklist answer ends with."""
        zh = Language(lang) is Language.ZH
        limits = self.limitations_zh if zh else self.limitations_en
        return ("" if zh else " ").join(t for t in (limits, self.next_step(lang)) if t)


@dataclass(frozen=True, slots=True, kw_only=True)
class Observation:
    """One value the engine measured on an image, with the anchors that show it."""

    feature: str
    value: FeatureValue
    evidence_anchor_ids: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.feature, str) or not self.feature:
            raise ValueError(f"feature must be a non-empty str, got {self.feature!r}")
        if not isinstance(self.value, bool | int | float | str):
            raise TypeError(
                f"value of {self.feature} must be bool, int, float or str, "
                f"got {type(self.value).__name__}"
            )
        if not isinstance(self.evidence_anchor_ids, tuple) or not all(
            isinstance(a, str) for a in self.evidence_anchor_ids
        ):
            raise TypeError(
                "evidence_anchor_ids must be a tuple of str, "
                f"got {self.evidence_anchor_ids!r}"
            )


@dataclass(frozen=True, slots=True, kw_only=True)
class ItemResult:
    """The outcome of one profile item on one image, with its evidence."""

    sign_code: SignCode
    name_en: str
    name_zh: str
    group: ItemGroup
    status: MatchStatus
    evidence_anchor_ids: tuple[str, ...]
    reason_en: str
    reason_zh: str
    observed_value: FeatureValue | None = None
    note_en: str = ""
    note_zh: str = ""
    unassessable: Unassessable | None = None
    """Set exactly when the status is not assessable."""

    def name(self, lang: Language | str) -> str:
        """Return the sign name in a language ("en" or "zh")."""
        return self.name_zh if Language(lang) is Language.ZH else self.name_en

    def reason(self, lang: Language | str) -> str:
        """Return the reason in a language ("en" or "zh")."""
        return self.reason_zh if Language(lang) is Language.ZH else self.reason_en


_GROUP_LABEL = {
    ItemGroup.CORE: ("Core signs", "核心征象"),
    ItemGroup.SUPPORTING: ("Supporting signs", "支持征象"),
    ItemGroup.CT_PENDING: ("Pending CT", "待 CT 评估"),
    ItemGroup.BENIGN_COUNTER: (
        "Counter-signs (favour a benign cause; listed, not subtracted)",
        "反向征象（提示良性，仅列出，不抵消）",
    ),
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Scorecard:
    """Every item of a profile with its status; the counts always add up."""

    profile_id: ProfileId
    profile_version: str
    name_en: str
    name_zh: str
    items: tuple[ItemResult, ...]
    limitations_en: str = ""
    limitations_zh: str = ""

    def __post_init__(self) -> None:
        for item in self.items:
            if not isinstance(item.status, MatchStatus):
                raise ValueError(
                    f"item {item.sign_code} has status {item.status!r}; "
                    "use a MatchStatus"
                )
        # The seed article's "3/5" hid a sixth item; ours never does.
        if self.met + self.not_met + self.not_assessable != self.total:
            raise ValueError(
                f"scorecard {self.profile_id}: met {self.met} + not met {self.not_met} "
                f"+ not assessable {self.not_assessable} != total {self.total}"
            )

    def count(self, status: MatchStatus, group: ItemGroup | None = None) -> int:
        """Return how many items have a status, optionally within one group."""
        return sum(
            1
            for item in self.items
            if item.status is status and (group is None or item.group is group)
        )

    def in_group(self, group: ItemGroup) -> tuple[ItemResult, ...]:
        """Return the items of one group, in profile order."""
        return tuple(item for item in self.items if item.group is group)

    @property
    def met(self) -> int:
        """Number of items met."""
        return self.count(MatchStatus.MET)

    @property
    def not_met(self) -> int:
        """Number of items assessed and not met."""
        return self.count(MatchStatus.NOT_MET)

    @property
    def not_assessable(self) -> int:
        """Number of items that this radiograph cannot decide."""
        return self.count(MatchStatus.NOT_ASSESSABLE)

    def not_assessable_because(
        self, why: Unassessable, group: ItemGroup | None = None
    ) -> int:
        """Number of not-assessable items for one reason, optionally within one group."""
        return sum(
            1
            for i in self.items
            if i.unassessable is why and (group is None or i.group is group)
        )

    @property
    def total(self) -> int:
        """Number of items in the profile."""
        return len(self.items)

    def group_heading(
        self, group: ItemGroup, lang: Language | str = Language.EN
    ) -> str:
        """The group's name with its own counts ("Core signs (5: 2 met, 3 not met, 0 not assessable)").

        Each group counts on its own: a counter-sign that is present argues against the
        condition and must not read as one more sign in its favour.
        """
        n = len(self.in_group(group))
        met, not_met = (
            self.count(MatchStatus.MET, group),
            self.count(MatchStatus.NOT_MET, group),
        )
        unknown = self.count(MatchStatus.NOT_ASSESSABLE, group)
        label_en, label_zh = _GROUP_LABEL[group]
        if Language(lang) is Language.ZH:
            return f"{label_zh}（{n} 项：符合 {met}，不符合 {not_met}，无法评估 {unknown}）"
        return (
            f"{label_en} ({n}: {met} met, {not_met} not met, {unknown} not assessable)"
        )

    def totals(self, lang: Language | str = Language.EN) -> str:
        """The counts, with "not assessable" split into needs-CT, never assessed, not measured here."""
        ct = self.not_assessable_because(Unassessable.NEEDS_CT)
        unmeasured = self.not_assessable_because(Unassessable.NOT_MEASURED)
        invalid = self.not_assessable_because(Unassessable.NOT_VALID)
        # measured at the cut-off: neither missing nor invalid, so counted on its own
        borderline = self.not_assessable_because(Unassessable.BORDERLINE)
        # never assessed by this tool is not the same as missed on this image
        unassessed = self.not_assessable_because(Unassessable.NOT_ASSESSED)
        if Language(lang) is Language.ZH:
            why = [f"需 CT {ct} 项"]
            why += [f"本工具不评估 {unassessed} 项"] if unassessed else []
            why += [f"此图上未测得 {unmeasured} 项"]
            why += [f"前提不满足 {invalid} 项"] if invalid else []
            why += [f"临界 {borderline} 项"] if borderline else []
            return (
                f"符合 {self.met} 项，不符合 {self.not_met} 项，无法评估 {self.not_assessable} 项"
                f"（{'，'.join(why)}），共 {self.total} 项"
            )
        why = [f"{ct} need CT"]
        why += [f"{unassessed} not assessed by this tool"] if unassessed else []
        why += [f"{unmeasured} not measured on this image"]
        why += [f"{invalid} not valid on this film"] if invalid else []
        why += [f"{borderline} borderline"] if borderline else []
        return (
            f"{self.met} met, {self.not_met} not met, {self.not_assessable} not assessable "
            f"({', '.join(why)}), of {self.total} items"
        )

    def summary(self, lang: Language | str = Language.EN) -> str:
        """Return a one-paragraph summary with honest denominators per group.

        Raises:
            ValueError: ``lang`` is neither "en" nor "zh".
        """
        zh = Language(lang) is Language.ZH
        name = (
            f"{self.name_zh}（v{self.profile_version}）："
            if zh
            else f"{self.name_en} (v{self.profile_version}): "
        )
        lines = [name + self.totals(lang) + ("。" if zh else ".")]
        lines += [
            self.group_heading(g, lang) + ("。" if zh else ".")
            for g in ItemGroup
            if self.in_group(g)
        ]
        limitation = self.limitations_zh if zh else self.limitations_en
        if limitation:
            lines.append(limitation)
        return ("" if zh else " ").join(lines)
