"""Where deepface and retina-face keep model weights, and a clear error when a file is missing.

Both packages read `$DEEPFACE_HOME/.deepface/weights/<file>` (DEEPFACE_HOME defaults to the home
folder) and download the file there on first use when the machine is online.
"""
from __future__ import annotations

import os
from pathlib import Path

from influencer_kit.plugin import MissingWeightsError


def use_weights_dir(weights_dir: str) -> None:
    """Point deepface/retina-face at `weights_dir` (the folder that holds `.deepface/weights`)."""
    if weights_dir:
        os.environ["DEEPFACE_HOME"] = str(Path(weights_dir).expanduser())


def weights_folder(weights_dir: str = "") -> Path:
    """Where the weights are read from: `weights_dir`'s, or else $DEEPFACE_HOME's or home's."""
    home = Path(weights_dir).expanduser() if weights_dir else Path(os.getenv("DEEPFACE_HOME", str(Path.home())))
    return home / ".deepface" / "weights"


def missing_weights(what: str, files: list[str], cause: BaseException) -> MissingWeightsError:
    """An error naming the missing files and where to put them."""
    folder = weights_folder()
    return MissingWeightsError(
        f"{what} could not load its weights ({type(cause).__name__}: {str(cause)[:300]}). "
        f"Missing file (one of): {', '.join(files)}. On a connected machine they download on first use; "
        f"otherwise copy them into {folder} (or set `weights_dir=` on the component to the folder "
        f"that holds .deepface/weights)."
    )
