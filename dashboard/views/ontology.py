"""Ontology: search and browse the chest radiograph signs and the scorecard profiles (中文 / English)."""

import pandas as pd
import streamlit as st

from dashboard import feedback, resources
from dashboard.components import frame
from dashboard.components.text import escape
from dashboard.state import SessionKey
from services.access import PageId

ctx = frame.open_page(PageId.ONTOLOGY)
with feedback.guard(stop=True):
    vocabulary = resources.vocabulary()
other = "zh" if ctx.lang == "en" else "en"
st.title(ctx.t("ontology.title"))
st.caption(
    ctx.t(
        "ontology.intro", signs=len(vocabulary.signs), profiles=len(vocabulary.profiles)
    )
)

# Sources every sign cites (the vocabulary's own: RadLex, the textbooks) are named once
# here; each sign lists the sources that speak to it in particular.
shared = frozenset.intersection(
    *(frozenset(sign.sources) for sign in vocabulary.signs.values())
)
if shared:
    st.caption(
        ctx.t(
            "ontology.shared_sources",
            sources="; ".join(
                vocabulary.sources[k].citation if k in vocabulary.sources else k
                for k in sorted(shared)
            ),
        )
    )

tab_signs, tab_profiles = st.tabs([ctx.t("ontology.signs"), ctx.t("ontology.profiles")])
with tab_signs:
    c1, c2 = st.columns([3, 2])
    query = c1.text_input(
        ctx.t("ontology.search"),
        placeholder=ctx.t("ontology.search_hint"),
        key=SessionKey.ONTOLOGY_SEARCH.value,
    )
    categories = {c.id: c for c in vocabulary.categories}
    category = c2.selectbox(
        ctx.t("ontology.category"),
        ["", *categories],
        key=SessionKey.ONTOLOGY_CATEGORY.value,
        format_func=lambda c: (
            ctx.t("any.any")
            if not c
            else f"{c} · {categories[c].name_zh if ctx.lang == 'zh' else categories[c].name_en}"
        ),
    )
    signs = (
        vocabulary.search(query, limit=len(vocabulary.signs))
        if query.strip()
        else list(vocabulary.signs.values())
    )
    if category:
        signs = [s for s in signs if s.category.id == category]
    table = pd.DataFrame(
        [
            {
                "code": s.code,
                "name": s.name(ctx.lang),
                "other": s.name(other),
                "category": s.category.name_zh
                if ctx.lang == "zh"
                else s.category.name_en,
                "assessable": ctx.t(f"assess.{s.cxr_assessable.value}"),
                "radlex": s.radlex,
            }
            for s in signs
        ],
        columns=["code", "name", "other", "category", "assessable", "radlex"],
    )
    st.caption(ctx.t("ontology.count", shown=len(signs), total=len(vocabulary.signs)))
    selection = st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        height=460,
        on_select="rerun",
        selection_mode="single-row",
        key=SessionKey.ONTOLOGY_TABLE.value,
        column_config={
            "code": st.column_config.TextColumn(ctx.t("col.code"), width="small"),
            "name": st.column_config.TextColumn(ctx.t("col.name")),
            "other": st.column_config.TextColumn(ctx.t("ontology.other_language")),
            "category": st.column_config.TextColumn(ctx.t("ontology.category")),
            "assessable": st.column_config.TextColumn(ctx.t("ontology.assessable")),
            "radlex": st.column_config.TextColumn("RadLex", width="small"),
        },
    )
    rows = selection.selection.rows if selection is not None else []
    if rows and rows[0] < len(signs):
        sign = signs[rows[0]]
        with st.container(border=True):
            st.subheader(f"{sign.code} · {sign.name(ctx.lang)} / {sign.name(other)}")
            pattern = (
                sign.visual_pattern_zh if ctx.lang == "zh" else sign.visual_pattern_en
            )
            meaning = (
                sign.clinical_meaning_zh
                if ctx.lang == "zh"
                else sign.clinical_meaning_en
            )
            st.markdown(f"**{ctx.t('ontology.pattern')}** {escape(pattern)}")
            st.markdown(f"**{ctx.t('ontology.meaning')}** {escape(meaning)}")
            synonyms = [*sign.synonyms_en, *sign.synonyms_zh]
            facts = [
                (
                    ctx.t("ontology.assessable"),
                    ctx.t(f"assess.{sign.cxr_assessable.value}"),
                ),
                (ctx.t("ontology.synonyms"), ", ".join(synonyms) or "—"),
                ("RadLex", sign.radlex or ", ".join(sign.radlex_related) or "—"),
                (
                    ctx.t("ontology.locations"),
                    ", ".join(
                        (
                            term.name(ctx.lang)
                            if (term := vocabulary.find_anatomy(a))
                            else a
                        )
                        for a in sign.typical_locations
                    )
                    or (
                        ctx.t(f"ontology.no_location.{sign.no_typical_location.value}")
                        if sign.no_typical_location
                        else "—"
                    ),
                ),
                (
                    ctx.t("ontology.rule"),
                    sign.rule.describe() if sign.rule else ctx.t("ontology.no_rule"),
                ),
                (
                    ctx.t("ontology.sources"),
                    "; ".join(
                        vocabulary.sources[k].citation if k in vocabulary.sources else k
                        for k in sign.sources
                        if k not in shared
                    )
                    or ctx.t("ontology.only_shared"),
                ),
            ]
            st.markdown("\n".join(f"- **{escape(k)}:** {escape(v)}" for k, v in facts))
            # The curators' review notes are work on the vocabulary, not for readers.
    else:
        st.caption(ctx.t("ontology.pick_hint"))

with tab_profiles:
    profiles = list(vocabulary.profiles.values())
    chosen = st.selectbox(
        ctx.t("ontology.profile"),
        [p.id for p in profiles],
        key=SessionKey.ONTOLOGY_PROFILE.value,
        format_func=lambda pid: (
            f"{vocabulary.profiles[pid].name(ctx.lang)} "
            f"({vocabulary.profiles[pid].name(other)}) · v{vocabulary.profiles[pid].version}"
        ),
    )
    profile = vocabulary.profiles[chosen]
    items = pd.DataFrame(
        [
            {
                "group": ctx.t(f"group.{item.group.value}"),
                "code": item.sign_code,
                "name": vocabulary.signs[item.sign_code].name(ctx.lang)
                if item.sign_code in vocabulary.signs
                else "",
                "assessable": ctx.t(
                    f"assess.{vocabulary.signs[item.sign_code].cxr_assessable.value}"
                )
                if item.sign_code in vocabulary.signs
                else "",
                "note": item.note_zh if ctx.lang == "zh" else item.note_en,
            }
            for item in profile.items
        ]
    )
    st.dataframe(
        items,
        hide_index=True,
        width="stretch",
        column_config={
            "group": st.column_config.TextColumn(ctx.t("col.group")),
            "code": st.column_config.TextColumn(ctx.t("col.code"), width="small"),
            "name": st.column_config.TextColumn(ctx.t("col.name")),
            "assessable": st.column_config.TextColumn(ctx.t("ontology.assessable")),
            "note": st.column_config.TextColumn(ctx.t("col.note"), width="large"),
        },
    )
    st.markdown(
        f"**{ctx.t('ontology.limitations')}** {escape(profile.limitation_text(ctx.lang))}"
    )
    st.caption(
        ctx.t("ontology.sources")
        + ": "
        + escape(
            "; ".join(
                vocabulary.sources[k].citation if k in vocabulary.sources else k
                for k in profile.sources
            )
        )
    )
