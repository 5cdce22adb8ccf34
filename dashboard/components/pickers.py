"""Choosing a case, an image and a conversation."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import streamlit as st

import cases
from dashboard.components import choice
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


def with_conversation(
    conversations: Sequence[cases.Conversation], adopted: cases.Conversation
) -> list[cases.Conversation]:
    """The conversations with ``adopted`` last, listed once.

    The question queue's worker opens the conversation in its own thread, so the page
    may already have listed it when it adopts it; listed twice, the picker refused its
    options (two the same) and the page failed.
    """
    return [
        *(c for c in conversations if c.conversation_id != adopted.conversation_id),
        adopted,
    ]


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
# When a question opened a conversation, the case page shows it ("adopts" it). Every
# rerun carries the browser's own value of each widget it shows, and that value wins
# over one the server set under the same key: a browser that had not yet drawn the
# picker after an adoption sent "new conversation" back, and the next follow-up opened a
# second conversation. So each adoption moves the picker to a fresh key, one generation
# on: the value under the current key is the adoption until the browser draws that
# picker, and the reader's own choice after; a browser still showing an older picker
# sends its value under the older key, which is read as a choice only when it differs
# from the last value the server saw or put there (the reader changed it since).
#
# A newer send stops a running callback or script at its next Streamlit call
# (``runner.fastReruns``), so each change of the generation is one session-state
# write, never half done, and the chat input's callback reads everything before it
# queues the question.


@dataclass(frozen=True, slots=True)
class Generation:
    """Where the case page's conversation picker stands (one session-state value)."""

    number: int = 0
    initial: int | None = None
    """The conversation its picker starts on; None: the URL's, else the newest."""
    carried: tuple[tuple[int, int], ...] = ()
    """(older generation, value): each choice already carried forward from older pickers."""


def _generation(base: str) -> Generation:
    found = st.session_state.get(f"{base}-generation")
    return found if isinstance(found, Generation) else Generation()


def _key(base: str, number: int) -> str:
    return f"{base}-{number}" if number else base


def picker_key(base: str) -> str:
    """The key of the case page's conversation picker in its current generation."""
    return _key(base, _generation(base).number)


def reader_choice(base: str) -> tuple[Generation, int]:
    """The generation of the reader's choice, and that choice (an id, or ``NEW``).

    Reads only: a choice made on an older picker (one the browser still showed) is
    returned under the next generation, which ``settle`` stores.
    """
    current = _generation(base)
    carried = dict(current.carried)
    for number in range(current.number):
        key = _key(base, number)
        sent = st.session_state.get(key)
        if isinstance(sent, int) and sent != carried.get(
            number, st.session_state.get(f"{key}-seen")
        ):
            carried[number] = sent
            current = Generation(
                number=current.number + 1,
                initial=sent,
                carried=tuple(sorted(carried.items())),
            )
    chosen = st.session_state.get(_key(base, current.number), current.initial)
    return current, chosen if isinstance(chosen, int) else NEW


def settle(base: str, generation: Generation) -> None:
    """Store ``generation`` (from ``reader_choice``) unless it is already stored."""
    if generation != _generation(base):
        st.session_state[f"{base}-generation"] = generation


def catch_up(base: str) -> None:
    """Carry forward a choice the reader made on an older picker (its ``on_change``)."""
    settle(base, reader_choice(base)[0])


def select(base: str, conversation_id: int) -> None:
    """Show ``conversation_id`` on the picker of the next generation."""
    current = _generation(base)
    settle(
        base,
        Generation(
            number=current.number + 1,
            initial=conversation_id,
            carried=current.carried,
        ),
    )


def new_conversation_name(base: str, generation: Generation, origin: int) -> str:
    """Name the conversation that a question asked on ``origin`` opens.

    ``origin`` is ``NEW`` or a read-only conversation's id. Questions asked under one
    picker generation on the same origin share the conversation the first opens: a
    follow-up sent before the page showed it joins it. A reader who chooses "new
    conversation" on the picker drawn after it is a generation on, so asks in another.
    """
    return f"{base}#{generation.number}:{origin}"


def current_generation(base: str) -> Generation:
    """The stored generation of the case page's picker."""
    return _generation(base)


def resolve_adoptable(
    conversations: Sequence[cases.Conversation],
    *,
    base: str,
    requested: int | None,
    allow_new: bool,
) -> int | None:
    """The conversation chosen on the case page's picker for this run.

    The current picker's value, else the one its generation starts on, else the URL's,
    else the newest. Call it before ``adoptable_picker`` draws the picker.
    """
    options = conversation_options(conversations, allow_new=allow_new)
    if not options:
        return None
    key = picker_key(base)
    chosen = st.session_state.get(key)
    if chosen not in options:
        initial = _generation(base).initial
        chosen = next((c for c in (initial, requested) if c in options), options[0])
    if st.session_state.get(f"{key}-seen") != chosen:
        # The record first: a value the server has seen or put here is never taken
        # for a new choice once this picker is an older one (``reader_choice``).
        st.session_state[f"{key}-seen"] = chosen
    if st.session_state.get(key) != chosen:
        st.session_state[key] = chosen
    return int(chosen)


def adoptable_picker(
    ctx: PageContext,
    conversations: Sequence[cases.Conversation],
    *,
    base: str,
    allow_new: bool,
) -> None:
    """Draw the case page's conversation picker under its current generation's key."""
    # An adoption in this run moved the picker on since ``resolve_adoptable`` ran.
    resolve_adoptable(conversations, base=base, requested=None, allow_new=allow_new)
    by_id: dict[int, cases.Conversation] = {
        int(c.conversation_id): c for c in conversations
    }
    options = conversation_options(conversations, allow_new=allow_new)
    if not options:
        return
    # The browser's own select (components/choice.py), one element for every
    # generation: a choice made on the picker as last drawn reaches the current key.
    choice.choice(
        ctx.t("pick.conversation"),
        options,
        format_func=lambda cid: (
            ctx.t("pick.new_conversation")
            if cid == NEW
            else conversation_label(ctx, by_id[cid])
        ),
        key=picker_key(base),
        on_change=catch_up,
        args=(base,),
        element=choice.element_key(base),
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
