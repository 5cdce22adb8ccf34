"""The bundled sign, anatomy, feature and profile vocabulary, and lookups over it."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from types import MappingProxyType

from ontology.errors import (
    InvalidOntologyData,
    UnknownAnatomy,
    UnknownProfile,
    UnknownSign,
)
from ontology.matching import FoldedText, TermIndex, TermMatch, fold, longest_first
from ontology.model import (
    ORDER_OPS,
    AnatomyId,
    AnatomyMention,
    AnatomyTerm,
    Assessability,
    Category,
    Feature,
    FeatureType,
    GenericTerm,
    ItemGroup,
    Profile,
    ProfileId,
    RegionKind,
    Rule,
    Side,
    Sign,
    SignCode,
    Source,
)
from ontology.parsing import (
    parse_anatomy,
    parse_features,
    parse_profile,
    parse_sign_file,
    parse_sources,
    parse_toml,
)

# A side word just before a generic region word: 右 + 中野, "left" + "outer band".
_ZH_SIDE_BEFORE = re.compile(r"(右|左)侧?肺?的?\s*$")
_EN_SIDE_BEFORE = re.compile(r"(?<![a-z0-9])(right|left)(?:\s+sided)?(?:\s+lung)?\s+$")
# ... or just after it in English: "upper zone of the right lung".
_EN_SIDE_AFTER = re.compile(
    r"\s+(?:of|in)\s+the\s+(right|left)\s+(?:lung|hemithorax)(?![a-z0-9])"
)
_SIDE_WORDS = {
    "右": Side.RIGHT,
    "左": Side.LEFT,
    "right": Side.RIGHT,
    "left": Side.LEFT,
}
_LOOKBACK = 16


@dataclass(frozen=True, slots=True, kw_only=True)
class _RegionHit:
    kind: RegionKind
    level: str
    side: Side | None
    region_id: AnatomyId | None


class Vocabulary:
    """Signs, anatomy regions, the feature catalogue and scorecard profiles.

    Build it with `load_vocabulary()` (the bundled data) or `load_vocabulary_from()`;
    both validate the cross-references once, so the lookups here trust the data.
    """

    def __init__(
        self,
        *,
        signs: Iterable[Sign],
        anatomy: Iterable[AnatomyTerm],
        terms: Iterable[GenericTerm],
        features: Iterable[Feature],
        profiles: Iterable[Profile],
        sources: Iterable[Source],
    ) -> None:
        self._signs = MappingProxyType({s.code: s for s in signs})
        self._anatomy = MappingProxyType({a.id: a for a in anatomy})
        self._terms = tuple(terms)
        self._features = MappingProxyType({f.name: f for f in features})
        self._profiles = MappingProxyType({p.id: p for p in profiles})
        self._sources = MappingProxyType({s.key: s for s in sources})
        self._by_pattern = {
            (a.side, a.kind, a.level): a for a in self._anatomy.values()
        }

        self._sign_index: TermIndex[Sign] = TermIndex()
        self._search_keys: list[tuple[Sign, _SearchKeys]] = []
        for sign in self._signs.values():
            for text in dict.fromkeys((sign.code, *sign.all_names, *_ids(sign))):
                self._sign_index.add(text, sign)
            self._search_keys.append((sign, _SearchKeys.of(sign)))
        self._region_index: TermIndex[AnatomyTerm] = TermIndex()
        for region in self._anatomy.values():
            names = (region.name_en, region.name_zh)
            for text in dict.fromkeys(
                (*names, *region.synonyms_en, *region.synonyms_zh)
            ):
                self._region_index.add(text, region)
        self._term_index: TermIndex[GenericTerm] = TermIndex()
        for term in self._terms:
            names = (term.name_en, term.name_zh)
            for text in dict.fromkeys((*names, *term.synonyms_en, *term.synonyms_zh)):
                self._term_index.add(text, term)
        self._profile_index: TermIndex[Profile] = TermIndex()
        for profile in self._profiles.values():
            names = (profile.name_en, profile.name_zh)
            for text in dict.fromkeys(
                (*names, *profile.synonyms_en, *profile.synonyms_zh)
            ):
                self._profile_index.add(text, profile)

    # -- collections -------------------------------------------------------------

    @property
    def signs(self) -> Mapping[SignCode, Sign]:
        """Every sign by code, in data-file order."""
        return self._signs

    @property
    def categories(self) -> tuple[Category, ...]:
        """The sign categories in use, in order."""
        return tuple(
            sorted({s.category for s in self._signs.values()}, key=lambda c: c.id)
        )

    @property
    def anatomy(self) -> Mapping[AnatomyId, AnatomyTerm]:
        """Every anatomy region by id."""
        return self._anatomy

    @property
    def terms(self) -> tuple[GenericTerm, ...]:
        """Side-less region words (中野, "outer band") and the pattern each names."""
        return self._terms

    @property
    def features(self) -> Mapping[str, Feature]:
        """The feature catalogue by feature name."""
        return self._features

    @property
    def profiles(self) -> Mapping[ProfileId, Profile]:
        """Every scorecard profile by id."""
        return self._profiles

    @property
    def sources(self) -> Mapping[str, Source]:
        """Every cited source by key."""
        return self._sources

    # -- signs -------------------------------------------------------------------

    def find_sign(self, code: str) -> Sign | None:
        """Return the sign with a code ("A14", case-insensitive), or None."""
        return self._signs.get(SignCode(code.strip().upper()))

    def get_sign(self, code: str) -> Sign:
        """Return the sign with a code.

        Raises:
            UnknownSign: no sign has that code.
        """
        sign = self.find_sign(code)
        if sign is None:
            raise UnknownSign(
                f"no sign has code {code!r}; codes are a category letter and two "
                "digits such as 'A14' (use search() to find a sign by name)"
            )
        return sign

    def search(self, text: str, limit: int = 20) -> list[Sign]:
        """Return signs whose code, RadLex id, name or synonym matches a query.

        Matching ignores case and full-width forms and works on Chinese substrings.
        Exact name matches come first, then exact synonyms, then names that start
        with the query, then any name containing it.

        Raises:
            ValueError: ``limit`` is not positive.
        """
        if limit < 1:
            raise ValueError(f"limit must be at least 1, got {limit}")
        query = fold(text)
        if not query:
            return []
        ranked = []
        for order, (sign, keys) in enumerate(self._search_keys):
            rank = keys.rank(query)
            if rank is not None:
                ranked.append((rank, order, sign))
        ranked.sort(key=lambda r: (r[0], r[1]))
        return [sign for _, _, sign in ranked[:limit]]

    def match_sign_in_text(self, text: str) -> list[Sign]:
        """Return every sign named in a free-text question, longest match first.

        "结节内空气支气管征" names A22 only: a shorter name inside a longer one
        ("空气支气管征", "结节") is not a separate mention. The same holds across the two
        vocabularies: "cardiac silhouette" names the heart, not the silhouette sign.
        """
        folded = FoldedText.of(text)
        regions = self._region_index.find_all(folded)
        matches = longest_first(
            [
                m
                for m in self._sign_index.find_all(folded)
                if not any(
                    r.start <= m.start and m.end <= r.end and r.length > m.length
                    for r in regions
                )
            ],
            keep_ties=True,
        )
        found: dict[SignCode, Sign] = {}
        for match in matches:
            found.setdefault(match.payload.code, match.payload)
        return list(found.values())

    # -- anatomy -----------------------------------------------------------------

    def find_anatomy(self, region_id: str) -> AnatomyTerm | None:
        """Return the region with an id, or None."""
        return self._anatomy.get(AnatomyId(region_id))

    def get_anatomy(self, region_id: str) -> AnatomyTerm:
        """Return the region with an id.

        Raises:
            UnknownAnatomy: no region has that id.
        """
        region = self.find_anatomy(region_id)
        if region is None:
            raise UnknownAnatomy(
                f"no anatomy region has id {region_id!r}; the ids are listed in "
                "docs/architecture.md (e.g. 'right_middle_zone')"
            )
        return region

    def region_for(
        self, side: Side | str, kind: RegionKind | str, level: str = ""
    ) -> AnatomyTerm | None:
        """Return the region with a side, kind and level, or None if none exists."""
        return self._by_pattern.get((Side(side), RegionKind(kind), level))

    def find_anatomy_in_text(self, text: str) -> list[AnatomyMention]:
        """Return the regions a question names, longest match first.

        A side word next to a generic word is combined ("右侧" + "中野" is the right
        middle zone); a generic word alone keeps ``side=None`` unless only one region
        fits it (中叶 can only be the right middle lobe). Chinese has no spaces, so
        matching runs on characters; "右肺中叶" (lobe) and "右中肺野" (zone) stay
        distinct because the longer phrase wins.
        """
        folded = FoldedText.of(text)
        candidates: list[TermMatch[_RegionHit]] = [
            TermMatch(start=m.start, end=m.end, payload=_hit(m.payload), priority=0)
            for m in self._region_index.find_all(folded)
        ]
        for match in self._term_index.find_all(folded):
            pattern = match.payload.pattern
            fits = [
                r
                for r in self._anatomy.values()
                if r.kind is pattern.kind and r.level == pattern.level
            ]
            only = fits[0] if len(fits) == 1 else None
            candidates.append(
                TermMatch(
                    start=match.start,
                    end=match.end,
                    payload=_RegionHit(
                        kind=pattern.kind,
                        level=pattern.level,
                        side=only.side if only else pattern.side,
                        region_id=only.id if only else None,
                    ),
                    priority=2,
                )
            )
            sided = _side_beside(folded.text, match.start, match.end)
            if sided is not None:
                side, start, end = sided
                region = self._by_pattern.get((side, pattern.kind, pattern.level))
                candidates.append(
                    TermMatch(
                        start=start,
                        end=end,
                        payload=_RegionHit(
                            kind=pattern.kind,
                            level=pattern.level,
                            side=side,
                            region_id=region.id if region else None,
                        ),
                        priority=1,
                    )
                )
        mentions = []
        for m in longest_first(candidates):
            start, end = folded.span(m.start, m.end)
            mentions.append(
                AnatomyMention(
                    text=text[start:end],
                    start=start,
                    end=end,
                    kind=m.payload.kind,
                    level=m.payload.level,
                    side=m.payload.side,
                    region_id=m.payload.region_id,
                )
            )
        return mentions

    # -- profiles ----------------------------------------------------------------

    def find_profile(self, profile_id: str) -> Profile | None:
        """Return the profile with an id, or None."""
        return self._profiles.get(ProfileId(profile_id))

    def get_profile(self, profile_id: str) -> Profile:
        """Return the profile with an id.

        Raises:
            UnknownProfile: no profile has that id.
        """
        profile = self.find_profile(profile_id)
        if profile is None:
            known = ", ".join(sorted(self._profiles))
            raise UnknownProfile(
                f"no scorecard profile has id {profile_id!r}; known profiles: {known}"
            )
        return profile

    def find_profile_in_text(self, text: str) -> Profile | None:
        """Return the profile a question asks about ("如果这是早期肺癌..."), or None.

        The longest name or synonym found wins, so "early lung cancer" beats "lung".
        """
        matches = longest_first(self._profile_index.find_all(FoldedText.of(text)))
        return matches[0].payload if matches else None


def _ids(sign: Sign) -> tuple[str, ...]:
    return tuple(i for i in (sign.radlex, sign.oidm_fid) if i)


@dataclass(frozen=True, slots=True)
class _SearchKeys:
    """A sign's folded names, synonyms and ids, computed once for search()."""

    names: tuple[str, ...]
    synonyms: tuple[str, ...]
    ids: tuple[str, ...]
    related: tuple[str, ...]

    @classmethod
    def of(cls, sign: Sign) -> _SearchKeys:
        return cls(
            names=(fold(sign.name_en), fold(sign.name_zh)),
            synonyms=tuple(fold(n) for n in (*sign.synonyms_en, *sign.synonyms_zh)),
            ids=tuple(fold(i) for i in (sign.code, *_ids(sign))),
            related=tuple(fold(r) for r in sign.radlex_related),
        )

    def rank(self, query: str) -> int | None:
        """Return 0 (best) to 5 for how well a folded query matches, or None."""
        if query in self.names or query in self.ids:
            return 0
        if query in self.synonyms:
            return 1
        if any(n.startswith(query) for n in self.names):
            return 2
        if any(n.startswith(query) for n in self.synonyms):
            return 3
        if any(query in n for n in (*self.names, *self.synonyms)):
            return 4
        if query in self.related:
            return 5
        return None


