"""Choosing a case, an image and a conversation."""

from __future__ import annotations

from collections.abc import Callable, Sequence

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
    on_change: Callable[..., None] | None = None,
    args: tuple[object, ...] = (),
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
            ctx.t("pick.new_conversation")
            if cid == NEW
            else conversation_label(ctx, by_id[cid])
        ),
        key=key,
        on_change=on_change,
        args=args,
    )


# --------------------------------------------------------------------------- the case page's picker
# When a question opened a conversation, the case page shows it by setting the picker's
# state ("adopting" it). But every rerun carries the browser's own value of each widget
# it shows, and that value wins over one the server set under the same key: a browser
# that had not yet drawn the picker after an adoption sent "new conversation" back, and
# the next follow-up opened a second conversation. So each adoption moves the picker to
# a fresh key, one generation on. The server writes only a key no browser has drawn; the
# value under the current key is the server's until the browser draws that picker, and
# the reader's own choice after; a browser still showing an older picker sends its value
# under the older key, which is never read as the current choice (``catch_up`` carries
# it forward only when the reader changed it).


def picker_key(base: str) -> str:
    """The key of the case page's conversation picker in its current generation."""
    return _key(base, st.session_state.get(f"{base}-generation", 0))


def _key(base: str, generation: int) -> str:
    return f"{base}-{generation}" if generation else base


def chosen_conversation(base: str) -> int:
    """The conversation chosen on the current picker: an id, or ``NEW``."""
    chosen = st.session_state.get(picker_key(base))
    return chosen if isinstance(chosen, int) else NEW


def new_conversation_name(base: str, origin: int) -> str:
    """Name the conversation that a question asked on ``origin`` opens.

    ``origin`` is ``NEW`` or a read-only conversation's id. Questions asked under one
    picker generation on the same origin share the conversation the first opens: a
    follow-up sent before the page showed it joins it. A reader who chooses "new
    conversation" on the picker drawn after it is under the next generation, so asks
    in another one.
    """
    return f"{picker_key(base)}:{origin}"


def select(base: str, conversation_id: int) -> None:
    """Show ``conversation_id`` on the picker of the next generation."""
    generation = st.session_state.get(f"{base}-generation", 0) + 1
    # The value first: a run stopped between the two leaves the generation unchanged.
    st.session_state[_key(base, generation)] = conversation_id
    st.session_state[f"{base}-generation"] = generation


def catch_up(base: str) -> None:
    """Carry forward a choice the reader made on a picker drawn before the current one.

    The reader may pick another conversation while the browser still shows an older
    picker (the run that adopted is still drawing its answers). Streamlit keeps an old
    widget's metadata, so the value sent under its key can be read; but once a run has
    finished without drawing it, every send of that picker reads as a change. So a
    value counts as the reader's only when it differs from the one drawn (or carried).
    """
    for generation in range(st.session_state.get(f"{base}-generation", 0)):
        key = _key(base, generation)
        sent = st.session_state.get(key)
        if sent is not None and sent != st.session_state.get(f"{key}-drawn"):
            st.session_state[f"{key}-drawn"] = sent
            select(base, sent)


def adoptable_picker(
    ctx: PageContext,
    conversations: Sequence[cases.Conversation],
    *,
    base: str,
    allow_new: bool,
) -> None:
    """Draw the case page's conversation picker under its current generation's key."""
    key = picker_key(base)
    # Recorded before drawing: what this picker shows unless the reader changes it.
    st.session_state[f"{key}-drawn"] = st.session_state.get(key)
    conversation_picker(
        ctx,
        conversations,
        key=key,
        allow_new=allow_new,
        on_change=catch_up,
        args=(base,),
    )


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
