"""The bundled data itself: coverage of the inventory, completeness and consistency."""

import re
import tomllib
from collections import Counter

import pytest

from ontology import (
    Assessability,
    FeatureType,
    FleischnerStatus,
    ItemGroup,
    NoLocationReason,
    RegionKind,
    Vocabulary,
)
from ontology.matching import fold

from .conftest import BUNDLED_DATA

# Entries per category in the 270-entry inventory (research notes, section 3.4).
INVENTORY = {
    "A": 60,
    "B": 63,
    "C": 15,
    "D": 23,
    "E": 29,
    "F": 22,
    "G": 27,
    "H": 22,
    "I": 9,
}
INVENTORY_CODES = [
    f"{cat}{n:02d}" for cat, count in INVENTORY.items() for n in range(1, count + 1)
]

# Copied from docs/architecture.md, "Anatomy region ids".
ARCHITECTURE_REGION_IDS = [
    "right_lung",
    "left_lung",
    "right_upper_zone",
    "right_middle_zone",
    "right_lower_zone",
    "left_upper_zone",
    "left_middle_zone",
    "left_lower_zone",
    "right_inner_band",
    "right_middle_band",
    "right_outer_band",
    "left_inner_band",
    "left_middle_band",
    "left_outer_band",
    "right_hilum",
    "left_hilum",
    "heart",
    "mediastinum",
    "retrocardiac",
    "right_apex",
    "left_apex",
    "right_subclavicular",
    "left_subclavicular",
    "right_costophrenic_angle",
    "left_costophrenic_angle",
    "right_cardiophrenic_angle",
    "left_cardiophrenic_angle",
    "right_hemidiaphragm",
    "left_hemidiaphragm",
    "right_upper_lobe",
    "right_middle_lobe",
    "right_lower_lobe",
    "left_upper_lobe",
    "lingula",
    "left_lower_lobe",
    "right_clavicle",
    "left_clavicle",
]

# The feature catalogue the engine and the rules agree on (the ontology issue's list).
EXPECTED_FEATURES = {
    "focal.present": FeatureType.BOOL,
    "focal.count": FeatureType.INT,
    "focal.diameter_mm": FeatureType.FLOAT,
    "focal.short_axis_mm": FeatureType.FLOAT,
    "focal.lobulation_notches": FeatureType.INT,
    "focal.spicule_count": FeatureType.INT,
    "focal.spicule_max_mm": FeatureType.FLOAT,
    "focal.margin_sharpness": FeatureType.FLOAT,
    "focal.ill_defined": FeatureType.BOOL,
    "focal.density_homogeneity": FeatureType.FLOAT,
    "focal.calcification_likelihood": FeatureType.FLOAT,
    "focal.central_lucency": FeatureType.FLOAT,
    "focal.pleural_contact": FeatureType.BOOL,
    "focal.upper_zone": FeatureType.BOOL,
    "focal.upper_lobe": FeatureType.BOOL,
    "focal.diameter_mm_low": FeatureType.FLOAT,
    "focal.diameter_mm_high": FeatureType.FLOAT,
    "focal.hilum_connected": FeatureType.BOOL,
    "focal.satellite_count": FeatureType.INT,
    "opacity.consolidation_present": FeatureType.BOOL,
    "opacity.consolidation_fraction": FeatureType.FLOAT,
    "opacity.bilateral": FeatureType.BOOL,
    "opacity.perihilar": FeatureType.BOOL,
    "opacity.upper_zone": FeatureType.BOOL,
    "opacity.lower_zone": FeatureType.BOOL,
    "opacity.linear_present": FeatureType.BOOL,
    "opacity.reticular_present": FeatureType.BOOL,
    "heart.ctr": FeatureType.FLOAT,
    "pleura.cpa_blunted_right": FeatureType.BOOL,
    "pleura.cpa_blunted_left": FeatureType.BOOL,
    "pleura.cpa_blunted_any": FeatureType.BOOL,
    "hilum.enlarged": FeatureType.BOOL,
    "mediastinum.width_ratio": FeatureType.FLOAT,
    "pneumothorax.suspected": FeatureType.BOOL,
    "view.frontal_pa": FeatureType.BOOL,
}
UNIT_FEATURES = {
    "focal.margin_sharpness",
    "focal.density_homogeneity",
    "focal.calcification_likelihood",
    "focal.central_lucency",
    "opacity.consolidation_fraction",
}

