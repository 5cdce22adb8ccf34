"""Broken data files give errors that name the file, the entry and the fix."""

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from ontology import (
    InvalidOntologyData,
    NoLocationReason,
    OntologyError,
    load_vocabulary,
    load_vocabulary_from,
)

Edit = Callable[[Path, str, str], None]


def test_small_data_loads(small_data: Path) -> None:
    vocabulary = load_vocabulary_from(small_data)
    assert set(vocabulary.signs) == {"A01", "A02", "A03", "A04", "F01"}


def test_bundled_copy_loads(bundled_copy: Path) -> None:
    assert load_vocabulary_from(bundled_copy).signs == load_vocabulary().signs


# (file, old snippet, new snippet, expected message pattern)
SMALL_BREAKAGES = [
    pytest.param(
        "signs/a.toml",
        'typical_locations = ["right_upper_zone"]',
        'typical_locations = ["right_upper_zoen"]',
        r"signs/a\.toml: sign A01: typical_locations names 'right_upper_zoen', which is not an anatomy region",
        id="unknown location",
    ),
    pytest.param(
        "signs/a.toml",
        'typical_locations = ["right_upper_zone"]',
        'typical_locations = ["right_upper_zone"]\nno_typical_location = "anywhere"',
        r"sign A01: typical_locations and no_typical_location contradict each other",
        id="places and a reason for having none",
    ),
    pytest.param(
        "signs/a.toml",
        'code = "A02"',
        'code = "A02"\nno_typical_location = "everywhere"',
        r"sign A02: no_typical_location must be one of 'anywhere', 'varies_with_cause', "
        r"'diffuse', 'distribution', 'whole_film', 'outside_anatomy_map', got 'everywhere'",
        id="unknown reason for no location",
    ),
    pytest.param(
        "signs/a.toml",
        'feature = "focal.spicule_count"\nop = ">="\nvalue = 1',
        'feature = "focal.spikes"\nop = ">="\nvalue = 1',
        r"signs/a\.toml: sign A01 rule: tests feature 'focal\.spikes', which is not in features\.toml",
        id="unknown rule feature",
    ),
    pytest.param(
        "signs/a.toml",
        'feature = "focal.spicule_count"\nop = ">="\nvalue = 1',
        'feature = "focal.spicule_count"\nop = ">="\nvalue = 0.5',
        r"sign A01 rule: value 0\.5 does not fit feature focal\.spicule_count \(int",
        id="rule value of the wrong type",
    ),
    pytest.param(
        "signs/a.toml",
        'feature = "focal.upper_zone"\nop = "=="',
        'feature = "focal.upper_zone"\nop = ">="',
        r"sign A02 rule: .*>= needs a number, got True",
        id="ordering on a boolean",
    ),
    pytest.param(
        "signs/a.toml",
        'op = ">="\nvalue = 1',
        'op = "=>"\nvalue = 1',
        r"sign A01 rule: op must be one of '==', '!=', '<', '<=', '>', '>=', got '=>'",
        id="unknown operator",
    ),
    pytest.param(
        "signs/a.toml",
        'name_zh = "毛刺征"\n',
        "",
        r"signs/a\.toml: sign A01: missing required key 'name_zh'",
        id="missing name",
    ),
    pytest.param(
        "signs/a.toml",
        'name_zh = "毛刺征"',
        'name_zh = "spiculation"',
        r"sign A01: name_zh 'spiculation' has no Chinese characters",
        id="English in name_zh",
    ),
    pytest.param(
        "signs/a.toml",
        'visual_pattern_en = "Strands."',
        'visual_patern_en = "Strands."',
        r"sign A01: unknown key\(s\) visual_patern_en; check the spelling",
        id="typo in a key",
    ),
    pytest.param(
        "signs/a.toml",
        'code = "A04"',
        'code = "A01"',
        r"signs/a\.toml: sign A01: is defined twice \(also in .*signs/a\.toml\)",
        id="duplicate code",
    ),
    pytest.param(
        "signs/a.toml",
        'code = "A04"',
        'code = "B04"',
        r"sign B04: code 'B04' must be the category letter 'A' and two digits",
        id="code in the wrong category file",
    ),
    pytest.param(
        "signs/a.toml",
        'cxr_assessable = "limited"',
        'cxr_assessable = "partly"',
        r"sign A04: cxr_assessable must be one of 'yes', 'limited', 'ct_only', got 'partly'",
        id="unknown assessability",
    ),
    pytest.param(
        "signs/a.toml",
        'code = "A04"',
        'code = "A04"\nradlex = "5713"',
        r"sign A04: radlex '5713' must look like 'RID1234'",
        id="malformed RadLex id",
    ),
    pytest.param(
        "signs/a.toml",
        'code = "A04"',
        'code = "A04"\nradlex_related = ["RID12", "closest"]',
        r"sign A04: radlex_related 'closest' must look like 'RID1234'",
        id="malformed related RadLex id",
    ),
    pytest.param(
        "signs/a.toml",
        'clinical_meaning_zh = "可能。"\nsources = ["test"]',
        'clinical_meaning_zh = "可能。"\nsources = ["nope"]',
        r"sign A04: cites source 'nope', which sources\.toml does not define",
        id="unknown source",
    ),
    pytest.param(
        "signs/a.toml",
        'clinical_meaning_zh = "可能。"\nsources = ["test"]',
        'clinical_meaning_zh = "可能。"\nsources = []',
        r"sign A04: sources must list at least one entry",
        id="no sources",
    ),
    pytest.param(
        "signs/f.toml",
        'not_valid_en = "PA films only"\n',
        "",
        r"sign F01 rule: a rule with requires needs not_valid_en and not_valid_zh",
        id="requirement without a reason",
    ),
    pytest.param(
        "profiles/test.toml",
        'sign = "A04"',
        'sign = "A99"',
        r"profiles/test\.toml: profile test item A99: names no known sign",
        id="profile item unknown sign",
    ),
    pytest.param(
        "profiles/test.toml",
        'sign = "A04"\ngroup = "supporting"',
        'sign = "A01"\ngroup = "supporting"',
        r"profile test: item\(s\) A01 listed twice",
        id="profile item twice",
    ),
    pytest.param(
        "profiles/test.toml",
        'sign = "A03"\ngroup = "ct_pending"',
        'sign = "A03"\ngroup = "maybe"',
        r"profile test item A03: group must be one of 'core', 'supporting', 'ct_pending', 'benign_counter'",
        id="unknown group",
    ),
    pytest.param(
        "profiles/test.toml",
        'sign = "A02"\ngroup = "core"',
        'sign = "A02"\ngroup = "ct_pending"',
        r"profile test item A02: is in group ct_pending but sign A02 is assessable on a radiograph",
        id="ct_pending item assessable on a radiograph",
    ),
    pytest.param(
        "profiles/test.toml",
        'version = "1.0.0"',
        'version = "1"',
        r"profile test: version '1' must be semantic",
        id="version not semver",
    ),
    pytest.param(
        "anatomy.toml",
        'kind = "zone"\nlevel = "upper"',
        'kind = "lobe"\nlevel = "upper"',
        r"anatomy\.toml: region right_upper_zone: lobes need approximate = true",
        id="lobe not marked approximate",
    ),
    pytest.param(
        "anatomy.toml",
        'pattern = { side = "any", kind = "zone", level = "upper" }',
        'pattern = { side = "any", kind = "zone", level = "top" }',
        r"anatomy\.toml: term upper_zone: pattern kind=zone level='top' matches no region",
        id="term pattern matches nothing",
    ),
    pytest.param(
        "features.toml",
        'type = "int"',
        'type = "integer"',
        r"features\.toml: feature focal\.spicule_count: type must be one of 'bool', 'int', 'float', 'str'",
        id="unknown feature type",
    ),
]


