"""Every page under AppTest: renders on an empty and on a demo database; the chat, drawing,
annotations, replay, quiz, compare, audit, ontology, settings and roles behave."""

from __future__ import annotations

import json
import re

import duckdb
import pytest
import streamlit as st
from streamlit.components.v2.bidi_component.constants import EVENT_DELIM
from streamlit.proto.WidgetStates_pb2 import WidgetState, WidgetStates
from streamlit.runtime.state.session_state import STREAMLIT_INTERNAL_KEY_PREFIX

from cases import open_store
from cases.worklist import WorklistQuery
from dashboard.state import SessionKey
from ontology import load_vocabulary
from services.access import AuthMode, Identity, Role
from services.overlay import Layer
from tests.dashboard import choices, composer

PAGES = ["cases", "case", "replay", "compare", "audit", "ontology", "settings"]
SEED_CASE = "C000001"  # the demo's first film: the seed scenario phantom
SEED_ZH = 1  # its Chinese four-turn conversation
SEED_EN = 2
SEED_EN_QUESTIONS = (
    "Is there anything abnormal in the lungs?",
    "That round opacity in the right middle lobe: is its margin regular?",
    "How far is this lesion from the right hilum? Is it connected to hilar structures?",
    "If this were early lung cancer, what are the typical X-ray signs, and how many does this image meet?",
)


def open_page(at, page: str, **params):
    at.run()
    for key, value in params.items():
        at.query_params[key] = str(value)
    at.switch_page(f"views/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def texts(at) -> str:
    parts = (
        [m.value for m in at.markdown]
        + [c.value for c in at.caption]
        + [i.value for i in at.info]
    )
    parts += (
        [e.value for e in at.error]
        + [w.value for w in at.warning]
        + [s.value for s in at.success]
    )
    return "\n".join(str(p) for p in parts)


def viewer_data(at) -> dict:
    """What the case page's image viewer was given (film, overlay, focus)."""
    (viewer,) = [
        c
        for c in at.get("bidi_component")
        if "casebook_viewer" in c.proto.component_name
    ]
    return json.loads(viewer.proto.json)


def viewer_controls(at, **changed) -> None:
    """Change the overlay controls the viewer draws in view mode, as a browser does: the
    viewer sends all of them as its "controls" trigger, and the page runs once."""
    (element,) = [
        c
        for c in at.get("bidi_component")
        if "casebook_viewer" in c.proto.component_name
    ]
    shown = json.loads(element.proto.json)["controls"]
    value = {
        "turn": shown["turn"],
        "layers": shown["shownLayers"],
        "highlight": shown["highlight"],
        "zoom": shown["zoom"],
        **changed,
    }
    sent = WidgetState()
    sent.id = f"{STREAMLIT_INTERNAL_KEY_PREFIX}_{element.proto.id}{EVENT_DELIM}events"
    sent.json_trigger_value = json.dumps([{"event": "controls", "value": value}])
    widgets = WidgetStates()
    widgets.widgets.extend(at._tree.get_widget_states().widgets)
    widgets.widgets.append(sent)
    at._run(widget_state=widgets)
    assert not at.exception, [e.value for e in at.exception]


def transcript_data(at) -> dict:
    """What the case page's transcript element was given (its stored turns)."""
    (element,) = [
        c
        for c in at.get("bidi_component")
        if "casebook_transcript" in c.proto.component_name
    ]
    return json.loads(element.proto.json)


def scorecard_data(at) -> dict:
    """What the scorecard element below the image was given (counts, rows)."""
    (element,) = [
        c
        for c in at.get("bidi_component")
        if "casebook_scorecard" in c.proto.component_name
    ]
    return json.loads(element.proto.json)


def shown_turns(at) -> list[str]:
    """The case page's conversation as it reads: the element's turns, then any answer
    the run followed as chat messages ("user"/"assistant" for each)."""
    stored = [
        c for c in at.get("bidi_component") if "transcript" in c.proto.component_name
    ]
    turns = len(transcript_data(at)["turns"]) if stored else 0
    return ["user", "assistant"] * turns + [m.name for m in at.chat_message]


def draw_mode(at):
    """Switch the case page's image from the viewer to the drawing canvas."""
    at.segmented_control(key=SessionKey.IMAGE_MODE.value).set_value("draw").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def canvas_key(at, image_prefix: str) -> str:
    if (
        image_prefix.startswith("case-")
        and f"{image_prefix}:key" not in at.session_state
    ):
        draw_mode(at)
    return at.session_state[f"{image_prefix}:key"]


def draw_box(
    at,
    prefix: str,
    left: float,
    top: float,
    width: float,
    height: float,
    label: str = "region",
):
    """Simulate a box drawn in the browser: the canvas state the frontend would send."""
    key = canvas_key(at, prefix)
    at.session_state[key] = {
        "drawing": {
            "raw": {
                "objects": [
                    {
                        "type": "LabeledRect",
                        "label": label,
                        "left": left,
                        "top": top,
                        "width": width,
                        "height": height,
                        "originX": "left",
                        "originY": "top",
                        "scaleX": 1,
                        "scaleY": 1,
                    }
                ]
            },
            "data": None,
        },
        "backgroundFit": None,
    }
    at.run()
    assert not at.exception, [e.value for e in at.exception]


def image_prefix(db, case_id=SEED_CASE, kind="case") -> str:
    with open_store(db) as store:
        image = store.list_images(case_id)[0]
    return f"{kind}-{image.image_id[:16]}"


# --------------------------------------------------------------------------- smoke


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_on_an_empty_database(app_env, empty_db, page):
    at = open_page(app_env(empty_db, role="admin"), page)
    assert at.title or at.info


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_on_the_demo_database(app_env, demo_db, page):
    params = {
        "case": {"id": SEED_CASE},
        "replay": {"conversation": SEED_ZH},
        "compare": {"case": SEED_CASE},
    }
    at = open_page(app_env(demo_db, role="admin"), page, **params.get(page, {}))
    assert at.title


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_interface_speaks_both_languages_and_always_carries_the_disclaimer(
    app_env, demo_db, lang
):
    at = app_env(demo_db, lang=lang)
    at.run()
    assert not at.exception
    assert at.title[0].value == ("病例列表" if lang == "zh" else "Cases")
    disclaimer = "不是诊断设备" if lang == "zh" else "not a diagnostic device"
    assert disclaimer in texts(at)


# --------------------------------------------------------------------------- cases page


def test_the_case_list_searches_filters_and_pages(app_env, demo_db):
    at = app_env(demo_db)
    at.run()
    table = at.dataframe[0].value
    assert len(table) == 6 and set(table["case"]) >= {SEED_CASE}
    at.text_input(key=SessionKey.CASE_SEARCH.value).input("hilum").run()
    assert SEED_CASE in set(at.dataframe[0].value["case"])
    at.text_input(key=SessionKey.CASE_SEARCH.value).input("").run()
    at.selectbox(key=SessionKey.CASE_WARNINGS.value).select("yes").run()
    assert set(at.dataframe[0].value["case"]) == {
        "C000004",
        "C000005",
        "C000006",
    }  # the films without pixel spacing (the phantom PNG, the real CR and its PNG)


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("seed scenario film", {SEED_CASE}),  # title
        ("monochrome1", {"C000003", "C000006"}),  # tag (the phantom and the real CR)
        ("right-lower-phantom.png", {"C000004"}),  # original file name
    ],
)
def test_the_worklist_finds_cases_by_title_tag_and_file_name(
    app_env, demo_db, search, expected
):
    at = app_env(demo_db)
    at.run()
    table = at.dataframe[0].value
    row = table[table["case"] == SEED_CASE].iloc[0]
    assert row["thumbnail"].startswith("data:image/png;base64,")
    assert row["review"] == "teaching" and "nodule" in row["tags"]
    assert row["file"] == "seed-phantom.dcm"
    at.text_input(key=SessionKey.CASE_SEARCH.value).input(search).run()
    assert set(at.dataframe[0].value["case"]) == expected


