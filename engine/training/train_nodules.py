"""Train the nodule candidate classifier on JSRT ``cxr-train`` and export it to ONNX.

Run it offline with the ``train`` extra, never in CI::

    python -m engine.training.train_nodules --data $CXR_DATA/cxr-train \
        --out training-runs/nodules/run --folds 5 --seed 20261128

Steps: (1) prepare every training image exactly as the engine does at run time
(:func:`engine.nodules.prepare_image`, ground-truth lung masks) and generate its blob
candidates; (2) k-fold cross-validation by image: train the patch CNN on the other folds'
candidates and score the held-out images' candidates, giving out-of-fold FROC numbers for
model selection; (3) train the final model on all images and export
``nodule_classifier.onnx`` with ``nodule_classifier.json`` (preprocessing, candidate
generator, metrics, provenance). The dev set (``$CXR_DATA/cxr``) is never read here.
torch is imported inside functions so that importing this module is cheap.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import platform
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from engine.nodules import (
    FEATURE_NAMES,
    MODEL_NAME,
    PATCH_CLIP,
    PATCH_SIZE,
    PATCH_STEPS,
    WORK_MM_PER_PX,
    CandidateParams,
    PatchSource,
    blob_field,
    classifier_features,
    extract_patches,
    find_blob_candidates,
    prepare_image,
    view_transforms,
)
from engine.training.implants import ImplantSettings, apply_implants, sample_implants
from engine.training.nodule_data import (
    MIN_HIT_RADIUS_MM,
    NoduleCase,
    ScoredImage,
    case_folds,
    froc,
    hit_radius_px,
    load_jsrt_cases,
    load_nodule_cases,
)
from engine.training.provenance import command_line, data_name

__all__ = ["TrainConfig", "build_classifier", "main", "train"]

REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True, slots=True, kw_only=True)
class TrainConfig:
    """Settings of one training run; every field is recorded in the model JSON."""

    data: Path
    out: Path
    # Further manifests whose JSRT rows join the training set (e.g. $CXR_DATA/cxr).
    extra_data: tuple[Path, ...] = ()
    folds: int = 5
    seed: int = 20261128
    # Seeds the weights, the batches and the implants but not the folds, so a second
    # member of one recipe shares the first's folds and can join its ensemble.
    init_seed: int | None = None
    steps: int = 2500
    batch_size: int = 64
    learning_rate: float = 2e-3
    weight_decay: float = 1e-4
    channels: tuple[int, int, int] = (16, 32, 64)
    use_features: bool = True
    views: int = 4
    gt_positives: bool = True
    rotation_deg: float = 180.0
    hard_negatives: float = 0.0
    # Synthetic nodules implanted per training film (engine.training.implants; 0 = none)
    # and the share of each batch's positives drawn from them.
    implants_per_film: int = 0
    synthetic_fraction: float = 0.5
    final_only: bool = False
    patch_steps: tuple[float, ...] = PATCH_STEPS
    train_candidates: int = 150
    threads: int = 1
    limit: int | None = None
    export: bool = True
    command: str = ""

    @property
    def train_seed(self) -> int:
        return self.seed if self.init_seed is None else self.init_seed

    candidate_params: CandidateParams = field(default_factory=CandidateParams)

    def __post_init__(self) -> None:
        if self.folds < 2 and self.folds != 0:
            raise ValueError(
                f"folds must be 0 (no CV) or at least 2, got {self.folds!r}"
            )
        if self.steps < 1:
            raise ValueError(f"steps must be at least 1, got {self.steps!r}")
        if self.batch_size < 2:
            raise ValueError(f"batch_size must be at least 2, got {self.batch_size!r}")
        if not 0.0 <= self.synthetic_fraction <= 1.0:
            raise ValueError(
                f"synthetic_fraction must be in 0..1, got {self.synthetic_fraction!r}"
            )


# ---------------------------------------------------------------------------- data


@dataclass(slots=True)
class ImageCandidates:
    """One training image on the working grid with its labelled candidates."""

    case_id: str
    source: PatchSource
    xy: npt.NDArray[np.float32]  # (K, 2) working-grid centres
    features: npt.NDArray[np.float32]  # (K, F) classifier feature vectors
    label: npt.NDArray[np.bool_]  # (K,) hits a nodule
    hits: npt.NDArray[np.bool_]  # (K, M)
    has_nodule: bool
    # Rows from n_real on are extra training positives placed on the ground-truth
    # centres (features measured there); evaluation only ever sees the real rows.
    n_real: int = -1
    # A copy of a training film with implanted nodules: positive rows only, used in
    # training whenever its film is, never scored or evaluated.
    synthetic: bool = False

    def __post_init__(self) -> None:
        if self.n_real < 0:
            self.n_real = len(self.xy)


def build_candidates(config: TrainConfig) -> list[ImageCandidates]:
    """Prepare every training image and label its blob candidates.

    With ``implants_per_film`` set, each film also gets one implanted copy
    (:func:`_implanted_copy`); the copies follow all real films in the list and share
    their film's case id, hence its fold.
    """
    cases: list[NoduleCase] = (
        load_jsrt_cases([config.data, *config.extra_data])
        if config.extra_data
        else load_nodule_cases(config.data / "manifest.csv")
    )
    if config.limit:
        cases = cases[: config.limit]
    params = CandidateParams(
        **(
            asdict(config.candidate_params)
            | {"max_candidates": config.train_candidates}
        )
    )
    settings = ImplantSettings(per_film=config.implants_per_film)
    real, synthetic = [], []
    for index, case in enumerate(cases):
        prepared = prepare_image(
            case.read_image(),
            case.read_lung_mask(),
            mm_per_px=case.mm_per_px,
            params=params,
        )
        real.append(_real_candidates(case, prepared, params, config))
        if settings.per_film:
            # Seeded per film, so a film's implants do not depend on the others.
            rng = np.random.default_rng([config.train_seed, index])
            copy = _implanted_copy(case, prepared, params, settings, rng, config)
            if copy is not None:
                synthetic.append(copy)
    return real + synthetic


def _real_candidates(
    case: NoduleCase, prepared: Any, params: CandidateParams, config: TrainConfig
) -> ImageCandidates:
    """The film's blob candidates (and ground-truth centres) labelled by its nodules."""
    field = blob_field(prepared, params)
    candidates = find_blob_candidates(prepared, params, field)
    n_real = len(candidates)
    features = [classifier_features(c.features) for c in candidates]
    xy_list = [(c.x, c.y) for c in candidates]
    centres = [prepared.grid.to_work(n.x, n.y) for n in case.nodules]
    if config.gt_positives:
        for gx, gy in centres:
            ix = int(np.clip(round(gx), 0, prepared.grid.cols - 1))
            iy = int(np.clip(round(gy), 0, prepared.grid.rows - 1))
            xy_list.append((ix, iy))
            features.append(classifier_features(field.features_at(ix, iy)))
    xy = np.array(xy_list, np.float32).reshape(-1, 2)
    hits = np.zeros((len(xy), len(case.nodules)), bool)
    for m, nodule in enumerate(case.nodules):
        nx, ny = centres[m]
        radius = hit_radius_px(nodule, prepared.grid.mm_per_px)
        hits[:, m] = np.hypot(xy[:, 0] - nx, xy[:, 1] - ny) <= radius
    return ImageCandidates(
        case_id=case.case_id,
        source=PatchSource.from_normalised(prepared.normalised, config.patch_steps),
        xy=xy,
        features=np.stack(features)
        if features
        else np.zeros((0, len(FEATURE_NAMES)), np.float32),
        label=np.asarray(hits.any(axis=1), bool),
        hits=hits,
        has_nodule=bool(case.nodules),
        n_real=n_real,
    )


