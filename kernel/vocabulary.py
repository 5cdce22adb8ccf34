"""The small closed vocabularies every package shares, with their stored strings.

The values are stored in the case database and written into exports, so they never
change; add members, never rename them.
"""

from __future__ import annotations

from enum import StrEnum


class Side(StrEnum):
    """The patient's side (on a PA film the patient's right is on the image left)."""

    RIGHT = "right"
    LEFT = "left"
    MIDLINE = "midline"


class Language(StrEnum):
    """Language of a question, of its answer and of user-facing text."""

    ZH = "zh"
    EN = "en"


class CalibrationSource(StrEnum):
    """Where an image's pixel spacing came from (DICOM PS3.3 C.7.6.2.1.1, C.8.11.7)."""

    PIXEL_SPACING = "PixelSpacing"
    """(0028,0030) Pixel Spacing: spacing in the patient plane."""
    IMAGER_PIXEL_SPACING = "ImagerPixelSpacing"
    """(0018,1164) Imager Pixel Spacing: at the detector, not corrected for magnification."""
    IMAGER_PIXEL_SPACING_ERMF = "ImagerPixelSpacing+ERMF"
    """Imager Pixel Spacing divided by (0018,1114) Estimated Radiographic Magnification Factor."""
    USER = "user"
    """Entered by the person who imported the image (``--spacing-mm``)."""
    ESTIMATED = "estimated"
    """Estimated from anatomy by the engine; never set by the intake."""
    NONE = "none"
    """Unknown: measurements can only be given in pixels."""


class AnchorKind(StrEnum):
    """What an anchor marks."""

    REGION = "region"
    """An anatomical region or a broad area."""
    FINDING = "finding"
    """An opacity the analysis found."""
    LANDMARK = "landmark"
    """A reference point such as the hilum."""
    MEASUREMENT = "measurement"
    """A line between two anchors, with its value."""
    USER_DRAWN = "user_drawn"
    """A region a reader drew on the image."""


class AnchorStatus(StrEnum):
    """What a turn did with an anchor."""

    CREATED = "created"
    REFINED = "refined"
    """A new anchor created as a refinement of a parent anchor."""
    REFERENCED = "referenced"
    """The turn talked about an existing anchor without changing it."""