def test_the_worklist_spells_out_warnings_and_filters_by_review_status(
    app_env, demo_db
):
    at = app_env(demo_db)
    at.run()
    table = at.dataframe[0].value
    warned = table[table["case"] == "C000004"].iloc[0]["warnings"]
    assert "no pixel spacing" in warned
    at.selectbox(key=SessionKey.CASE_STATUS.value).select("teaching").run()
    assert set(at.dataframe[0].value["case"]) == {SEED_CASE, "C000002", "C000005"}


def test_a_reviewer_titles_and_tags_a_case_and_the_worklist_finds_it(app_env, demo_db):
    at = open_page(app_env(demo_db), "case", id="C000003")
    assert not [t for t in at.text_input if t.label == "Title"]  # drawn on request
    at.segmented_control(key=SessionKey.DETAIL_SECTION.value).set_value("labels").run()
    field = {t.label: t for t in at.text_input}
    field["Title"].input("Upper zone mass for Friday")
    field["Tags (comma separated)"].input("Conference, mass")
    next(b for b in at.button if b.label == "Save labels").click().run()
    assert not at.exception, [e.value for e in at.exception]
    with open_store(demo_db) as store:
        saved = store.find_case_labels("C000003")
        assert saved is not None and saved.tags == ("conference", "mass")
        assert store.list_audit()[-1].action == "case.labels"
    # A reader has no labels section: the page falls back to the scorecard.
    choices.choose(at, SessionKey.LOCAL_ROLE.value, "reader")
    section = at.segmented_control(key=SessionKey.DETAIL_SECTION.value)
    assert section.value == "scorecard"
    assert "Title, tags and review status" not in section.options
    choices.choose(at, SessionKey.LOCAL_ROLE.value, "reviewer")
    at.switch_page("views/cases.py").run()
    at.text_input(key=SessionKey.CASE_SEARCH.value).input("friday").run()
    assert set(at.dataframe[0].value["case"]) == {"C000003"}


def test_the_pager_moves_through_pages(app_env, tmp_path, small_png):
    db = tmp_path / "many.duckdb"
    with open_store(db) as store:
        for n in range(12):
            store.import_bytes(small_png(n), name=f"film{n}.png", actor="test")
    (tmp_path / "many.duckdb.settings.json").write_text('{"case_page_size": 10}')
    at = app_env(db)
    at.run()
    assert len(at.dataframe[0].value) == 10
    assert "Page 1 of 2 · 12 cases" in texts(at)
    at.button(key="cases_next").click().run()
    assert len(at.dataframe[0].value) == 2
    assert "Page 2 of 2" in texts(at)
    at.button(key="cases_prev").click().run()
    assert "Page 1 of 2" in texts(at)


TESTER = Identity(
    actor="local:tester",
    display_name="tester",
    roles=frozenset({Role.REVIEWER}),
    mode=AuthMode.LOCAL,
)


def test_upload_imports_each_file_and_reports_issues_and_refusals(tmp_path, small_png):
    from dashboard.components.upload import import_files

    class Bar:
        def __init__(self):
            self.calls = []

        def progress(self, value, text=""):
            self.calls.append(value)

    bar = Bar()
    with open_store(tmp_path / "up.duckdb") as store:
        results = import_files(
            store,
            [
                ("a.png", small_png(1)),
                ("junk.dcm", b"not an image"),
                ("a-again.png", small_png(1)),
            ],
            identity=TESTER,
            spacing_mm=None,
            progress=bar,
        )
        assert [r.status for r in results] == ["imported", "refused", "existing"]
        assert any(i.code.value == "no_calibration" for i in results[0].issues)
        assert results[1].message and results[1].case_id is None
        assert store.list_audit()[0].actor == "local:tester"
    assert bar.calls == pytest.approx([1 / 3, 2 / 3, 1.0])


