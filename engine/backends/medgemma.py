"""MedGemma through transformers and torch, reusing the image prefix across turns.

Local weights, greedy decoding, streaming through a generation thread.

torch and transformers are imported inside functions only, so that importing the engine
stays fast and works without them (`tests/test_layers.py` checks this).

Prefix reuse. A follow-up turn on the same image repeats the system text, the 256 image
tokens and every earlier exchange; only the last exchange and the new question are new.
After the prompt of each turn is built, the tokens up to the start of the current user
message (on the first turn: up to the end of the image) form a *stable prefix*: the next
turn's prompt starts with exactly these tokens, whatever the dialogue does with this
turn's answer. The backend prefills that prefix, keeps a copy of its KV cache keyed by
the image digest and the prefix tokens, and generates the rest. The next turn looks up
the longest stored prefix of its own prompt, copies that cache and feeds only the new
tokens. Snapshots are taken at a prefix boundary rather than by cropping a finished
cache because Gemma 3's sliding-window layers drop old keys and cannot be cropped back.
Image soft tokens are identical for every image, so a snapshot is only ever reused for
the same image digest. The tests check that greedy output is the same with and without
reuse.
"""

from __future__ import annotations

import copy
import hashlib
import importlib.util
import json
import os
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from engine.backends.base import BackendReply, TurnContext
from engine.backends.parsing import ThoughtFilter, interpret_output
from engine.backends.prompting import (
    GEMMA3_CHAT_TEMPLATE,
    PROMPT_VERSION,
    PreparedImage,
    build_messages,
    prepare_image,
)
from engine.errors import BackendFailed, BackendUnavailable

DEFAULT_MODEL = "google/medgemma-1.5-4b-it"
KNOWN_MODELS = ("google/medgemma-1.5-4b-it", "google/medgemma-4b-it")
INSTALL_HINT = "pip install -e '.[gpu]'"
CPU_WEIGHTS_LIMIT = 2 * 1024**3
"""Weights larger than this (about 1 B parameters in bf16) need a GPU unless the device is
set to "cpu" explicitly: the 4B model on CPU takes minutes per answer."""
PREFIX_CACHE_ENTRIES = 4
BOX_SOURCE = "medgemma box_2d"

_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelLocation:
    """Where the weights are: a local folder, possibly a Hugging Face cache snapshot."""

    spec: str  # as configured: a folder or a hub id
    folder: Path
    weights_bytes: int
    version: str


WEIGHTS_HINT = "put the weights in a folder and pass --model-path FOLDER (or set CASEBOOK_MODEL_PATH)"


def _offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in {
        "1",
        "true",
        "yes",
        "on",
    }


def _missing_packages() -> list[str]:
    return [
        name
        for name in ("torch", "transformers")
        if importlib.util.find_spec(name) is None
    ]


def locate_model(spec: str | None) -> ModelLocation:
    """Resolve a model path or hub id to local weights, without importing torch.

    A hub id must already be in the local Hugging Face cache: Casebook never downloads
    weights (the repos are gated and 8 GB; hospital machines usually cannot reach the hub,
    where each download attempt costs minutes of retries before it fails).

    Raises:
        BackendUnavailable: the folder does not exist or is incomplete, or the hub id is
            not in the local cache; the message names the path or id and what to do.
    """
    spec = (spec or DEFAULT_MODEL).strip()
    path = Path(spec).expanduser()
    if path.is_dir():
        return _folder_location(spec, path)
    if not _HUB_ID.match(spec):
        raise BackendUnavailable(
            f"model folder {spec} does not exist; put the MedGemma folder at {spec} or set "
            "CASEBOOK_MODEL_PATH (or --model-path) to where it is"
        )
    snapshot = _cached_snapshot(spec)
    if snapshot is not None:
        return _folder_location(spec, snapshot)
    offline = " (HF_HUB_OFFLINE=1)" if _offline() else ""
    raise BackendUnavailable(
        f"{spec} is not in the local Hugging Face cache{offline}; {WEIGHTS_HINT}, or fill "
        f"the cache first with `hf download {spec}` (gated: needs a token that accepted "
        "the HAI-DEF terms)"
    )