def _hit(region: AnatomyTerm) -> _RegionHit:
    return _RegionHit(
        kind=region.kind, level=region.level, side=region.side, region_id=region.id
    )


def _side_beside(folded: str, start: int, end: int) -> tuple[Side, int, int] | None:
    window_start = max(0, start - _LOOKBACK)
    before = folded[window_start:start]
    for pattern in (_ZH_SIDE_BEFORE, _EN_SIDE_BEFORE):
        found = pattern.search(before)
        if found:
            return _SIDE_WORDS[found.group(1)], window_start + found.start(), end
    after = _EN_SIDE_AFTER.match(folded, end)
    if after:
        return _SIDE_WORDS[after.group(1)], start, after.end()
    return None


# -- loading -----------------------------------------------------------------------


def _read(directory: Traversable, relative: str, label: str) -> dict[str, object]:
    node = directory.joinpath(*relative.split("/"))
    path = f"{label}/{relative}"
    if not node.is_file():
        raise InvalidOntologyData(
            path, "file", "is missing; restore it from version control"
        )
    return parse_toml(node.read_text(encoding="utf-8"), path=path)


def _toml_files(directory: Traversable, folder: str) -> list[str]:
    node = directory.joinpath(folder)
    if not node.is_dir():
        return []
    return sorted(
        f"{folder}/{child.name}"
        for child in node.iterdir()
        if child.is_file() and child.name.endswith(".toml")
    )