def test_an_upload_of_stored_pixels_with_another_spacing_says_it_was_not_applied(
    tmp_path, small_png
):
    from dashboard.components.upload import import_files

    class Bar:
        def progress(self, value, text=""):
            pass

    with open_store(tmp_path / "up.duckdb") as store:
        first, again = (
            import_files(
                store,
                [("a.png", small_png(1))],
                identity=TESTER,
                spacing_mm=mm,
                progress=Bar(),
            )[0]
            for mm in (0.2, 0.5)
        )
    assert first.ignored_spacing is None
    assert again.status == "existing"
    assert again.ignored_spacing == ("0.200 mm (user)", "0.500 mm (user)")


# --------------------------------------------------------------------------- case page: chat


def test_the_case_page_shows_the_stored_conversation_canvas_and_scorecard(
    app_env, demo_db
):
    at = open_page(app_env(demo_db), "case", id=SEED_CASE, conversation=SEED_ZH)
    assert at.title[0].value == f"Case {SEED_CASE}"
    assert shown_turns(at) == ["user", "assistant"] * 4
    # The viewer (window / level, zoom) shows the film and its overlay first ...
    data = viewer_data(at)
    assert data["imageWidth"] == 1024  # film units: the film's own pixels
    assert data["objects"] and data["badge"]  # the overlay and the scorecard badge
    assert not [
        c for c in at.get("bidi_component") if "drawable" in c.proto.component_name
    ]
    # ... and the drawing canvas replaces it to draw a box.
    draw_mode(at)
    canvases = [
        c for c in at.get("bidi_component") if "viewer" in c.proto.component_name
    ] + [c for c in at.get("bidi_component") if "drawable" in c.proto.component_name]
    assert len(canvases) == 1 and "drawable" in canvases[0].proto.component_name
    counts = dict(scorecard_data(at)["counts"])
    assert counts["✓ met"] >= 1, counts
    assert at.query_params["conversation"] == str(SEED_ZH)


def test_the_case_page_first_paint_uses_only_element_types_already_loaded(
    app_env, demo_db
):
    # A new tab fetches each element type's code when its first element arrives and
    # reveals the page after the last one (docs/benchmarks.md): the case page as it opens
    # uses the sidebar's button groups and our own elements (viewer, transcript, question
    # box, scorecard, choices, margin rule), and no other type that loads code.
    at = open_page(app_env(demo_db), "case", id=SEED_CASE, conversation=SEED_ZH)
    assert shown_turns(at) == ["user", "assistant"] * 4
    assert not at.chat_message  # the transcript is one element, not ~30
    heavy = {
        name: len(at.get(name))
        for name in (
            "toggle",
            "checkbox",
            "select_slider",
            "slider",
            "metric",
            "text_input",
            "button",
            "page_link",
            "expander",
            "arrow_data_frame",
            "selectbox",  # about twenty files of its own: choices are ours (choice.py)
            "html",  # the page's margin rule comes with an element of ours
        )
    }
    assert not any(heavy.values()), heavy
    shown = composer.notice(at)  # the read-only notice, in the question box
    assert shown and shown["seed"]["on"] is False  # its seed switch, off
    assert not at.info and all(p.key != f"seed-{SEED_ZH}" for p in at.pills)
    assert viewer_data(at)["controls"]["turn"] == 4
    # The overlay controls are the viewer's, not Streamlit widgets of their own.
    assert not at.get("selectbox") or all(
        s.key != SessionKey.HIGHLIGHT.value for s in at.selectbox
    )


def test_the_transcript_element_gets_each_stored_turn_as_text_with_its_footer(
    app_env, demo_db
):
    at = open_page(app_env(demo_db), "case", id=SEED_CASE, conversation=SEED_EN)
    turns = transcript_data(at)["turns"]
    assert [t["question"] for t in turns] == list(SEED_EN_QUESTIONS)
    with open_store(demo_db) as store:
        stored = store.list_turns(SEED_EN)
    for number, (turn, kept) in enumerate(zip(turns, stored, strict=True), 1):
        assert turn["footer"].startswith(f"Turn {number} · embedded "), turn["footer"]
        # The answer's own text, line by line: nothing escaped, nothing dropped.
        assert [t.strip() for _, t in turn["blocks"]] == [
            line.strip().removeprefix("- ").strip()
            for line in kept.answer_text.split("\n")
        ]
    assert re.search(r" ms · A1 created", turns[0]["footer"]), turns[0]["footer"]
    assert {kind for t in turns for kind, _ in t["blocks"]} >= {"title", "item"}


def test_the_case_page_opens_replay_and_shows_an_items_evidence(
    app_env, demo_db, monkeypatch
):
    # AppTest does not follow a page switch made by the script: the switch is recorded.
    switched: list[tuple[str, dict]] = []
    monkeypatch.setattr(
        st,
        "switch_page",
        lambda page, query_params: switched.append((page, query_params)),
    )
    at = open_page(app_env(demo_db), "case", id=SEED_CASE, conversation=SEED_ZH)
    switched.clear()  # the start page forwards to the case list first
    evidence = at.pills(key="case-scorecard-evidence")
    code, anchor = evidence.options[0].split(" → ")
    evidence.set_value((code, anchor)).run()
    assert viewer_data(at)["controls"]["highlight"] == anchor
    assert at.segmented_control(key=SessionKey.DETAIL_SECTION.value).value == "anchors"
    replay = at.pills(key="open-replay")
    replay.set_value(replay.options[0]).run()
    assert not at.exception, [e.value for e in at.exception]
    assert switched == [("views/replay.py", {"conversation": str(SEED_ZH)})]
    at.run()  # the pill is released: a rerun does not switch again
    assert len(switched) == 1 and at.pills(key="open-replay").value is None