def _cached_snapshot(repo_id: str) -> Path | None:
    if importlib.util.find_spec("huggingface_hub") is None:
        return None
    from huggingface_hub import try_to_load_from_cache

    found = try_to_load_from_cache(repo_id, "config.json")
    return Path(found).parent if isinstance(found, str) else None


def _folder_location(spec: str, folder: Path) -> ModelLocation:
    hint = f"put the complete MedGemma folder at {folder} or set CASEBOOK_MODEL_PATH"
    config = folder / "config.json"
    if not config.is_file():
        raise BackendUnavailable(f"model folder {folder} has no config.json; {hint}")
    weights = sorted(folder.glob("*.safetensors")) or sorted(
        folder.glob("pytorch_model*.bin")
    )
    if not weights:
        raise BackendUnavailable(
            f"model folder {folder} has no weights (*.safetensors); {hint}"
        )
    if not any(
        (folder / name).is_file() for name in ("tokenizer.json", "tokenizer.model")
    ):
        raise BackendUnavailable(
            f"model folder {folder} has no tokenizer (tokenizer.json); {hint}"
        )
    try:
        model_type = json.loads(config.read_text(encoding="utf-8")).get("model_type")
    except (OSError, json.JSONDecodeError) as exc:
        raise BackendUnavailable(
            f"model folder {folder} has an unreadable config.json ({exc}); {hint}"
        ) from exc
    if model_type != "gemma3":
        raise BackendUnavailable(
            f"model folder {folder} holds a {model_type!r} model, not MedGemma (gemma3); {hint}"
        )
    size = sum(w.stat().st_size for w in weights)
    return ModelLocation(
        spec=spec,
        folder=folder,
        weights_bytes=size,
        version=_folder_version(folder, weights),
    )


def _folder_version(folder: Path, weights: list[Path]) -> str:
    """A cheap fingerprint: the hub commit of a cache snapshot, else config + weight headers."""
    if folder.parent.name == "snapshots":
        return f"hub:{folder.name}"
    digest = hashlib.sha256((folder / "config.json").read_bytes())
    for weight in weights:
        digest.update(weight.name.encode())
        digest.update(str(weight.stat().st_size).encode())
        if weight.suffix == ".safetensors":
            with weight.open(
                "rb"
            ) as handle:  # the header lists every tensor's name, dtype and offsets
                length = int.from_bytes(handle.read(8), "little")
                digest.update(handle.read(min(length, 64 * 1024 * 1024)))
    return f"local:{digest.hexdigest()[:16]}"


def _choose_device(
    settings: Any, location: ModelLocation | None
) -> tuple[str | None, str]:
    """(device, note) or (None, reason it cannot run here). Imports torch when it must.

    Without a location the model counts as large (the default 4B).
    """
    wanted = getattr(settings, "device", None)
    if wanted not in (None, "cpu", "cuda") and not str(wanted).startswith("cuda:"):
        return None, f"unknown device {wanted!r}; use 'cuda', 'cuda:N' or 'cpu'"
    small = location is not None and location.weights_bytes <= CPU_WEIGHTS_LIMIT
    if wanted == "cpu":
        return "cpu", "on CPU" + (
            "" if small else " (slow: expect minutes per answer with a 4B model)"
        )
    if wanted is None and small:
        return (
            ("cuda", "on the GPU")
            if _cuda_available()
            else ("cpu", "on CPU (small model)")
        )
    if _cuda_available():
        return (wanted or "cuda"), "on the GPU"
    if wanted is not None:
        return None, (
            f"device {wanted!r} was requested but torch sees no CUDA GPU (a CPU-only torch "
            "build or no driver); set CASEBOOK_DEVICE=cpu to run on CPU"
        )
    return None, (
        "needs a CUDA GPU and torch sees none (a CPU-only torch build or no driver); on CPU the "
        "4B model takes minutes per answer: set CASEBOOK_DEVICE=cpu to run it there anyway"
    )


