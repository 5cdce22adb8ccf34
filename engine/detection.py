"""The bundled nodule detector behind the analyzer's `NoduleDetector` port."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import numpy as np
import numpy.typing as npt

from engine.findings import Candidate, LogSizeFit, SizeCorrection, SizeMeasure

# The first shipped classifier's 1 and 2 false-positives-per-image points.
FALLBACK_REPORT_SCORE = 0.088
FALLBACK_DESCRIBE_SCORE = 0.048


def size_correction_from_card(size: dict[str, Any]) -> SizeCorrection:
    """The ``size`` block of ``nodule_ranker.json``: a scale, or the log-space fit.

    ``measure`` names what the scale applies to (``long_axis`` when absent, as in
    cards written before it existed).
    """
    log = size.get("log_fit")
    measure = str(size.get("measure", SizeMeasure.LONG_AXIS.value))
    if measure not in set(SizeMeasure):
        raise ValueError(
            f"nodule_ranker.json size.measure must be one of "
            f"{sorted(m.value for m in SizeMeasure)}, got {measure!r}; refit the card "
            "with engine/training/nodule_ranker.py"
        )
    return SizeCorrection(
        measure=SizeMeasure(measure),
        slope=float(size["slope"]),
        intercept=float(size["intercept"]),
        ratio_low=float(size["ratio_low"]),
        ratio_high=float(size["ratio_high"]),
        log_fit=None
        if log is None
        else LogSizeFit(
            weights=(
                float(log["weights"][0]),
                float(log["weights"][1]),
                float(log["weights"][2]),
            ),
            mean_z=float(log["mean_z"]),
            sd_z=float(log["sd_z"]),
            centre=float(log["centre"]),
            spread=float(log["spread"]),
        ),
    )


class OnnxNoduleDetector:
    """Blob candidates ranked by the bundled patch classifier and second-stage ranker.

    See engine/models/nodule_classifier.md and nodule_ranker.md. With the ranker, a
    score is a calibrated probability that the candidate is a nodule, and the report
    and describe thresholds, like the size correction, were chosen on training folds.
    Without it (an older package), the CNN's Platt score and its operating points apply.
    """

    size_correction: SizeCorrection | None

    def __init__(self) -> None:
        from engine.nodules import load_nodule_classifier_spec, load_ranker_spec
        from engine.segmentation import model_path

        spec = load_nodule_classifier_spec()  # fail now if the model is missing
        # Whether lung behind the heart and below the domes counts (the analysis
        # applies the same rule to each finding's measured centre).
        self.thorax_sites = spec.candidates.thorax_sites
        digest = hashlib.sha256(
            model_path("nodule_classifier.onnx").read_bytes()
        ).hexdigest()[:12]
        ranker = load_ranker_spec()
        self.size_correction = None
        if ranker is not None:
            card = json.loads(
                model_path("nodule_ranker.json").read_text(encoding="utf-8")
            )
            self.report_score = ranker.report_score
            self.describe_score = ranker.describe_score
            self.size_correction = size_correction_from_card(card["size"])
            self.version = f"nodule_classifier:{digest} nodule_ranker:{ranker.version}"
            return
        card = json.loads(
            model_path("nodule_classifier.json").read_text(encoding="utf-8")
        )
        # Operating points from the training folds, never from the development set; a
        # single-run export has none, and then the points the first model used apply.
        cv = card.get("training", {}).get("cross_validation", {})
        points = cv.get("operating_points", {}).get("score_at_fp", {})
        self.report_score = float(points.get("1", FALLBACK_REPORT_SCORE))
        self.describe_score = float(points.get("2", FALLBACK_DESCRIBE_SCORE))
        self.version = f"nodule_classifier:{digest}"

    def detect(
        self,
        image: npt.NDArray[np.float32],
        lung_mask: npt.NDArray[np.bool_] | None,
        mm_per_px: float | None,
        *,
        heart_mask: npt.NDArray[np.bool_] | None = None,
    ) -> list[Candidate]:
        from engine.nodules import detect_nodules

        return [
            Candidate((c.x, c.y), c.radius_px, c.score)
            for c in detect_nodules(
                image, lung_mask, mm_per_px=mm_per_px, heart_mask=heart_mask
            )
        ]