def test_a_follow_up_sends_the_viewer_its_overlay_not_the_film_again(app_env, demo_db):
    # Every rerun sends the viewer's data again; the film goes by a media link that
    # stays the same, so a follow-up carries the new overlay and not the pixels.
    own = _own_conversation(demo_db, "local:tester", SEED_EN_QUESTIONS[:1])
    at = open_page(app_env(demo_db), "case", id=SEED_CASE, conversation=own)
    before = viewer_data(at)
    composer.ask(at, "How large is this lesion?")
    assert not at.exception, [e.value for e in at.exception]
    after = viewer_data(at)
    assert after["revision"] != before["revision"]  # the new turn's overlay
    assert after["image"] == before["image"]
    # A relative link to the media endpoint (AppTest's is mock/media/...).
    assert re.fullmatch(r"(mock/)?media/\w+\.jpg", after["image"])
    assert len(json.dumps(after)) < 20_000  # the light copy alone is about 160 KB


def test_an_answer_shown_as_it_arrives_says_what_it_did_with_anchors(app_env, demo_db):
    # The answer the run followed reads like the stored turn (events included), so the
    # page does not depend on a later run redrawing the transcript.
    at = open_page(app_env(demo_db), "case", id=SEED_CASE)
    choices.choose(
        at, f"{SessionKey.CONVERSATION.value}-{_image_id(demo_db)}", 0
    )  # + new conversation
    composer.ask(at, SEED_EN_QUESTIONS[0])
    assert not at.exception, [e.value for e in at.exception]
    shown = " ".join(str(c.value) for c in at.chat_message[-1].caption)
    assert re.search(r"Turn 1 · .* ms · A1 created", shown), shown


def test_the_chat_drives_a_turn_in_a_new_conversation(app_env, demo_db):
    at = open_page(app_env(demo_db, actor="dr.zhang"), "case", id=SEED_CASE)
    choices.choose(
        at, f"{SessionKey.CONVERSATION.value}-{_image_id(demo_db)}", 0
    )  # + new conversation
    composer.ask(at, "Is there anything abnormal in the lungs?")
    assert not at.exception, [e.value for e in at.exception]
    assert shown_turns(at)[-2:] == ["user", "assistant"]
    with open_store(demo_db) as store:
        newest = store.list_conversations(SEED_CASE)[-1]
        turns = store.list_turns(newest.conversation_id)
        assert newest.backend == "embedded" and newest.created_by == "local:dr.zhang"
        assert [t.question for t in turns] == [
            "Is there anything abnormal in the lungs?"
        ]
        assert turns[0].actor == "local:dr.zhang"
        assert store.list_audit()[-1].actor == "local:dr.zhang"
    at.run()  # the next run reads the turn back from the store
    assert shown_turns(at) == ["user", "assistant"]
    assert transcript_data(at)["turns"][0]["question"] == (
        "Is there anything abnormal in the lungs?"
    )
    assert at.query_params["conversation"] == str(newest.conversation_id)


def _own_conversation(db, actor: str, questions) -> int:
    """A conversation of ``actor``'s on the seed film, asked through the real workflow."""
    from engine.backends.embedded import EmbeddedBackend
    from services import workflows

    with open_store(db) as store:
        session = workflows.start_session(
            store, SEED_CASE, backend=EmbeddedBackend(), actor=actor
        )
        for question in questions:
            workflows.ask(store, session, question, actor=actor)
        return session.record.conversation_id


def test_a_follow_up_continues_the_conversation_and_binds_to_its_lesion(
    app_env, demo_db
):
    at = app_env(demo_db)
    own = _own_conversation(demo_db, "local:tester", SEED_EN_QUESTIONS[:2])
    open_page(at, "case", id=SEED_CASE, conversation=own)
    composer.ask(at, "How large is this lesion?")
    assert not at.exception
    with open_store(demo_db) as store:
        turns = store.list_turns(own)
    assert len(turns) == 3 and turns[-1].question == "How large is this lesion?"
    assert "[A" in turns[-1].answer_text


@pytest.mark.parametrize("seed", [False, True])
def test_asking_on_someone_elses_conversation_starts_a_new_one(app_env, demo_db, seed):
    at = open_page(app_env(demo_db), "case", id=SEED_CASE, conversation=SEED_EN)
    notice = composer.notice(at)
    assert notice and f"#{SEED_EN} is demo:resident's and read-only" in notice["text"]
    assert not at.info  # drawn by the question box, not as an info box
    if seed:
        composer.press_seed(at, True)
        assert composer.notice(at)["seed"]["on"] is True
        composer.press_seed(at, False)
        assert composer.notice(at)["seed"]["on"] is False
        composer.press_seed(at, True)
    composer.ask(at, "How large is this lesion?")
    assert not at.exception, [e.value for e in at.exception]
    with open_store(demo_db) as store:
        assert (
            len(store.list_turns(SEED_EN)) == 4
        )  # the saved conversation is untouched
        newest = store.list_conversations(SEED_CASE)[-1]
        turns = store.list_turns(newest.conversation_id)
    assert newest.conversation_id != SEED_EN and newest.created_by == "local:tester"
    assert [t.question for t in turns] == [
        *(SEED_EN_QUESTIONS if seed else ()),
        "How large is this lesion?",
    ]
    if seed:  # seeded, the follow-up binds to the lesion of the questions before it
        assert "[A" in turns[-1].answer_text
    assert f"Started conversation #{newest.conversation_id}" in texts(at)
    assert at.query_params["conversation"] == str(newest.conversation_id)


