"""The ensemble of runs: the CV scores a film exactly as the shipped graph does.

``bench/cv_nodules.py --ensemble-with`` scores each film by the mean logit of two or
three runs' fold CNNs (each averaged over its test-time views); the engine runs one ONNX
graph (:func:`engine.training.train_nodules.ensemble_module`) whose output is the
sigmoid of the members' mean logit, and :func:`engine.nodules.classify` averages the
views' logits. Both must give the same probability, or the ranker fitted on the CV's
logits would see another scale at run time.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from engine.nodules import FEATURE_NAMES, PatchSource

from .test_nodules import synthetic_film

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))


def _run(folder: Path, seed: int) -> Path:
    """A run folder with one small CNN as fold 0 and as the final model."""
    torch = pytest.importorskip("torch")
    from engine.training.train_nodules import build_classifier

    torch.manual_seed(seed)
    model = build_classifier((4, 8, 8), len(FEATURE_NAMES), True, in_channels=2)
    with (
        torch.no_grad()
    ):  # confident logits, where mean logit and mean probability differ
        for p in model.parameters():
            p.mul_(2.0)
    model.eval()
    folder.mkdir()
    torch.save(model.state_dict(), folder / "fold0.pt")
    torch.save(model.state_dict(), folder / "final.pt")
    record = {"channels": [4, 8, 8], "use_features": True, "patch_steps_px": [1.0, 2.0]}
    (folder / "run.json").write_text(json.dumps(record), encoding="utf-8")
    return folder


@pytest.mark.parametrize("members", [2, 3])
def test_the_cv_ensemble_scores_as_the_exported_graph_does(
    tmp_path, monkeypatch, members
):
    torch = pytest.importorskip("torch")
    import cv_nodules

    import engine.nodules
    from engine.training.train_nodules import ensemble_module, load_member

    runs = [_run(tmp_path / f"run{seed}", seed) for seed in range(1, members + 1)]
    film, _ = synthetic_film(256, 256, (90, 110), 8)
    source = PatchSource.from_normalised((film - 0.4) / 0.1, (1.0, 2.0))
    centres = np.array([[90, 110], [180, 60], [60, 200], [128, 128]], np.float32)
    features = np.random.default_rng(0).normal(size=(4, len(FEATURE_NAMES)))
    features = features.astype(np.float32)

    cv = cv_nodules._fold_scorer(runs[0], runs[1:], 0, 2)(source, centres, features)
    alone = [
        cv_nodules._fold_scorer(r, [], 0, 2)(source, centres, features) for r in runs
    ]

    graph = ensemble_module([(load_member(r)[0], 2) for r in runs])

    class Session:
        def run(self, _outputs, feeds):
            with torch.no_grad():
                out = graph(
                    torch.from_numpy(feeds["patches"]),
                    torch.from_numpy(feeds["features"]),
                )
            return [out.numpy()]

    monkeypatch.setattr(engine.nodules, "_session", lambda: Session())
    engine_path = engine.nodules.classify(source, centres, features, views=2)

    np.testing.assert_allclose(engine_path, cv, atol=1e-5)
    # The members disagree, so this is not a trivial agreement: the mean of the
    # probabilities would differ from the mean-logit score.
    assert np.abs(alone[0] - alone[1]).max() > 0.2
    assert np.abs(np.mean(alone, axis=0) - cv).max() > 1e-3
