"""The bundled nodule detector behind the analyzer's `NoduleDetector` port."""

from __future__ import annotations

import hashlib

import numpy as np
import numpy.typing as npt

from engine.findings import Candidate


class OnnxNoduleDetector:
    """Blob candidates ranked by the bundled patch classifier (engine/models/nodule_classifier.md)."""

    def __init__(self) -> None:
        from engine.nodules import load_nodule_classifier_spec
        from engine.segmentation import model_path

        load_nodule_classifier_spec()  # fail now, with its message, if the model is missing
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