def test_the_next_question_after_starting_a_conversation_stays_in_it(app_env, demo_db):
    # The chat input drawn before the first answer still belonged to the read-only
    # conversation; the second question must follow the reader into the new one.
    at = open_page(app_env(demo_db), "case", id=SEED_CASE, conversation=SEED_EN)
    for question in ("How large is this lesion?", "Is its margin regular?"):
        composer.ask(at, question)
        assert not at.exception, [e.value for e in at.exception]
    with open_store(demo_db) as store:
        newest = store.list_conversations(SEED_CASE)[-1]
        turns = store.list_turns(newest.conversation_id)
        assert len(store.list_turns(SEED_EN)) == 4
    assert [t.question for t in turns] == [
        "How large is this lesion?",
        "Is its margin regular?",
    ]
    assert at.query_params["conversation"] == str(newest.conversation_id)


def test_a_conversation_kept_for_teaching_is_read_only_for_its_author(app_env, demo_db):
    from cases.worklist import ConversationMark

    own = _own_conversation(demo_db, "local:tester", SEED_EN_QUESTIONS[:1])
    with open_store(demo_db) as store:
        store.mark_conversation(own, ConversationMark.TEACHING, actor="local:tester")
    at = open_page(app_env(demo_db), "case", id=SEED_CASE, conversation=own)
    shown = composer.notice(at)
    assert shown and "kept for teaching and is read-only" in shown["text"]
    composer.ask(at, "How large is it?")
    with open_store(demo_db) as store:
        assert len(store.list_turns(own)) == 1


def test_questions_carrying_markup_are_stored_and_shown_as_text(app_env, demo_db):
    hostile = "<script>alert(1)</script> **x** ![t](http://evil.example/p.png) '; DROP TABLE turns; --"
    at = open_page(app_env(demo_db), "case", id=SEED_CASE, conversation=SEED_EN)
    composer.ask(at, hostile)
    assert not at.exception
    with open_store(demo_db) as store:
        newest = store.list_conversations(SEED_CASE)[-1]
        assert store.list_turns(newest.conversation_id)[-1].question == hostile
    shown = [m.value for m in at.chat_message[-2].markdown]
    assert any(
        r"\<script\>" in v and r"\!\[t\]" in v and r"\*\*x\*\*" in v for v in shown
    )


def test_a_reader_without_the_ask_right_cannot_type(app_env, demo_db):
    at = open_page(
        app_env(demo_db, role="qa_auditor"), "case", id=SEED_CASE, conversation=SEED_ZH
    )
    assert composer.data(at)["disabled"]
    assert "does not ask" in composer.data(at)["placeholder"]


# --------------------------------------------------------------------------- case page: drawing


def test_a_reviewer_saves_a_drawn_box_as_an_annotation_on_the_turn(app_env, demo_db):
    prefix = image_prefix(demo_db)
    at = open_page(
        app_env(demo_db, role="reviewer", actor="dr.wu"),
        "case",
        id=SEED_CASE,
        conversation=SEED_ZH,
    )
    scale = 520 / 1024  # the M canvas shows the 1024 px film at 520 px
    draw_box(
        at, prefix, 100 * scale, 200 * scale, 300 * scale, 160 * scale, label="nodule?"
    )
    assert "Box drawn" in texts(at)
    at.button(key=f"FormSubmitter:{prefix}-annotate-Save as annotation").click().run()
    assert not at.exception, [e.value for e in at.exception]
    with open_store(demo_db) as store:
        note = store.list_annotations(SEED_CASE)[-1]
        assert note.author == "local:dr.wu" and note.label == "nodule?"
        drawn = note.geometry.bounding_box()
        assert (drawn.x0, drawn.y0, drawn.x1, drawn.y1) == pytest.approx(
            (100, 200, 400, 360), abs=0.2
        )
        assert (
            note.conversation_id == SEED_ZH and note.turn_index == 4
        )  # the shown turn
        assert store.list_audit()[-1].action == "annotation.add"
        assert store.list_audit()[-1].actor == "local:dr.wu"
    assert "Saved annotation" in texts(at)
    assert "Box drawn" not in texts(at)  # the saved box left the canvas


def test_a_reader_may_ask_about_a_box_but_not_save_it(app_env, demo_db):
    prefix = image_prefix(demo_db)
    at = open_page(
        app_env(demo_db, role="reader"), "case", id=SEED_CASE, conversation=SEED_EN
    )
    scale = 520 / 1024
    draw_box(
        at, prefix, 640 * scale, 700 * scale, 120 * scale, 100 * scale, label="streaks"
    )
    assert "Only reviewers save annotations." in texts(at)
    assert not [b for b in at.button if "annotate" in str(b.key)]
    assert at.toggle(key=SessionKey.ASK_ABOUT_BOX.value).value is True
    composer.ask(at, "What is in this region?")
    assert not at.exception, [e.value for e in at.exception]
    with open_store(demo_db) as store:
        # Not the reader's conversation: the question opened one of their own.
        newest = store.list_conversations(SEED_CASE)[-1].conversation_id
        turn = store.get_turn(newest, 1)
    drawn = [a for a in turn.anchors if a.kind.value == "user_drawn"]
    assert len(drawn) == 1 and drawn[0].label == "streaks"
    box = drawn[0].geometry.bounding_box()
    assert (box.x0, box.y0, box.x1, box.y1) == pytest.approx(
        (640, 700, 760, 800), abs=0.5
    )


