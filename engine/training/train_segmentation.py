"""Train the small anatomy U-Net (lungs, heart, clavicles) and export it to ONNX.

Run it offline with the ``train`` extra, never in CI::

    python -m engine.training.train_segmentation --data $CXR_DATA/cxr-train \
        --out training-runs/anatomy_seg --epochs 120 --seed 20261128

Every epoch writes ``last.pt`` (resumable with ``--resume``) and, when the validation
mean Dice improves, ``best.pt``. At the end the best weights are exported to
``anatomy_seg.onnx`` with ``anatomy_seg.json`` (preprocessing, outputs, provenance)
beside them. torch is imported inside functions so that importing this module is cheap
and has no side effects.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import platform
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from engine.segmentation_postprocess import (
    ANATOMY_CHANNELS,
    clean_masks,
    probabilities_to_image,
)
from engine.training.provenance import command_line, data_name
from engine.training.segmentation_data import (
    AugmentConfig,
    LabelledCase,
    PreparedCase,
    PreprocessSpec,
    augment,
    dice,
    load_labelled_cases,
    prepare_case,
    split_train_validation,
    standardise,
)

__all__ = ["TrainConfig", "build_unet", "main", "train"]

MODEL_NAME = "anatomy_seg"
REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True, slots=True, kw_only=True)
class TrainConfig:
    """Settings of one training run; every field is recorded in the model JSON."""

    data: Path
    out: Path
    epochs: int = 120
    seed: int = 20261128
    input_size: int = 256
    base_channels: int = 8
    batch_size: int = 8
    learning_rate: float = 1e-3
    validation_count: int = 15
    patience: int = 30
    threads: int = 1
    limit: int | None = None
    resume: bool = False
    export: bool = True
    export_only: bool = False
    model_version: str = "1.0.0"
    command: str = ""

    def __post_init__(self) -> None:
        if self.epochs < 1:
            raise ValueError(f"epochs must be at least 1, got {self.epochs!r}")
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {self.batch_size!r}")
        if self.threads < 1:
            raise ValueError(f"threads must be at least 1, got {self.threads!r}")


# ----------------------------------------------------------------------------- model


def build_unet(in_channels: int = 1, out_channels: int = 5, base: int = 8) -> Any:
    """Build a plain 4-level U-Net (conv-BN-ReLU x2 per level, transposed-conv up).

    Channels are ``base`` .. ``16 * base``; with ``base=8`` it has about 0.49 M
    parameters. ``forward`` returns logits; the exported ONNX graph adds the sigmoid.
    """
    import torch
    from torch import nn

    def block(cin: int, cout: int) -> nn.Sequential:
        return nn.Sequential(
            nn.Conv2d(cin, cout, 3, padding=1, bias=False),
            nn.BatchNorm2d(cout),
            nn.ReLU(inplace=True),
            nn.Conv2d(cout, cout, 3, padding=1, bias=False),
            nn.BatchNorm2d(cout),
            nn.ReLU(inplace=True),
        )

    class UNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            widths = [base * 2**i for i in range(5)]
            self.down = nn.ModuleList(
                [block(in_channels, widths[0])]
                + [block(widths[i], widths[i + 1]) for i in range(4)]
            )
            self.pool = nn.MaxPool2d(2)
            self.up = nn.ModuleList(
                [
                    nn.ConvTranspose2d(widths[i + 1], widths[i], 2, stride=2)
                    for i in range(4)
                ]
            )
            self.merge = nn.ModuleList(
                [block(2 * widths[i], widths[i]) for i in range(4)]
            )
            self.head = nn.Conv2d(widths[0], out_channels, 1)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            skips = []
            for i, level in enumerate(self.down):
                x = level(x if i == 0 else self.pool(x))
                skips.append(x)
            x = skips.pop()
            for i in reversed(range(4)):
                x = self.merge[i](torch.cat([skips[i], self.up[i](x)], dim=1))
            return self.head(x)

    return UNet()


def _with_sigmoid(model: Any) -> Any:
    from torch import nn

    return nn.Sequential(model, nn.Sigmoid())


# ------------------------------------------------------------------------------ loss


def _loss(logits: Any, targets: Any, valid: Any) -> Any:
    """BCE + soft Dice, both ignoring channels a case has no ground truth for."""
    import torch
    import torch.nn.functional as F

    weight = valid[:, :, None, None].to(logits.dtype).expand_as(logits)
    bce = F.binary_cross_entropy_with_logits(
        logits, targets, weight=weight, reduction="sum"
    )
    bce = bce / weight.sum().clamp_min(1.0)
    probs = torch.sigmoid(logits) * weight
    truth = targets * weight
    intersection = (probs * truth).sum(dim=(0, 2, 3))
    denominator = probs.sum(dim=(0, 2, 3)) + truth.sum(dim=(0, 2, 3))
    has_truth = valid.any(dim=0)
    soft_dice = (2 * intersection + 1.0) / (denominator + 1.0)
    dice_loss = 1.0 - soft_dice[has_truth].mean()
    return bce + dice_loss


# ---------------------------------------------------------------------- evaluation


def _predict(model: Any, units: npt.NDArray[np.float32], spec: PreprocessSpec) -> Any:
    import torch

    batch = torch.from_numpy(np.stack([standardise(u, spec) for u in units])[:, None])
    with torch.no_grad():
        return torch.sigmoid(model(batch)).numpy()


def evaluate(
    model: Any,
    cases: list[LabelledCase],
    prepared: list[PreparedCase],
    spec: PreprocessSpec,
    *,
    postprocess: bool = False,
) -> dict[str, float]:
    """Dice per channel on the cases' own grids (bilinear upsampling, threshold 0.5)."""
    from engine.segmentation_postprocess import letterbox_geometry

    model.eval()
    scores: dict[str, list[float]] = {name: [] for name in (*ANATOMY_CHANNELS, "lungs")}
    for start in range(0, len(cases), 8):
        chunk = slice(start, start + 8)
        probs = _predict(model, np.stack([p.unit for p in prepared[chunk]]), spec)
        for case, prob in zip(cases[chunk], probs, strict=True):
            full = probabilities_to_image(prob, letterbox_geometry(*case.image.shape))
            masks = clean_masks(full) if postprocess else full >= 0.5
            for c, name in enumerate(ANATOMY_CHANNELS):
                if case.valid[c]:
                    scores[name].append(dice(masks[c], case.targets[c]))
            scores["lungs"].append(
                dice(masks[0] | masks[1], case.targets[0] | case.targets[1])
            )
    result = {name: float(np.mean(values)) for name, values in scores.items() if values}
    result["mean"] = float(np.mean([result[name] for name in ANATOMY_CHANNELS]))
    return result