def _implanted_copy(
    case: NoduleCase,
    prepared: Any,
    params: CandidateParams,
    settings: ImplantSettings,
    rng: np.random.Generator,
    config: TrainConfig,
) -> ImageCandidates | None:
    """The film with implants added; its rows are the implants' positives only.

    Positives are each implant's centre (features measured there) and every blob
    candidate of the implanted film within the hit radius of an implant, so the CNN
    sees implants at the offsets the candidate stage really produces. The real nodule
    is kept clear of (``sample_implants``) and contributes no rows here.
    """
    mmpx = prepared.grid.mm_per_px
    avoid = []
    for nodule in case.nodules:
        nx, ny = prepared.grid.to_work(nodule.x, nodule.y)
        avoid.append((nx, ny, nodule.diameter_mm / 2 / mmpx))
    implants = sample_implants(prepared, rng, settings, avoid)
    if not implants:
        return None
    image, _ = apply_implants(prepared.normalised, implants, mmpx)
    implanted = replace(prepared, normalised=image)
    field = blob_field(implanted, params)
    rows: list[tuple[float, float]] = []
    features = []
    for c in find_blob_candidates(implanted, params, field):
        if any(_hits_implant(c.x, c.y, i, mmpx) for i in implants):
            rows.append((c.x, c.y))
            features.append(classifier_features(c.features))
    for i in implants:
        ix = int(np.clip(round(i.x), 0, prepared.grid.cols - 1))
        iy = int(np.clip(round(i.y), 0, prepared.grid.rows - 1))
        rows.append((ix, iy))
        features.append(classifier_features(field.features_at(ix, iy)))
    count = len(rows)
    return ImageCandidates(
        case_id=case.case_id,
        source=PatchSource.from_normalised(image, config.patch_steps),
        xy=np.array(rows, np.float32).reshape(-1, 2),
        features=np.stack(features),
        label=np.ones(count, bool),
        hits=np.zeros((count, 0), bool),
        has_nodule=True,
        n_real=0,
        synthetic=True,
    )


def _hits_implant(x: float, y: float, implant: Any, mmpx: float) -> bool:
    radius = max(implant.diameter_mm / 2, MIN_HIT_RADIUS_MM) / mmpx
    return math.hypot(x - implant.x, y - implant.y) <= radius


def folds_of(
    images: list[ImageCandidates], k: int, seed: int, *, by_case_id: bool = False
) -> npt.NDArray[np.int64]:
    """Fold index per image, stratified by whether the image has a nodule.

    Runs with ``extra_data`` use :func:`case_folds` (by case id, shared with
    ``bench/cv_nodules.py``); single-folder runs keep the order-based split that the
    shipped members were cross-validated with. The folds are drawn over the real films
    only; an implanted copy takes its film's fold, so it trains only where its film does.
    """
    real = [im for im in images if not im.synthetic]
    if by_case_id:
        mapping = case_folds(
            [im.case_id for im in real], [im.has_nodule for im in real], k, seed
        )
    else:
        rng = np.random.default_rng(seed)
        fold = np.zeros(len(real), np.int64)
        for flag in (True, False):
            idx = np.array(
                [i for i, im in enumerate(real) if im.has_nodule == flag], np.int64
            )
            rng.shuffle(idx)
            fold[idx] = np.arange(idx.size) % k
        mapping = {im.case_id: int(f) for im, f in zip(real, fold, strict=True)}
    return np.array([mapping[im.case_id] for im in images], np.int64)


# --------------------------------------------------------------------------- model


def build_classifier(
    channels: tuple[int, int, int],
    n_features: int,
    use_features: bool,
    *,
    in_channels: int = len(PATCH_STEPS),
) -> Any:
    """Patch CNN (C x 32 x 32 in) with an optional blob-feature branch; returns logits."""
    import torch
    from torch import nn

    def block(cin: int, cout: int) -> list[nn.Module]:
        return [
            nn.Conv2d(cin, cout, 3, padding=1, bias=False),
            nn.BatchNorm2d(cout),
            nn.ReLU(),
        ]

    a, b, c = channels

    class NoduleClassifier(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.trunk = nn.Sequential(
                *block(in_channels, a), *block(a, a), nn.MaxPool2d(2),
                *block(a, b), *block(b, b), nn.MaxPool2d(2),
                *block(b, c), *block(c, c), nn.MaxPool2d(2),
                *block(c, c), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
            )  # fmt: skip
            self.use_features = use_features
            width = c + (16 if use_features else 0)
            self.features = nn.Sequential(nn.Linear(n_features, 16), nn.ReLU())
            self.register_buffer("feature_mean", torch.zeros(n_features))
            self.register_buffer("feature_std", torch.ones(n_features))
            self.head = nn.Sequential(nn.Dropout(0.3), nn.Linear(width, 1))

        def forward(
            self, patches: torch.Tensor, features: torch.Tensor
        ) -> torch.Tensor:
            z = self.trunk(patches)
            if self.use_features:
                mean, std = self.feature_mean, self.feature_std
                f = (features - mean) / std  # type: ignore[operator]
                z = torch.cat([z, self.features(f)], dim=1)
            return self.head(z)[:, 0]

    return NoduleClassifier()


# --------------------------------------------------------------------- augmentation


def _random_transforms(
    rng: np.random.Generator, n: int, rotation_deg: float
) -> npt.NDArray[np.float32]:
    """Random patch transforms for training.

    Rotation within +-rotation_deg, a left-right mirror half the time (the other lung's
    anatomy), and +-15 % isotropic scale.
    """
    theta = np.radians(rng.uniform(-rotation_deg, rotation_deg, n))
    scale = np.exp(rng.uniform(math.log(0.87), math.log(1.15), n))
    mirror = np.where(rng.random(n) < 0.5, -1.0, 1.0)
    cos, sin = np.cos(theta) * scale, np.sin(theta) * scale
    out = np.empty((n, 2, 2), np.float32)
    out[:, 0, 0], out[:, 0, 1] = cos * mirror, -sin
    out[:, 1, 0], out[:, 1, 1] = sin * mirror, cos
    return out


def _augment_intensity(
    patches: npt.NDArray[np.float32], rng: np.random.Generator
) -> None:
    """Contrast, gamma-like bend, noise: films differ in processing and grain."""
    n = len(patches)
    gain = np.exp(rng.uniform(math.log(0.7), math.log(1.4), n)).astype(np.float32)
    patches *= gain[:, None, None, None]
    bend = rng.uniform(-0.08, 0.08, n).astype(np.float32)
    patches += bend[:, None, None, None] * patches**2
    noise = rng.uniform(0.0, 0.15, n).astype(np.float32)
    patches += noise[:, None, None, None] * rng.standard_normal(patches.shape).astype(
        np.float32
    )
    np.clip(patches, -PATCH_CLIP, PATCH_CLIP, out=patches)


def _positives(
    pos: npt.NDArray[np.int64],
    syn: npt.NDArray[np.int64],
    count: int,
    synthetic_fraction: float,
    rng: np.random.Generator,
) -> npt.NDArray[np.int64]:
    """``count`` positive rows, ``synthetic_fraction`` of them implants (when any)."""
    n_syn = round(count * synthetic_fraction) if len(syn) else 0
    return np.concatenate(
        [
            pos[rng.integers(0, len(pos), count - n_syn)],
            syn[rng.integers(0, len(syn), n_syn)] if n_syn else syn[:0],
        ]
    )


def _sample_batch(
    images: list[ImageCandidates],
    pos: npt.NDArray[np.int64],
    neg: npt.NDArray[np.int64],
    batch: int,
    rng: np.random.Generator,
    rotation_deg: float,
    hard: npt.NDArray[np.int64] | None = None,
    hard_fraction: float = 0.0,
    *,
    synthetic: npt.NDArray[np.int64] | None = None,
    synthetic_fraction: float = 0.0,
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """Half positives, half negatives; ``pos``/``neg`` rows are (image, candidate).

    With ``synthetic`` rows (implant positives) given, ``synthetic_fraction`` of the
    positives come from them. With ``hard`` given, ``hard_fraction`` of the negatives come from those rows (the
    negatives the current model scores highest) and the rest from all negatives.
    """
    half = batch // 2
    n_hard = round((batch - half) * hard_fraction) if hard is not None else 0
    parts = [
        _positives(
            pos,
            synthetic if synthetic is not None else pos[:0],
            half,
            synthetic_fraction,
            rng,
        ),
        neg[rng.integers(0, len(neg), batch - half - n_hard)],
    ]
    if hard is not None and n_hard:
        parts.append(hard[rng.integers(0, len(hard), n_hard)])
    picks = np.concatenate(parts)
    labels = np.concatenate([np.ones(half), np.zeros(batch - half)]).astype(np.float32)
    transforms = _random_transforms(rng, batch, rotation_deg)
    jitter = rng.uniform(-2.0, 2.0, (batch, 2)).astype(np.float32)
    patches = np.empty(
        (batch, len(images[0].source.steps), PATCH_SIZE, PATCH_SIZE), np.float32
    )
    features = np.empty((batch, len(FEATURE_NAMES)), np.float32)
    for j, (i, k) in enumerate(picks):
        image = images[i]
        patches[j] = extract_patches(
            image.source,
            image.xy[k : k + 1] + jitter[j],
            transforms=transforms[j : j + 1],
        )[0]
        features[j] = image.features[k]
    _augment_intensity(patches, rng)
    return patches, features, labels


# ------------------------------------------------------------------------ training


def _index(
    images: list[ImageCandidates], which: npt.NDArray[np.int64]
) -> tuple[Any, Any, Any]:
    """(image, candidate) rows of the real positives, negatives and implant positives."""
    rows: tuple[list[tuple[int, int]], ...] = ([], [], [])
    for i in which:
        for k, flag in enumerate(images[i].label):
            kind = 2 if images[i].synthetic else (0 if flag else 1)
            rows[kind].append((i, k))
    pos, neg, syn = (np.array(r, np.int64).reshape(-1, 2) for r in rows)
    return pos, neg, syn


def fit(
    images: list[ImageCandidates],
    which: npt.NDArray[np.int64],
    config: TrainConfig,
    seed: int,
    log: Path | None = None,
) -> Any:
    """Train one classifier on the candidates of images ``which``."""
    import torch
    import torch.nn.functional as F

    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    pos, neg, syn = _index(images, which)
    if len(pos) == 0 or len(neg) == 0:
        raise ValueError("training needs candidates of both classes")
    model = build_classifier(
        config.channels,
        len(FEATURE_NAMES),
        config.use_features,
        in_channels=len(config.patch_steps),
    )
    # Feature scaling from the real films only: implants must not move it.
    all_features = np.concatenate(
        [images[i].features for i in which if not images[i].synthetic]
    )
    model.feature_mean.copy_(torch.from_numpy(all_features.mean(axis=0)))
    model.feature_std.copy_(torch.from_numpy(all_features.std(axis=0) + 1e-3))
    optimiser = torch.optim.AdamW(
        model.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay
    )
    warmup = max(1, config.steps // 10)

    def rate(step: int) -> float:
        # Linear warm-up over the first 10 %, then cosine decay to 2 %.
        if step < warmup:
            return (step + 1) / warmup
        progress = (step - warmup) / max(1, config.steps - warmup)
        return 0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * progress))

    schedule = torch.optim.lr_scheduler.LambdaLR(optimiser, rate)
    model.train()
    started, running = time.perf_counter(), 0.0
    hard: npt.NDArray[np.int64] | None = None
    for step in range(1, config.steps + 1):
        if config.hard_negatives and step % 500 == 0:
            hard = _hardest_negatives(model, images, neg)
            _log(log, {"step": step, "hard_negative_sites": mined_sites(images, hard)})
        patches, features, labels = _sample_batch(
            images,
            pos,
            neg,
            config.batch_size,
            rng,
            config.rotation_deg,
            hard,
            config.hard_negatives,
            synthetic=syn,
            synthetic_fraction=config.synthetic_fraction,
        )
        logits = model(torch.from_numpy(patches), torch.from_numpy(features))
        # Light label smoothing: some "negatives" sit on unlabelled real lesions.
        target = torch.from_numpy(labels) * 0.95 + 0.025
        loss = F.binary_cross_entropy_with_logits(logits, target)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        schedule.step()
        running += float(loss.detach())
        if log is not None and step % 250 == 0:
            record = {
                "step": step,
                "loss": round(running / 250, 4),
                "seconds": round(time.perf_counter() - started, 1),
            }
            _log(log, record)
            running = 0.0
    model.eval()
    return model


HARD_NEGATIVE_POOL = 12000


def _log(log: Path | None, record: dict[str, Any]) -> None:
    if log is None:
        return
    with log.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(record) + "\n")
    print(json.dumps(record), flush=True)


