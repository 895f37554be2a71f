"""A broken installed plugin stops `python -m influencer_kit` (and the listing) before any work with
one line naming the plugin and its distribution, exit code 2, never a traceback."""
from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import plugin_site, run_cli

BROKEN = {
    "fails_to_import": ("import torch_that_is_not_installed\n",
                        "ModuleNotFoundError: No module named 'torch_that_is_not_installed'"),
    "misspelt_hook": ("from influencer_kit.plugin import hookimpl\n\n@hookimpl\ndef ik_component():\n    return []\n",
                      "PluginValidationError: unknown hook 'ik_component' in plugin"),
    "hook_raises": (("from influencer_kit.plugin import hookimpl\n\n@hookimpl\ndef ik_components():\n"
                     "    return [detector for detector in DETECTORS]\n"),
                    "ik_components() raised NameError: name 'DETECTORS' is not defined"),
    "returns_names": (("from influencer_kit.plugin import hookimpl\n\n@hookimpl\ndef ik_ranking_methods():\n"
                       "    return ['median']\n"),
                      "ik_ranking_methods() returned 'median', not a RankingMethod"),
    "bad_argument": (("from influencer_kit.plugin import hookimpl\n\n@hookimpl\ndef ik_components(kind):\n"
                      "    return []\n"),
                     "PluginValidationError: Plugin 'bad_argument' for hook 'ik_components'"),
}


@pytest.mark.parametrize("module", list(BROKEN))
def test_a_broken_plugin_is_named_in_one_line(module, tmp_path):
    code, detail = BROKEN[module]
    site = plugin_site(tmp_path / "site", module, code, f"ik-{module.replace('_', '-')}", "1.0")
    done = run_cli([f"output.dir={tmp_path / 'out'}", "tracking=none"], cwd=tmp_path, env={"PYTHONPATH": str(site)})
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr[-3000:]
    prefix = f"error: plugin '{module}' (distribution ik-{module.replace('_', '-')} 1.0) failed to load: "
    assert lines[0].startswith(prefix) and detail in lines[0], lines[0]
    assert not (tmp_path / "out").exists()
    listing = subprocess.run([sys.executable, "-m", "influencer_kit.plugin"], check=False, capture_output=True, text=True,
                             env={"PYTHONPATH": str(site), "PATH": ""})
    assert listing.returncode == 2 and listing.stderr.strip() == lines[0]