# -------------------------------------------------------------------------- training


def _log(out: Path, record: dict[str, Any]) -> None:
    line = json.dumps(record, sort_keys=True)
    print(line, flush=True)
    with (out / "log.jsonl").open("a", encoding="utf-8") as handle:
        handle.write(line + "\n")


def _save(state: dict[str, Any], path: Path) -> None:
    import torch

    # Write then rename, so a crash mid-save never leaves a truncated checkpoint.
    partial = path.with_suffix(".partial")
    torch.save(state, partial)
    partial.replace(path)


def _batches(
    train: list[PreparedCase], rng: np.random.Generator, config: TrainConfig
) -> Any:
    import torch

    augment_config = AugmentConfig()
    order = rng.permutation(len(train))
    for start in range(0, len(order), config.batch_size):
        picked = [train[int(i)] for i in order[start : start + config.batch_size]]
        pairs = [augment(case, rng, augment_config) for case in picked]
        yield (
            torch.from_numpy(np.stack([p[0] for p in pairs])[:, None]),
            torch.from_numpy(np.stack([p[1] for p in pairs])),
            torch.from_numpy(np.stack([case.valid for case in picked])),
        )


def train(config: TrainConfig) -> dict[str, Any]:
    """Train, keep the best epoch by validation mean Dice, export it; return the summary."""
    import torch

    torch.set_num_threads(config.threads)
    torch.manual_seed(config.seed)
    torch.use_deterministic_algorithms(True)
    config.out.mkdir(parents=True, exist_ok=True)

    cases = load_labelled_cases(config.data, limit=config.limit)
    train_cases, val_cases = split_train_validation(
        cases, config.validation_count, config.seed
    )
    train_prep = [prepare_case(c, config.input_size) for c in train_cases]
    val_prep = [prepare_case(c, config.input_size) for c in val_cases]
    units = np.stack([p.unit for p in train_prep])
    spec = PreprocessSpec(
        input_size=config.input_size,
        mean=round(float(units.mean()), 4),
        std=round(float(units.std()), 4),
    )

    model = build_unet(out_channels=len(ANATOMY_CHANNELS), base=config.base_channels)
    optimiser = torch.optim.Adam(model.parameters(), lr=config.learning_rate)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(
        optimiser, T_max=config.epochs, eta_min=config.learning_rate * 0.02
    )
    state: dict[str, Any] = {
        "epoch": 0,
        "best_epoch": 0,
        "best": {"mean": -1.0},
        "script_commit": _git("rev-parse", "HEAD"),
        "script_uncommitted_changes": _script_is_dirty(),
        "command": config.command,
    }
    last = config.out / "last.pt"
    if config.export_only and not last.is_file():
        raise FileNotFoundError(
            f"{last} is missing; --export-only needs a finished run"
        )
    if (config.resume or config.export_only) and last.is_file():
        saved = torch.load(last, weights_only=False)
        model.load_state_dict(saved["model"])
        optimiser.load_state_dict(saved["optimiser"])
        scheduler.load_state_dict(saved["scheduler"])
        state = saved["state"]
        print(f"loaded {last} (after epoch {state['epoch']})", flush=True)

    last_epoch = state["epoch"] if config.export_only else config.epochs
    for epoch in range(state["epoch"] + 1, last_epoch + 1):
        if epoch - state["best_epoch"] > config.patience and state["best_epoch"]:
            print(
                f"validation Dice has not improved for {config.patience} epochs; stopping"
            )
            break
        tick = time.monotonic()
        model.train()
        # The augmentation stream depends only on (seed, epoch), so a resumed run
        # sees exactly the batches an uninterrupted one would have seen.
        rng = np.random.default_rng([config.seed, epoch])
        losses = []
        learning_rate = optimiser.param_groups[0]["lr"]
        for images, targets, valid in _batches(train_prep, rng, config):
            images = (images - spec.mean) / spec.std
            optimiser.zero_grad(set_to_none=True)
            loss = _loss(model(images), targets, valid)
            loss.backward()
            optimiser.step()
            losses.append(loss.item())
        scheduler.step()
        val = evaluate(model, val_cases, val_prep, spec)
        improved = val["mean"] > state["best"]["mean"]
        if improved:
            state["best"], state["best_epoch"] = val, epoch
        state["epoch"] = epoch
        checkpoint = {
            "model": model.state_dict(),
            "optimiser": optimiser.state_dict(),
            "scheduler": scheduler.state_dict(),
            "state": state,
            "spec": spec.to_json(),
        }
        _save(checkpoint, last)
        if improved:
            _save(checkpoint, config.out / "best.pt")
        _log(
            config.out,
            {
                "epoch": epoch,
                "lr": round(learning_rate, 7),
                "train_loss": round(float(np.mean(losses)), 5),
                "val_dice": {k: round(v, 4) for k, v in val.items()},
                "best_epoch": state["best_epoch"],
                "seconds": round(time.monotonic() - tick, 1),
            },
        )

    best = torch.load(config.out / "best.pt", weights_only=False)
    model.load_state_dict(best["model"])
    model.eval()
    summary = {
        "train_cases": len(train_cases),
        "validation_case_ids": [c.case_id for c in val_cases],
        "epochs_run": state["epoch"],
        "best_epoch": state["best_epoch"],
        "validation_dice": {k: round(v, 4) for k, v in state["best"].items()},
        "validation_dice_postprocessed": {
            k: round(v, 4)
            for k, v in evaluate(
                model, val_cases, val_prep, spec, postprocess=True
            ).items()
        },
        "train_seconds_total": _logged_seconds(config.out),
        # Recorded when the run started, so a later --export-only keeps them true.
        "command": state.get("command", "not recorded"),
        "script_commit": state.get("script_commit", "not recorded"),
        "script_uncommitted_changes": state.get(
            "script_uncommitted_changes", "not recorded"
        ),
    }
    if config.export:
        export(model, spec, config, summary, val_prep)
    return summary


