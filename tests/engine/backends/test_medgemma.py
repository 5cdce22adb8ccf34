"""The MedGemma backend end to end on a tiny random Gemma 3 model (no weights, no network).

The model is random, so these tests check the plumbing (loading, templating, image
tokens, generation, streaming, prefix reuse, audit fields), never answer quality.
"""

from __future__ import annotations

import dataclasses
import json
import socket
from pathlib import Path

import numpy as np
import pytest

from engine.backends import medgemma
from engine.backends.base import BackendReply, HistoryTurn, ModelBackend, TurnContext
from engine.backends.parsing import ThoughtFilter
from engine.backends.prompting import PROMPT_VERSION, build_messages, prepare_image
from engine.backends.registry import BackendSettings, create_backend, list_backends
from engine.errors import BackendUnavailable
from tests.engine.backends.conftest import DRAFT_EN, DRAFT_ZH, chest_image
from tests.engine.backends.test_prompting import REFERENCE_RENDERING, reference_messages

pytestmark = (
    pytest.mark.slow
)  # importing torch + transformers alone takes several seconds

MAX_NEW_TOKENS = 12


@pytest.fixture(scope="module")
def backend(tiny_medgemma_dir: Path) -> medgemma.MedGemmaBackend:
    settings = BackendSettings(
        model_path=str(tiny_medgemma_dir), max_new_tokens=MAX_NEW_TOKENS
    )
    created = create_backend("medgemma", settings)
    assert isinstance(created, medgemma.MedGemmaBackend)
    return created


@pytest.fixture
def generated_ids(monkeypatch: pytest.MonkeyPatch) -> list[list[int]]:
    """Token ids each generation returned, in call order (a spy on the generation step)."""
    calls: list[list[int]] = []
    original = medgemma.MedGemmaBackend._run

    def spy(self, *args, **kwargs):
        ids = original(self, *args, **kwargs)
        calls.append(list(ids))
        return ids

    monkeypatch.setattr(medgemma.MedGemmaBackend, "_run", spy)
    return calls


def conversation(make_context, image: np.ndarray | None = None) -> list[TurnContext]:
    """Three turns in Chinese on one image, the last a localisation question."""
    image = chest_image() if image is None else image
    first = make_context(
        question="右肺有结节吗？", language="zh", draft=DRAFT_ZH, image=image
    )
    second = dataclasses.replace(first, question="它距离肺门多远？")
    third = dataclasses.replace(
        first,
        question="右肺门在哪里？",
        localize=True,
        localize_target="right hilum",
        intent="locate",
    )
    return [first, second, third]


def run(
    backend: medgemma.MedGemmaBackend, turns: list[TurnContext], stream: bool = False
) -> list[BackendReply]:
    """Ask the turns in order, feeding each shown answer back as history, like the dialogue."""
    history: list[HistoryTurn] = []
    replies = []
    for turn in turns:
        context = dataclasses.replace(turn, history=tuple(history))
        reply = backend.compose(
            context, on_text=(lambda _text: None) if stream else None
        )
        history.append(HistoryTurn(question=turn.question, answer=reply.text))
        replies.append(reply)
    return replies


def test_the_folder_loads_through_the_registry(backend, tiny_medgemma_dir):
    assert isinstance(backend, ModelBackend)
    assert backend.name == "medgemma"
    assert backend.model_id == str(tiny_medgemma_dir)
    assert backend.model_version.startswith("local:")
    assert (backend.device, backend.dtype) == ("cpu", "float32")
    info = {
        i.name: i
        for i in list_backends(BackendSettings(model_path=str(tiny_medgemma_dir)))
    }["medgemma"]
    assert info.available and str(tiny_medgemma_dir) in info.reason


def test_saved_template_renders_the_reference_prompt(backend):
    """The template we ship for configuration-built models renders as MedGemma's does."""
    messages = reference_messages()
    messages[1]["content"][0]["image"] = prepare_image(chest_image(), 56).rgb
    inputs = backend.processor.apply_chat_template(
        messages, add_generation_prompt=True, tokenize=True, return_dict=True
    )
    text = backend.processor.tokenizer.decode(
        inputs["input_ids"][0], skip_special_tokens=False
    )
    assert text == REFERENCE_RENDERING