def test_selecting_an_anchor_shows_its_details_and_zoom_follows_it(app_env, demo_db):
    at = open_page(app_env(demo_db), "case", id=SEED_CASE, conversation=SEED_ZH)
    assert not viewer_data(at)["focus"]
    viewer_controls(at, highlight="A2")
    details = texts(at)
    assert "A2 · " in details and "Centre" in details and "Bounding box" in details
    assert viewer_data(at)["controls"]["highlight"] == "A2"
    viewer_controls(at, zoom=True)
    assert viewer_data(at)["focus"]  # the viewer zooms to the anchor
    assert viewer_data(at)["controls"]["zoom"] is True
    # The drawing canvas takes the same choices as widgets of its own.
    draw_mode(at)
    prefix = image_prefix(demo_db)
    assert at.session_state[f"{prefix}:display"].zoomed
    assert at.selectbox(key=SessionKey.HIGHLIGHT.value).value == "A2"


def test_the_viewers_turn_and_layers_switch_the_overlay(app_env, demo_db):
    at = open_page(app_env(demo_db), "case", id=SEED_CASE, conversation=SEED_ZH)
    last = viewer_data(at)
    assert last["controls"]["turnCount"] == 4 and last["controls"]["turn"] == 4
    viewer_controls(at, turn=1)
    first = viewer_data(at)
    assert first["controls"]["turn"] == 1 and at.query_params["turn"] == "1"
    assert first["revision"].startswith("1-") and first["objects"] != last["objects"]
    viewer_controls(at, layers=[])
    assert viewer_data(at)["objects"] == [] and viewer_data(at)["badge"] is None
    assert viewer_data(at)["controls"]["shownLayers"] == []
    viewer_controls(at, layers=["labels"], turn=4)
    assert viewer_data(at)["badge"] and viewer_data(at)["controls"]["turn"] == 4
    # A turn the conversation does not have falls back to its newest.
    viewer_controls(at, turn=9)
    assert viewer_data(at)["controls"]["turn"] == 4
    # Switching to the drawing canvas and back keeps the choices, either way made.
    draw_mode(at)
    assert at.pills(key=SessionKey.LAYERS.value).value == ["labels"]
    at.pills(key=SessionKey.LAYERS.value).set_value(
        [Layer.LABELS, Layer.CONTOURS]
    ).run()
    at.segmented_control(key=SessionKey.SHOWN_TURN.value).set_value(2).run()
    at.segmented_control(key=SessionKey.IMAGE_MODE.value).set_value("view").run()
    assert set(viewer_data(at)["controls"]["shownLayers"]) == {"contours", "labels"}
    assert viewer_data(at)["controls"]["turn"] == 2
    at.run()  # and on the next run too
    assert set(viewer_data(at)["controls"]["shownLayers"]) == {"contours", "labels"}
    assert viewer_data(at)["controls"]["turn"] == 2


def test_the_viewer_is_told_which_of_its_changes_a_run_applied(app_env, demo_db):
    # The viewer numbers the changes it sends; a run reports the last it applied, so a
    # run answering an older change does not undo the reader's later clicks (several
    # layer toggles in a row) on screen.
    at = open_page(app_env(demo_db), "case", id=SEED_CASE, conversation=SEED_ZH)
    assert viewer_data(at)["controls"]["seen"] == 0
    viewer_controls(at, layers=["labels"], sent=3)
    assert viewer_data(at)["controls"]["seen"] == 3
    assert viewer_data(at)["controls"]["shownLayers"] == ["labels"]
    at.run()  # a run with no change keeps the number
    assert viewer_data(at)["controls"]["seen"] == 3


def test_layers_and_turns_switch_the_overlay(app_env, demo_db):
    at = draw_mode(
        open_page(app_env(demo_db), "case", id=SEED_CASE, conversation=SEED_ZH)
    )
    at.segmented_control(key=SessionKey.SHOWN_TURN.value).set_value(1).run()
    assert not at.exception
    assert at.query_params["turn"] == "1"
    assert (
        at.segmented_control(key=SessionKey.DETAIL_SECTION.value).value == "scorecard"
    )
    first = at.session_state[f"{image_prefix(demo_db)}:key"]
    at.segmented_control(key=SessionKey.SHOWN_TURN.value).set_value(3).run()
    assert (
        at.session_state[f"{image_prefix(demo_db)}:key"] != first
    )  # another overlay, another canvas


# --------------------------------------------------------------------------- replay


def test_replay_steps_back_and_forth(app_env, demo_db):
    at = open_page(app_env(demo_db), "replay", conversation=SEED_ZH)
    assert "Turn 4 of 4" in texts(at)
    at.button(key="replay_prev").click().run()
    at.button(key="replay_prev").click().run()
    assert "Turn 2 of 4" in texts(at)
    assert len([m for m in at.chat_message if m.name == "assistant"]) == 2
    assert at.query_params["turn"] == "2"
    at.slider(key=SessionKey.REPLAY_TURN.value).set_value(1).run()
    assert "Turn 1 of 4" in texts(at)
    at.button(key="replay_next").click().run()
    assert "Turn 2 of 4" in texts(at)


def test_the_quiz_hides_the_answer_until_the_learner_draws_then_scores(
    app_env, demo_db
):
    at = open_page(
        app_env(demo_db, role="reader"), "replay", conversation=SEED_ZH, turn=2
    )
    at.toggle(key=SessionKey.QUIZ.value).set_value(True).run()
    assert "The answer is hidden until you draw your box." in texts(at)
    # Every answer up to the turn is hidden, not only the last one.
    assert [m.name for m in at.chat_message] == ["user", "assistant"] * 2
    assert all(not m.markdown for m in at.chat_message if m.name == "assistant")
    with open_store(demo_db) as store:
        contour = next(
            s.anchor
            for s in store.anchors_after_turn(SEED_ZH, 2)
            if s.anchor.anchor_id == "A1"  # outlined in turn 2 on its own anchor
        )
    b = contour.geometry
    xs = [p[0] for p in b.points]
    ys = [p[1] for p in b.points]
    scale = 520 / 1024
    draw_box(
        at,
        f"quiz-{SEED_ZH}",
        min(xs) * scale,
        min(ys) * scale,
        (max(xs) - min(xs)) * scale,
        (max(ys) - min(ys)) * scale,
    )
    hidden = texts(at)
    assert "AI anchor" not in hidden and "A1" not in hidden  # nothing names the target
    assert not [s for s in at.selectbox if s.key == SessionKey.QUIZ_TARGET.value]
    at.button(key="quiz_check").click().run()
    assert not at.exception, [e.value for e in at.exception]
    # The demo's reviewer marked this nodule: the ground truth, not the AI's contour.
    assert "Scored against the reviewer's ground truth: R" in texts(at)
    iou = next(m for m in at.metric if m.label == "IoU")
    assert float(iou.value) > 0.3
    assert (
        len([m for m in at.chat_message if m.name == "assistant"]) == 2
    )  # the answers are revealed
    assert "Your quiz results: " in texts(at) or any(
        "Your quiz results" in e.proto.label for e in at.expander
    )