def _cuda_available() -> bool:
    import torch

    return bool(torch.cuda.is_available())


def availability(settings: Any) -> tuple[bool, str]:
    """Whether MedGemma can run here; the reason names every package, weight or GPU missing."""
    problems = []
    missing = _missing_packages()
    if missing:
        problems.append(f"needs {' and '.join(missing)}: {INSTALL_HINT}")
    location: ModelLocation | None = None
    try:
        location = locate_model(getattr(settings, "model_path", None))
    except BackendUnavailable as exc:
        problems.append(str(exc))
    # Without torch the device cannot be judged; without weights, judge it for the 4B.
    device, note = (None, "") if missing else _choose_device(settings, location)
    if device is None and not missing:
        where = f"{location.spec} ({location.folder})" if location else "MedGemma"
        problems.append(f"{where} {note}")
    if problems or location is None:
        return False, "; ".join(problems)
    return True, f"{location.spec} from {location.folder}, {note}"


def create(settings: Any) -> MedGemmaBackend:
    """Load MedGemma as configured.

    Raises:
        BackendUnavailable: packages, weights or a GPU are missing, or loading failed.
    """
    available, reason = availability(settings)
    if not available:
        raise BackendUnavailable(reason)
    location = locate_model(getattr(settings, "model_path", None))
    device, _ = _choose_device(settings, location)
    return MedGemmaBackend.load(
        location,
        device=device,
        max_new_tokens=int(getattr(settings, "max_new_tokens", 512)),
    )


@dataclass(slots=True)
class _Snapshot:
    tokens: Any  # 1-D LongTensor on the CPU: the prefix the cache covers
    cache: Any  # transformers Cache after prefilling exactly `tokens`


class PrefixCache:
    """A few KV-cache snapshots, least recently used first out, keyed by image digest."""

    def __init__(self, max_entries: int = PREFIX_CACHE_ENTRIES) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple[str, int, str], _Snapshot] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        self._entries.clear()

    def longest_prefix(
        self, image_digest: str, tokens: Any, limit: int
    ) -> _Snapshot | None:
        """The stored snapshot covering the longest prefix of `tokens` shorter than `limit`."""
        best_key, best = None, None
        for key, snap in self._entries.items():
            length = int(snap.tokens.shape[0])
            if (
                key[0] != image_digest
                or length >= limit
                or (best is not None and length <= best.tokens.shape[0])
            ):
                continue
            if bool((tokens[:length] == snap.tokens).all()):
                best_key, best = key, snap
        if best_key is not None:
            self._entries.move_to_end(best_key)
        return best

    def put(self, image_digest: str, tokens: Any, cache: Any) -> None:
        key = (
            image_digest,
            int(tokens.shape[0]),
            hashlib.sha1(tokens.numpy().tobytes()).hexdigest(),
        )
        self._entries[key] = _Snapshot(tokens=tokens, cache=cache)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)