@pytest.mark.parametrize(("relative", "old", "new", "message"), SMALL_BREAKAGES)
def test_broken_small_data_names_file_and_entry(
    small_data: Path, edit: Edit, relative: str, old: str, new: str, message: str
) -> None:
    edit(small_data / relative, old, new)
    with pytest.raises(InvalidOntologyData, match=message):
        load_vocabulary_from(small_data)


def test_a_reason_for_no_location_is_loaded(small_data: Path, edit: Edit) -> None:
    edit(
        small_data / "signs/a.toml",
        'code = "A02"',
        'code = "A02"\nno_typical_location = "whole_film"',
    )
    signs = load_vocabulary_from(small_data).signs
    assert signs["A02"].no_typical_location is NoLocationReason.WHOLE_FILM
    assert signs["A02"].typical_locations == ()
    assert signs["A01"].no_typical_location is None


def test_missing_file_is_reported(small_data: Path) -> None:
    (small_data / "anatomy.toml").unlink()
    with pytest.raises(InvalidOntologyData, match=r"anatomy\.toml: file: is missing"):
        load_vocabulary_from(small_data)


def test_error_is_an_ontology_error_and_a_value_error(
    small_data: Path, edit: Edit
) -> None:
    edit(small_data / "signs/a.toml", 'code = "A04"', 'code = "A01"')
    with pytest.raises(InvalidOntologyData) as caught:
        load_vocabulary_from(small_data)
    # Callers may catch the package base class or the builtin one.
    assert isinstance(caught.value, OntologyError)
    assert isinstance(caught.value, ValueError)
    assert caught.value.entry == "sign A01"
    assert caught.value.path.endswith("signs/a.toml")


def test_toml_syntax_error_in_the_bundled_data_names_the_file(
    bundled_copy: Path, edit: Edit
) -> None:
    edit(
        bundled_copy / "signs/b_parenchyma.toml",
        'code = "B02"',
        'code = "B02',
    )
    with pytest.raises(
        InvalidOntologyData, match=r"b_parenchyma\.toml: TOML syntax: .*line \d+"
    ):
        load_vocabulary_from(bundled_copy)


def test_typo_in_the_bundled_data_names_the_sign(
    bundled_copy: Path, edit: Edit
) -> None:
    edit(
        bundled_copy / "signs/a_nodule_mass.toml",
        'visual_pattern_en = "Fine linear strands radiate',
        'visual_patern_en = "Fine linear strands radiate',
    )
    with pytest.raises(
        InvalidOntologyData,
        match=re.escape(
            "a_nodule_mass.toml: sign A14: unknown key(s) visual_patern_en"
        ),
    ):
        load_vocabulary_from(bundled_copy)


def test_profile_item_removed_from_bundled_signs_is_reported(
    bundled_copy: Path, edit: Edit
) -> None:
    # Renaming A61 breaks the early-lung-cancer profile, which must say so.
    edit(bundled_copy / "signs/a_nodule_mass.toml", 'code = "A61"', 'code = "A62"')
    with pytest.raises(
        InvalidOntologyData,
        match=r"early_lung_cancer\.toml: profile early_lung_cancer item A61: names no known sign",
    ):
        load_vocabulary_from(bundled_copy)