# --------------------------------------------------------------------------- compare


def test_compare_pairs_the_anchors_of_two_runs(app_env, demo_db):
    at = open_page(app_env(demo_db), "compare", a=SEED_ZH, b=SEED_EN)
    anchors = at.dataframe[0].value
    assert (anchors["status"] == "matched").sum() >= 3
    assert len([c for c in at.get("bidi_component") if "compare" in str(c.key)]) == 2
    # The same film, the same engine: no scorecard item differs. The whole phrase, so
    # that "10 of 18 items differ" cannot pass for "0 of".
    assert re.search(r"(?<!\d)0 of \d+ items differ", texts(at))


# --------------------------------------------------------------------------- audit


def test_the_audit_page_passes_the_check_and_lists_every_turn(app_env, demo_db):
    at = open_page(app_env(demo_db, role="qa_auditor"), "audit")
    assert any("Integrity check passed" in s.value for s in at.success)
    turns = at.dataframe[0].value
    with open_store(demo_db) as store:
        total = store.stats().turns
    assert len(turns) == total
    assert set(turns["actor"]) == {"demo:resident"}
    assert set(turns["backend"]) == {"embedded"}
    assert turns["raw_output"].str.len().min() > 0
    at.multiselect(key=SessionKey.AUDIT_ACTOR.value).select("demo:resident").run()
    at.text_input(key=SessionKey.AUDIT_TEXT.value).input("肺门").run()
    assert 0 < len(at.dataframe[0].value) < total


def test_the_audit_page_fails_the_check_after_tampering(app_env, demo_db):
    connection = duckdb.connect(str(demo_db))
    connection.execute(
        "UPDATE turns SET answer_text = 'nothing to see' WHERE conversation_id = 1 AND turn_index = 2"
    )
    connection.close()
    at = open_page(app_env(demo_db, role="admin"), "audit")
    failed = [e.value for e in at.error if "FAILED" in e.value]
    assert failed and "answer_text" in failed[0]


def test_a_reader_who_follows_a_link_to_the_audit_page_is_told_who_may_open_it(
    app_env, demo_db
):
    at = open_page(app_env(demo_db, role="reader"), "audit")
    # AppTest serves on loopback, where the local sidebar may switch roles: it says so.
    assert [w.value for w in at.warning] == [
        "Your role (reader) does not open this page; it is open to: QA auditor, Administrator. "
        "Ask an administrator if you need it. On this workstation you can switch under “Acting as” in the sidebar."
    ]
    # Nothing of the audit trail reaches the page: no integrity check, no table, no chart.
    assert not at.success and not at.dataframe
    assert "integrity" not in texts(at).lower()


def test_on_a_shared_server_the_role_cannot_be_switched_so_no_switch_is_offered(
    app_env, demo_db, monkeypatch
):
    at = app_env(demo_db, role="reader")
    monkeypatch.setattr(
        st, "get_option", lambda name: "0.0.0.0" if name == "server.address" else None
    )
    open_page(at, "audit")
    (warning,) = [w.value for w in at.warning]
    assert "QA auditor" in warning and "Acting as" not in warning


# --------------------------------------------------------------------------- ontology and settings


def test_the_ontology_searches_in_both_languages(app_env, demo_db):
    at = open_page(app_env(demo_db), "ontology")
    total = len(at.dataframe[0].value)
    # Every shipped sign is listed (273 ship; ">= 217" would pass with 56 missing).
    assert total == len(load_vocabulary().signs)
    at.text_input(key=SessionKey.ONTOLOGY_SEARCH.value).input("毛刺").run()
    found = at.dataframe[0].value
    assert 0 < len(found) < total and found["other"].str.contains("毛刺").any()
    at.text_input(key=SessionKey.ONTOLOGY_SEARCH.value).input("spiculated").run()
    assert at.dataframe[0].value["name"].str.lower().str.contains("spicul").any()


def test_an_admin_changes_a_setting_and_the_change_is_audited(app_env, demo_db):
    at = open_page(app_env(demo_db, role="admin", actor="it.admin"), "settings")
    at.slider(key=SessionKey.SETTING_QUIZ_IOU.value).set_value(0.3)
    at.button(key="FormSubmitter:settings-Save").click().run()
    assert not at.exception
    with open_store(demo_db) as store:
        record = store.list_audit()[-1]
    assert (record.action, record.actor, record.entity_id) == (
        "settings.change",
        "local:it.admin",
        "quiz_iou_threshold",
    )
    assert record.payload["new"] == 0.3
    assert (
        '"quiz_iou_threshold": 0.3'
        in (demo_db.parent / "demo.duckdb.settings.json").read_text()
    )


# --------------------------------------------------------------------------- sign-in


