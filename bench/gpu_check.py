"""GPU check: a MedGemma-4B-sized model, four turns on one image, with and without prefix reuse.

Builds Gemma 3 with MedGemma-4B's shapes (34 layers, hidden 2560, 8/4 heads of 256,
sliding window 1024 with 5 local : 1 global layers, vocabulary 262,144, SigLIP at 896 px
pooled to 256 image tokens) from its configuration, with random bf16 weights, directly
on the GPU: nothing is downloaded. Random weights give real timings (the same kernels
and shapes run), never real answers. It then runs the seed article's four-turn
conversation on an 896 x 896 image through the production backend
(`engine.backends.medgemma.MedGemmaBackend`) twice, once with the KV prefix reused
between turns and once without, and prints per-turn latency, time to first token,
decoding speed and peak GPU memory.

    python bench/gpu_check.py                 # needs a CUDA GPU; about 1-2 minutes
    python bench/gpu_check.py --tiny          # the same script on a 80 k-parameter model, CPU is fine
    python bench/gpu_check.py --json out.json # also write every number as JSON

Each configuration runs `--repeats` times (the prefix cache is cleared before each
repeat, so turn 1 is always cold); the table shows medians. The whole check must finish
within `--budget-s` (300 s, the issue's 5 minutes): when the budget runs out it stops,
prints what it measured so far and says so, and exits with status 3.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import re
import signal
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout too

from engine.backends.base import AnchorBrief, HistoryTurn, TurnContext
from engine.backends.prompting import LOCALIZATION_INSTRUCTION, SYSTEM_TEXT, turn_text

IMAGE_SIDE = 896
BUDGET_S = 300.0
EXIT_OVER_BUDGET = 3
ANCHORS = (
    AnchorBrief(id="A1", kind="lung", label="right lung", location="right lung"),
    AnchorBrief(id="A2", kind="lung", label="left lung", location="left lung"),
    AnchorBrief(
        id="A3",
        kind="nodule",
        label="round opacity",
        location="right middle zone outer band",
        numbers=("size 12.4 x 11.0 mm",),
    ),
    AnchorBrief(
        id="A4",
        kind="opacity",
        label="streaky opacity",
        location="left lower zone",
        numbers=("size 25.1 x 18.3 mm",),
    ),
    AnchorBrief(id="A5", kind="landmark", label="right hilum", location="right hilum"),
    AnchorBrief(
        id="M1", kind="measurement", label="A3 to A5", location="", numbers=("4.7 cm",)
    ),
)
# The seed article's four questions, with drafts of the length the dialogue writes.
TURNS = (
    (
        "肺部是否有异常?",
        "【肺部表现】\n1. 右中肺野外带见一圆形结节影 [A3]，大小约 12.4 x 11.0 mm，边界尚清。\n"
        "2. 左下肺野见条索状影 [A4]，大小约 25.1 x 18.3 mm。\n3. 其余肺野未见明确异常。\n\n"
        "【提示】本结果仅供受过训练的阅片者参考，不构成诊断。",
        False,
    ),
    (
        "右肺中叶那个圆形影,边缘是否规则?",
        "【右肺中叶病灶细节】\n病灶 [A3] 边缘呈浅分叶，于 10 点及 3 点方向见浅切迹；"
        "可见短细毛刺；内部密度均匀，未见空泡或钙化。\n\n【提示】本结果仅供参考，不构成诊断。",
        False,
    ),
    (
        "这个病灶距离右肺门有多远?是否与肺门结构相连?",
        "【空间关系分析】\n病灶 [A3] 中心距右肺门 [A5] 约 4.7 cm [M1]；两者之间未见软组织条索相连。"
        "\n\n【提示】本结果仅供参考，不构成诊断。",
        True,
    ),
    (
        "如果这是早期肺癌,典型X线表现应该有哪些?当前影像符合几条?",
        "【早期肺癌X线典型征象对照】\n孤立性结节 [A3]：符合。\n分叶征：符合。\n毛刺征：符合。\n"
        "空泡征：不符合。\n胸膜凹陷征：需 CT 评估。\n\n【提示】本结果仅供参考，不构成诊断。",
        False,
    ),
)


def chest_like_image(side: int = IMAGE_SIDE) -> np.ndarray:
    """A smooth synthetic frontal-film-like image (float32 0..1); content does not matter."""
    y, x = np.mgrid[0:side, 0:side].astype(np.float32) / side
    lungs = np.exp(-(((x - 0.3) / 0.14) ** 2 + ((y - 0.5) / 0.3) ** 2))
    lungs += np.exp(-(((x - 0.7) / 0.14) ** 2 + ((y - 0.5) / 0.3) ** 2))
    image = 0.85 - 0.55 * lungs + 0.05 * np.sin(40 * y)
    return np.clip(image, 0.0, 1.0).astype(np.float32)


def contexts() -> list[TurnContext]:
    image = chest_like_image()
    out = []
    for question, draft, localize in TURNS:
        out.append(
            TurnContext(
                question=question,
                language="zh",
                intent="locate" if localize else "describe",
                draft=draft,
                anchors=ANCHORS,
                image=image,
                image_key="gpu-check",
                localize=localize,
                localize_target="right hilum" if localize else None,
            )
        )
    return out


def vocabulary_words() -> tuple[str, ...]:
    """English words of the prompt, so that it tokenises at about Gemma's density."""
    text = (
        SYSTEM_TEXT
        + LOCALIZATION_INSTRUCTION
        + "".join(turn_text(c) for c in contexts())
    )
    return tuple(dict.fromkeys(re.findall(r"[A-Za-z]+", text)))