def test_two_turn_conversation_stores_raw_output_and_parameters(
    backend, make_context, generated_ids
):
    first, second, _ = conversation(make_context)
    replies = run(backend, [first, second])
    tokenizer = backend.processor.tokenizer
    for reply, ids in zip(replies, generated_ids, strict=True):
        assert reply.raw_output == tokenizer.decode(ids, skip_special_tokens=False)
        assert reply.parameters["generated_tokens"] == len(ids) <= MAX_NEW_TOKENS
        assert (
            reply.parameters["do_sample"] is False
            and reply.parameters["decoding"] == "greedy"
        )
        assert reply.parameters["max_new_tokens"] == MAX_NEW_TOKENS
        assert reply.parameters["prompt_version"] == PROMPT_VERSION
        assert reply.parameters["model_version"] == backend.model_version
        assert reply.parameters["finish_reason"] in {"stop", "length"}
        assert reply.parameters["time_to_first_token_s"] > 0
        json.dumps(reply.parameters)  # stored on the turn as JSON
        # A random model writes gibberish: the grounded draft is shown, and the turn says why.
        assert reply.text == DRAFT_ZH and reply.parameters["used_draft"] is True
        assert any("grounded draft is shown instead" in w for w in reply.warnings)
    assert replies[0].parameters["reused_prefix_tokens"] == 0
    assert (
        0
        < replies[1].parameters["reused_prefix_tokens"]
        < replies[1].parameters["prompt_tokens"]
    )


def test_english_gibberish_from_the_tiny_model_shows_the_draft(backend, make_context):
    """English letters pass the language check, so U+FFFD and control tokens must not."""
    first = make_context(question="Is there anything abnormal in the lungs?")
    second = dataclasses.replace(first, question="How far is it from the hilum?")
    for reply in run(backend, [first, second]):
        assert reply.text == DRAFT_EN and reply.parameters["used_draft"] is True
        assert any("grounded draft is shown instead" in w for w in reply.warnings)
        assert reply.raw_output  # the gibberish itself is kept for audit


def test_prompt_holds_history_anchors_numbers_and_language(backend, make_context):
    first, second, _ = conversation(make_context)
    context = dataclasses.replace(
        second, history=(HistoryTurn(question=first.question, answer=DRAFT_ZH),)
    )
    prompt = backend.prompt_text(context)
    assert prompt.count("<start_of_image>") == 1
    assert (
        prompt.index("<start_of_image>")
        < prompt.index("右肺有结节吗？")
        < prompt.index(DRAFT_ZH)
    )
    assert (
        "[A3] nodule" in prompt
        and "size 18.2 x 12.0 mm" in prompt
        and "5.2 cm" in prompt
    )
    assert "Simplified Chinese (简体中文)" in prompt
    assert prompt.endswith(
        "Question: 它距离肺门多远？<end_of_turn>\n<start_of_turn>model\n"
    )


def test_localisation_without_a_parseable_box_warns_instead_of_failing(
    backend, make_context
):
    _, _, locate = conversation(make_context)
    reply = backend.compose(locate)
    assert "Query: Where is the right hilum?" in backend.prompt_text(locate)
    assert reply.boxes == ()
    assert any(
        "no box for 'right hilum'" in w or "malformed" in w for w in reply.warnings
    )
    assert reply.text == DRAFT_ZH


def test_streaming_passes_the_visible_text_as_it_is_generated(backend, make_context):
    pieces: list[str] = []
    reply = backend.compose(make_context(), on_text=pieces.append)
    assert pieces
    expected = ThoughtFilter()
    assert "".join(pieces) == expected.feed(reply.raw_output) + expected.flush()