class MedGemmaBackend:
    """MedGemma (Gemma 3 architecture) writing the prose of each turn, greedy and streamed."""

    name = "medgemma"

    def __init__(
        self,
        model: Any,
        processor: Any,
        *,
        model_id: str,
        model_version: str,
        max_new_tokens: int = 512,
        reuse_prefix: bool = True,
        cache_entries: int = PREFIX_CACHE_ENTRIES,
    ) -> None:
        import torch
        import transformers

        self.model = model
        self.processor = processor
        self.model_id = model_id
        self.model_version = model_version
        self.max_new_tokens = max_new_tokens
        self.reuse_prefix = reuse_prefix
        self.prefix_cache = PrefixCache(cache_entries)
        self.device = str(model.device)
        self.dtype = str(model.dtype).removeprefix("torch.")
        self.image_side = int(model.config.vision_config.image_size)
        self._versions = {
            "torch": torch.__version__,
            "transformers": transformers.__version__,
        }
        tokenizer = processor.tokenizer
        self._start_of_turn = int(tokenizer.convert_tokens_to_ids("<start_of_turn>"))
        self._end_of_image = int(model.config.eoi_token_index)
        self._image_token = int(model.config.image_token_index)
        eos = model.generation_config.eos_token_id
        eos_ids = (
            set(eos if isinstance(eos, list) else [eos]) if eos is not None else set()
        )
        eos_ids.add(int(tokenizer.convert_tokens_to_ids("<end_of_turn>")))
        self._eos_ids = sorted(i for i in eos_ids if i is not None)
        self._lock = threading.Lock()
        self._clock = _TokenClock()

    @classmethod
    def load(
        cls, location: ModelLocation, *, device: str | None, max_new_tokens: int = 512
    ) -> MedGemmaBackend:
        """Load processor and weights from the local folder: bf16 on CUDA, float32 on CPU.

        Raises:
            BackendUnavailable: transformers cannot load the folder.
        """
        import torch
        from transformers import AutoModelForImageTextToText, AutoProcessor

        device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        dtype = torch.bfloat16 if device.startswith("cuda") else torch.float32
        source = str(location.folder)
        try:
            # local_files_only: the folder is complete (locate_model checked it), so
            # nothing may trigger a hub lookup and its minutes of retries.
            processor = AutoProcessor.from_pretrained(source, local_files_only=True)
            model: Any = AutoModelForImageTextToText.from_pretrained(
                source, dtype=dtype, local_files_only=True
            )
        except (OSError, ValueError, RuntimeError) as exc:
            first_line = (
                str(exc).strip().splitlines()[0]
                if str(exc).strip()
                else type(exc).__name__
            )
            raise BackendUnavailable(
                f"cannot load MedGemma from {source}: {first_line}"
            ) from exc
        if getattr(processor, "chat_template", None) is None:
            processor.chat_template = GEMMA3_CHAT_TEMPLATE
        model = model.to(device)
        model.eval()
        model.generation_config.do_sample = False
        return cls(
            model,
            processor,
            model_id=location.spec,
            model_version=location.version,
            max_new_tokens=max_new_tokens,
        )

    @property
    def parameters(self) -> dict[str, Any]:
        return {
            "model_id": self.model_id,
            "model_version": self.model_version,
            "decoding": "greedy",
            "do_sample": False,
            "max_new_tokens": self.max_new_tokens,
            "dtype": self.dtype,
            "device": self.device,
            "prefix_reuse": self.reuse_prefix,
            "prompt_version": PROMPT_VERSION,
            **self._versions,
        }

    def clear_cache(self) -> None:
        """Forget every stored prefix (e.g. when GPU memory is needed elsewhere)."""
        with self._lock:
            self.prefix_cache.clear()

    def compose(
        self, context: TurnContext, on_text: Callable[[str], None] | None = None
    ) -> BackendReply:
        """Write this turn's answer; see the module docstring for the prefix reuse.

        Raises:
            BackendFailed: generation raised (e.g. out of GPU memory).
        """
        started = time.perf_counter()
        image = (
            prepare_image(context.image, self.image_side)
            if context.image is not None
            else None
        )
        inputs = self._inputs(context, image)
        with self._lock:
            self._clock.reset()
            try:
                generated, reused = self._generate(inputs, image, context, on_text)
            except BackendFailed:
                raise
            except (RuntimeError, ValueError, IndexError) as exc:
                raise BackendFailed(
                    f"MedGemma generation failed: {str(exc).splitlines()[0]}"
                ) from exc
            first_token_at = self._clock.first_token_at
        finished_at = time.perf_counter()
        elapsed = finished_at - started
        raw = self.processor.tokenizer.decode(generated, skip_special_tokens=False)
        finished = bool(generated) and generated[-1] in self._eos_ids
        interpretation = interpret_output(
            raw,
            context,
            image_size=(image.rows, image.cols) if image else None,
            source=BOX_SOURCE,
        )
        warnings = list(interpretation.warnings)
        if not finished:
            warnings.insert(
                0, f"the answer was cut at max_new_tokens={self.max_new_tokens}"
            )
        parameters = {
            **self.parameters,
            "prompt_tokens": int(inputs["input_ids"].shape[1]),
            "reused_prefix_tokens": reused,
            "generated_tokens": len(generated),
            "finish_reason": "stop" if finished else "length",
            "elapsed_s": round(elapsed, 3),
            **_speed(started, first_token_at, finished_at, len(generated)),
            "used_draft": interpretation.used_draft,
        }
        return BackendReply(
            text=interpretation.text,
            raw_output=raw,
            boxes=interpretation.boxes,
            parameters=parameters,
            warnings=tuple(warnings),
        )

    def prompt_text(self, context: TurnContext) -> str:
        """The exact prompt string this backend renders for a turn (image tokens unexpanded)."""
        image = (
            prepare_image(context.image, self.image_side)
            if context.image is not None
            else None
        )
        text: str = self.processor.apply_chat_template(
            build_messages(context, image), add_generation_prompt=True, tokenize=False
        )
        return text

    def _inputs(self, context: TurnContext, image: PreparedImage | None) -> Any:
        import torch

        inputs = self.processor.apply_chat_template(
            build_messages(context, image),
            add_generation_prompt=True,
            tokenize=True,
            return_dict=True,
            return_tensors="pt",
        )
        floating = torch.bfloat16 if self.dtype == "bfloat16" else torch.float32
        return inputs.to(self.model.device, dtype=floating)

    def _stable_prefix(self, ids: Any, has_history: bool) -> int:
        """Length of the prompt prefix the next turn will repeat token for token."""
        positions = (ids == self._start_of_turn).nonzero().flatten().tolist()
        if has_history and len(positions) >= 2:
            return int(positions[-2])  # the current user message starts here
        image_ends = (ids == self._end_of_image).nonzero().flatten().tolist()
        return int(image_ends[-1]) + 1 if image_ends else 0

    def _generate(
        self,
        inputs: Any,
        image: PreparedImage | None,
        context: TurnContext,
        on_text: Callable[[str], None] | None,
    ) -> tuple[list[int], int]:
        """Run greedy generation, reusing and storing prefix snapshots; (new ids, reused)."""
        import torch
        from transformers import DynamicCache

        ids = inputs["input_ids"][0]
        total = int(ids.shape[0])
        kwargs: dict[str, Any] = {
            "input_ids": inputs["input_ids"],
            "attention_mask": inputs["attention_mask"],
            "max_new_tokens": self.max_new_tokens,
            "do_sample": False,
            "eos_token_id": self._eos_ids,
        }
        if "token_type_ids" in inputs:
            kwargs["token_type_ids"] = inputs["token_type_ids"]
        reused = 0
        if not self.reuse_prefix:
            if "pixel_values" in inputs:
                kwargs["pixel_values"] = inputs["pixel_values"]
            return self._run(kwargs, total, context, on_text), reused

        digest = image.digest if image is not None else "text-only"
        boundary = self._stable_prefix(ids, bool(context.history))
        cpu_ids = ids.detach().to("cpu")
        snapshot = self.prefix_cache.longest_prefix(digest, cpu_ids, limit=total)
        image_positions = (ids == self._image_token).nonzero().flatten()
        if (
            snapshot is not None
            and image_positions.numel()
            and int(image_positions.max()) >= snapshot.tokens.shape[0]
        ):
            snapshot = (
                None  # never resume in front of image tokens: the image must be encoded
            )
        if snapshot is not None:
            cache = copy.deepcopy(snapshot.cache)
            reused = int(snapshot.tokens.shape[0])
        else:
            cache = DynamicCache(config=self.model.config)
        with torch.inference_mode():
            if boundary > reused:
                chunk: dict[str, Any] = {
                    "input_ids": inputs["input_ids"][:, reused:boundary],
                    "attention_mask": inputs["attention_mask"][:, :boundary],
                    "cache": cache,
                    "use_cache": True,
                    "logits_to_keep": 1,
                }
                if reused == 0 and "pixel_values" in inputs and image_positions.numel():
                    chunk["pixel_values"] = inputs["pixel_values"]
                    chunk["token_type_ids"] = inputs["token_type_ids"][:, :boundary]
                self.model(**chunk)
                self.prefix_cache.put(
                    digest, cpu_ids[:boundary].clone(), copy.deepcopy(cache)
                )
            elif reused == 0 and "pixel_values" in inputs:
                kwargs["pixel_values"] = inputs["pixel_values"]
        kwargs["cache"] = cache
        return self._run(kwargs, total, context, on_text), reused

    def _run(
        self,
        kwargs: dict[str, Any],
        prompt_length: int,
        context: TurnContext,
        on_text: Callable[[str], None] | None,
    ) -> list[int]:
        """model.generate, streamed through a TextIteratorStreamer thread when asked."""
        import torch
        from transformers import TextIteratorStreamer

        if on_text is None:
            with torch.inference_mode():
                out = self.model.generate(**kwargs, streamer=self._clock)
            return [int(t) for t in out[0, prompt_length:].tolist()]

        streamer = TextIteratorStreamer(
            self.processor.tokenizer, skip_prompt=True, skip_special_tokens=False
        )
        self._clock.inner = streamer
        result: dict[str, Any] = {}

        def work() -> None:
            try:
                with torch.inference_mode():
                    result["out"] = self.model.generate(**kwargs, streamer=self._clock)
            except Exception as exc:  # re-raised in the caller's thread below
                result["error"] = exc
                streamer.end()

        thread = threading.Thread(target=work, name="medgemma-generate", daemon=True)
        thread.start()
        shown = ThoughtFilter(stop_at_final_answer=context.localize)
        callback_error: Exception | None = None
        for piece in streamer:
            visible = shown.feed(piece)
            if visible and callback_error is None:
                try:
                    on_text(visible)
                except Exception as exc:  # keep draining so generation can finish
                    callback_error = exc
        thread.join()
        if "error" in result:
            error = result["error"]
            raise BackendFailed(
                f"MedGemma generation failed: {str(error).splitlines()[0]}"
            ) from error
        rest = shown.flush()
        if rest and callback_error is None:
            on_text(rest)
        if callback_error is not None:
            raise callback_error
        return [int(t) for t in result["out"][0, prompt_length:].tolist()]


