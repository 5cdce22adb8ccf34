"""Turn the TOML data files into ontology records, naming file and entry on error."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from enum import StrEnum
from typing import Any, TypeVar

from ontology.errors import InvalidOntologyData
from ontology.model import (
    Actionability,
    AnatomyId,
    AnatomyTerm,
    Assessability,
    Category,
    Feature,
    FeatureType,
    FleischnerStatus,
    GenericTerm,
    ItemGroup,
    NoLocationReason,
    Op,
    Profile,
    ProfileId,
    ProfileItem,
    RegionKind,
    RegionPattern,
    Rule,
    Side,
    Sign,
    SignCode,
    Source,
)

E = TypeVar("E", bound=StrEnum)

RADLEX_ID = re.compile(r"RID\d+")
OIDM_FID = re.compile(r"FID\d{4}")
# The inventory's own ids: category letter and two digits. Kept as they are, so a
# code in a stored scorecard still means the same sign after the data grows.
SIGN_CODE = re.compile(r"[A-I]\d{2}")
SEMVER = re.compile(r"\d+\.\d+\.\d+")
SNAKE_ID = re.compile(r"[a-z][a-z0-9_]*")
FEATURE_NAME = re.compile(r"[a-z]+(?:\.[a-z_]+)+")
CJK = re.compile(r"[\u3400-\u9fff]")


class Entry:
    """One TOML table being read, remembering where it came from for errors."""

    def __init__(
        self, data: object, *, path: str, entry: str, allowed: Iterable[str]
    ) -> None:
        self.path = path
        self.entry = entry
        if not isinstance(data, dict):
            raise self.fail(f"expected a table, got {type(data).__name__}")
        allowed_keys = set(allowed)
        unknown = sorted(set(data) - allowed_keys)
        if unknown:
            raise self.fail(
                f"unknown key(s) {', '.join(unknown)}; check the spelling "
                f"(allowed: {', '.join(sorted(allowed_keys))})"
            )
        self.data: dict[str, Any] = data

    def fail(self, problem: str) -> InvalidOntologyData:
        """Return an error naming this file and entry (for the caller to raise)."""
        return InvalidOntologyData(self.path, self.entry, problem)

    def text(self, key: str, *, required: bool = True) -> str:
        """Return a string field, stripped; "" when optional and absent."""
        value = self.data.get(key)
        if value is None:
            if required:
                raise self.fail(f"missing required key {key!r}")
            return ""
        if not isinstance(value, str):
            raise self.fail(f"{key} must be a string, got {value!r}")
        value = value.strip()
        if required and not value:
            raise self.fail(f"{key} must not be empty")
        return value

    def texts(self, key: str, *, required: bool = False) -> tuple[str, ...]:
        """Return a list-of-strings field as a tuple; () when absent."""
        value = self.data.get(key, [])
        if not isinstance(value, list) or not all(
            isinstance(v, str) and v.strip() for v in value
        ):
            raise self.fail(f"{key} must be a list of non-empty strings, got {value!r}")
        if required and not value:
            raise self.fail(f"{key} must list at least one entry")
        if len({v.strip() for v in value}) != len(value):
            raise self.fail(f"{key} lists an entry twice: {value!r}")
        return tuple(v.strip() for v in value)

    def flag(self, key: str, *, default: bool = False) -> bool:
        """Return a boolean field."""
        value = self.data.get(key, default)
        if not isinstance(value, bool):
            raise self.fail(f"{key} must be true or false, got {value!r}")
        return value

    def number(self, key: str) -> float | None:
        """Return an optional numeric field."""
        value = self.data.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(f"{key} must be a number, got {value!r}")
        return float(value)

    def optional_choice(self, key: str, enum: type[E]) -> E | None:
        """Return an optional enum field; None when absent."""
        return None if self.data.get(key) is None else self.choice(key, enum)

    def choice(self, key: str, enum: type[E]) -> E:
        """Return a required enum field from its stored value."""
        value = self.data.get(key)
        try:
            if not isinstance(value, str):
                raise ValueError(value)
            return enum(value)
        except ValueError:
            options = ", ".join(repr(member.value) for member in enum)
            raise self.fail(f"{key} must be one of {options}, got {value!r}") from None

    def tables(self, key: str) -> list[object]:
        """Return an array-of-tables field; [] when absent."""
        value = self.data.get(key, [])
        if not isinstance(value, list):
            raise self.fail(f"{key} must be an array of tables, got {value!r}")
        return value


def parse_toml(text: str, *, path: str) -> dict[str, Any]:
    """Parse TOML text.

    Raises:
        InvalidOntologyData: the text is not valid TOML.
    """
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidOntologyData(
            path, "TOML syntax", f"{exc}; fix the syntax at that line"
        ) from None


def _check_names(entry: Entry, name_en: str, name_zh: str) -> None:
    # A swapped pair is the commonest slip when editing bilingual rows by hand.
    if CJK.search(name_en):
        raise entry.fail(f"name_en {name_en!r} contains Chinese; put it in name_zh")
    if not CJK.search(name_zh):
        raise entry.fail(f"name_zh {name_zh!r} has no Chinese characters")


def _label(raw: object, key: str, kind: str, index: int) -> str:
    value = raw.get(key) if isinstance(raw, dict) else None
    if isinstance(value, str) and value.strip():
        return f"{kind} {value.strip()}"
    return f"{kind} number {index + 1} (no {key})"


SOURCE_KEYS = {"citation", "version", "url", "note"}


def parse_sources(document: dict[str, Any], *, path: str) -> list[Source]:
    """Read ``[source.<key>]`` tables.

    Raises:
        InvalidOntologyData: a table is malformed.
    """
    tables = Entry(document, path=path, entry="file", allowed={"source"}).data.get(
        "source", {}
    )
    if not isinstance(tables, dict) or not tables:
        raise InvalidOntologyData(path, "file", "needs at least one [source.<key>]")
    sources = []
    for key, raw in tables.items():
        entry = Entry(raw, path=path, entry=f"source {key}", allowed=SOURCE_KEYS)
        if not SNAKE_ID.fullmatch(key):
            raise entry.fail("source keys are lower_snake_case")
        sources.append(
            Source(
                key=key,
                citation=entry.text("citation"),
                version=entry.text("version", required=False),
                url=entry.text("url", required=False),
                note=entry.text("note", required=False),
            )
        )
    return sources


FEATURE_KEYS = {
    "name",
    "type",
    "unit",
    "meaning_en",
    "label_en",
    "label_zh",
    "minimum",
    "maximum",
}


def parse_features(document: dict[str, Any], *, path: str) -> list[Feature]:
    """Read ``[[feature]]`` tables.

    Raises:
        InvalidOntologyData: a table is malformed.
    """
    file = Entry(document, path=path, entry="file", allowed={"feature"})
    features = []
    for index, raw in enumerate(file.tables("feature")):
        entry = Entry(
            raw,
            path=path,
            entry=_label(raw, "name", "feature", index),
            allowed=FEATURE_KEYS,
        )
        name = entry.text("name")
        if not FEATURE_NAME.fullmatch(name):
            raise entry.fail(f"name {name!r} must look like 'group.name'")
        feature_type = entry.choice("type", FeatureType)
        features.append(
            Feature(
                name=name,
                type=feature_type,
                unit=entry.text("unit", required=False),
                meaning_en=entry.text("meaning_en"),
                label_en=entry.text("label_en"),
                label_zh=entry.text("label_zh"),
                minimum=entry.number("minimum"),
                maximum=entry.number("maximum"),
            )
        )
    return features


REGION_KEYS = {
    "id",
    "name_en",
    "name_zh",
    "synonyms_en",
    "synonyms_zh",
    "side",
    "kind",
    "level",
    "radlex",
    "approximate",
    "note_en",
    "note_zh",
}
TERM_KEYS = {"id", "name_en", "name_zh", "synonyms_en", "synonyms_zh", "pattern"}
PATTERN_KEYS = {"side", "kind", "level"}


def _radlex(entry: Entry, key: str) -> str:
    value = entry.text(key, required=False)
    if value and not RADLEX_ID.fullmatch(value):
        raise entry.fail(f"{key} {value!r} must look like 'RID1234' (or be left out)")
    return value


def parse_region(raw: object, *, path: str, index: int) -> AnatomyTerm:
    """Read one ``[[region]]`` table of anatomy.toml.

    Raises:
        InvalidOntologyData: the table is malformed.
    """
    entry = Entry(
        raw, path=path, entry=_label(raw, "id", "region", index), allowed=REGION_KEYS
    )
    region_id = entry.text("id")
    if not SNAKE_ID.fullmatch(region_id):
        raise entry.fail(f"id {region_id!r} must be lower_snake_case")
    name_en, name_zh = entry.text("name_en"), entry.text("name_zh")
    _check_names(entry, name_en, name_zh)
    side = entry.choice("side", Side)
    kind = entry.choice("kind", RegionKind)
    approximate = entry.flag("approximate")
    note_en = entry.text("note_en", required=False)
    if kind is RegionKind.LOBE and not (approximate and note_en):
        # A PA film shows lobes only by projection; the UI must never assert one.
        raise entry.fail(
            "lobes need approximate = true and a note_en saying how to confirm "
            "(projected on a PA film; confirm on a lateral film or CT)"
        )
    return AnatomyTerm(
        id=AnatomyId(region_id),
        name_en=name_en,
        name_zh=name_zh,
        synonyms_en=entry.texts("synonyms_en"),
        synonyms_zh=entry.texts("synonyms_zh"),
        side=side,
        kind=kind,
        level=entry.text("level", required=False),
        radlex=_radlex(entry, "radlex"),
        approximate=approximate,
        note_en=note_en,
        note_zh=entry.text("note_zh", required=False),
    )


def parse_term(raw: object, *, path: str, index: int) -> GenericTerm:
    """Read one ``[[term]]`` table (a side-less region word) of anatomy.toml.

    Raises:
        InvalidOntologyData: the table is malformed.
    """
    entry = Entry(
        raw, path=path, entry=_label(raw, "id", "term", index), allowed=TERM_KEYS
    )
    name_en, name_zh = entry.text("name_en"), entry.text("name_zh")
    _check_names(entry, name_en, name_zh)
    pattern = Entry(
        entry.data.get("pattern"),
        path=path,
        entry=f"{entry.entry} pattern",
        allowed=PATTERN_KEYS,
    )
    side_text = pattern.text("side")
    kind = pattern.choice("kind", RegionKind)
    side = None if side_text == "any" else pattern.choice("side", Side)
    return GenericTerm(
        id=entry.text("id"),
        name_en=name_en,
        name_zh=name_zh,
        synonyms_en=entry.texts("synonyms_en"),
        synonyms_zh=entry.texts("synonyms_zh"),
        pattern=RegionPattern(
            side=side, kind=kind, level=pattern.text("level", required=False)
        ),
    )


def parse_anatomy(
    document: dict[str, Any], *, path: str
) -> tuple[list[AnatomyTerm], list[GenericTerm]]:
    """Read anatomy.toml: ``[[region]]`` and ``[[term]]`` tables.

    Raises:
        InvalidOntologyData: a table is malformed.
    """
    file = Entry(document, path=path, entry="file", allowed={"region", "term"})
    regions = [
        parse_region(raw, path=path, index=i)
        for i, raw in enumerate(file.tables("region"))
    ]
    terms = [
        parse_term(raw, path=path, index=i) for i, raw in enumerate(file.tables("term"))
    ]
    return regions, terms


RULE_KEYS = {
    "feature",
    "op",
    "value",
    "basis",
    "requires",
    "not_valid_en",
    "not_valid_zh",
}


def parse_rule(raw: object, *, path: str, entry_name: str) -> Rule:
    """Read a sign's ``rule`` table (and its ``requires`` conditions).

    Raises:
        InvalidOntologyData: the table is malformed.
    """
    entry = Entry(raw, path=path, entry=entry_name, allowed=RULE_KEYS)
    value = entry.data.get("value")
    if not isinstance(value, bool | int | float | str):
        raise entry.fail(f"value must be a boolean, number or string, got {value!r}")
    op = entry.choice("op", Op)
    requires = tuple(
        parse_rule(r, path=path, entry_name=f"{entry_name} requires[{i}]")
        for i, r in enumerate(entry.tables("requires"))
    )
    not_valid_en = entry.text("not_valid_en", required=False)
    not_valid_zh = entry.text("not_valid_zh", required=False)
    if requires and not (not_valid_en and not_valid_zh):
        raise entry.fail(
            "a rule with requires needs not_valid_en and not_valid_zh saying why the "
            "sign cannot be judged when a requirement fails"
        )
    try:
        return Rule(
            feature=entry.text("feature"),
            op=op,
            value=value,
            basis=entry.text("basis", required=False),
            requires=requires,
            not_valid_en=not_valid_en,
            not_valid_zh=not_valid_zh,
        )
    except ValueError as exc:
        raise entry.fail(str(exc)) from None


SIGN_KEYS = {
    "code",
    "name_en",
    "name_zh",
    "synonyms_en",
    "synonyms_zh",
    "radlex",
    "radlex_related",
    "oidm_fid",
    "fleischner",
    "cxr_assessable",
    "visual_pattern_en",
    "visual_pattern_zh",
    "typical_locations",
    "no_typical_location",
    "clinical_meaning_en",
    "clinical_meaning_zh",
    "actionability",
    "rule",
    "sources",
    "review_note",
}
CATEGORY_KEYS = {"id", "name_en", "name_zh"}


def parse_sign(raw: object, *, path: str, index: int, category: Category) -> Sign:
    """Read one ``[[sign]]`` table.

    Raises:
        InvalidOntologyData: the table is malformed.
    """
    entry = Entry(
        raw, path=path, entry=_label(raw, "code", "sign", index), allowed=SIGN_KEYS
    )
    code = entry.text("code")
    if not SIGN_CODE.fullmatch(code) or code[0] != category.id:
        raise entry.fail(
            f"code {code!r} must be the category letter {category.id!r} and two "
            "digits, e.g. 'A14'"
        )
    name_en, name_zh = entry.text("name_en"), entry.text("name_zh")
    _check_names(entry, name_en, name_zh)
    related = entry.texts("radlex_related")
    for rid in related:
        if not RADLEX_ID.fullmatch(rid):
            raise entry.fail(f"radlex_related {rid!r} must look like 'RID1234'")
    fid = entry.text("oidm_fid", required=False)
    if fid and not OIDM_FID.fullmatch(fid):
        raise entry.fail(f"oidm_fid {fid!r} must look like 'FID0490'")
    fleischner = entry.choice("fleischner", FleischnerStatus)
    assessable = entry.choice("cxr_assessable", Assessability)
    locations = tuple(AnatomyId(a) for a in entry.texts("typical_locations"))
    no_location = entry.optional_choice("no_typical_location", NoLocationReason)
    if locations and no_location is not None:
        raise entry.fail(
            "typical_locations and no_typical_location contradict each other; "
            "keep the places or the reason, not both"
        )
    raw_rule = entry.data.get("rule")
    rule = (
        None
        if raw_rule is None
        else parse_rule(raw_rule, path=path, entry_name=f"{entry.entry} rule")
    )
    return Sign(
        code=SignCode(code),
        name_en=name_en,
        name_zh=name_zh,
        synonyms_en=entry.texts("synonyms_en"),
        synonyms_zh=entry.texts("synonyms_zh"),
        category=category,
        radlex=_radlex(entry, "radlex"),
        radlex_related=related,
        oidm_fid=fid,
        fleischner=fleischner,
        cxr_assessable=assessable,
        visual_pattern_en=entry.text("visual_pattern_en"),
        visual_pattern_zh=entry.text("visual_pattern_zh"),
        typical_locations=locations,
        no_typical_location=no_location,
        clinical_meaning_en=entry.text("clinical_meaning_en"),
        clinical_meaning_zh=entry.text("clinical_meaning_zh"),
        actionability=entry.optional_choice("actionability", Actionability),
        rule=rule,
        sources=entry.texts("sources", required=True),
        review_note=entry.text("review_note", required=False),
    )


def parse_sign_file(
    document: dict[str, Any], *, path: str
) -> tuple[Category, list[Sign]]:
    """Read a signs file: one ``[category]`` table and its ``[[sign]]`` tables.

    Raises:
        InvalidOntologyData: a table is malformed.
    """
    file = Entry(document, path=path, entry="file", allowed={"category", "sign"})
    cat = Entry(
        file.data.get("category"), path=path, entry="[category]", allowed=CATEGORY_KEYS
    )
    category_id = cat.text("id")
    if not re.fullmatch(r"[A-I]", category_id):
        raise cat.fail(f"id {category_id!r} must be one letter A..I")
    name_en, name_zh = cat.text("name_en"), cat.text("name_zh")
    _check_names(cat, name_en, name_zh)
    category = Category(id=category_id, name_en=name_en, name_zh=name_zh)
    signs = [
        parse_sign(raw, path=path, index=i, category=category)
        for i, raw in enumerate(file.tables("sign"))
    ]
    if not signs:
        raise file.fail("a signs file needs at least one [[sign]]")
    return category, signs


PROFILE_KEYS = {
    "id",
    "version",
    "name_en",
    "name_zh",
    "synonyms_en",
    "synonyms_zh",
    "sources",
    "limitations_en",
    "limitations_zh",
    "next_step_en",
    "next_step_zh",
    "item",
}
ITEM_KEYS = {"sign", "group", "note_en", "note_zh"}


def parse_profile(document: dict[str, Any], *, path: str) -> Profile:
    """Read a profile file.

    Raises:
        InvalidOntologyData: the file is malformed.
    """
    entry = Entry(
        document,
        path=path,
        entry=_label(document, "id", "profile", 0),
        allowed=PROFILE_KEYS,
    )
    profile_id = entry.text("id")
    if not SNAKE_ID.fullmatch(profile_id):
        raise entry.fail(f"id {profile_id!r} must be lower_snake_case")
    version = entry.text("version")
    if not SEMVER.fullmatch(version):
        raise entry.fail(
            f"version {version!r} must be semantic, e.g. '1.0.0'; bump it whenever "
            "items change, because stored scorecards cite it"
        )
    name_en, name_zh = entry.text("name_en"), entry.text("name_zh")
    _check_names(entry, name_en, name_zh)
    items = []
    for index, raw in enumerate(entry.tables("item")):
        item = Entry(
            raw,
            path=path,
            entry=f"profile {profile_id} {_label(raw, 'sign', 'item', index)}",
            allowed=ITEM_KEYS,
        )
        group = item.choice("group", ItemGroup)
        items.append(
            ProfileItem(
                sign_code=SignCode(item.text("sign")),
                group=group,
                note_en=item.text("note_en", required=False),
                note_zh=item.text("note_zh", required=False),
            )
        )
    if not items:
        raise entry.fail("a profile needs at least one [[item]]")
    codes = [i.sign_code for i in items]
    repeated = sorted({c for c in codes if codes.count(c) > 1})
    if repeated:
        raise entry.fail(f"item(s) {', '.join(repeated)} listed twice; list each once")
    return Profile(
        id=ProfileId(profile_id),
        version=version,
        name_en=name_en,
        name_zh=name_zh,
        synonyms_en=entry.texts("synonyms_en"),
        synonyms_zh=entry.texts("synonyms_zh"),
        sources=entry.texts("sources", required=True),
        limitations_en=entry.text("limitations_en"),
        limitations_zh=entry.text("limitations_zh"),
        next_step_en=entry.text("next_step_en", required=False),
        next_step_zh=entry.text("next_step_zh", required=False),
        items=tuple(items),
    )