def load_vocabulary_from(directory: Traversable | Path | str) -> Vocabulary:
    """Read and validate a data folder laid out like ``ontology/data``.

    The folder holds sources.toml, features.toml, anatomy.toml, signs/*.toml and
    profiles/*.toml.

    Raises:
        InvalidOntologyData: a file is missing or malformed, or an entry refers to
            something that does not exist. The message names the file and entry.
    """
    root: Traversable = Path(directory) if isinstance(directory, str) else directory
    label = str(root)
    sources = parse_sources(
        _read(root, "sources.toml", label), path=f"{label}/sources.toml"
    )
    features = parse_features(
        _read(root, "features.toml", label), path=f"{label}/features.toml"
    )
    regions, terms = parse_anatomy(
        _read(root, "anatomy.toml", label), path=f"{label}/anatomy.toml"
    )
    sign_files = _toml_files(root, "signs")
    if not sign_files:
        raise InvalidOntologyData(
            f"{label}/signs", "folder", "has no *.toml files; add the sign files"
        )
    signs: list[tuple[str, Sign]] = []
    for relative in sign_files:
        path = f"{label}/{relative}"
        _, file_signs = parse_sign_file(_read(root, relative, label), path=path)
        signs.extend((path, sign) for sign in file_signs)
    profiles = []
    for relative in _toml_files(root, "profiles"):
        path = f"{label}/{relative}"
        profiles.append((path, parse_profile(_read(root, relative, label), path=path)))

    _check(
        label=label,
        sources={s.key for s in sources},
        features={f.name: f for f in features},
        regions=regions,
        terms=terms,
        signs=signs,
        profiles=profiles,
    )
    return Vocabulary(
        signs=[sign for _, sign in signs],
        anatomy=regions,
        terms=terms,
        features=features,
        profiles=[profile for _, profile in profiles],
        sources=sources,
    )