def _speed(
    started: float, first_token_at: float | None, finished_at: float, tokens: int
) -> dict[str, float | None]:
    """Time to the first token (image, prefill and the first step) and decoding speed."""
    if first_token_at is None:
        return {"time_to_first_token_s": None, "decode_tokens_per_s": None}
    decoding = finished_at - first_token_at
    rate = (tokens - 1) / decoding if tokens > 1 and decoding > 0 else None
    return {
        "time_to_first_token_s": round(first_token_at - started, 4),
        "decode_tokens_per_s": None if rate is None else round(rate, 2),
    }


class _TokenClock:
    """A `generate()` streamer that notes when the first new token arrives.

    generate() puts the prompt first, then each new token; an inner streamer (the
    chat's TextIteratorStreamer) gets everything forwarded.
    """

    def __init__(self) -> None:
        self.inner: Any = None
        self.first_token_at: float | None = None
        self._prompt_seen = False

    def reset(self) -> None:
        self.inner, self.first_token_at, self._prompt_seen = None, None, False

    def put(self, value: Any) -> None:
        if self._prompt_seen and self.first_token_at is None:
            self.first_token_at = time.perf_counter()
        self._prompt_seen = True
        if self.inner is not None:
            self.inner.put(value)

    def end(self) -> None:
        if self.inner is not None:
            self.inner.end()