# ---------------------------------------------------------------------------- export


def _git(*args: str) -> str:
    try:
        done = subprocess.run(
            ["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return done.stdout.strip()


def _script_is_dirty() -> bool:
    return bool(
        _git(
            "status",
            "--porcelain",
            "--",
            "engine/training/segmentation_data.py",
            "engine/training/train_segmentation.py",
            "engine/segmentation_postprocess.py",
        )
    )


def _logged_seconds(out: Path) -> float:
    log = out / "log.jsonl"
    if not log.is_file():
        return 0.0
    lines = log.read_text(encoding="utf-8").splitlines()
    return round(sum(json.loads(line)["seconds"] for line in lines if line), 1)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def export(
    model: Any,
    spec: PreprocessSpec,
    config: TrainConfig,
    summary: dict[str, Any],
    samples: list[PreparedCase],
) -> Path:
    """Write ``anatomy_seg.onnx`` (sigmoid included) and its JSON into ``config.out``.

    Checks that onnxruntime reproduces torch's probabilities within 1e-4 on ``samples``.

    Raises:
        RuntimeError: if onnxruntime and torch disagree.
    """
    import onnxruntime as ort
    import torch

    n = spec.input_size
    onnx_path = config.out / f"{MODEL_NAME}.onnx"
    wrapped = _with_sigmoid(model).eval()
    example = torch.zeros(1, 1, n, n)
    program = torch.onnx.export(
        wrapped,
        (example,),
        dynamo=True,
        opset_version=18,
        input_names=["image"],
        output_names=["probabilities"],
        optimize=True,
        verify=False,
    )
    if program is None:
        raise RuntimeError(
            "torch.onnx.export returned no program; update torch/onnxscript"
        )
    program.save(str(onnx_path), external_data=False)

    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    worst = 0.0
    units = [case.unit for case in samples[:4]] or [np.full((n, n), 0.5, np.float32)]
    for unit in units:
        x = standardise(unit, spec)[None, None]
        with torch.no_grad():
            expected = wrapped(torch.from_numpy(x)).numpy()
        (got,) = session.run(None, {"image": x})
        worst = max(worst, float(np.abs(got - expected).max()))
    if worst > 1e-4:
        raise RuntimeError(f"onnxruntime differs from torch by {worst:.2e} (> 1e-4)")

    params = sum(p.numel() for p in model.parameters())
    script = Path(__file__).resolve().relative_to(REPO_ROOT)
    onnx_sha256 = _sha256(onnx_path)
    card = {
        "name": MODEL_NAME,
        # The content hash in the version keeps two different weight files from ever
        # being recorded under the same model version in a conversation turn.
        "version": f"{config.model_version}+{onnx_sha256[:12]}",
        "output_activation": "sigmoid",
        "output_is": "probabilities",
        "task": "multi-label anatomy segmentation of frontal (PA) adult chest radiographs",
        "intended_use": "decision-support research prototype, frontal PA/AP adult chest radiographs",
        "onnx": {
            "file": onnx_path.name,
            "sha256": onnx_sha256,
            "opset": 18,
            "input": {"name": "image", "shape": [1, 1, n, n], "dtype": "float32"},
            "output": {
                "name": "probabilities",
                "shape": [1, len(ANATOMY_CHANNELS), n, n],
                "dtype": "float32",
                "activation": "sigmoid (already applied in the graph; values are "
                "probabilities 0..1, one independent channel per structure)",
            },
            "torch_vs_onnxruntime_max_abs_diff": worst,
        },
        "preprocessing": spec.to_json(),
        "outputs": {
            "channels": list(ANATOMY_CHANNELS),
            "sides": "patient sides: right_lung / right_clavicle lie on the image LEFT of a PA film",
            "lungs": "full lung fields as in mask_lungs, including the strip under the clavicles",
            "to_image_grid": "engine.segmentation_postprocess.probabilities_to_image: resize "
            "each channel bilinearly (cv2.INTER_LINEAR) to the S x S letterbox, crop the padding",
            "threshold": 0.5,
            "postprocess": "engine.segmentation_postprocess.clean_masks: threshold 0.5, overlap "
            "of the two lungs goes to the more probable side, keep the largest 8-connected "
            "component per structure, fill holes",
        },
        "architecture": {
            "kind": "U-Net, 4 poolings, conv3x3-BN-ReLU x2 per level, ConvTranspose2d up, 1x1 head",
            "channels": [config.base_channels * 2**i for i in range(5)],
            "parameters": int(params),
        },
        "training": {
            "data": data_name(config.data),
            "data_manifest_sha256": _sha256(config.data / "manifest.csv"),
            "script": str(script),
            "exported_with_commit": _git("rev-parse", "HEAD"),
            "export_command": config.command,
            "epochs_max": config.epochs,
            "seed": config.seed,
            "batch_size": config.batch_size,
            "optimiser": f"Adam lr {config.learning_rate}, cosine to 2% over epochs_max",
            "loss": "BCE-with-logits + soft Dice (per channel over the batch), channels "
            "without ground truth masked out",
            "augmentation": _augment_description(),
            "patience": config.patience,
            "threads": config.threads,
            "torch": torch.__version__,
            "python": platform.python_version(),
            **summary,
        },
    }
    (config.out / f"{MODEL_NAME}.json").write_text(
        json.dumps(card, indent=2) + "\n", encoding="utf-8"
    )
    return onnx_path


def _augment_description() -> dict[str, Any]:
    from dataclasses import fields

    config = AugmentConfig()
    return {f.name: getattr(config, f.name) for f in fields(config)} | {"flips": "none"}


# ------------------------------------------------------------------------------- CLI


def _parse(argv: list[str] | None) -> TrainConfig:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data", type=Path, required=True, help="training folder with manifest.csv"
    )
    parser.add_argument(
        "--out", type=Path, required=True, help="run folder (checkpoints, log, export)"
    )
    parser.add_argument("--epochs", type=int, default=120, help="maximum epochs")
    parser.add_argument("--seed", type=int, default=20261128)
    parser.add_argument(
        "--size", type=int, default=256, help="network input side in pixels"
    )
    parser.add_argument("--base-channels", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument(
        "--val-count", type=int, default=15, help="held-out validation cases"
    )
    parser.add_argument(
        "--patience",
        type=int,
        default=30,
        help="stop after this many epochs without a better validation Dice",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch CPU threads (1 leaves a core for others)",
    )
    parser.add_argument(
        "--limit",
        type=int,
        default=None,
        help="use only the first N cases (smoke tests)",
    )
    parser.add_argument(
        "--resume", action="store_true", help="continue from OUT/last.pt"
    )
    parser.add_argument("--no-export", action="store_true", help="skip the ONNX export")
    parser.add_argument(
        "--export-only",
        action="store_true",
        help="do not train; export OUT/best.pt again (e.g. after an export change)",
    )
    parser.add_argument(
        "--model-version", default="1.0.0", help="version recorded in the model JSON"
    )
    args = parser.parse_args(argv)
    shown = sys.argv[1:] if argv is None else argv
    return TrainConfig(
        data=args.data,
        out=args.out,
        epochs=args.epochs,
        seed=args.seed,
        input_size=args.size,
        base_channels=args.base_channels,
        batch_size=args.batch_size,
        learning_rate=args.lr,
        validation_count=args.val_count,
        patience=args.patience,
        threads=args.threads,
        limit=args.limit,
        resume=args.resume,
        export=not args.no_export,
        export_only=args.export_only,
        model_version=args.model_version,
        command=command_line("engine.training.train_segmentation", shown),
    )


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the process exit status."""
    config = _parse(argv)
    summary = train(config)
    print(json.dumps(summary, indent=2), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
