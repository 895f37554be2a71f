"""Model weights made sure of before any work: a component whose weights are not on this machine
is loaded once here, before any video is downloaded or any worker starts, so that a connected
machine fetches them now and an offline one stops with the component's one error line
(`MissingWeightsError`) instead of every worker trying the download and printing its attempts."""
from __future__ import annotations

import contextlib
import io
import logging
from collections.abc import Mapping
from typing import Any

from influencer_kit.plugin.listing import weights_present
from influencer_kit.plugin.manager import build, config_of, get_component
from influencer_kit.quiet import native_chatter_filtered

log = logging.getLogger(__name__)


def ensure_weights(kind: str, config: Mapping[str, Any]) -> None:
    """Load the component `config` selects when its weights are missing (its download attempts'
    chatter held back); raises its `MissingWeightsError` when they cannot be had."""
    comp = get_component(kind, str(config["name"]))
    if weights_present(comp, config_of(comp, config)):
        return
    log.info("%s=%s: weights not on this machine, loading them once before any work", kind, comp.name)
    chatter = io.StringIO()
    with contextlib.redirect_stdout(chatter), native_chatter_filtered():
        build(kind, config).fit()
    log.debug("%s=%s while loading its weights: %s", kind, comp.name, chatter.getvalue())
