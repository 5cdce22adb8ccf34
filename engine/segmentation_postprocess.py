"""Turn the anatomy network's probability maps into clean masks on the image grid.

numpy and OpenCV only (resize and connected components, no torch), so the embedded engine, the
training validation and the benchmark all apply exactly the same steps. The network sees
the image letterboxed to a square (see ``engine/models/anatomy_seg.json``);
:class:`LetterboxGeometry` records that mapping so its output can be put back on the
pixels of the image as imported.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

__all__ = [
    "ANATOMY_CHANNELS",
    "LetterboxGeometry",
    "clean_masks",
    "letterbox_geometry",
    "probabilities_to_image",
]

# Output channel order of engine/models/anatomy_seg.onnx. Sides are the patient's: the
# right lung is on the image left of a PA film.
ANATOMY_CHANNELS: tuple[str, ...] = (
    "right_lung",
    "left_lung",
    "heart",
    "right_clavicle",
    "left_clavicle",
)
_LUNGS = ("right_lung", "left_lung")


@dataclass(frozen=True, slots=True, kw_only=True)
class LetterboxGeometry:
    """Where an ``height`` x ``width`` image sits inside its square letterbox.

    The square has sides ``side = max(height, width)``; the short side is padded
    symmetrically (``pad_top``/``pad_left`` before, the rest after).
    """

    height: int
    width: int
    side: int
    pad_top: int
    pad_left: int

    def __post_init__(self) -> None:
        if self.height < 1 or self.width < 1:
            raise ValueError(
                f"image must be at least 1x1, got {self.height}x{self.width}"
            )
        if self.side != max(self.height, self.width):
            raise ValueError(f"side must be max(height, width), got {self.side!r}")


def letterbox_geometry(height: int, width: int) -> LetterboxGeometry:
    """Return the symmetric square letterbox of an image of ``height`` x ``width`` pixels."""
    side = max(height, width)
    return LetterboxGeometry(
        height=height,
        width=width,
        side=side,
        pad_top=(side - height) // 2,
        pad_left=(side - width) // 2,
    )


def probabilities_to_image(
    probabilities: npt.NDArray[np.float32], geometry: LetterboxGeometry
) -> npt.NDArray[np.float32]:
    """Map ``(C, N, N)`` network probabilities back onto the original image grid.

    Each channel is resized bilinearly (OpenCV ``INTER_LINEAR``, pixel centres aligned
    as in the input resize) to the letterbox square, and the padding is cropped off.

    Returns:
        ``(C, height, width)`` float32 probabilities in the image's own pixels.
    """
    if probabilities.ndim != 3 or probabilities.shape[1] != probabilities.shape[2]:
        raise ValueError(
            f"probabilities must be (C, N, N), got shape {probabilities.shape!r}"
        )
    g = geometry
    out = np.empty((probabilities.shape[0], g.height, g.width), dtype=np.float32)
    for c, channel in enumerate(probabilities.astype(np.float32, copy=False)):
        square = cv2.resize(channel, (g.side, g.side), interpolation=cv2.INTER_LINEAR)
        out[c] = square[
            g.pad_top : g.pad_top + g.height, g.pad_left : g.pad_left + g.width
        ]
    return out


def _largest_component(mask: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
    # 8-connectivity: a lung tip joined to the rest by a diagonal pixel is one field.
    count, labels = cv2.connectedComponents(mask.astype(np.uint8), connectivity=8)
    if count <= 2:
        return mask
    sizes = np.bincount(labels.ravel(), minlength=count)
    sizes[0] = 0
    return np.asarray(labels == int(sizes.argmax()))


def _fill_holes(mask: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
    """Fill every background region that does not reach the mask's bounding box edge.

    Same result as ``scipy.ndimage.binary_fill_holes`` (4-connected background), but
    OpenCV's labelling on the bounding box keeps it fast on full-size films.
    """
    rows, cols = np.nonzero(mask.any(axis=1))[0], np.nonzero(mask.any(axis=0))[0]
    top, bottom, left, right = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    # One pixel of margin so that background touching the box edge stays connected.
    box = np.ones((bottom - top + 2, right - left + 2), dtype=np.uint8)
    box[1:-1, 1:-1] = ~mask[top:bottom, left:right]
    _, labels = cv2.connectedComponents(box, connectivity=4)
    holes = (labels > 0) & (labels != labels[0, 0])
    filled = mask.copy()
    filled[top:bottom, left:right] |= holes[1:-1, 1:-1]
    return filled


def clean_masks(
    probabilities: npt.NDArray[np.float32],
    channels: tuple[str, ...] = ANATOMY_CHANNELS,
    *,
    threshold: float = 0.5,
) -> npt.NDArray[np.bool_]:
    """Threshold probability maps into one clean binary mask per structure.

    Every structure (each lung field, the heart, each clavicle) is one connected region
    on a frontal film, so each mask keeps only its largest 8-connected component and
    has its holes filled (a dense nodule or a rib crossing never punches a hole in a
    lung field). Where both lung masks claim a pixel, the more probable side keeps it.

    Args:
        probabilities: ``(C, H, W)`` sigmoid outputs in 0..1, on any grid.
        channels: the name of each channel, in order.
        threshold: probability at or above which a pixel belongs to a structure.

    Returns:
        ``(C, H, W)`` boolean masks.

    Raises:
        ValueError: if the shapes or the threshold do not make sense.
    """
    if probabilities.ndim != 3 or probabilities.shape[0] != len(channels):
        raise ValueError(
            f"probabilities must be (C={len(channels)}, H, W), got shape {probabilities.shape!r}"
        )
    if not 0.0 < threshold < 1.0:
        raise ValueError(f"threshold must be in (0, 1), got {threshold!r}")
    masks = probabilities >= threshold
    if all(name in channels for name in _LUNGS):
        right, left = (channels.index(name) for name in _LUNGS)
        both = masks[right] & masks[left]
        right_wins = probabilities[right] >= probabilities[left]
        masks[right] &= ~both | right_wins
        masks[left] &= ~both | ~right_wins
    for c in range(len(channels)):
        if masks[c].any():
            masks[c] = _fill_holes(_largest_component(masks[c]))
    return masks
