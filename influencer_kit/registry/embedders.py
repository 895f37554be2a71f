"""One embedder per comparison: a registry's reference faces are matched only with embeddings from
the run's own embedder config, and a registry whose faces lack them is refused, or re-embedded when
the run asks for it (`registry.reembed=true`)."""
from __future__ import annotations

import json
import logging

import cv2
import numpy as np

from influencer_kit.errors import RegistryError
from influencer_kit.faces.cache import settings_key
from influencer_kit.faces.embedding import build_embedder, embed_prepared
from influencer_kit.model import Face
from influencer_kit.registry.store import ReferenceFace, Registry

log = logging.getLogger(__name__)


def embedder_key(config: dict) -> str:
    """The key embeddings are stored under: the embedder config's hash, as the face cache makes it
    (any setting of the embedder changes it)."""
    return settings_key(config)


def check_embedder(registry: Registry, config: dict, reembed: bool) -> str:
    """Make sure every reference face has an embedding from this embedder config; returns its key.
    Raises `RegistryError` when some lack one and `reembed` is false."""
    key = embedder_key(config)
    missing = registry.faces_without(key)
    if missing and not reembed:
        raise RegistryError(mismatch_message(registry, config, len(missing)))
    if missing:
        embed_again(registry, missing, key, config)
    with registry.write():
        registry.add_embedder(key, config)
    return key


def mismatch_message(registry: Registry, config: dict, missing: int) -> str:
    built = [registry.embedder_config(k) or {"key": k} for k in registry.embedder_keys()]
    shown = "; ".join(json.dumps(c, sort_keys=True) for c in built) or "another embedder"
    return (f"the registry of known people {registry.where} was built with the embedder {shown}, "
            f"but this run uses {json.dumps(config, sort_keys=True)}: embeddings of different models or "
            f"settings cannot be compared, and {missing} of its reference faces have none from this "
            f"embedder. Add registry.reembed=true to embed them with this run's embedder (the old "
            f"embeddings are kept), or use another registry with registry.uri=PATH.")


def embed_again(registry: Registry, faces: list[ReferenceFace], key: str, config: dict) -> None:
    """Embed the stored face crops with the embedder `config` names, and store the embeddings."""
    log.info("registry: embedding %d reference face(s) with %s", len(faces), config.get("name"))
    embedder = build_embedder(config).fit()
    vectors = [embed_prepared(embedder, crop_rgb(f.jpeg), [Face(f.crop_box, 1.0)])[0] for f in faces]
    with registry.write():
        for face, vector in zip(faces, vectors):
            registry.add_embedding(face.id, key, vector)


def crop_rgb(jpeg: bytes) -> np.ndarray:
    image = cv2.imdecode(np.frombuffer(jpeg, dtype=np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise RegistryError("a reference face crop in the registry is not a readable JPEG")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