PROFILE_IDS = {
    "early_lung_cancer",
    "pneumonia",
    "pneumothorax",
    "pleural_effusion",
    "heart_failure",
    "tuberculosis",
}
CJK = re.compile(r"[\u3400-\u9fff]")


def test_every_shipped_sign_loads(vocabulary: Vocabulary) -> None:
    # Exactly the inventory plus the three marked extensions: the loader drops nothing,
    # and the product's promise of 217 or more signs holds.
    assert set(vocabulary.signs) == {*INVENTORY_CODES, "A61", "B64", "I10"}
    assert len(vocabulary.signs) >= 217


def test_every_inventory_code_is_present(vocabulary: Vocabulary) -> None:
    missing = [code for code in INVENTORY_CODES if code not in vocabulary.signs]
    assert missing == []


def test_codes_outside_the_inventory_are_marked_as_extensions(
    vocabulary: Vocabulary,
) -> None:
    extras = [s for code, s in vocabulary.signs.items() if code not in INVENTORY_CODES]
    assert {s.code for s in extras} == {"A61", "B64", "I10"}
    for sign in extras:
        assert "extension" in sign.review_note.lower(), sign.code


def test_codes_are_unique_across_the_raw_files() -> None:
    # Read the TOML directly, so a duplicate cannot hide behind a dict in the loader.
    codes = [
        sign["code"]
        for path in sorted((BUNDLED_DATA / "signs").glob("*.toml"))
        for sign in tomllib.loads(path.read_text(encoding="utf-8"))["sign"]
    ]
    assert [c for c, n in Counter(codes).items() if n > 1] == []
    assert set(codes) == {*INVENTORY_CODES, "A61", "B64", "I10"}


def test_every_sign_is_complete(vocabulary: Vocabulary) -> None:
    for sign in vocabulary.signs.values():
        assert sign.name_en and not CJK.search(sign.name_en), sign.code
        assert CJK.search(sign.name_zh), sign.code
        assert sign.category.id == sign.code[0], sign.code
        assert sign.category.name_en and CJK.search(sign.category.name_zh), sign.code
        assert isinstance(sign.cxr_assessable, Assessability), sign.code
        assert sign.sources, sign.code
        assert "zh_textbook" in sign.sources, (
            f"{sign.code}: Chinese text must cite zh_textbook"
        )
        assert sign.visual_pattern_en and CJK.search(sign.visual_pattern_zh), sign.code
        assert sign.clinical_meaning_en and CJK.search(sign.clinical_meaning_zh), (
            sign.code
        )


def test_radlex_ids_look_like_rids(vocabulary: Vocabulary) -> None:
    for sign in vocabulary.signs.values():
        for rid in (sign.radlex, *sign.radlex_related):
            assert rid == "" or re.fullmatch(r"RID\d+", rid), (sign.code, rid)
    for region in vocabulary.anatomy.values():
        assert region.radlex == "" or re.fullmatch(r"RID\d+", region.radlex), region.id


@pytest.mark.parametrize(
    ("code", "radlex", "related"),
    [
        ("A14", "RID5713", ()),  # exact in the inventory
        ("A01", "RID3875", ("RID50149",)),
        (
            "A11",
            "",
            ("RID5710",),
        ),  # the inventory gives it in parentheses: closest only
        ("B04", "", ("RID5704",)),
        ("E06", "", ("RID5791", "RID34566")),  # post-coordinated
        ("A03", "", ()),  # "—" in the inventory: no id invented
    ],
)
def test_exact_and_closest_radlex_ids_are_kept_apart(
    vocabulary: Vocabulary, code: str, radlex: str, related: tuple[str, ...]
) -> None:
    sign = vocabulary.get_sign(code)
    assert (sign.radlex, sign.radlex_related) == (radlex, related)


def test_signs_that_cite_radlex_or_oidm_list_those_sources(
    vocabulary: Vocabulary,
) -> None:
    for sign in vocabulary.signs.values():
        if sign.radlex or sign.radlex_related:
            assert "radlex2017" in sign.sources, sign.code
        if sign.oidm_fid:
            assert "oidm_cxr_findings" in sign.sources, sign.code
        if sign.rule is not None:
            assert "casebook_rule" in sign.sources or sign.rule.basis, sign.code


def test_rule_features_exist_in_the_catalogue(vocabulary: Vocabulary) -> None:
    for sign in vocabulary.signs.values():
        if sign.rule is None:
            continue
        for rule in (sign.rule, *sign.rule.requires):
            assert rule.feature in vocabulary.features, (sign.code, rule.feature)
        assert sign.rule.basis, (
            f"{sign.code}: a rule must say what its threshold rests on"
        )


