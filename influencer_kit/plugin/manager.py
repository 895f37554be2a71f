"""Finding plugins: the plugin manager, what the plugins offer (components, ranking methods, link
sources), which distribution each came from, and the components' Hydra configs.
"""
from __future__ import annotations

import dataclasses
import functools
import importlib.metadata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeVar

import pluggy
from hydra.core.config_store import ConfigStore
from omegaconf import OmegaConf
from omegaconf.errors import OmegaConfBaseException

from influencer_kit import PROJECT
from influencer_kit.errors import ComponentError, ConfigError, PluginError
from influencer_kit.plugin import hookspecs
from influencer_kit.plugin.components import KINDS, Component, ComponentConfig, Distance, is_same_person_option
from influencer_kit.plugin.link_sources import LinkSource
from influencer_kit.plugin.ranking_methods import RankingMethod

T = TypeVar("T")


@dataclass(frozen=True)
class Provider:
    """Where a plugin came from: its entry-point name and, when installed, its distribution."""

    plugin: str
    distribution: str | None = None
    version: str | None = None

    @property
    def release(self) -> str:
        """`influencer-kit-x 1.0`, or the plugin's name for one registered by hand (tests)."""
        return f"{self.distribution} {self.version}" if self.distribution else self.plugin

    def __str__(self) -> str:
        installed = f" (distribution {self.release})" if self.distribution else ""
        return f"plugin {self.plugin!r}{installed}"


def one_line(err: BaseException) -> str:
    """`Type: message` on one line, the message's whitespace collapsed."""
    message = " ".join(str(err).split())
    return f"{type(err).__name__}: {message}" if message else type(err).__name__


class PluginManager(pluggy.PluginManager):
    """pluggy's manager with the `influencer_kit` hooks, knowing each plugin's distribution."""

    def __init__(self) -> None:
        super().__init__(PROJECT)
        self.add_hookspecs(hookspecs)
        self.providers: dict[str, Provider] = {}

    def provider_of(self, plugin: object) -> Provider:
        name = self.get_name(plugin) or repr(plugin)
        return self.providers.get(name, Provider(name))

    def load_entry_points(self) -> None:
        """Register every plugin of the `influencer_kit` entry-point group; one that fails to import
        or to register is a `PluginError` naming it and its distribution."""
        for dist in importlib.metadata.distributions():
            for point in dist.entry_points.select(group=PROJECT):
                if self.has_plugin(point.name):  # the same distribution twice on sys.path
                    continue
                provider = Provider(point.name, dist.metadata["Name"], dist.version)
                try:
                    self.register(point.load(), name=point.name)
                except Exception as err:
                    raise PluginError(f"{provider} failed to load: {one_line(err)}") from err
                self.providers[point.name] = provider

    def check_hooks(self) -> None:
        """Every hook implemented is one of `hookspecs` (a misspelt hook is a `PluginError`)."""
        try:
            self.check_pending()
        except pluggy.PluginValidationError as err:
            raise PluginError(f"{self.provider_of(err.plugin)} failed to load: {one_line(err)}") from err

    def offered(self, hook: str, kind: type[T]) -> list[tuple[Provider, T]]:
        """What every plugin's `hook` returns, in the order pluggy calls them (`trylast` last);
        a hook that raises or returns something else than `kind`s is a `PluginError`."""
        found: list[tuple[Provider, T]] = []
        for impl in reversed(getattr(self.hook, hook).get_hookimpls()):
            provider = self.provider_of(impl.plugin)
            try:
                items = list(impl.function() or [])
            except Exception as err:
                raise PluginError(f"{provider} failed to load: {hook}() raised {one_line(err)}") from err
            wrong = [item for item in items if not isinstance(item, kind)]
            if wrong:
                raise PluginError(f"{provider} failed to load: {hook}() returned {wrong[0]!r}, "
                                  f"not a {kind.__name__}")
            found += [(provider, item) for item in items]
        return found


def get_plugin_manager(load_entry_points: bool = True) -> PluginManager:
    """A fresh plugin manager with every plugin of the `influencer_kit` entry-point group loaded."""
    pm = PluginManager()
    if load_entry_points:
        pm.load_entry_points()
    pm.check_hooks()
    return pm


def unique(offered: list[tuple[Provider, T]], key: Callable[[T], Any], label: Callable[[T], str]
           ) -> dict[Any, tuple[T, Provider]]:
    """The offered items by `key`; two plugins offering the same key is a `PluginError`."""
    found: dict[Any, tuple[T, Provider]] = {}
    for provider, item in offered:
        if key(item) in found:
            raise PluginError(f"{label(item)} is offered by both {found[key(item)][1].plugin!r} "
                              f"and {provider.plugin!r}")
        found[key(item)] = (item, provider)
    return found


