"""Finding plugins: the plugin manager, the registry of components, and their Hydra configs.

`python -m influencer_kit.plugin` lists every installed component, its options and whether its
model weights are present.
"""
from __future__ import annotations

import dataclasses
import functools
from functools import lru_cache
from typing import Any, Mapping

import pluggy
from hydra.core.config_store import ConfigStore

from influencer_kit import PROJECT
from influencer_kit.errors import ComponentError, ConfigError
from influencer_kit.plugin import hookspecs
from influencer_kit.plugin.components import CORE_CONFIGS, KINDS, Component, Distance, is_same_person_option


class PluginError(RuntimeError):
    """A plugin is broken: a duplicate name, an unknown kind, a misspelt hook."""


def get_plugin_manager(load_entry_points: bool = True) -> pluggy.PluginManager:
    """A fresh plugin manager with every plugin of the `influencer_kit` entry-point group loaded."""
    pm = pluggy.PluginManager(PROJECT)
    pm.add_hookspecs(hookspecs)
    if load_entry_points:
        pm.load_setuptools_entrypoints(PROJECT)
    pm.check_pending()
    return pm


def collect_components(pm: pluggy.PluginManager) -> dict[tuple[str, str], Component]:
    """Every component of every plugin, keyed by (kind, name); duplicates and bad kinds are errors."""
    found: dict[tuple[str, str], Component] = {}
    owner: dict[tuple[str, str], str] = {}
    for impl in pm.hook.ik_components.get_hookimpls():
        plugin_name = pm.get_name(impl.plugin) or repr(impl.plugin)
        for comp in impl.function() or []:
            if comp.kind not in KINDS:
                raise PluginError(f"plugin {plugin_name!r}: unknown kind {comp.kind!r} (valid: {KINDS})")
            key = (comp.kind, comp.name)
            if key in found:
                raise PluginError(
                    f"{comp.kind} {comp.name!r} is offered by both {owner[key]!r} and {plugin_name!r}"
                )
            if not dataclasses.is_dataclass(comp.config):
                raise PluginError(f"{comp.kind} {comp.name!r}: config must be a dataclass")
            found[key], owner[key] = comp, plugin_name
    return found


@lru_cache(maxsize=1)
def registry() -> dict[tuple[str, str], Component]:
    """The installed components (loaded once per process)."""
    return collect_components(get_plugin_manager())


def get_component(kind: str, name: str) -> Component:
    """The component of that kind and name, or an error listing the valid names."""
    comps = registry()
    if (kind, name) not in comps:
        valid = sorted(n for k, n in comps if k == kind)
        raise PluginError(f"no {kind} named {name!r}; installed: {', '.join(valid)}")
    return comps[(kind, name)]


def build(kind: str, cfg: Mapping[str, Any], same_person: float | None = None) -> Any:
    """Instantiate the component a config node (or dict) selects, passing the component's own
    fields as keyword arguments (the fields every component of the kind shares stay with the core).
    A same-person option left at None (`components.same_person_option`) gets `same_person`."""
    comp = get_component(kind, cfg["name"])
    params = factory_params(comp, cfg, same_person)
    label = f"{kind}={comp.name}"
    return Guarded(label, _guarded_call(label, comp.factory)(**params))


def factory_params(comp: Component, cfg: Mapping[str, Any], same_person: float | None = None) -> dict[str, Any]:
    """The keyword arguments of the component's factory: its own config fields (the fields every
    component of the kind shares stay with the core), same-person options left at None set to
    `same_person`."""
    core = {f.name for f in dataclasses.fields(CORE_CONFIGS[comp.kind])}
    params = {k: v for k, v in dict(cfg).items() if k not in core}
    for f in dataclasses.fields(comp.config):
        if is_same_person_option(f) and params.get(f.name) is None:
            if same_person is None:
                raise ConfigError(f"{comp.kind}.{f.name} is not set and no embedder distance was given")
            params[f.name] = same_person
    return params


GUARDED_METHODS = {"fit", "detect", "embed", "fit_predict"}  # the methods of every kind (components.py)


class Guarded:
    """A built component whose methods raise `ComponentError` naming it (`cluster=hdbscan failed:
    TypeError: ...`) instead of an unexpected exception, so that the CLI can say which component
    failed; a `ConfigError` (missing weights, say) already says what to do and passes unchanged.
    Everything else is the component's own."""

    def __init__(self, label: str, component: Any) -> None:
        self._label = label
        self._component = component

    def __getattr__(self, name: str) -> Any:
        if name in ("_label", "_component"):  # not set yet (a copy being made): not the component's
            raise AttributeError(name)
        value = getattr(self._component, name)
        if name not in GUARDED_METHODS or not callable(value):
            return value
        call = _guarded_call(self._label, value)

        @functools.wraps(value)
        def method(*args: Any, **kwargs: Any) -> Any:
            result = call(*args, **kwargs)
            return self if result is self._component else result  # fit() returns the component: keep it guarded

        return method


def _guarded_call(label: str, function: Any) -> Any:
    """`function`, raising `ComponentError` (from the original) for any exception but a `ConfigError`."""

    @functools.wraps(function)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except ConfigError:
            raise
        except Exception as err:
            first_line = (str(err).strip().splitlines() or [""])[0]
            detail = f"{type(err).__name__}: {first_line}" if first_line else type(err).__name__
            raise ComponentError(f"{label} failed: {detail}") from err

    return call


def embedder_distance(embedder: Mapping[str, Any]) -> Distance:
    """The distance the configured embedder states, read without loading its model."""
    return build("embedder", embedder).distance


def register_configs(comps: dict[tuple[str, str], Component] | None = None) -> None:
    """Store each component's config dataclass in Hydra's ConfigStore as `<kind>=<name>`."""
    cs = ConfigStore.instance()
    for (kind, name), comp in (comps if comps is not None else registry()).items():
        cs.store(group=kind, name=name, node=comp.config(name=name))


def describe() -> str:
    """A table of the installed components, their options and weights."""
    lines = ["Choose one with <kind>=<name> and set its options with <kind>.<option>=<value>,",
             "e.g. python -m influencer_kit detector=opencv detector.min_neighbors=6", ""]
    for kind in KINDS:
        lines.append(f"{kind}:")
        for (k, name), comp in sorted(registry().items()):
            if k != kind:
                continue
            opts = ", ".join(
                f"{f.name}=" + ("(the embedder's same-person distance)" if is_same_person_option(f) else repr(f.default))
                for f in dataclasses.fields(comp.config) if f.name != "name"
            )
            weights = "weights present" if comp.weights_present() else "WEIGHTS MISSING"
            lines.append(f"  {name:<14} {weights:<16} {comp.description}")
            if opts:
                lines.append(f"  {'':<14} options: {opts}")
    return "\n".join(lines)