def test_prefix_reuse_gives_the_same_greedy_output(
    backend, make_context, generated_ids
):
    """Turns 2 and 3 resume from the stored KV prefix; a no-cache run must agree token for token."""
    turns = conversation(make_context, image=chest_image(48, 72))
    backend.clear_cache()
    cached = run(backend, turns, stream=True)
    cached_ids = list(generated_ids)
    plain_backend = medgemma.MedGemmaBackend(
        backend.model,
        backend.processor,
        model_id=backend.model_id,
        model_version=backend.model_version,
        max_new_tokens=MAX_NEW_TOKENS,
        reuse_prefix=False,
    )
    plain = run(plain_backend, turns)
    assert generated_ids[len(cached_ids) :] == cached_ids
    assert [r.raw_output for r in plain] == [r.raw_output for r in cached]
    reused = [r.parameters["reused_prefix_tokens"] for r in cached]
    assert reused[0] == 0 and 0 < reused[1] < reused[2]
    assert all(r.parameters["reused_prefix_tokens"] == 0 for r in plain)


def test_a_different_image_never_reuses_the_prefix(backend, make_context):
    first, second, _ = conversation(make_context)
    backend.clear_cache()
    reply = backend.compose(first)
    other = chest_image() * 0.5
    follow_up = dataclasses.replace(
        second,
        image=other,
        history=(HistoryTurn(question=first.question, answer=reply.text),),
    )
    assert backend.compose(follow_up).parameters["reused_prefix_tokens"] == 0


def test_prefix_cache_keeps_only_a_few_snapshots(backend, make_context):
    backend.clear_cache()
    for value in range(medgemma.PREFIX_CACHE_ENTRIES + 2):
        backend.compose(make_context(image=chest_image() * (0.2 + 0.1 * value)))
    assert len(backend.prefix_cache) == medgemma.PREFIX_CACHE_ENTRIES


def test_text_only_turn_works_without_an_image(backend, make_context):
    reply = backend.compose(make_context(image=None))
    assert reply.parameters["prompt_tokens"] > 0
    assert "<start_of_image>" not in backend.prompt_text(make_context(image=None))


def test_messages_for_the_tiny_processor_count_image_tokens(backend, make_context):
    context = make_context()
    inputs = backend.processor.apply_chat_template(
        build_messages(context, prepare_image(context.image, 56)),
        add_generation_prompt=True,
        tokenize=True,
        return_dict=True,
        return_tensors="pt",
    )
    image_token = backend.model.config.image_token_index
    assert int((inputs["input_ids"] == image_token).sum()) == 4
    assert tuple(inputs["pixel_values"].shape) == (1, 3, 56, 56)


