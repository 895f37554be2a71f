"""Every registered component passes the shared conformance check, or skips saying why."""
from __future__ import annotations

import pytest

from influencer_kit import plugins
from influencer_kit.demo import grace_hopper
from influencer_kit.testing import check_component

COMPONENTS = sorted(plugins.registry())


@pytest.fixture(scope="module")
def photo():
    return grace_hopper()


@pytest.fixture(scope="module")
def face_box(photo):
    """Grace Hopper's face, found by the default detector."""
    from influencer_kit.testing import build_default

    detector = build_default(plugins.get_component("detector", "mtcnn")).fit()
    return max(detector.detect([photo])[0], key=lambda f: f.confidence)


@pytest.mark.parametrize("kind,name", COMPONENTS, ids=[f"{k}={n}" for k, n in COMPONENTS])
def test_component_conforms(kind, name, photo, face_box):
    component = plugins.get_component(kind, name)
    if not component.weights_present():
        pytest.skip(f"{kind}={name}: model weights are not on this machine (see `python -m influencer_kit.plugins`)")
    check_component(component, photo, face_box)
