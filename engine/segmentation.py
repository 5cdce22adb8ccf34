"""Run the bundled anatomy segmentation network (ONNX, CPU) on a radiograph."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from engine.anatomy import GridTransform, StructureMasks
from engine.errors import ModelFileMissing
from engine.segmentation_postprocess import ANATOMY_CHANNELS, clean_masks

MODEL_NAME = "anatomy_seg"


class Segmenter(Protocol):
    """Segments lungs, heart and clavicles onto the working grid."""

    version: str

    def segment(
        self, image: npt.NDArray[np.float32], grid: GridTransform
    ) -> StructureMasks: ...


def model_path(name: str) -> Path:
    """Path of a bundled model file inside the installed package."""
    return Path(str(resources.files("engine") / "models" / name))


@dataclass(frozen=True, slots=True)
class _Loaded:
    session: Any
    spec: Any
    input_name: str
    meta: dict[str, Any]


@functools.cache
def _load() -> _Loaded:
    import onnxruntime as ort  # heavy native library: loaded on first analysis only

    from engine.training.segmentation_data import PreprocessSpec

    onnx_file, json_file = (
        model_path(f"{MODEL_NAME}.onnx"),
        model_path(f"{MODEL_NAME}.json"),
    )
    for f in (onnx_file, json_file):
        if not f.is_file():
            raise ModelFileMissing(
                f"the anatomy model file {f} is missing; reinstall the package "
                "(pip install -e .) or retrain it with engine/training/train_segmentation.py"
            )
    meta = json.loads(json_file.read_text(encoding="utf-8"))
    options = ort.SessionOptions()
    # One thread: the model takes ~25 ms, and dashboard sessions run analyses side by side.
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(
        str(onnx_file), sess_options=options, providers=["CPUExecutionProvider"]
    )
    spec = PreprocessSpec.from_json(meta["preprocessing"])
    return _Loaded(session, spec, session.get_inputs()[0].name, meta)


def _outputs_probabilities(meta: dict[str, Any]) -> bool:
    """Whether the exported graph ends in a sigmoid (see anatomy_seg.json)."""
    output = meta.get("onnx", {}).get("output", {})
    return output.get("name") == "probabilities" or "already applied" in str(
        output.get("activation", "")
    )


class OnnxSegmenter:
    """The bundled U-Net (see engine/models/anatomy_seg.md)."""

    def __init__(self) -> None:
        loaded = _load()
        sha = str(loaded.meta.get("onnx", {}).get("sha256", ""))[:12]
        self.version = (
            f"{MODEL_NAME}:{loaded.meta.get('version') or sha or 'unversioned'}"
        )

    def segment(
        self, image: npt.NDArray[np.float32], grid: GridTransform
    ) -> StructureMasks:
        import cv2

        from engine.training.segmentation_data import preprocess_image

        loaded = _load()
        tensor, _ = preprocess_image(image, loaded.spec)
        (logits,) = loaded.session.run(None, {loaded.input_name: tensor})
        output = np.asarray(logits[0], dtype=np.float32)
        if not _outputs_probabilities(loaded.meta):
            output = (1.0 / (1.0 + np.exp(-output))).astype(np.float32)
        # The network's square is the same letterbox as the grid, at another size.
        probability = np.stack(
            [
                cv2.resize(c, (grid.size, grid.size), interpolation=cv2.INTER_LINEAR)
                for c in output
            ]
        ).astype(np.float32)
        masks = clean_masks(probability, ANATOMY_CHANNELS)
        return StructureMasks(
            right_lung=masks[0],
            left_lung=masks[1],
            heart=masks[2],
            right_clavicle=masks[3],
            left_clavicle=masks[4],
            probability=probability,
        )