# ---- random Gemma 3 models for self-tests and benchmarks (no download) ----------------

SPECIAL_TOKENS = (
    "<pad>", "<eos>", "<bos>", "<unk>", "<mask>", "<start_of_turn>", "<end_of_turn>",
    "<start_of_image>", "<end_of_image>", "<image_soft_token>",
)  # fmt: skip
THOUGHT_TOKENS = ("<unused94>", "<unused95>")


@dataclass(frozen=True, slots=True, kw_only=True)
class RandomGemma3Spec:
    """Sizes of a randomly initialised Gemma 3 model (text decoder + SigLIP tower)."""

    hidden: int
    intermediate: int
    layers: int
    heads: int
    kv_heads: int
    head_dim: int
    sliding_window: int
    vocab_size: int | None  # None: exactly the tokenizer's vocabulary
    vision_hidden: int
    vision_intermediate: int
    vision_layers: int
    vision_heads: int
    image_size: int
    image_tokens: int
    initializer_range: float = 0.02
    tie_word_embeddings: bool = True


TINY = RandomGemma3Spec(
    hidden=32, intermediate=64, layers=2, heads=2, kv_heads=1, head_dim=16, sliding_window=16,
    vocab_size=None, vision_hidden=32, vision_intermediate=64, vision_layers=2, vision_heads=2,
    image_size=56, image_tokens=4, initializer_range=0.5, tie_word_embeddings=False,
)  # fmt: skip
"""The reference's tiny recipe, with a wide initialiser and an untied output layer so that
greedy decoding gives varied tokens (a tied random model repeats one token), which makes
the with/without prefix-reuse comparison meaningful."""

