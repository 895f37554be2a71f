"""Face photos that installed packages ship (matplotlib, scikit-image), cropped to head and shoulders."""
from __future__ import annotations

import numpy as np
import skimage.data
from matplotlib import cbook

from influencer_kit_samples.videos import load_rgb


def grace_hopper() -> np.ndarray:
    """Grace Hopper's portrait from matplotlib's sample data, cropped to head and shoulders (RGB)."""
    return load_rgb(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))[20:430, 90:430]


def astronaut() -> np.ndarray:
    """Eileen Collins' head and shoulders from scikit-image's astronaut image (RGB)."""
    return skimage.data.astronaut()[0:250, 120:330]