def negative_site(features: npt.NDArray[np.float32]) -> str:
    """Where a negative lies, from its classifier features (no anatomy labels exist).

    The names say what usually sits there on a PA film: below the lung base the
    gastric bubble and the diaphragm; the top fifth the clavicles and first-rib ends;
    at the lateral lung edge the chest wall, and the breast shadows lower down; at the
    medial edge the heart border, hila and mediastinum; inside the lung rib crossings
    and vessels seen end-on.
    """
    depth_mm, rel_y, rel_x = (
        float(features[5]) * 20,
        float(features[6]),
        float(features[7]),
    )
    if rel_y > 1.0:
        return "below_base_gastric_bubble_diaphragm"
    if rel_y < 0.2:
        return "apex_clavicle_first_rib"
    if depth_mm < 5.0:
        return (
            "lateral_edge_chest_wall_breast"
            if rel_x > 0.6
            else "medial_edge_heart_hilum"
        )
    return "inner_lung_rib_crossing_vessel"


def mined_sites(
    images: list[ImageCandidates], rows: npt.NDArray[np.int64]
) -> dict[str, int]:
    """How many of the mined hard negatives lie at each :func:`negative_site`."""
    counts: dict[str, int] = {}
    for i, k in rows:
        site = negative_site(images[i].features[k])
        counts[site] = counts.get(site, 0) + 1
    return dict(sorted(counts.items()))