def test_with_oidc_configured_a_signed_out_visitor_sees_only_the_sign_in_page(
    app_env, demo_db
):
    at = app_env(demo_db)
    at.secrets["auth"] = {
        "client_id": "x",
        "client_secret": "y",
        "redirect_uri": "http://localhost/oauth2callback",
        "cookie_secret": "z",
        "server_metadata_url": "http://127.0.0.1:1/.well-known/openid-configuration",
    }
    at.run()
    assert not at.exception
    assert [b.label for b in at.button] == ["Sign in"]
    assert not at.dataframe


def test_a_signed_in_qa_auditor_gets_the_audit_page_and_no_chat(app_env, demo_db):
    at = app_env(demo_db)
    at.secrets["auth"] = {
        "client_id": "x",
        "client_secret": "y",
        "redirect_uri": "http://localhost/oauth2callback",
        "cookie_secret": "z",
        "server_metadata_url": "http://127.0.0.1:1/.well-known/openid-configuration",
    }
    at.user = {
        "is_logged_in": True,
        "email": "qa@example.org",
        "name": "Q. A.",
        "casebook_roles": ["qa_auditor"],
    }
    at.run()
    at.switch_page("views/audit.py").run()
    assert not at.exception
    assert any("Integrity check passed" in s.value for s in at.success)
    assert "Q. A." in [t.value for t in at.sidebar.text]


def _image_id(db) -> str:
    with open_store(db) as store:
        return store.list_images(SEED_CASE)[0].image_id


def test_a_missing_vision_model_is_one_plain_error_and_nothing_is_stored(
    app_env, demo_db, monkeypatch
):
    from engine.analysis import AnalysisCache
    from engine.errors import ModelFileMissing
    from services import workflows

    def missing():
        raise ModelFileMissing(
            "engine/models/nodule_classifier.onnx is missing: reinstall the engine package"
        )

    at = open_page(app_env(demo_db), "case", id=SEED_CASE)
    monkeypatch.setattr(workflows, "_SHARED_CACHE", AnalysisCache(missing))
    with open_store(demo_db) as store:
        before = store.stats()
    choices.choose(at, f"{SessionKey.CONVERSATION.value}-{_image_id(demo_db)}", 0)
    composer.ask(at, "Is there anything abnormal in the lungs?")
    assert not at.exception
    assert [e.value for e in at.error] and "image model is missing" in at.error[0].value
    assert "nothing was stored" in texts(at)
    with open_store(demo_db) as store:
        after = store.stats()
    assert (after.conversations, after.turns) == (before.conversations, before.turns)


def test_the_case_page_speaks_words_and_shows_the_de_identification_report(
    app_env, demo_db
):
    at = open_page(app_env(demo_db), "case", id=SEED_CASE, conversation=SEED_ZH)
    caption = " ".join(str(c.value) for c in at.caption)
    assert r"pixel spacing \(at the patient\)" in caption
    assert "PixelSpacing" not in caption
    at.segmented_control(key=SessionKey.DETAIL_SECTION.value).set_value("deid").run()
    shown = " ".join(str(m.value) for m in at.markdown)
    assert "Removed attributes" in shown and "SOPInstanceUID" in shown


def test_the_ontology_names_the_shared_sources_once(app_env, demo_db):
    at = open_page(app_env(demo_db), "ontology")
    assert "Every sign draws on: " in " ".join(str(c.value) for c in at.caption)


def test_the_demo_reviewer_annotated_the_real_film_for_the_agreement_chart(demo_db):
    with open_store(demo_db) as store:
        real = next(
            c.summary.case_id
            for c in store.list_worklist(WorklistQuery()).items
            if c.file_name == "RG1_J2KI.dcm"
        )
        (note,) = store.list_annotations(real)
    assert note.anchor_id is not None and note.geometry is not None
    assert note.note.startswith("Demo annotation, not a clinical read")


def test_the_worklist_starts_with_the_real_film_which_opens_on_its_seed_scenario(
    app_env, demo_db
):
    at = app_env(demo_db)
    at.run()
    first = at.dataframe[0].value.iloc[0]
    assert first["file"] == "RG1_J2KI.dcm" and first["title"].startswith("Start here")
    open_page(at, "case", id=first["case"])
    with open_store(demo_db) as store:
        shown = store.get_conversation(int(at.query_params["conversation"]))
    assert shown.title == "种子场景，真实胸片 (WG-04 CR)"


def test_compare_pairs_a_chinese_and_an_english_run_by_what_was_asked(app_env, demo_db):
    at = open_page(app_env(demo_db), "compare", a=SEED_ZH, b=SEED_EN)
    titles = [e.label for e in at.expander]
    pairs = [t for t in titles if "↔" in t]
    assert pairs == [
        f"A turn {n} ↔ B turn {n}: the same question (intent and place)"
        for n in range(1, 5)
    ]
    assert not [t for t in titles if "Asked only in" in t]
    # Each pair shows its anchors and measurements side by side.
    third = next(e for e in at.expander if e.label.startswith("A turn 3 ↔"))
    assert third.dataframe and len(third.dataframe[0].value) >= 1


def test_an_intake_warning_is_words_without_its_code(app_env, demo_db):
    at = open_page(app_env(demo_db), "case", id="C000004")
    warned = " ".join(str(w.value) for w in at.warning)
    assert "no pixel spacing" in warned and "no_calibration" not in warned


def test_an_upload_by_a_role_without_import_is_refused_on_the_server(
    tmp_path, small_png
):
    from dashboard.components.upload import import_files
    from services.access import PermissionDenied

    reader = Identity(
        actor="local:r",
        display_name="r",
        roles=frozenset({Role.READER}),
        mode=AuthMode.LOCAL,
    )
    with open_store(tmp_path / "up.duckdb") as store:
        with pytest.raises(PermissionDenied):
            import_files(
                store,
                [("a.png", small_png(1))],
                identity=reader,
                spacing_mm=None,
                progress=None,
            )
        assert store.list_cases().total == 0