@pytest.mark.parametrize(
    ("code", "description"),
    [
        ("A01", "focal.diameter_mm <= 30"),
        ("A02", "focal.diameter_mm > 30"),
        ("A12", "focal.lobulation_notches >= 2"),
        ("A14", "focal.spicule_count >= 1"),
        ("A24", "focal.central_lucency >= 0.5"),
        ("A41", "focal.calcification_likelihood < 0.5"),
        ("A51", "focal.upper_lobe == true"),
        ("A61", "focal.diameter_mm >= 20"),
        ("F01", "heart.ctr > 0.5"),
    ],
)
def test_key_rules_use_the_published_thresholds(
    vocabulary: Vocabulary, code: str, description: str
) -> None:
    rule = vocabulary.get_sign(code).rule
    assert rule is not None
    assert rule.describe() == description


def test_cardiothoracic_ratio_requires_a_pa_film(vocabulary: Vocabulary) -> None:
    rule = vocabulary.get_sign("F01").rule
    assert rule is not None
    assert [r.describe() for r in rule.requires] == ["view.frontal_pa == true"]


def test_feature_catalogue_is_the_agreed_list(vocabulary: Vocabulary) -> None:
    assert {
        name: f.type for name, f in vocabulary.features.items()
    } == EXPECTED_FEATURES
    for name in UNIT_FEATURES:
        feature = vocabulary.features[name]
        assert (feature.minimum, feature.maximum) == (0, 1), name
    assert all(f.meaning_en for f in vocabulary.features.values())
    # Scorecard reasons name features in the reader's words, in both languages.
    assert all(
        f.label_en and CJK.search(f.label_zh) for f in vocabulary.features.values()
    )


def test_every_architecture_region_is_in_the_vocabulary(vocabulary: Vocabulary) -> None:
    assert set(ARCHITECTURE_REGION_IDS) == set(vocabulary.anatomy)


def test_regions_are_bilingual_and_lobes_are_approximate(
    vocabulary: Vocabulary,
) -> None:
    for region in vocabulary.anatomy.values():
        assert region.name_en and CJK.search(region.name_zh), region.id
        if region.kind is RegionKind.LOBE:
            assert region.approximate, region.id
            assert "confirm on a lateral film or CT" in region.note_en, region.id
        else:
            assert not region.approximate, region.id


def test_typical_locations_are_known_regions(vocabulary: Vocabulary) -> None:
    for sign in vocabulary.signs.values():
        assert set(sign.typical_locations) <= set(vocabulary.anatomy), sign.code


def test_every_sign_has_typical_locations_or_says_why_not(
    vocabulary: Vocabulary,
) -> None:
    silent = [
        code
        for code, sign in vocabulary.signs.items()
        if not sign.typical_locations and sign.no_typical_location is None
    ]
    assert silent == [], "give typical_locations or no_typical_location"
    for sign in vocabulary.signs.values():
        assert not (sign.typical_locations and sign.no_typical_location), sign.code


def _codes(first: str, last: str) -> list[str]:
    return [f"{first[0]}{n:02d}" for n in range(int(first[1:]), int(last[1:]) + 1)]


CPA = {"right_costophrenic_angle", "left_costophrenic_angle"}
HILA = {"right_hilum", "left_hilum"}
APICES = {"right_apex", "left_apex"}
HEMIDIAPHRAGMS = {"right_hemidiaphragm", "left_hemidiaphragm"}


@pytest.mark.parametrize(
    ("codes", "places"),
    [
        # pleural fluid collects in the costophrenic angles on an erect film
        (["D01", "D02", "D03", "D10"], CPA),
        (["D17", "A49", "A50"], APICES),
        (["E06", "E07", "E08", "E10", "E11", "E12"], HILA),
        (["E09"], {"mediastinum"}),
        (_codes("E01", "E05"), {"mediastinum"}),
        (["B53", "E27"], {"retrocardiac"}),
        (_codes("F01", "F16"), {"heart"}),
        (_codes("G22", "G27"), HEMIDIAPHRAGMS),
        (["G03"], {"right_clavicle", "left_clavicle"}),
        # Kerley A lines run from the hila; C lines lie in the lower zones
        (["B17"], HILA),
        (["B19"], {"right_lower_zone", "left_lower_zone"}),
        # the silhouette sign is lost along the heart, aorta and hemidiaphragm borders
        (["B09"], {"heart", "mediastinum", *HEMIDIAPHRAGMS}),
        (["I05"], APICES | CPA),
        (["B55", "D07"], {"right_lung", "left_lung"}),
    ],
)
def test_signs_with_a_predilection_name_its_regions(
    vocabulary: Vocabulary, codes: list[str], places: set[str]
) -> None:
    for code in codes:
        assert places <= set(vocabulary.get_sign(code).typical_locations), code


