"""The fingerprint cache: per video (sha256) and per fingerprint settings, its fingerprint, so a
rerun never decodes a video again for it. An entry is `<root>/fingerprints/<settings key>/<sha256[:2]>/<sha256>.npz`,
written in one step (a reader sees it whole or not at all). Apart from the face cache, whose
format it leaves alone."""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from influencer_kit.atomic import write_atomic
from influencer_kit.creatives.fingerprint import FingerprintSettings
from influencer_kit.model import Fingerprint


class FingerprintCache:
    def __init__(self, root: Path, settings: FingerprintSettings) -> None:
        self.dir = Path(root) / "fingerprints" / settings.key()

    def entry(self, sha256: str) -> Path:
        return self.dir / sha256[:2] / f"{sha256}.npz"

    def get(self, sha256: str) -> Fingerprint | None:
        """The video's stored fingerprint, or None when it has none with these settings."""
        path = self.entry(sha256)
        if not path.is_file():
            return None
        with np.load(path) as data:
            return Fingerprint(data["times"], data["hashes"])

    def put(self, sha256: str, fingerprint: Fingerprint) -> None:
        buffer = io.BytesIO()
        np.savez(buffer, times=fingerprint.times, hashes=fingerprint.hashes)
        write_atomic(self.entry(sha256), buffer.getvalue())