MEDGEMMA_4B = RandomGemma3Spec(
    hidden=2560, intermediate=10240, layers=34, heads=8, kv_heads=4, head_dim=256, sliding_window=1024,
    vocab_size=262144, vision_hidden=1152, vision_intermediate=4304, vision_layers=27, vision_heads=16,
    image_size=896, image_tokens=256,
)  # fmt: skip
"""MedGemma-4B's shapes (model-backends.md 1.1): 34 layers, 5 local : 1 global attention,
SigLIP-So400m at 896 px pooled to 256 image tokens."""


def build_random_gemma3(
    spec: RandomGemma3Spec, *, words: tuple[str, ...] = (), seed: int = 0
) -> tuple[Any, Any]:
    """A randomly initialised Gemma 3 model and its processor, built offline on the CPU.

    The tokenizer has Gemma's special tokens, byte fallback (so any text, Chinese
    included, encodes), printable ASCII and, when `words` are given, one token per word
    (so English prompts tokenise at roughly Gemma's density). Returns (model, processor).
    Build large specs under `torch.device("cuda")` with a bf16 default dtype.
    """
    import torch
    from transformers import (
        Gemma3Config,
        Gemma3ForConditionalGeneration,
        Gemma3Processor,
        GemmaTokenizer,
    )
    from transformers.models.gemma3.image_processing_pil_gemma3 import (
        Gemma3ImageProcessorPil,
    )

    vocab: dict[str, int] = {token: index for index, token in enumerate(SPECIAL_TOKENS)}
    vocab.update({f"<0x{b:02X}>": len(SPECIAL_TOKENS) + b for b in range(256)})
    for char in "▁\n" + "".join(chr(c) for c in range(33, 127)):
        vocab.setdefault(char, len(vocab))
    for token in (*THOUGHT_TOKENS, "\n\n"):
        vocab.setdefault(token, len(vocab))
    merges: list[tuple[str, str]] = [("\n", "\n")]
    for word in dict.fromkeys(words):
        piece = "▁"
        for char in word:
            if char not in vocab:
                break
            merged = piece + char
            if merged not in vocab:
                vocab[merged] = len(vocab)
                merges.append((piece, char))
            piece = merged
    index = 100
    while spec.vocab_size is not None and len(vocab) < spec.vocab_size:
        vocab.setdefault(f"<unused{index}>", len(vocab))  # every model id decodes
        index += 1
    tokenizer = GemmaTokenizer(
        vocab=vocab,
        merges=cast(Any, merges),  # pairs work; the annotation only names strings
        extra_special_tokens={
            "boi_token": "<start_of_image>",
            "eoi_token": "<end_of_image>",
            "image_token": "<image_soft_token>",
        },
    )
    tokenizer.add_special_tokens(
        {"additional_special_tokens": ["<start_of_turn>", "<end_of_turn>"]}
    )
    ids: dict[str, int] = {
        token: cast(int, tokenizer.convert_tokens_to_ids(token))
        for token in SPECIAL_TOKENS
    }
    image_processor = Gemma3ImageProcessorPil(
        size={"height": spec.image_size, "width": spec.image_size},
        image_mean=[0.5] * 3,
        image_std=[0.5] * 3,
    )
    processor = Gemma3Processor(
        image_processor=image_processor,
        tokenizer=tokenizer,
        chat_template=GEMMA3_CHAT_TEMPLATE,
        image_seq_length=spec.image_tokens,
    )
    layer_types = [
        "full_attention" if (i + 1) % 6 == 0 else "sliding_attention"
        for i in range(spec.layers)
    ]
    if "full_attention" not in layer_types:
        layer_types[-1] = "full_attention"  # small models still get one global layer
    config_kwargs: dict[str, Any] = {
        "text_config": {
            "vocab_size": spec.vocab_size or len(tokenizer),
            "hidden_size": spec.hidden,
            "intermediate_size": spec.intermediate,
            "num_hidden_layers": spec.layers,
            "num_attention_heads": spec.heads,
            "num_key_value_heads": spec.kv_heads,
            "head_dim": spec.head_dim,
            "sliding_window": spec.sliding_window,
            "layer_types": layer_types,
            "initializer_range": spec.initializer_range,
            "tie_word_embeddings": spec.tie_word_embeddings,
            "pad_token_id": ids["<pad>"],
            "bos_token_id": ids["<bos>"],
            "eos_token_id": ids["<eos>"],
        },
        "vision_config": {
            "hidden_size": spec.vision_hidden,
            "intermediate_size": spec.vision_intermediate,
            "num_hidden_layers": spec.vision_layers,
            "num_attention_heads": spec.vision_heads,
            "image_size": spec.image_size,
            "patch_size": 14,
            "vision_use_head": False,
        },
        "mm_tokens_per_image": spec.image_tokens,
        "boi_token_index": ids["<start_of_image>"],
        "eoi_token_index": ids["<end_of_image>"],
        "image_token_index": ids["<image_soft_token>"],
        "eos_token_id": [ids["<eos>"], ids["<end_of_turn>"]],
        "initializer_range": spec.initializer_range,
        "tie_word_embeddings": spec.tie_word_embeddings,
    }
    config = Gemma3Config(**config_kwargs)
    torch.manual_seed(seed)
    model = Gemma3ForConditionalGeneration(config).eval()
    model.generation_config.eos_token_id = [ids["<eos>"], ids["<end_of_turn>"]]
    model.generation_config.pad_token_id = ids["<pad>"]
    model.generation_config.do_sample = False
    return model, processor


def write_random_gemma3(
    folder: Path, spec: RandomGemma3Spec = TINY, *, seed: int = 0
) -> Path:
    """Save a random Gemma 3 model and processor as a MedGemma-style folder (for tests)."""
    model, processor = build_random_gemma3(spec, seed=seed)
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder)
    processor.save_pretrained(folder)
    return folder