@pytest.mark.parametrize(
    ("reason", "codes"),
    [
        (NoLocationReason.DISTRIBUTION, {"B60", "B61", "B62", "B63"}),
        # technique: everything of category I except clipped apices/CP angles and skin fold
        (NoLocationReason.WHOLE_FILM, set(_codes("I01", "I09")) - {"I05"}),
    ],
)
def test_reasons_for_no_location_fit_their_signs(
    vocabulary: Vocabulary, reason: NoLocationReason, codes: set[str]
) -> None:
    assert {
        c for c, s in vocabulary.signs.items() if s.no_typical_location is reason
    } == codes


def test_bones_outside_the_anatomy_map_say_so(vocabulary: Vocabulary) -> None:
    # ribs, spine, shoulder, chest wall: the anatomy map has only the clavicles
    for code in ["G01", "G02", "G04", "G07", "G08", "G11", "G16", "G17"]:
        assert (
            vocabulary.get_sign(code).no_typical_location
            is NoLocationReason.OUTSIDE_ANATOMY_MAP
        ), code


def test_names_are_unique_and_synonyms_do_not_repeat_them(
    vocabulary: Vocabulary,
) -> None:
    for attr in ("name_en", "name_zh"):
        names = Counter(fold(getattr(s, attr)) for s in vocabulary.signs.values())
        assert [n for n, count in names.items() if count > 1] == [], attr
    all_names = {
        fold(n) for s in vocabulary.signs.values() for n in (s.name_en, s.name_zh)
    }
    for sign in vocabulary.signs.values():
        own = {fold(sign.name_en), fold(sign.name_zh)}
        for synonym in (*sign.synonyms_en, *sign.synonyms_zh):
            assert fold(synonym) not in own, (sign.code, synonym)
            # A synonym equal to another sign's name would make the two ambiguous.
            assert fold(synonym) not in all_names, (sign.code, synonym)


# Signs whose Chinese name is the only textbook term; each says so in review_note.
NO_CHINESE_SYNONYM = {"A58": "颈胸征", "A59": "不完全边界征"}


def test_every_sign_has_a_chinese_synonym_unless_none_exists(
    vocabulary: Vocabulary,
) -> None:
    missing = {c for c, s in vocabulary.signs.items() if not s.synonyms_zh}
    assert missing == set(NO_CHINESE_SYNONYM)
    for code, only_term in NO_CHINESE_SYNONYM.items():
        note = vocabulary.get_sign(code).review_note
        assert "No Chinese synonym" in note and only_term in note, code


@pytest.mark.parametrize(
    ("question", "code"),
    [("两肺可见克氏B线吗？", "B18"), ("克氏A线", "B17"), ("有克氏C线吗", "B19")],
)
def test_kerley_lines_are_found_by_their_chinese_name(
    vocabulary: Vocabulary, question: str, code: str
) -> None:
    assert [s.code for s in vocabulary.match_sign_in_text(question)] == [code]


def test_deprecated_signs_name_a_current_preferred_sign(vocabulary: Vocabulary) -> None:
    deprecated = [
        s
        for s in vocabulary.signs.values()
        if s.fleischner is FleischnerStatus.DEPRECATED
    ]
    assert "B64" in {s.code for s in deprecated}
    for sign in deprecated:
        assert "fleischner2008" in sign.sources or "fleischner2024" in sign.sources
        preferred = set(re.findall(r"\b[A-I]\d{2}\b", sign.review_note)) - {sign.code}
        assert preferred, f"{sign.code}: review_note must name the preferred sign"
        for code in preferred:
            assert vocabulary.get_sign(code).fleischner is FleischnerStatus.CURRENT, (
                code
            )


def test_infiltrate_is_the_deprecated_sign_pointing_to_opacity_and_consolidation(
    vocabulary: Vocabulary,
) -> None:
    sign = vocabulary.get_sign("B64")
    assert sign.name_en == "Infiltrate" and sign.name_zh == "浸润影"
    assert {"B01", "B02"} <= set(re.findall(r"[A-I]\d{2}", sign.review_note))
    assert "(B01)" in sign.clinical_meaning_en and "(B02)" in sign.clinical_meaning_en
    assert "(B01)" in sign.clinical_meaning_zh and "(B02)" in sign.clinical_meaning_zh