@functools.cache
def load_vocabulary() -> Vocabulary:
    """Return the bundled vocabulary, read and validated once per process.

    Raises:
        InvalidOntologyData: the bundled data is broken (a packaging or editing error).
    """
    return load_vocabulary_from(files("ontology").joinpath("data"))


def _check_anatomy(
    anatomy_path: str, regions: list[AnatomyTerm], terms: list[GenericTerm]
) -> None:
    """Check that regions are unique and every generic term's pattern finds a region."""
    _check_unique(
        [(anatomy_path, r.id) for r in regions], "region", "give each region its own id"
    )
    places: dict[tuple[Side, RegionKind, str], AnatomyId] = {}
    for region in regions:
        key = (region.side, region.kind, region.level)
        if key in places:
            raise InvalidOntologyData(
                anatomy_path,
                f"region {region.id}",
                f"has the same side, kind and level as {places[key]}; give it a "
                "distinct level",
            )
        places[key] = region.id
    for term in terms:
        p = term.pattern
        if not any(r.kind is p.kind and r.level == p.level for r in regions):
            raise InvalidOntologyData(
                anatomy_path,
                f"term {term.id}",
                f"pattern kind={p.kind} level={p.level!r} matches no region; fix the "
                "pattern or add the region",
            )


def _check(
    *,
    label: str,
    sources: set[str],
    features: dict[str, Feature],
    regions: list[AnatomyTerm],
    terms: list[GenericTerm],
    signs: list[tuple[str, Sign]],
    profiles: list[tuple[str, Profile]],
) -> None:
    _check_anatomy(f"{label}/anatomy.toml", regions, terms)
    region_ids = {r.id for r in regions}

    _check_unique(
        [(path, s.code) for path, s in signs],
        "sign",
        "codes never change; give the new sign the next free code of its category",
    )
    for path, sign in signs:
        entry = f"sign {sign.code}"
        for location in sign.typical_locations:
            if location not in region_ids:
                raise InvalidOntologyData(
                    path,
                    entry,
                    f"typical_locations names {location!r}, which is not an anatomy "
                    "region; use an id from anatomy.toml",
                )
        _check_sources(path, entry, sign.sources, sources)
        if sign.rule is not None:
            for rule in (sign.rule, *sign.rule.requires):
                _check_rule(path, entry, rule, features)

    _check_unique(
        [(path, p.id) for path, p in profiles],
        "profile",
        "give each profile its own id",
    )
    by_code = {s.code: s for _, s in signs}
    for path, profile in profiles:
        _check_sources(path, f"profile {profile.id}", profile.sources, sources)
        for item in profile.items:
            entry = f"profile {profile.id} item {item.sign_code}"
            known = by_code.get(item.sign_code)
            if known is None:
                raise InvalidOntologyData(
                    path, entry, "names no known sign; use a code from signs/*.toml"
                )
            if item.group is ItemGroup.CT_PENDING and (
                known.cxr_assessable is Assessability.YES
            ):
                raise InvalidOntologyData(
                    path,
                    entry,
                    f"is in group ct_pending but sign {known.code} is assessable on a "
                    "radiograph; move it to another group or fix cxr_assessable",
                )