class TestAvailability:
    def test_missing_folder_is_named(self):
        with pytest.raises(
            BackendUnavailable,
            match=r"model folder /nonexistent does not exist; put the MedGemma folder at /nonexistent",
        ):
            create_backend("medgemma", BackendSettings(model_path="/nonexistent"))

    def test_uncached_hub_id_offline_is_named(self, monkeypatch):
        monkeypatch.setenv("HF_HUB_OFFLINE", "1")
        available, reason = medgemma.availability(
            BackendSettings(model_path="casebook-tests/not-a-model")
        )
        assert not available
        assert "casebook-tests/not-a-model" in reason and "HF_HUB_OFFLINE=1" in reason

    def test_uncached_hub_id_fails_at_once_without_touching_the_network(
        self, monkeypatch
    ):
        """HF_HUB_OFFLINE unset used to mean ~140 s of hub retries, then a vague error."""
        monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
        monkeypatch.setattr(medgemma, "_cached_snapshot", lambda _repo_id: None)
        attempts: list[object] = []

        def no_network(_socket, address, *args, **kwargs):
            attempts.append(address)
            raise OSError("the test forbids network access")

        monkeypatch.setattr(socket.socket, "connect", no_network)
        monkeypatch.setattr(socket.socket, "connect_ex", no_network)
        monkeypatch.setattr(socket, "create_connection", no_network)
        with pytest.raises(BackendUnavailable) as raised:
            create_backend(
                "medgemma",
                BackendSettings(model_path="google/medgemma-1.5-4b-it", device="cpu"),
            )
        message = str(raised.value)
        assert "\n" not in message
        assert (
            "google/medgemma-1.5-4b-it is not in the local Hugging Face cache"
            in message
        )
        assert (
            "put the weights in a folder and pass --model-path FOLDER "
            "(or set CASEBOOK_MODEL_PATH)" in message
        )
        assert attempts == []  # failed at once: no connection was even tried

    def test_backends_list_names_the_missing_weights_and_the_missing_gpu(
        self, monkeypatch
    ):
        monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
        monkeypatch.setattr(medgemma, "_cached_snapshot", lambda _repo_id: None)
        monkeypatch.setattr(medgemma, "_cuda_available", lambda: False)
        available, reason = medgemma.availability(BackendSettings())
        assert not available
        assert (
            "google/medgemma-1.5-4b-it is not in the local Hugging Face cache" in reason
        )
        assert "--model-path FOLDER" in reason
        assert "needs a CUDA GPU" in reason

    def test_missing_packages_say_what_to_install(self, monkeypatch):
        monkeypatch.setattr(
            medgemma, "_missing_packages", lambda: ["torch", "transformers"]
        )
        available, reason = medgemma.availability(
            BackendSettings(model_path="/nonexistent")
        )
        assert not available
        assert reason.startswith(
            "needs torch and transformers: pip install -e '.[gpu]'; "
        )
        assert "model folder /nonexistent does not exist" in reason

    @pytest.mark.parametrize(
        ("files", "problem"),
        [
            ({}, "no config.json"),
            ({"config.json": '{"model_type": "gemma3"}'}, "no weights"),
            (
                {"config.json": '{"model_type": "gemma3"}', "model.safetensors": ""},
                "no tokenizer",
            ),
            (
                {
                    "config.json": '{"model_type": "llama"}',
                    "model.safetensors": "",
                    "tokenizer.json": "{}",
                },
                "holds a 'llama' model",
            ),
        ],
    )
    def test_incomplete_folder_is_named(self, tmp_path, files, problem):
        for name, text in files.items():
            (tmp_path / name).write_text(text)
        available, reason = medgemma.availability(
            BackendSettings(model_path=str(tmp_path))
        )
        assert not available
        assert problem in reason and str(tmp_path) in reason

    def test_large_model_needs_a_gpu_unless_cpu_is_asked_for(
        self, monkeypatch, tiny_medgemma_dir
    ):
        monkeypatch.setattr(medgemma, "CPU_WEIGHTS_LIMIT", 0)
        monkeypatch.setattr(medgemma, "_cuda_available", lambda: False)
        available, reason = medgemma.availability(
            BackendSettings(model_path=str(tiny_medgemma_dir))
        )
        assert (
            not available
            and "needs a CUDA GPU" in reason
            and "CASEBOOK_DEVICE=cpu" in reason
        )
        available, reason = medgemma.availability(
            BackendSettings(model_path=str(tiny_medgemma_dir), device="cpu")
        )
        assert available and "slow" in reason

    def test_cuda_requested_without_a_gpu(self, monkeypatch, tiny_medgemma_dir):
        monkeypatch.setattr(medgemma, "_cuda_available", lambda: False)
        available, reason = medgemma.availability(
            BackendSettings(model_path=str(tiny_medgemma_dir), device="cuda")
        )
        assert not available and "'cuda' was requested" in reason


@pytest.mark.gpu
def test_tiny_model_on_the_gpu_in_bf16(tiny_medgemma_dir, make_context):
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    gpu = create_backend(
        "medgemma",
        BackendSettings(
            model_path=str(tiny_medgemma_dir), device="cuda", max_new_tokens=8
        ),
    )
    assert (gpu.parameters["device"].startswith("cuda"), gpu.parameters["dtype"]) == (
        True,
        "bfloat16",
    )
    first, second, _ = conversation(make_context)
    replies = run(gpu, [first, second], stream=True)
    assert replies[1].parameters["reused_prefix_tokens"] > 0
