"""The listing `python -m influencer_kit.plugin` prints: every installed component, its options,
where it comes from and whether the weights of the model its config selects are present; then the
ranking methods and link sources."""
from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from omegaconf import OmegaConf

from influencer_kit.errors import ConfigError
from influencer_kit.plugin.components import KINDS, Component, ComponentConfig, is_same_person_option
from influencer_kit.plugin.manager import PluginError, config_of, installed, link_sources, one_line, provider, registry


def listing_configs(overrides: Sequence[str] = ()) -> dict[tuple[str, str], ComponentConfig]:
    """Each installed component's config for the listing: its defaults with `overrides`
    (`<kind>.<option>=<value>`, applied to the components of that kind that have the option)."""
    given = OmegaConf.to_container(OmegaConf.from_dotlist(list(overrides)))
    for kind, options in given.items():
        if kind not in KINDS or not isinstance(options, dict):
            raise ConfigError(f"{kind}: give options as <kind>.<option>=<value>, <kind> one of {', '.join(KINDS)}")
        known = {f.name for (k, _), c in registry().items() if k == kind for f in dataclasses.fields(c.config)}
        unknown = sorted(set(options) - known)
        if unknown:
            raise ConfigError(f"no installed {kind} has the option {unknown[0]!r}")
    configs = {}
    for (kind, name), comp in registry().items():
        fields = {f.name for f in dataclasses.fields(comp.config)}
        options = {k: v for k, v in given.get(kind, {}).items() if k in fields}
        configs[(kind, name)] = config_of(comp, {**options, "name": name})
    return configs


def option_text(option: dataclasses.Field, value: Any) -> str:
    """An option's value as the listing shows it."""
    return "(the embedder's same-person distance)" if is_same_person_option(option) and value is None else repr(value)


def weights_present(comp: Component, config: ComponentConfig) -> bool:
    """Whether the weights of the model `config` selects are on this machine (the component's own
    `weights_present`); one that raises is a `PluginError` naming its plugin."""
    try:
        return bool(comp.weights_present(config))
    except Exception as err:
        raise PluginError(f"{provider(comp.kind, comp.name)}: weights_present of {comp.kind}={comp.name} "
                          f"raised {one_line(err)}") from err


def describe(overrides: Sequence[str] = ()) -> str:
    """A table of the installed components, their options, where they come from and whether the
    weights of the model their config (defaults, or `overrides`) selects are present."""
    configs = listing_configs(overrides)
    lines = ["Choose one with <kind>=<name> and set its options with <kind>.<option>=<value>,",
             "e.g. python -m influencer_kit detector=opencv detector.min_neighbors=6", ""]
    for kind in KINDS:
        lines.append(f"{kind}:")
        for (k, name), comp in sorted(registry().items()):
            if k != kind:
                continue
            config = configs[(k, name)]
            opts = ", ".join(f"{f.name}={option_text(f, getattr(config, f.name))}"
                             for f in dataclasses.fields(config) if f.name != "name")
            weights = "weights present" if weights_present(comp, config) else "WEIGHTS MISSING"
            lines.append(f"  {name:<16} {weights:<16} {comp.description} [{provider(k, name).release}]")
            if opts:
                lines.append(f"  {'':<16} options: {opts}")
    lines.append(f"ranking methods (ranking.method=): {', '.join(sorted(installed().ranking_methods))}")
    lines.append(f"link sources, in the order asked: {', '.join(s.name for s in link_sources())}")
    return "\n".join(lines)