def _hardest_negatives(
    model: Any, images: list[ImageCandidates], neg: npt.NDArray[np.int64]
) -> npt.NDArray[np.int64]:
    """The fifth of the negatives that the current model scores highest.

    Scores at most ``HARD_NEGATIVE_POOL`` negatives drawn at random (all when fewer):
    scoring every negative of 170 films three times per model costs minutes on a CPU,
    and a random pool of this size finds the same kinds of hard cases.
    """
    import torch

    if len(neg) > HARD_NEGATIVE_POOL:
        pool = np.random.default_rng(len(neg)).choice(
            len(neg), HARD_NEGATIVE_POOL, replace=False
        )
        neg = neg[np.sort(pool)]
    model.eval()
    logits = np.empty(len(neg), np.float32)
    with torch.no_grad():
        for start in range(0, len(neg), 512):
            rows = neg[start : start + 512]
            patches = np.concatenate(
                [
                    extract_patches(images[i].source, images[i].xy[k : k + 1])
                    for i, k in rows
                ]
            )
            features = np.stack([images[i].features[k] for i, k in rows])
            logits[start : start + len(rows)] = model(
                torch.from_numpy(patches), torch.from_numpy(features)
            ).numpy()
    model.train()
    keep = max(1, len(neg) // 5)
    return neg[np.argsort(-logits, kind="stable")[:keep]]


def predict(
    model: Any, image: ImageCandidates, limit: int, views: int = 1
) -> npt.NDArray[np.float64]:
    """Probabilities of the first ``limit`` candidates (the run-time count).

    Averaged in logit space over ``views`` turned/mirrored copies, as at run time.
    """
    import torch

    limit = min(limit, image.n_real)
    xy, features = image.xy[:limit], image.features[:limit]
    count = len(xy)
    if count == 0:
        return np.zeros(0)
    patches = extract_patches(
        image.source,
        np.repeat(xy, views, axis=0),
        transforms=np.tile(view_transforms(views), (count, 1, 1)),
    )
    with torch.no_grad():
        logits = model(
            torch.from_numpy(patches),
            torch.from_numpy(np.repeat(features, views, axis=0)),
        )
    mean = logits.numpy().astype(np.float64).reshape(count, views).mean(axis=1)
    return 1 / (1 + np.exp(-mean))


def _scored(image: ImageCandidates, scores: npt.NDArray[np.float64]) -> ScoredImage:
    k = len(scores)
    return ScoredImage(
        case_id=image.case_id,
        scores=scores,
        hits=image.hits[:k],
        wrong_side=np.zeros(k, bool),
    )


def cross_validate(
    images: list[ImageCandidates], config: TrainConfig
) -> dict[str, Any]:
    """Out-of-fold FROC: each image scored by the model that never saw it."""
    import torch

    fold = folds_of(
        images, config.folds, config.seed, by_case_id=bool(config.extra_data)
    )
    synthetic = np.array([im.synthetic for im in images], bool)
    (config.out / "folds.json").write_text(
        json.dumps(
            {
                im.case_id: int(f)
                for im, f in zip(images, fold, strict=True)
                if not im.synthetic
            }
        )
        + "\n",
        encoding="utf-8",
    )
    limit = config.candidate_params.max_candidates
    variants = sorted({1, config.views})
    oof: dict[int, list[ScoredImage | None]] = {
        v: [None] * len(images) for v in variants
    }
    blob_only: list[ScoredImage] = []
    per_fold = []
    for f in range(config.folds):
        started = time.perf_counter()
        # Implanted copies train with their films; a held-out film is scored as is.
        train_idx = np.nonzero(fold != f)[0]
        held_idx = np.nonzero((fold == f) & ~synthetic)[0]
        model = fit(
            images,
            train_idx,
            config,
            config.train_seed + 1 + f,
            config.out / f"fold{f}.jsonl",
        )
        torch.save(model.state_dict(), config.out / f"fold{f}.pt")
        for v in variants:
            for i in held_idx:
                oof[v][i] = _scored(images[i], predict(model, images[i], limit, v))
        result = froc([oof[config.views][i] for i in held_idx])  # type: ignore[misc]
        result["seconds"] = round(time.perf_counter() - started, 1)
        per_fold.append(result)
        print(json.dumps({"fold": f, **result}), flush=True)
    for image in images:
        if image.synthetic:
            continue
        k = min(limit, image.n_real)
        # Rank by the candidate order itself (strongest blobness first) as a baseline.
        blob_only.append(_scored(image, -np.arange(k, dtype=np.float64)))
    by_views = {
        f"views_{v}": froc([s for s in oof[v] if s is not None]) for v in variants
    }
    oof_chosen = oof[config.views]
    scored = [s for s in oof_chosen if s is not None]
    np.savez_compressed(
        config.out / "oof.npz",
        case_ids=np.array([s.case_id for s in scored]),
        scores=np.concatenate([s.scores for s in scored]),
        labels=np.concatenate([s.hits.any(axis=1) for s in scored]),
        counts=np.array([s.scores.size for s in scored]),
    )
    slope, intercept = fit_calibration(
        np.concatenate([s.scores for s in scored]),
        np.concatenate([s.hits.any(axis=1) for s in scored]),
    )
    return {
        "folds": config.folds,
        "out_of_fold": froc(scored),
        "test_time_views": config.views,
        "out_of_fold_by_views": by_views,
        "blobness_rank_only": froc(blob_only),
        "calibration": {"slope": slope, "intercept": intercept},
        "per_fold": per_fold,
    }


def _apply_calibration(
    probability: npt.NDArray[np.float64], slope: float, intercept: float
) -> npt.NDArray[np.float64]:
    """The run-time recalibration of engine.nodules, on training-side probabilities."""
    p = np.clip(probability, 1e-6, 1 - 1e-6)
    return 1 / (1 + np.exp(-(slope * np.log(p / (1 - p)) + intercept)))


def fit_calibration(
    probability: npt.NDArray[np.float64], label: npt.NDArray[np.bool_]
) -> tuple[float, float]:
    """Platt scaling of out-of-fold probabilities: P(hit) = sigmoid(a * logit + b).

    Training batches are half positives, so raw probabilities overstate how often a
    candidate is a nodule; this maps them back to the real candidate mix.
    """
    p = np.clip(probability, 1e-6, 1 - 1e-6)
    x = np.log(p / (1 - p))
    y = label.astype(np.float64)
    a, b = 1.0, 0.0
    for _ in range(50):  # Newton-Raphson on the logistic log-likelihood
        q = 1 / (1 + np.exp(-(a * x + b)))
        w = q * (1 - q) + 1e-9
        grad = np.array([np.sum((q - y) * x), np.sum(q - y)])
        hess = np.array(
            [[np.sum(w * x * x), np.sum(w * x)], [np.sum(w * x), np.sum(w)]]
        )
        step = np.linalg.solve(hess + 1e-6 * np.eye(2), grad)
        a, b = a - step[0], b - step[1]
        if np.abs(step).max() < 1e-8:
            break
    return round(float(a), 5), round(float(b), 5)


# ---------------------------------------------------------------------------- export


def _git(*args: str) -> str:
    try:
        done = subprocess.run(
            ["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return done.stdout.strip()


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def config_record(config: TrainConfig) -> dict[str, Any]:
    """The settings that define one trained member, as recorded in ``run.json``."""
    return {
        "seed": config.seed,
        "init_seed": config.init_seed,
        "extra_data": [data_name(p) for p in config.extra_data],
        "folds": config.folds,
        "steps": config.steps,
        "batch_size": config.batch_size,
        "learning_rate": config.learning_rate,
        "weight_decay": config.weight_decay,
        "channels": list(config.channels),
        "use_features": config.use_features,
        "ground_truth_centre_positives": config.gt_positives,
        "rotation_deg": config.rotation_deg,
        "hard_negative_fraction": config.hard_negatives,
        "hard_negative_pool": HARD_NEGATIVE_POOL,
        "implants_per_film": config.implants_per_film,
        "implants": asdict(ImplantSettings(per_film=config.implants_per_film)),
        "synthetic_fraction": config.synthetic_fraction,
        "patch_steps_px": list(config.patch_steps),
        "train_candidates_per_image": config.train_candidates,
        "candidates": config.candidate_params.to_dict(),
        "limit": config.limit,
        "command": config.command,
    }


def load_member(run: Path, state: str = "final.pt") -> tuple[Any, dict[str, Any]]:
    """A trained classifier of a run folder and its recorded settings."""
    import torch

    record = json.loads((run / "run.json").read_text(encoding="utf-8"))
    model = build_classifier(
        tuple(record["channels"]),  # type: ignore[arg-type]
        len(FEATURE_NAMES),
        bool(record["use_features"]),
        in_channels=len(record["patch_steps_px"]),
    )
    model.load_state_dict(torch.load(run / state, weights_only=True))
    model.eval()
    return model, record


def ensemble_module(members: list[tuple[Any, int]]) -> Any:
    """One graph: the mean logit of the members, each fed its leading patch channels."""
    import torch
    from torch import nn

    class Ensemble(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.members = nn.ModuleList([m for m, _ in members])
            self.channels = [c for _, c in members]

        def forward(
            self, patches: torch.Tensor, features: torch.Tensor
        ) -> torch.Tensor:
            logits = [
                member(patches[:, :c], features)
                for member, c in zip(self.members, self.channels, strict=True)
            ]
            return torch.sigmoid(torch.stack(logits).mean(dim=0))

    return Ensemble().eval()


def export(
    module: Any,
    images: list[ImageCandidates],
    *,
    out: Path,
    patch_steps: tuple[float, ...],
    views: int,
    calibration: dict[str, float],
    candidates: dict[str, Any],
    training: dict[str, Any],
) -> Path:
    """Write ``nodule_classifier.onnx`` (sigmoid included) and its JSON into ``out``.

    ``module(patches, features)`` must return probabilities.

    Raises:
        RuntimeError: if onnxruntime does not reproduce torch's probabilities.
    """
    import onnxruntime as ort
    import torch

    sample = images[0]
    patches = extract_patches(sample.source, sample.xy[:8])
    features = sample.features[:8]
    onnx_path = out / f"{MODEL_NAME}.onnx"
    batch = torch.export.Dim("candidates", min=1, max=4096)
    program = torch.onnx.export(
        module,
        (torch.from_numpy(patches), torch.from_numpy(features)),
        dynamo=True,
        opset_version=18,
        input_names=["patches", "features"],
        output_names=["probability"],
        dynamic_shapes={"patches": {0: batch}, "features": {0: batch}},
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
    for image in images[:4]:
        p = extract_patches(image.source, image.xy[:50])
        f = image.features[:50]
        with torch.no_grad():
            expected = module(torch.from_numpy(p), torch.from_numpy(f)).numpy()
        (got,) = session.run(None, {"patches": p, "features": f})
        worst = max(worst, float(np.abs(got - expected).max()))
    if worst > 1e-4:
        raise RuntimeError(f"onnxruntime differs from torch by {worst:.2e} (> 1e-4)")

    card = classifier_card(
        onnx_path,
        max_abs_diff=worst,
        parameters=int(sum(p.numel() for p in module.parameters())),
        patch_steps=patch_steps,
        views=views,
        calibration=calibration,
        candidates=candidates,
        training=training,
    )
    (out / f"{MODEL_NAME}.json").write_text(
        json.dumps(card, indent=2) + "\n", encoding="utf-8"
    )
    return onnx_path


def classifier_card(
    onnx_path: Path,
    *,
    max_abs_diff: float,
    parameters: int,
    patch_steps: tuple[float, ...],
    views: int,
    calibration: dict[str, float],
    candidates: dict[str, Any],
    training: dict[str, Any],
    activation: str = "sigmoid of the members' mean logit (in graph)",
) -> dict[str, Any]:
    """The ``nodule_classifier.json`` that describes ``onnx_path`` for the run time."""
    import torch

    onnx_sha256 = _sha256(onnx_path)
    return {
        "name": MODEL_NAME,
        "version": f"1.0+{onnx_sha256[:12]}",
        "task": "lung-nodule candidate classification on frontal chest radiographs",
        "intended_use": "decision-support research prototype: rank candidate focal "
        "opacities for a trained reader; not a diagnostic device",
        "onnx": {
            "file": onnx_path.name,
            "sha256": onnx_sha256,
            "opset": 18,
            "inputs": {
                "patches": {
                    "shape": ["N", len(patch_steps), PATCH_SIZE, PATCH_SIZE],
                    "dtype": "float32",
                },
                "features": {"shape": ["N", len(FEATURE_NAMES)], "dtype": "float32"},
            },
            "output": {
                "name": "probability",
                "shape": ["N"],
                "activation": activation,
            },
            "torch_vs_onnxruntime_max_abs_diff": max_abs_diff,
            "parameters": parameters,
            "bytes": onnx_path.stat().st_size,
        },
        "preprocessing": {
            "grid_mm_per_px": WORK_MM_PER_PX,
            "grid_rule": "resample so one pixel is 0.70 mm when the pixel spacing implies "
            "a 250-500 mm field of view, else long side = 512 px (INTER_AREA down, "
            "INTER_LINEAR up)",
            "intensity": "(I - median) / IQR over the lung-field pixels on the working grid",
            "patch_size": PATCH_SIZE,
            "patch_steps_px": list(patch_steps),
            "patch_channels": [
                f"working image smoothed with a Gaussian of sigma {s / 2 if s > 1 else 0:g} "
                f"px, sampled every {s:g} px ({s * WORK_MM_PER_PX:.2f} mm, "
                f"{s * WORK_MM_PER_PX * PATCH_SIZE:.0f} mm field)"
                for s in patch_steps
            ],
            "patch_normalisation": "minus the mean of channel 1 (45 mm field), clipped "
            f"to +-{PATCH_CLIP}",
            "features": list(FEATURE_NAMES),
            "feature_transform": "engine.nodules.classifier_features",
        },
        "candidates": candidates,
        "calibration": calibration,
        "test_time_views": views,
        "training": {
            "data_terms": "JSRT: research and education use only; not redistributable",
            "lung_masks": "ground-truth mask_lungs of cxr-train",
            "script": "engine/training/train_nodules.py",
            "exported_with_commit": _git("rev-parse", "HEAD"),
            "torch": torch.__version__,
            "python": platform.python_version(),
            **training,
        },
    }


# ------------------------------------------------------------------------------- CLI


def train(config: TrainConfig) -> dict[str, Any]:
    """Cross-validate (when ``folds`` > 0), then fit on everything and export."""
    import torch

    torch.set_num_threads(config.threads)
    cv2.setNumThreads(1)
    config.out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    images = build_candidates(config)
    n_nodules = sum(im.hits.shape[1] for im in images)
    limit = config.candidate_params.max_candidates
    found = sum(
        int(im.hits[: min(limit, im.n_real)].any(axis=0).sum()) for im in images
    )
    copies = [im for im in images if im.synthetic]
    summary: dict[str, Any] = {
        "images": len(images) - len(copies),
        "nodules": n_nodules,
        "implanted_copies": len(copies),
        "implant_positive_rows": sum(len(im.xy) for im in copies),
        "candidate_recall_train": round(found / max(n_nodules, 1), 4),
        "candidates_per_image": limit,
        "prepare_seconds": round(time.perf_counter() - started, 1),
    }
    print(json.dumps(summary), flush=True)
    summary_path = config.out / "summary.json"
    if config.final_only:
        if not summary_path.is_file():
            raise FileNotFoundError(
                f"{summary_path} is missing: --final-only adds the final model to a run "
                "folder that already holds its cross-validation"
            )
        previous = json.loads(summary_path.read_text(encoding="utf-8"))
        summary["cross_validation"] = previous["cross_validation"]
    elif config.folds:
        summary["cross_validation"] = cross_validate(images, config)
        print(json.dumps(summary["cross_validation"]["out_of_fold"]), flush=True)
    record = config_record(config)
    (config.out / "run.json").write_text(
        json.dumps(record, indent=2) + "\n", encoding="utf-8"
    )
    if config.export:
        model = fit(
            images,
            np.arange(len(images)),
            config,
            config.train_seed,
            config.out / "final.jsonl",
        )
        torch.save(model.state_dict(), config.out / "final.pt")
        summary["train_seconds"] = round(time.perf_counter() - started, 1)
        cv = summary.get("cross_validation", {})
        export(
            ensemble_module([(model, len(config.patch_steps))]),
            images,
            out=config.out,
            patch_steps=config.patch_steps,
            views=config.views,
            calibration=cv.get("calibration", {"slope": 1.0, "intercept": 0.0}),
            candidates=config.candidate_params.to_dict(),
            training={
                "data": data_name(config.data),
                "data_manifest_sha256": _sha256(config.data / "manifest.csv"),
                "members": [record],
                "cross_validation": cv,
                "summary": {
                    k: v for k, v in summary.items() if k != "cross_validation"
                },
            },
        )
    summary_path.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return summary


def ensemble(
    data: Path, runs: list[Path], out: Path, views: int, command: str = ""
) -> dict[str, Any]:
    """Combine trained runs into one exported classifier, with its own CV estimate.

    Every run must have been cross-validated with the same seed and fold count (so the
    folds agree) and the same candidate generator. The out-of-fold estimate scores each
    training image with the mean of the members' models that never saw it, exactly as
    the shipped ensemble of final models scores a new image.
    """
    cv2.setNumThreads(1)
    members = [load_member(run) for run in runs]
    records = [record for _, record in members]
    for key in ("seed", "folds", "candidates", "train_candidates_per_image", "limit"):
        if len({json.dumps(r[key], sort_keys=True) for r in records}) != 1:
            raise ValueError(f"runs differ in {key!r}; they cannot share folds")
    if records[0]["folds"] < 2:
        raise ValueError("the runs have no cross-validation folds to estimate with")
    steps = max((tuple(r["patch_steps_px"]) for r in records), key=len)
    for r in records:
        if tuple(r["patch_steps_px"]) != steps[: len(r["patch_steps_px"])]:
            raise ValueError("every run's patch steps must be a prefix of the longest")
    config = TrainConfig(
        data=data,
        out=out,
        folds=records[0]["folds"],
        seed=records[0]["seed"],
        gt_positives=False,
        patch_steps=steps,
        train_candidates=records[0]["train_candidates_per_image"],
        limit=records[0].get("limit"),
        candidate_params=CandidateParams.from_dict(records[0]["candidates"]),
        views=views,
    )
    out.mkdir(parents=True, exist_ok=True)
    images = build_candidates(config)
    fold = folds_of(
        images, config.folds, config.seed, by_case_id=bool(config.extra_data)
    )
    (config.out / "folds.json").write_text(
        json.dumps({im.case_id: int(f) for im, f in zip(images, fold, strict=True)})
        + "\n",
        encoding="utf-8",
    )
    limit = config.candidate_params.max_candidates
    oof: list[ScoredImage] = []
    for f in range(config.folds):
        module = ensemble_module(
            [
                (load_member(run, f"fold{f}.pt")[0], len(r["patch_steps_px"]))
                for run, r in zip(runs, records, strict=True)
            ]
        )
        for i in np.nonzero(fold == f)[0]:
            probability = predict(_AsLogits(module), images[i], limit, views)
            oof.append(_scored(images[i], probability))
    slope, intercept = fit_calibration(
        np.concatenate([s.scores for s in oof]),
        np.concatenate([s.hits.any(axis=1) for s in oof]),
    )
    estimate = froc(oof)
    print(json.dumps({"ensemble_out_of_fold": estimate}), flush=True)
    calibrated = [
        replace(s, scores=_apply_calibration(s.scores, slope, intercept)) for s in oof
    ]
    operating_points = {
        "basis": "out-of-fold on the training set, calibrated scores: a candidate "
        "scoring at least this is kept at that many false positives per image",
        "score_at_fp": froc(calibrated)["score_threshold_at_fp"],
    }
    module = ensemble_module([(m, len(r["patch_steps_px"])) for m, r in members])
    member_cv = []
    for run in runs:
        summary = json.loads((run / "summary.json").read_text(encoding="utf-8"))
        member_cv.append(summary["cross_validation"]["out_of_fold"])
    export(
        module,
        images,
        out=out,
        patch_steps=steps,
        views=views,
        calibration={"slope": slope, "intercept": intercept},
        candidates=config.candidate_params.to_dict(),
        training={
            "data": data_name(data),
            "data_manifest_sha256": _sha256(data / "manifest.csv"),
            "ensemble_command": command,
            "members": records,
            "cross_validation": {
                "folds": config.folds,
                "out_of_fold": estimate,
                "operating_points": operating_points,
                "calibration": {"slope": slope, "intercept": intercept},
                "members_out_of_fold": member_cv,
                "note": "each training image scored by the mean of the members' fold "
                "models that did not see it, with the run-time views and candidates",
            },
        },
    )
    return estimate


def records_calibration(
    records: Path,
) -> tuple[float, float, int, dict[str, Any]]:
    """Platt calibration of the ensemble logit in CV records, and its FROC estimate.

    ``records`` is a ``bench/cv_nodules.py`` cache whose first ranker input is each
    candidate's out-of-fold ensemble logit. Returns (slope, intercept, films, estimate).
    """
    from engine.training.nodule_ranker import load_records

    films = [r for path in sorted(records.glob("*.npz")) for r in load_records(path)]
    if not films:
        raise ValueError(f"no CV records in {records}; run bench/cv_nodules.py first")
    logits = np.concatenate([f.inputs[:, 0] for f in films])
    hits = np.concatenate([f.hit for f in films])
    slope, intercept = fit_calibration(1 / (1 + np.exp(-logits)), hits)
    scored = [
        ScoredImage(
            case_id=f.case_id,
            scores=_apply_calibration(
                1 / (1 + np.exp(-f.inputs[:, 0])), slope, intercept
            ),
            hits=f.hit[:, None] if f.has_nodule else np.zeros((len(f.hit), 0), bool),
            wrong_side=np.zeros(len(f.hit), bool),
        )
        for f in films
    ]
    return slope, intercept, len(films), froc(scored)


def ensemble_final(
    data: Path,
    runs: list[Path],
    out: Path,
    views: int,
    records: Path,
    command: str = "",
) -> dict[str, Any]:
    """Export the mean logit of runs' final models, calibrated on CV records.

    No cross-validation is re-run: ``records`` is a ``bench/cv_nodules.py`` cache made
    with these runs' fold CNNs (``--cnn-run A --ensemble-with B``), whose first ranker
    input is each candidate's out-of-fold ensemble logit. The Platt calibration and
    the fallback operating points (used only without ``nodule_ranker.json``) are
    fitted on them; the graph averages the members' logits exactly as that CV did.
    """
    cv2.setNumThreads(1)
    members = [load_member(run) for run in runs]
    settings = [record for _, record in members]
    for key in ("candidates", "patch_steps_px", "channels"):
        if len({json.dumps(r[key], sort_keys=True) for r in settings}) != 1:
            raise ValueError(f"runs differ in {key!r}; they cannot share one graph")
    slope, intercept, films, estimate = records_calibration(records)
    steps = tuple(settings[0]["patch_steps_px"])
    config = TrainConfig(
        data=data,
        out=out,
        folds=0,
        seed=settings[0]["seed"],
        gt_positives=False,
        patch_steps=steps,
        limit=4,  # only to check onnxruntime against torch
        candidate_params=CandidateParams.from_dict(settings[0]["candidates"]),
        views=views,
    )
    out.mkdir(parents=True, exist_ok=True)
    module = ensemble_module([(m, len(r["patch_steps_px"])) for m, r in members])
    export(
        module,
        build_candidates(config),
        out=out,
        patch_steps=steps,
        views=views,
        calibration={"slope": slope, "intercept": intercept},
        candidates=settings[0]["candidates"],
        training={
            "data": [data_name(data), *settings[0].get("extra_data", [])],
            "ensemble_command": command,
            "members": [_portable(r) for r in settings],
            "cross_validation": _cv_card(records, films, estimate, slope, intercept),
        },
    )
    return estimate


def graph_logit(model: Any) -> str:
    """The tensor that feeds an ONNX classifier's final Sigmoid: its exact logit.

    Raises:
        ValueError: if the graph's single output is not made by a Sigmoid.
    """
    graph = model.graph
    if len(graph.output) != 1:
        raise ValueError(f"expected one graph output, got {len(graph.output)}")
    made_by = [n for n in graph.node if graph.output[0].name in n.output]
    if len(made_by) != 1 or made_by[0].op_type != "Sigmoid":
        raise ValueError("the graph's output is not made by a final Sigmoid")
    return str(made_by[0].input[0])


def logit_graph(model: Any) -> Any:
    """A copy of a classifier graph whose output is its logit (the Sigmoid dropped)."""
    import onnx

    logit = graph_logit(model)
    out = onnx.ModelProto()
    out.CopyFrom(model)
    graph = out.graph
    (sigmoid,) = [n for n in graph.node if graph.output[0].name in n.output]
    graph.node.remove(sigmoid)
    graph.output[0].name = logit
    return out


def _prefixed_body(
    model: Any,
    prefix: str,
    inputs: set[str],
    nodes: list[Any],
    initializers: list[Any],
    value_info: list[Any],
) -> str:
    """Append a classifier graph's body, without its final Sigmoid, to the lists.

    Its own names are prefixed; the shared ``inputs`` keep theirs. Returns the name of
    its logit, prefixed.
    """
    import onnx

    graph = model.graph
    logit = graph_logit(model)
    own = {o for n in graph.node for o in n.output} | {
        t.name for t in graph.initializer
    }
    own -= inputs

    def renamed(name: str) -> str:
        return prefix + name if name in own else name

    for node in graph.node:
        if node.op_type == "Sigmoid" and graph.output[0].name in node.output:
            continue
        if any(a.type in (a.GRAPH, a.GRAPHS) for a in node.attribute):
            raise ValueError(f"a subgraph in node {node.name!r}; inline it first")
        copy = onnx.NodeProto()
        copy.CopyFrom(node)
        copy.name = prefix + node.name
        copy.input[:] = [renamed(n) for n in node.input]
        copy.output[:] = [renamed(n) for n in node.output]
        nodes.append(copy)
    for tensor in graph.initializer:
        copy_t = onnx.TensorProto()
        copy_t.CopyFrom(tensor)
        copy_t.name = renamed(tensor.name)
        initializers.append(copy_t)
    for info in graph.value_info:
        copy_v = onnx.ValueInfoProto()
        copy_v.CopyFrom(info)
        copy_v.name = renamed(info.name)
        value_info.append(copy_v)
    return renamed(logit)


def join_graphs(graphs: list[tuple[Any, int]], output: str = "probability") -> Any:
    """One ONNX graph from classifier graphs that each end in a Sigmoid.

    ``graphs`` pairs each model with the number of networks it averages; the joined
    output is sigmoid(sum(count x logit) / sum(count)), so joining a two-network graph
    with a one-network graph gives the mean logit of three networks, as
    :func:`ensemble_module` computes it. Every graph must have the same inputs; each
    graph's own names are prefixed so that they cannot clash.

    Raises:
        ValueError: if the graphs' inputs or opsets differ, or one holds a subgraph.
    """
    import onnx
    from onnx import helper, numpy_helper

    if len(graphs) < 2 or any(count < 1 for _, count in graphs):
        raise ValueError("join needs two or more graphs, each with at least one member")
    first = graphs[0][0]
    inputs = list(first.graph.input)
    input_names = {i.name for i in inputs}
    opsets: dict[str, int] = {}
    nodes: list[Any] = []
    initializers: list[Any] = []
    value_info: list[Any] = []
    weighted: list[str] = []
    for k, (model, count) in enumerate(graphs):
        graph = model.graph
        if [i.SerializeToString() for i in graph.input] != [
            i.SerializeToString() for i in inputs
        ]:
            raise ValueError(f"graph {k} has other inputs than graph 0")
        for opset in model.opset_import:
            if opsets.setdefault(opset.domain, opset.version) != opset.version:
                raise ValueError(f"graphs use different versions of {opset.domain!r}")
        if model.functions:
            raise ValueError(f"graph {k} holds local functions; inline them first")
        prefix = f"g{k}/"
        logit = _prefixed_body(
            model, prefix, input_names, nodes, initializers, value_info
        )
        initializers.append(
            numpy_helper.from_array(np.array(count, np.float32), prefix + "members")
        )
        nodes.append(
            helper.make_node(
                "Mul",
                [logit, prefix + "members"],
                [prefix + "weighted_logit"],
                name=prefix + "weight",
            )
        )
        weighted.append(prefix + "weighted_logit")
    total = sum(count for _, count in graphs)
    initializers.append(numpy_helper.from_array(np.array(total, np.float32), "members"))
    nodes += [
        helper.make_node("Sum", weighted, ["logit_sum"], name="join_sum"),
        helper.make_node("Div", ["logit_sum", "members"], ["logit"], name="join_mean"),
        helper.make_node("Sigmoid", ["logit"], [output], name="join_sigmoid"),
    ]
    result = onnx.ValueInfoProto()
    result.CopyFrom(first.graph.output[0])
    result.name = output
    joined = helper.make_model(
        helper.make_graph(
            nodes,
            "joined_classifier",
            inputs,
            [result],
            initializer=initializers,
            value_info=value_info,
        ),
        opset_imports=[helper.make_opsetid(d, v) for d, v in opsets.items()],
        ir_version=first.ir_version,
    )
    onnx.checker.check_model(joined, full_check=True)
    return joined


def join(
    data: Path,
    graph: Path,
    runs: list[Path],
    out: Path,
    records: Path,
    command: str = "",
) -> float:
    """Add runs' final networks to a shipped classifier graph, as one graph.

    The shipped graph (``graph``, with its JSON card beside it) keeps its own networks;
    each run's ``final.pt`` is exported alone with the graph's patch steps, and
    :func:`join_graphs` weights every graph's logit by its member count. The check
    computes the reference apart (the shipped graph's logit by onnxruntime with the
    Sigmoid dropped, each run's logit by torch) on real candidates. The Platt
    calibration is fitted on ``records``, the CV of these members' fold networks.
    Returns the largest difference of the check.

    Raises:
        ValueError: if the card does not describe the graph or a run does not fit it.
        RuntimeError: if onnxruntime differs from the reference by more than 1e-4.
    """
    import onnx
    import onnxruntime as ort
    import torch

    cv2.setNumThreads(1)
    base = json.loads(graph.with_suffix(".json").read_text(encoding="utf-8"))
    if base["onnx"]["sha256"] != _sha256(graph):
        raise ValueError(f"{graph.with_suffix('.json')} does not describe {graph}")
    base_members = len(base["training"]["members"])
    steps = tuple(float(s) for s in base["preprocessing"]["patch_steps_px"])
    views = int(base.get("test_time_views", 1))
    if tuple(base["preprocessing"]["features"]) != FEATURE_NAMES:
        raise ValueError("the graph was trained on other features than the engine's")
    members = [load_member(run) for run in runs]
    # The site settings act after the CNN; the generator's own settings must agree.
    site_keys = {"lung_sites_only", "thorax_sites"}
    for run, (_, record) in zip(runs, members, strict=True):
        if tuple(record["patch_steps_px"]) != steps:
            raise ValueError(f"{run} has patch steps other than the graph's {steps}")
        theirs = {k: v for k, v in record["candidates"].items() if k not in site_keys}
        ours = {k: v for k, v in base["candidates"].items() if k not in site_keys}
        if theirs != ours:
            raise ValueError(f"{run} was trained on other candidates than the graph")
    config = TrainConfig(
        data=data,
        out=out,
        folds=0,
        gt_positives=False,
        patch_steps=steps,
        limit=8,  # only to check the joined graph against the reference
        candidate_params=CandidateParams.from_dict(base["candidates"]),
        views=views,
    )
    out.mkdir(parents=True, exist_ok=True)
    images = build_candidates(config)
    member_graphs = []
    for run, (model, record) in zip(runs, members, strict=True):
        (out / "members" / run.name).mkdir(parents=True, exist_ok=True)
        member_graphs.append(
            export(
                ensemble_module([(model, len(steps))]),
                images,
                out=out / "members" / run.name,
                patch_steps=steps,
                views=views,
                calibration={"slope": 1.0, "intercept": 0.0},
                candidates=base["candidates"],
                training={"members": [_portable(record)], "note": "one joined member"},
            )
        )
    shipped = onnx.load(str(graph))
    joined = join_graphs(
        [(shipped, base_members), *[(onnx.load(str(p)), 1) for p in member_graphs]]
    )
    onnx_path = out / f"{MODEL_NAME}.onnx"
    onnx.save(joined, str(onnx_path))

    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    base_logit = ort.InferenceSession(
        logit_graph(shipped).SerializeToString(), providers=["CPUExecutionProvider"]
    )
    worst, checked = 0.0, 0
    for image in images:
        p = extract_patches(image.source, image.xy[:100])
        f = image.features[:100]
        (shipped_logit,) = base_logit.run(None, {"patches": p, "features": f})
        with torch.no_grad():
            added = [
                model(torch.from_numpy(p), torch.from_numpy(f)).numpy()
                for model, _ in members
            ]
        mean = (base_members * shipped_logit.astype(np.float64) + sum(added)) / (
            base_members + len(members)
        )
        expected = 1 / (1 + np.exp(-mean))
        (got,) = session.run(None, {"patches": p, "features": f})
        worst = max(worst, float(np.abs(got - expected).max()))
        checked += len(p)
    if worst > 1e-4:
        raise RuntimeError(f"onnxruntime differs from the reference by {worst:.2e}")

    slope, intercept, films, estimate = records_calibration(records)
    added_params = sum(
        int(sum(p.numel() for p in model.parameters())) for model, _ in members
    )
    card = classifier_card(
        onnx_path,
        max_abs_diff=worst,
        parameters=int(base["onnx"]["parameters"]) + added_params,
        patch_steps=steps,
        views=views,
        calibration={"slope": slope, "intercept": intercept},
        candidates=base["candidates"],
        activation="sigmoid of the mean logit of all members: each joined graph's "
        "logit weighted by its member count (in graph)",
        training={
            "data": base["training"].get("data"),
            "join_command": command,
            "joined": [
                {
                    "graph": f"{MODEL_NAME} {base['version']}",
                    "sha256": base["onnx"]["sha256"],
                    "members": base_members,
                    "ensemble_command": base["training"].get("ensemble_command"),
                    "exported_with_commit": base["training"].get(
                        "exported_with_commit"
                    ),
                },
                *[
                    {
                        "run": str(run),
                        "state": "final.pt",
                        "state_sha256": _sha256(run / "final.pt"),
                        "members": 1,
                    }
                    for run in runs
                ],
            ],
            "members": [
                *base["training"]["members"],
                *[_portable(record) for _, record in members],
            ],
            "join_check": {
                "reference": "sigmoid of the member-weighted mean of the kept graph's "
                "logit (onnxruntime, Sigmoid dropped) and each run's torch logit",
                "candidates": checked,
                "max_abs_diff": worst,
            },
            "cross_validation": _cv_card(
                records,
                films,
                estimate,
                slope,
                intercept,
                note_tail="; the final networks joined here share their recipes, "
                "not their weights",
            ),
        },
    )
    (out / f"{MODEL_NAME}.json").write_text(
        json.dumps(card, indent=2) + "\n", encoding="utf-8"
    )
    return worst


def _cv_card(
    records: Path,
    films: int,
    estimate: dict[str, Any],
    slope: float,
    intercept: float,
    note_tail: str = "",
) -> dict[str, Any]:
    """What a classifier card says of the CV records its calibration was fitted on."""
    return {
        "records": str(records),
        "films": films,
        "out_of_fold": estimate,
        "operating_points": {
            "basis": "out-of-fold ensemble logits of the CV records (segmenter "
            "masks, every candidate), Platt-calibrated",
            "score_at_fp": estimate["score_threshold_at_fp"],
        },
        "calibration": {"slope": slope, "intercept": intercept},
        "note": "each film scored by the mean logit of the members' fold "
        "models that did not see it (bench/cv_nodules.py --ensemble-with)" + note_tail,
    }


def _portable(value: Any) -> Any:
    """A run record with every data folder named ``$CXR_DATA/...`` (see provenance)."""
    if isinstance(value, dict):
        return {k: _portable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_portable(v) for v in value]
    if isinstance(value, str) and value.startswith("python -m "):
        module, *argv = value.removeprefix("python -m ").split()
        return command_line(module, argv)
    if isinstance(value, str) and (Path(value) / "manifest.csv").is_file():
        return data_name(value)
    return value


class _AsLogits:
    """Wrap a probability-returning module so :func:`predict` can average logits."""

    def __init__(self, module: Any) -> None:
        self.module = module

    def __call__(self, patches: Any, features: Any) -> Any:
        import torch

        p = self.module(patches, features).clamp(1e-6, 1 - 1e-6)
        return torch.log(p / (1 - p))


def _parse(argv: list[str] | None) -> TrainConfig:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data", type=Path, required=True, help="training folder with manifest.csv"
    )
    parser.add_argument(
        "--out", type=Path, required=True, help="run folder (logs, weights, export)"
    )
    parser.add_argument(
        "--extra-data",
        type=Path,
        nargs="*",
        default=[],
        help="further manifest folders whose JSRT rows join the data (folds by case id)",
    )
    parser.add_argument(
        "--folds", type=int, default=5, help="cross-validation folds (0 = none)"
    )
    parser.add_argument(
        "--seed", type=int, default=20261128, help="fold split (and, by default, init)"
    )
    parser.add_argument(
        "--init-seed",
        type=int,
        default=None,
        help="seed of the weights, batches and implants only; the folds keep --seed",
    )
    parser.add_argument(
        "--steps", type=int, default=2500, help="optimiser steps per model"
    )
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--channels", type=int, nargs=3, default=(16, 32, 64))
    parser.add_argument(
        "--no-features", action="store_true", help="CNN on patches only"
    )
    parser.add_argument(
        "--train-candidates",
        type=int,
        default=150,
        help="candidates per training image",
    )
    parser.add_argument(
        "--views",
        type=int,
        default=4,
        choices=(1, 2, 4, 8),
        help="test-time views (quarter turns/mirrors) averaged per candidate",
    )
    parser.add_argument(
        "--no-gt-positives",
        action="store_true",
        help="train on hitting candidates only, not also on the ground-truth centres",
    )
    parser.add_argument(
        "--hard-negatives",
        type=float,
        default=0.0,
        help="fraction of negatives drawn from the hardest fifth, refreshed every 500 steps",
    )
    parser.add_argument(
        "--implants",
        type=int,
        default=0,
        help="synthetic nodules implanted into one copy of each training film (0 = none)",
    )
    parser.add_argument(
        "--synthetic-fraction",
        type=float,
        default=0.5,
        help="share of each batch's positives drawn from the implants",
    )
    parser.add_argument(
        "--rotation",
        type=float,
        default=180.0,
        help="patch rotation augmentation range in degrees (+-)",
    )
    parser.add_argument(
        "--patch-steps",
        type=float,
        nargs="+",
        default=list(PATCH_STEPS),
        help="sampling step in working pixels of each patch channel",
    )
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    parser.add_argument(
        "--limit",
        type=int,
        default=None,
        help="use only the first N images (smoke tests)",
    )
    parser.add_argument("--no-export", action="store_true")
    parser.add_argument(
        "--final-only",
        action="store_true",
        help="skip CV; add the final model to a run folder that already has its CV",
    )
    args = parser.parse_args(argv)
    return TrainConfig(
        data=args.data,
        out=args.out,
        extra_data=tuple(args.extra_data),
        folds=args.folds,
        seed=args.seed,
        init_seed=args.init_seed,
        steps=args.steps,
        batch_size=args.batch_size,
        learning_rate=args.lr,
        channels=tuple(args.channels),
        use_features=not args.no_features,
        views=args.views,
        gt_positives=not args.no_gt_positives,
        rotation_deg=args.rotation,
        hard_negatives=args.hard_negatives,
        implants_per_film=args.implants,
        synthetic_fraction=args.synthetic_fraction,
        patch_steps=tuple(args.patch_steps),
        train_candidates=args.train_candidates,
        threads=args.threads,
        limit=args.limit,
        export=not args.no_export,
        final_only=args.final_only,
        command=command_line(
            "engine.training.train_nodules",
            argv if argv is not None else sys.argv[1:],
        ),
    )


def _parse_ensemble(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m engine.training.train_nodules ensemble",
        description="Export the mean of several trained runs as one classifier.",
    )
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--runs", type=Path, nargs="+", required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--views", type=int, default=2, choices=(1, 2, 4, 8))
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument(
        "--records",
        type=Path,
        default=None,
        help="bench/cv_nodules.py cache of these runs' fold CNNs: export the runs' "
        "final models calibrated on it, without re-running the CV",
    )
    return parser.parse_args(argv)


def _parse_join(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m engine.training.train_nodules join",
        description="Add runs' final networks to a shipped classifier graph, as one "
        "graph whose output is the mean logit of all members.",
    )
    parser.add_argument(
        "--data", type=Path, required=True, help="cxr-train (real candidates to check)"
    )
    parser.add_argument(
        "--graph",
        type=Path,
        required=True,
        help="the classifier graph to keep (its .json card beside it)",
    )
    parser.add_argument("--runs", type=Path, nargs="+", required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument(
        "--records",
        type=Path,
        required=True,
        help="bench/cv_nodules.py cache of all members' fold CNNs (for the calibration)",
    )
    parser.add_argument("--threads", type=int, default=1)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: train one run, ``ensemble`` several, or ``join``."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list[:1] == ["join"]:
        import torch

        options = _parse_join(args_list[1:])
        torch.set_num_threads(options.threads)
        if not (options.data / "manifest.csv").is_file():
            print(f"error: {options.data / 'manifest.csv'} not found", file=sys.stderr)
            return 2
        worst = join(
            options.data,
            options.graph,
            options.runs,
            options.out,
            options.records,
            command_line("engine.training.train_nodules", args_list),
        )
        print(json.dumps({"joined": str(options.out), "max_abs_diff": worst}))
        return 0
    if args_list[:1] == ["ensemble"]:
        import torch

        options = _parse_ensemble(args_list[1:])
        torch.set_num_threads(options.threads)
        if not (options.data / "manifest.csv").is_file():
            print(f"error: {options.data / 'manifest.csv'} not found", file=sys.stderr)
            return 2
        command = command_line("engine.training.train_nodules", args_list)
        if options.records is not None:
            ensemble_final(
                options.data,
                options.runs,
                options.out,
                options.views,
                options.records,
                command,
            )
            return 0
        ensemble(options.data, options.runs, options.out, options.views, command)
        return 0
    config = _parse(args_list)
    if not (config.data / "manifest.csv").is_file():
        print(
            f"error: {config.data / 'manifest.csv'} not found; "
            "pass --data $CXR_DATA/cxr-train",
            file=sys.stderr,
        )
        return 2
    summary = train(config)
    print(
        json.dumps(
            {k: v for k, v in summary.items() if k != "cross_validation"}, indent=2
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
