"""`python -m influencer_kit.plugin [<kind>.<option>=<value> ...]`: every installed component, its
options, where it comes from and whether the weights of the model its config selects are present
(`embedder.model_name=ArcFace` asks about that model), then the ranking methods and link sources."""
import sys

from influencer_kit.errors import ConfigError
from influencer_kit.plugin.listing import describe


def main(overrides: list[str]) -> int:
    try:
        print(describe(overrides))
    except ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
