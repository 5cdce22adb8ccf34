"""Choosing a case, an image and a conversation."""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

import cases
from dashboard.components.frame import PageContext

NEW = 0
"""The conversation choice that opens a new conversation."""


def recent_cases(store: cases.CaseStore, limit: int = 200) -> list[str]:
    """The most recently active cases, for pickers."""
    page = store.list_cases(
        cases.CaseQuery(sort=cases.CaseSort.LAST_ACTIVITY, page_size=min(limit, 500))
    )
    return [item.case_id for item in page.items]


def case_picker(
    ctx: PageContext, store: cases.CaseStore, *, key: str, current: str | None = None
) -> str | None:
    """A select box of recent cases; returns the choice."""
    options = recent_cases(store)
    if current and current not in options:
        options.insert(0, current)
    if not options:
        st.info(ctx.t("cases.empty"))
        return None
    index = options.index(current) if current in options else None
    return st.selectbox(
        ctx.t("pick.case"),
        options,
        index=index,
        key=key,
        placeholder=ctx.t("pick.case_hint"),
    )


def conversation_label(ctx: PageContext, conversation: cases.Conversation) -> str:
    """One line naming a conversation: id, engine, author, time, title."""
    when = conversation.created_at.astimezone().strftime("%Y-%m-%d %H:%M")
    parts = [
        f"#{conversation.conversation_id}",
        f"{conversation.backend} {conversation.model_version}",
        conversation.created_by,
        when,
    ]
    if conversation.title:
        parts.append(conversation.title)
    return " · ".join(parts)


def resolve_conversation(
    conversations: Sequence[cases.Conversation],
    *,
    key: str,
    requested: int | None,
    allow_new: bool,
) -> int | None:
    """The conversation chosen for this run: the picker's state, else the URL's, else the newest.

    Sets the picker's state, so call it before ``conversation_picker`` draws the picker.
    """
    options = conversation_options(conversations, allow_new=allow_new)
    if not options:
        return None
    chosen = st.session_state.get(key)
    if chosen not in options:
        chosen = requested if requested in options else options[0]
        st.session_state[key] = chosen
    return int(chosen)


def conversation_options(
    conversations: Sequence[cases.Conversation], *, allow_new: bool
) -> list[int]:
    """Conversation ids, newest first, then "new" when allowed."""
    options: list[int] = [c.conversation_id for c in reversed(conversations)]
    return [*options, NEW] if allow_new else options


def conversation_picker(
    ctx: PageContext,
    conversations: Sequence[cases.Conversation],
    *,
    key: str,
    allow_new: bool,
    label: str | None = None,
) -> None:
    """Draw the conversation select box (its value comes from ``resolve_conversation``)."""
    by_id = {c.conversation_id: c for c in conversations}
    options = conversation_options(conversations, allow_new=allow_new)
    if not options:
        return
    st.selectbox(
        label or ctx.t("pick.conversation"),
        options,
        format_func=lambda cid: (
            ctx.t("pick.new_conversation") + _generation_mark(key)
            if cid == NEW
            else conversation_label(ctx, by_id[cid])
        ),
        key=key,
    )


def select_adopted(key: str, conversation_id: int) -> None:
    """Select the conversation a question queue opened (see ``pinned_conversation``)."""
    st.session_state[key] = conversation_id
    st.session_state[f"{key}-adopted"] = conversation_id
    st.session_state[f"{key}-last-adopted"] = conversation_id
    generation = st.session_state.get(f"{key}-generation", 0)
    st.session_state[f"{key}-generation"] = generation + 1


def _generation_mark(key: str) -> str:
    """Invisible characters that make each adoption's "new conversation" label unique.

    The select box sends its value back as the label. A browser that has not yet shown the
    picker redrawn after an adoption still sends the earlier label; being unknown now, it
    arrives as a plain string, not as "new", and ``pinned_conversation`` reads it as stale.
    """
    return "\u200b" * (st.session_state.get(f"{key}-generation", 0) % 4)


def picker_drawn(key: str) -> None:
    """Remember the value the conversation picker under ``key`` was drawn with."""
    drawn = st.session_state.get(key)
    st.session_state[f"{key}-drawn"] = drawn
    if st.session_state.get(f"{key}-adopted") == drawn:
        del st.session_state[f"{key}-adopted"]  # the browser shows it now


def pinned_conversation(key: str) -> object:
    """The conversation the reader sees: the picker's value, unless it is stale.

    ``adopt`` selects the conversation a first question opened by setting the picker's
    state. When a send interrupts that run before the picker reaches the browser, the
    rerun brings back the browser's old value ("new conversation"), and the follow-up
    would open a second conversation (seen with eight sessions sending 150 ms apart).
    A value equal to the one last drawn is not the reader's choice: the adopted
    conversation stands until the picker has shown it.
    """
    chosen = st.session_state.get(key)
    adopted = st.session_state.get(f"{key}-adopted")
    if adopted is not None and chosen == st.session_state.get(f"{key}-drawn"):
        return adopted
    if isinstance(chosen, str):
        # A "new conversation" label from before the last adoption (see _generation_mark):
        # the reader never saw the picker offer anything but the adopted conversation.
        return st.session_state.get(f"{key}-last-adopted", chosen)
    return chosen


def image_picker(
    ctx: PageContext, images: Sequence[cases.Image], *, key: str
) -> cases.Image:
    """Choose one image of a case (most cases have one)."""
    if len(images) == 1:
        return images[0]
    ids = [i.image_id for i in images]
    chosen = st.selectbox(
        ctx.t("pick.image"),
        ids,
        key=key,
        format_func=lambda i: image_label(ctx, images[ids.index(i)], ids.index(i) + 1),
    )
    return images[ids.index(chosen)]


def image_label(ctx: PageContext, image: cases.Image, number: int) -> str:
    """One line naming an image: modality, view and the date it was imported."""
    return ctx.t(
        "pick.image_label",
        n=number,
        modality=image.modality or image.source_format.value.upper(),
        view=image.view_position or ctx.t("case.view_unknown"),
        date=image.imported_at.astimezone().strftime("%Y-%m-%d"),
    )
