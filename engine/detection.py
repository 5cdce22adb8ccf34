"""The bundled nodule detector behind the analyzer's `NoduleDetector` port."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import numpy.typing as npt

from engine.findings import Candidate


class OnnxNoduleDetector:
    """Blob candidates ranked by the bundled patch classifier (engine/models/nodule_classifier.md).

    Findings are described from the 2-false-positives-per-image operating point and
    reported in answers from the 1-per-image point, both measured on the training folds.
    """

    def __init__(self) -> None:
        from engine.nodules import load_nodule_classifier_spec
        from engine.segmentation import model_path

        load_nodule_classifier_spec()  # fail now, with its message, if the model is missing
        card = json.loads(
            model_path("nodule_classifier.json").read_text(encoding="utf-8")
        )
        # Operating points from the training folds, never from the development set.
        points = card["training"]["cross_validation"]["operating_points"]["score_at_fp"]
        self.report_score = float(points["1"])
        self.describe_score = float(points["2"])
        digest = hashlib.sha256(
            model_path("nodule_classifier.onnx").read_bytes()
        ).hexdigest()[:12]
        self.version = f"nodule_classifier:{digest}"

    def detect(
        self,
        image: npt.NDArray[np.float32],
        lung_mask: npt.NDArray[np.bool_] | None,
        mm_per_px: float | None,
    ) -> list[Candidate]:
        from engine.nodules import detect_nodules

        return [
            Candidate((c.x, c.y), c.radius_px, c.score)
            for c in detect_nodules(image, lung_mask, mm_per_px=mm_per_px)
        ]