@pytest.mark.parametrize(
    ("question", "codes"),
    [
        ("Is there an infiltrate?", ["B64"]),
        ("bilateral infiltrates?", ["B64"]),
        ("有浸润影吗？", ["B64"]),
        ("右下肺炎性浸润？", ["B64"]),
        # invasive adenocarcinoma (浸润性腺癌) is a pathology term, not an infiltrate
        ("这是浸润性腺癌吗？", []),
        ("Is there an opacity?", ["B01"]),
    ],
)
def test_infiltrate_questions_find_the_deprecated_term(
    vocabulary: Vocabulary, question: str, codes: list[str]
) -> None:
    assert [s.code for s in vocabulary.match_sign_in_text(question)] == codes


@pytest.mark.parametrize(
    ("text", "region"),
    [
        ("right collarbone", "right_clavicle"),
        ("left collar bone", "left_clavicle"),
        ("fracture of the right clavicle", "right_clavicle"),
        ("left clavicular", "left_clavicle"),
    ],
)
def test_clavicles_have_english_synonyms(
    vocabulary: Vocabulary, text: str, region: str
) -> None:
    assert [m.region_id for m in vocabulary.find_anatomy_in_text(text)] == [region]


def test_every_region_has_english_and_chinese_synonyms(vocabulary: Vocabulary) -> None:
    for region in vocabulary.anatomy.values():
        assert region.synonyms_en and region.synonyms_zh, region.id


def test_all_six_profiles_exist(vocabulary: Vocabulary) -> None:
    assert set(vocabulary.profiles) == PROFILE_IDS


@pytest.mark.parametrize("profile_id", sorted(PROFILE_IDS))
def test_profiles_are_complete(vocabulary: Vocabulary, profile_id: str) -> None:
    profile = vocabulary.get_profile(profile_id)
    assert re.fullmatch(r"\d+\.\d+\.\d+", profile.version)
    assert CJK.search(profile.name_zh) and profile.name_en
    assert profile.limitations_en and CJK.search(profile.limitations_zh)
    assert profile.sources and profile.synonyms_en and profile.synonyms_zh
    assert any(item.group is ItemGroup.CORE for item in profile.items)
    for item in profile.items:
        vocabulary.get_sign(item.sign_code)


def test_early_lung_cancer_follows_the_proposed_profile(vocabulary: Vocabulary) -> None:
    profile = vocabulary.get_profile("early_lung_cancer")
    groups = {
        group: [i.sign_code for i in profile.items if i.group is group]
        for group in ItemGroup
    }
    # spiculation, lobulation, no benign calcification, upper zone, diameter >= 20 mm
    assert groups[ItemGroup.CORE] == ["A14", "A12", "A41", "A51", "A61"]
    assert groups[ItemGroup.SUPPORTING] == ["A18", "A19", "E06"]
    # vacuole, air bronchogram in the nodule, vascular convergence
    assert groups[ItemGroup.CT_PENDING] == ["A23", "A22", "A20"]
    assert "CT" in profile.limitations_en and "cannot exclude" in profile.limitations_en


def test_ct_pending_items_are_not_fully_assessable_on_a_radiograph(
    vocabulary: Vocabulary,
) -> None:
    for profile in vocabulary.profiles.values():
        for item in profile.items:
            if item.group is ItemGroup.CT_PENDING:
                sign = vocabulary.get_sign(item.sign_code)
                assert sign.cxr_assessable is not Assessability.YES, (
                    profile.id,
                    sign.code,
                )


def test_every_source_is_cited_and_documented(vocabulary: Vocabulary) -> None:
    cited = {k for s in vocabulary.signs.values() for k in s.sources}
    cited |= {k for p in vocabulary.profiles.values() for k in p.sources}
    assert cited == set(vocabulary.sources)
    readme = (BUNDLED_DATA / "README.md").read_text(encoding="utf-8")
    for key in vocabulary.sources:
        assert f"`{key}`" in readme, key


def test_readme_states_the_review_status() -> None:
    readme = " ".join((BUNDLED_DATA / "README.md").read_text(encoding="utf-8").split())
    assert "Chinese terms need sign-off by a Chinese radiologist" in readme
    assert "re-check against RadLex 4.3" in readme
