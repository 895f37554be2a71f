"""The contract between influencer-kit and its plugins. Every hook a plugin may implement is here."""
from __future__ import annotations

import pluggy

from influencer_kit import PROJECT

hookspec = pluggy.HookspecMarker(PROJECT)


@hookspec
def ik_components() -> list:
    """Return the components this plugin brings, a list of `influencer_kit.plugin.components.Component`.

    Each component has a kind (`detector`, `embedder` or `cluster`), a name unique within its kind
    (the value users write in `detector=<name>`), a factory called with the config's fields as
    keyword arguments, and a config dataclass (a subclass of `ComponentConfig`) whose defaults are
    the component's defaults. The core stores that dataclass in Hydra's ConfigStore under the kind.
    """
