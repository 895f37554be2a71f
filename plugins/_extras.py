"""Modules the default install leaves out, imported with a one-line error naming the extra that adds them."""
from __future__ import annotations

import importlib
from types import ModuleType

from influencer_kit.plugin import ConfigError

EXTRA = "deepface"  # TensorFlow, tf-keras, deepface, retina-face


def import_extra(module: str, feature: str) -> ModuleType:
    """`module` imported, or a `ConfigError` saying that `feature` needs the `deepface` extra."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as err:
        if err.name is None or err.name.split(".")[0] != module.split(".")[0]:
            raise  # the package is there but something it imports is not: its own problem
        raise ConfigError(
            f"{feature} needs the {err.name.split('.')[0]} package, which the default install leaves out: "
            f"pip install 'influencer-kit[{EXTRA}]' (in a checkout: .venv/bin/pip install -e '.[{EXTRA}]')"
        ) from None
