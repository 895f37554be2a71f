"""One analyst correcting a shared registry, as `tests/test_registry_backends.py` runs two at once:

    python tests/support/analyst.py LOCATION NAME COUNT GO_FILE OUT_JSON

Renames the registry's people in turn (`NAME-0`, `NAME-1`, ... `NAME-{COUNT-1}`), each rename made
against the version of the registry it read the person's name at, and tried again from a fresh read
when someone else's correction came first (RegistryConflict). Prints `ready`, starts when GO_FILE
appears, and writes the name it saw before each of its renames and how many were refused to
OUT_JSON."""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from influencer_kit.errors import RegistryConflict
from influencer_kit.registry import corrections
from influencer_kit.registry.known import registry_path
from influencer_kit.registry.store import Registry


def main(where: str, name: str, count: int, go: Path, out: Path) -> None:
    seen, refused = [], 0
    with Registry(registry_path(where, None)) as registry:
        people = [p.id for p in registry.people()]
        print("ready", flush=True)
        while not go.exists():
            time.sleep(0.01)
        for k in range(count):
            pid = people[k % len(people)]
            while True:
                version, was = registry.last_correction(), registry.person(pid).name
                try:
                    with registry.write():
                        registry.check_version(version)
                        corrections.rename(registry, pid, f"{name}-{k}", author=name)
                    break
                except RegistryConflict:
                    refused += 1
            seen.append(was)
    out.write_text(json.dumps({"seen": seen, "refused": refused}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), Path(sys.argv[4]), Path(sys.argv[5]))
