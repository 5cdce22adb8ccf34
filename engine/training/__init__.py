"""Offline training of the bundled models (needs the ``train`` extra; never run in CI).

The engine never imports this package at run time, except the numpy-only
:mod:`engine.training.segmentation_data` preprocessing that the model JSON describes.
"""

__all__: list[str] = []