class OverBudget(Exception):
    """The check ran past its time budget."""


@contextmanager
def budget(seconds: float) -> Iterator[None]:
    """Raise OverBudget in the main thread once `seconds` have passed.

    A timer signal rather than checks between turns, so that one slow turn (a 4B model
    prefilling on a busy card) cannot carry the check past its budget either.
    """

    def expire(_signum: int, _frame: Any) -> None:
        raise OverBudget

    previous = signal.signal(signal.SIGALRM, expire)
    outer, _ = signal.setitimer(signal.ITIMER_REAL, max(seconds, 1e-3))
    entered = time.monotonic()
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer > 0:  # a caller's timer (e.g. pytest-timeout) keeps running
            left = outer - (time.monotonic() - entered)
            signal.setitimer(signal.ITIMER_REAL, max(left, 1e-3))


def conversation(
    backend: Any, turns: list[TurnContext], rows: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Ask the turns in order, feeding back the shown answer as history (as the dialogue does).

    Each turn's numbers are appended to `rows` as soon as it finishes, so a run stopped
    by the budget keeps the turns it completed.
    """
    history: list[HistoryTurn] = []
    for turn in turns:
        context = replace(turn, history=tuple(history))
        started = time.perf_counter()
        reply = backend.compose(context)
        wall = time.perf_counter() - started
        history.append(HistoryTurn(question=turn.question, answer=reply.text))
        p = reply.parameters
        rows.append(
            {
                "wall_s": wall,
                "prompt_tokens": p["prompt_tokens"],
                "reused_prefix_tokens": p["reused_prefix_tokens"],
                "generated_tokens": p["generated_tokens"],
                "time_to_first_token_s": p["time_to_first_token_s"],
                "decode_tokens_per_s": p["decode_tokens_per_s"],
                "raw_output": reply.raw_output,
            }
        )
    return rows


def median(rows: list[list[dict[str, Any]]], turn: int, key: str) -> float:
    """Median of one turn's value over the repeats that reached that turn (NaN if none)."""
    values = [
        repeat[turn][key]
        for repeat in rows
        if len(repeat) > turn and repeat[turn][key] is not None
    ]
    return statistics.median(values) if values else float("nan")


def first(rows: list[list[dict[str, Any]]], turn: int, key: str) -> Any:
    """A per-turn value that does not vary between repeats (token counts)."""
    for repeat in rows:
        if len(repeat) > turn:
            return repeat[turn][key]
    return None


def throughput(rows: list[list[dict[str, Any]]]) -> float:
    """Generated tokens per second of wall time over every completed turn."""
    done = [turn for repeat in rows for turn in repeat]
    seconds = sum(turn["wall_s"] for turn in done)
    return (
        sum(turn["generated_tokens"] for turn in done) / seconds
        if seconds
        else math.nan
    )


def cell(value: Any, spec: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return format(value, spec)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--tiny", action="store_true", help="tiny random model (runs on CPU)"
    )
    parser.add_argument(
        "--max-new-tokens",
        type=int,
        default=None,
        help="tokens per answer (default 128; tiny 16)",
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=None,
        help="runs per configuration (default 3; tiny 1)",
    )
    parser.add_argument("--json", type=Path, help="write all numbers to this file")
    parser.add_argument(
        "--budget-s",
        type=float,
        default=BUDGET_S,
        help=f"stop after this many seconds, imports included (default {BUDGET_S:.0f})",
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    os.environ["HF_HUB_OFFLINE"] = "1"  # nothing here may touch the hub

    import torch
    import transformers

    from engine.backends.medgemma import (
        MEDGEMMA_4B,
        TINY,
        MedGemmaBackend,
        build_random_gemma3,
    )

    cuda = torch.cuda.is_available()
    if not cuda and not args.tiny:
        print(
            f"gpu_check: no CUDA device (torch {torch.__version__} sees none). This check "
            "measures MedGemma-4B-sized inference on a GPU; run it with --tiny to exercise "
            "the script on CPU.",
            file=sys.stderr,
        )
        return 2
    device = "cuda" if cuda else "cpu"
    dtype = torch.bfloat16 if cuda else torch.float32
    spec = TINY if args.tiny else MEDGEMMA_4B
    max_new_tokens = args.max_new_tokens or (16 if args.tiny else 128)
    repeats = args.repeats or (1 if args.tiny else 3)
    card = torch.cuda.get_device_name() if cuda else platform.processor() or "CPU"
    turns = contexts()
    results: dict[str, list[list[dict[str, Any]]]] = {"no_reuse": [], "reuse": []}
    peak_gib: dict[str, float] = {}
    build_s, parameters = math.nan, 0
    stopped: str | None = None
    phase = "importing torch and transformers"
    try:
        with budget(args.budget_s - (time.perf_counter() - started)):
            phase = "building the model"
            build_started = time.perf_counter()
            torch.set_default_dtype(dtype)
            try:
                with torch.device(device):
                    model, processor = build_random_gemma3(
                        spec, words=vocabulary_words()
                    )
            finally:
                torch.set_default_dtype(torch.float32)
            model.eval()
            build_s = time.perf_counter() - build_started
            parameters = sum(p.numel() for p in model.parameters())
            backends = {
                mode: MedGemmaBackend(
                    model,
                    processor,
                    model_id=f"random Gemma 3 ({'tiny' if args.tiny else 'MedGemma-4B shapes'})",
                    model_version="random-weights",
                    max_new_tokens=max_new_tokens,
                    reuse_prefix=(mode == "reuse"),
                )
                for mode in ("no_reuse", "reuse")
            }
            warm_up = MedGemmaBackend(
                model,
                processor,
                model_id="warm-up",
                model_version="",
                max_new_tokens=4,
                reuse_prefix=False,
            )
            phase = "warming up"
            warm_up.compose(
                turns[0]
            )  # kernels, allocator and tokenizer caches warm up here
            for mode, backend in backends.items():
                if cuda:
                    torch.cuda.synchronize()
                    torch.cuda.reset_peak_memory_stats()
                for repeat in range(repeats):
                    phase = f"run {repeat + 1} {mode.replace('_', ' ')}"
                    backend.clear_cache()
                    results[mode].append([])
                    conversation(backend, turns, results[mode][-1])
                peak_gib[mode] = (
                    torch.cuda.max_memory_allocated() / 2**30 if cuda else math.nan
                )
    except OverBudget:
        stopped = (
            f"stopped: the {args.budget_s:g} s budget ran out while {phase}; "
            "the table holds only the turns that finished"
        )

    same = [
        results["reuse"][0][t]["raw_output"] == results["no_reuse"][0][t]["raw_output"]
        for t in range(len(turns))
        if results["reuse"]
        and results["no_reuse"]
        and len(results["reuse"][0]) > t
        and len(results["no_reuse"][0]) > t
    ]
    total_s = time.perf_counter() - started
    print(f"# GPU check: {card}")
    print(
        f"model: random Gemma 3, {parameters / 1e9:.2f} B parameters ({'tiny' if args.tiny else 'MedGemma-4B shapes'}), "
        f"{str(dtype).removeprefix('torch.')} on {device}; torch {torch.__version__}, transformers {transformers.__version__}"
    )
    print(
        f"conversation: the seed's four Chinese turns on a {IMAGE_SIDE}x{IMAGE_SIDE} image, "
        f"{max_new_tokens} new tokens per answer (greedy), median of {repeats} run(s); "
        + (f"model built in {build_s:.1f} s" if parameters else "model not built")
    )
    print()
    print(
        "| turn | prompt tokens | reused tokens | latency no reuse (s) | latency reuse (s) | "
        "first token no reuse (s) | first token reuse (s) | first-token ratio (x) | "
        "decode tok/s no reuse | decode tok/s reuse |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for t in range(len(turns)):
        ttft_plain = median(results["no_reuse"], t, "time_to_first_token_s")
        ttft_reuse = median(results["reuse"], t, "time_to_first_token_s")
        prompt = first(results["reuse"], t, "prompt_tokens") or first(
            results["no_reuse"], t, "prompt_tokens"
        )
        print(
            f"| {t + 1} | {cell(prompt, 'd')} | {cell(first(results['reuse'], t, 'reused_prefix_tokens'), 'd')} "
            f"| {cell(median(results['no_reuse'], t, 'wall_s'), '.3f')} | {cell(median(results['reuse'], t, 'wall_s'), '.3f')} "
            f"| {cell(ttft_plain, '.3f')} | {cell(ttft_reuse, '.3f')} | {cell(ttft_plain / ttft_reuse, '.2f')} "
            f"| {cell(median(results['no_reuse'], t, 'decode_tokens_per_s'), '.1f')} "
            f"| {cell(median(results['reuse'], t, 'decode_tokens_per_s'), '.1f')} |"
        )
    print()
    tokens_per_s = {mode: throughput(rows) for mode, rows in results.items()}
    print(
        "generated tokens per second of turn wall time: "
        f"{cell(tokens_per_s['no_reuse'], '.1f')} without reuse, "
        f"{cell(tokens_per_s['reuse'], '.1f')} with reuse"
    )
    if cuda and peak_gib:
        print(
            "peak GPU memory (weights included): "
            f"{cell(peak_gib.get('no_reuse', math.nan), '.2f')} GiB without reuse, "
            f"{cell(peak_gib.get('reuse', math.nan), '.2f')} GiB with reuse"
        )
    print(f"same greedy output with and without reuse: {sum(same)}/{len(same)} turns")
    print(f"total wall time: {total_s:.1f} s (budget {args.budget_s:g} s)")
    if stopped:
        print(stopped)
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "card": card,
                    "device": device,
                    "dtype": str(dtype),
                    "parameters": parameters,
                    "torch": torch.__version__,
                    "transformers": transformers.__version__,
                    "max_new_tokens": max_new_tokens,
                    "repeats": repeats,
                    "build_s": build_s,
                    "total_s": total_s,
                    "budget_s": args.budget_s,
                    "stopped": stopped,
                    "peak_gib": peak_gib,
                    "tokens_per_s": tokens_per_s,
                    "same_output": same,
                    "results": results,
                },
                indent=2,
                ensure_ascii=False,
            ),
            encoding="utf-8",
        )
    return EXIT_OVER_BUDGET if stopped else 0


if __name__ == "__main__":
    sys.exit(main())