def collect_components(pm: pluggy.PluginManager) -> dict[tuple[str, str], Component]:
    """Every component of every plugin, keyed by (kind, name); duplicates and bad kinds are errors."""
    return {key: comp for key, (comp, _) in _components(pm).items()}


def _components(pm: PluginManager) -> dict[tuple[str, str], tuple[Component, Provider]]:
    found = unique(pm.offered("ik_components", Component), lambda c: (c.kind, c.name),
                   lambda c: f"{c.kind} {c.name!r}")
    for comp, provider in found.values():
        if comp.kind not in KINDS:
            raise PluginError(f"plugin {provider.plugin!r}: unknown kind {comp.kind!r} (valid: {KINDS})")
        if not (dataclasses.is_dataclass(comp.config) and issubclass(comp.config, ComponentConfig)):
            raise PluginError(f"{comp.kind} {comp.name!r}: config must be a dataclass subclassing ComponentConfig")
    return found


@dataclass(frozen=True)
class Installed:
    """What the installed plugins offer, and who offers each component."""

    components: dict[tuple[str, str], Component]
    providers: dict[tuple[str, str], Provider]
    ranking_methods: dict[str, RankingMethod]
    link_sources: list[LinkSource]


def collect(pm: PluginManager) -> Installed:
    components = _components(pm)
    methods = unique(pm.offered("ik_ranking_methods", RankingMethod), lambda m: m.name,
                     lambda m: f"ranking method {m.name!r}")
    sources = unique(pm.offered("ik_link_sources", LinkSource), lambda s: s.name,
                     lambda s: f"link source {s.name!r}")
    return Installed(
        components={key: comp for key, (comp, _) in components.items()},
        providers={key: provider for key, (_, provider) in components.items()},
        ranking_methods={name: method for name, (method, _) in methods.items()},
        link_sources=[source for source, _ in sources.values()],
    )


@lru_cache(maxsize=1)
def installed() -> Installed:
    """What the installed plugins offer (loaded once per process)."""
    return collect(get_plugin_manager())


def registry() -> dict[tuple[str, str], Component]:
    """The installed components, keyed by (kind, name)."""
    return installed().components


def provider(kind: str, name: str) -> Provider:
    """The plugin, distribution and version the component of that kind and name comes from."""
    get_component(kind, name)
    return installed().providers[(kind, name)]


def get_component(kind: str, name: str) -> Component:
    """The component of that kind and name, or an error listing the valid names."""
    comps = registry()
    if (kind, name) not in comps:
        valid = sorted(n for k, n in comps if k == kind)
        raise PluginError(f"no {kind} named {name!r}; installed: {', '.join(valid)}")
    return comps[(kind, name)]


def ranking_method(name: str) -> RankingMethod:
    """The ranking method `ranking.method` names, or an error listing the installed ones."""
    methods = installed().ranking_methods
    if name not in methods:
        raise ConfigError(f"ranking.method={name} is not a ranking method; installed: {', '.join(sorted(methods))}")
    return methods[name]


def link_sources() -> list[LinkSource]:
    """The installed link sources, in the order they are asked."""
    return installed().link_sources


def config_of(comp: Component, cfg: Mapping[str, Any]) -> ComponentConfig:
    """`cfg`'s values over the component's config dataclass's defaults, type-checked."""
    try:
        return OmegaConf.to_object(OmegaConf.merge(OmegaConf.structured(comp.config), cfg))
    except OmegaConfBaseException as err:
        raise ConfigError(f"{comp.kind}={comp.name}: {one_line(err)}") from err


def configure(comp: Component, cfg: Mapping[str, Any], same_person: float | None = None) -> ComponentConfig:
    """The component's whole config (`config_of`), same-person options left at None
    (`components.same_person_option`) set to `same_person`."""
    config = config_of(comp, cfg)
    unset = [f.name for f in dataclasses.fields(config) if is_same_person_option(f) and getattr(config, f.name) is None]
    if unset and same_person is None:
        raise ConfigError(f"{comp.kind}.{unset[0]} is not set and no embedder distance was given")
    return dataclasses.replace(config, **{name: same_person for name in unset})


def build(kind: str, cfg: Mapping[str, Any], same_person: float | None = None) -> Any:
    """Instantiate the component a config node (or dict) selects, handing its factory the whole
    config (`configure`)."""
    comp = get_component(kind, cfg["name"])
    config = configure(comp, cfg, same_person)
    label = f"{kind}={comp.name}"
    return Guarded(label, _guarded_call(label, comp.factory)(config))


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
