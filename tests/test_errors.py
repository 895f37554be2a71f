"""One error hierarchy: every exception class of influencer_kit and of the built-in plugins is defined
in influencer_kit/errors.py and derives from `InfluencerKitError`, which the CLI prints as one line."""
from __future__ import annotations

import ast
import inspect
from pathlib import Path

import influencer_kit
import influencer_kit_plugins
from influencer_kit import errors

SOURCES = [Path(influencer_kit.__file__).parent, Path(influencer_kit_plugins.__file__).parent]


def base_names(node: ast.ClassDef) -> list[str]:
    return [getattr(base, "id", getattr(base, "attr", "")) for base in node.bases]


def test_errors_are_defined_only_in_errors_py() -> None:
    hierarchy = {name for name, obj in vars(errors).items() if inspect.isclass(obj)}
    defined_elsewhere = []
    for folder in SOURCES:
        for path in sorted(folder.rglob("*.py")):
            if path == Path(errors.__file__):
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.ClassDef) and any(
                        name.endswith(("Error", "Exception")) or name in hierarchy for name in base_names(node)):
                    defined_elsewhere.append(f"{path.name}:{node.name}")
    assert defined_elsewhere == []


def test_every_error_is_an_influencer_kit_error() -> None:
    classes = {name for name, obj in vars(errors).items()
               if inspect.isclass(obj) and issubclass(obj, BaseException)}
    assert classes == {"InfluencerKitError", "ConfigError", "ComponentError", "MissingWeightsError", "TrackingError",
                       "PluginError", "InputError", "RegistryError", "VideoError", "FetchError", "NoVideoFound",
                       "DecodeError", "RunFolderError", "RequestError", "ApplyError", "RegistryConflict"}
    assert all(issubclass(getattr(errors, name), errors.InfluencerKitError) for name in classes)
    assert errors.RegistryError.__mro__[1] is errors.InputError
    assert errors.RegistryConflict.__mro__[1] is errors.RegistryError
    assert errors.NoVideoFound.__mro__[1:3] == (errors.FetchError, errors.VideoError)