def _check_unique(keyed: list[tuple[str, str]], kind: str, fix: str) -> None:
    seen: dict[str, str] = {}
    for path, key in keyed:
        if key in seen:
            raise InvalidOntologyData(
                path, f"{kind} {key}", f"is defined twice (also in {seen[key]}); {fix}"
            )
        seen[key] = path


def _check_sources(
    path: str, entry: str, cited: tuple[str, ...], known: set[str]
) -> None:
    for key in cited:
        if key not in known:
            raise InvalidOntologyData(
                path,
                entry,
                f"cites source {key!r}, which sources.toml does not define; add "
                f"[source.{key}] there or fix the key",
            )


def _check_rule(
    path: str, entry: str, rule: Rule, features: dict[str, Feature]
) -> None:
    feature = features.get(rule.feature)
    if feature is None:
        raise InvalidOntologyData(
            path,
            f"{entry} rule",
            f"tests feature {rule.feature!r}, which is not in features.toml; use a "
            "catalogue feature or add one there (the engine must then observe it)",
        )
    if rule.op in ORDER_OPS and feature.type not in (
        FeatureType.INT,
        FeatureType.FLOAT,
    ):
        raise InvalidOntologyData(
            path,
            f"{entry} rule",
            f"{rule.op} needs a numeric feature but {feature.name} is {feature.type}; "
            "use == or !=",
        )
    if not feature.accepts(rule.value):
        raise InvalidOntologyData(
            path,
            f"{entry} rule",
            f"value {rule.value!r} does not fit feature {feature.name} "
            f"({feature.type}, range {feature.minimum}..{feature.maximum})",
        )
