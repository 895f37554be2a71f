"""`python -m influencer_kit.review [--registry PATH] [--run OUTPUT_DIR] [--host 127.0.0.1] [--port 8765] [--https]`:
a web app to look at every known person and correct the registry, beside one run's ranking.

Defaults: the newest run under ./outputs, the registry that run used (else registry.db here),
127.0.0.1 only. It prints its URL and opens nothing else; Ctrl-C stops it. With accounts in the
registry (`python -m influencer_kit.review users add NAME --role editor|viewer`) everyone signs in;
without, it refuses to listen beyond this machine.
"""
from __future__ import annotations

import argparse
import ipaddress
import sys
from pathlib import Path

from influencer_kit.registry.known import FILE_NAME, registry_path
from influencer_kit.registry.database import shown
from influencer_kit.registry.store import Registry
from influencer_kit.review.app import Review, create_app, embedder_for
from influencer_kit.review.forms import new_token
from influencer_kit.review.run_folder import RunFolder, newest_run
from influencer_kit.review import users
from influencer_kit.errors import EXIT_STATUS, InfluencerKitError, InputError


def parser() -> argparse.ArgumentParser:
    parse = argparse.ArgumentParser(prog="python -m influencer_kit.review", description=__doc__.splitlines()[1],
                                    epilog="\n".join(__doc__.splitlines()[3:]),
                                    formatter_class=argparse.RawDescriptionHelpFormatter)
    parse.add_argument("--registry", default=None,
                       help="the registry file, sqlite:///PATH or postgresql://USER@HOST/DB "
                            f"(default: the run's registry, else {FILE_NAME} here)")
    parse.add_argument("--run", type=Path, default=None, help="a run's output folder (default: the newest under outputs/)")
    parse.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1, this machine only)")
    parse.add_argument("--port", type=int, default=8765)
    parse.add_argument("--https", action="store_true",
                       help="it is reached over HTTPS (a proxy in front): session cookies are Secure")
    return parse


def local(host: str) -> bool:
    """Whether `host` is this machine only (a loopback address)."""
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def review_of(args: argparse.Namespace) -> Review:
    """What the app works on, checked; raises `InputError` with a one-line reason."""
    given = args.run or newest_run(Path("outputs"))
    run = RunFolder.open(given) if given is not None else None
    registry = registry_path(args.registry, None) if args.registry else (run.registry() if run else None)
    registry = registry or registry_path(FILE_NAME, None)
    if isinstance(registry, Path) and not registry.is_file():
        raise InputError(f"no registry at {registry}: a run creates it (registry.uri=), or pass --registry PATH")
    with Registry(registry) as opened:
        key, same_person = embedder_for(opened, run)
        accounts = bool(opened.users())
    if not accounts and not local(args.host):
        raise InputError(f"--host {args.host} would let anyone who reaches this machine edit the registry: add "
                         f"accounts first (python -m influencer_kit.review users add NAME --role editor), "
                         f"or listen on 127.0.0.1")
    return Review(registry, run, key, same_person, new_token(), sign_in=accounts)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["users"]:
        return users.main(argv[1:])
    args = parser().parse_args(argv)
    try:
        review = review_of(args)
    except InfluencerKitError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_STATUS
    import uvicorn

    if not local(args.host) and not args.https:
        print(f"warning: listening on {args.host} without --https: passwords and sessions cross the network "
              f"unencrypted unless a proxy in front serves HTTPS", file=sys.stderr)
    run = f", run {review.run.path}" if review.run else ", no run (start with --run OUTPUT_DIR to see a ranking)"
    host = f"[{args.host}]" if ":" in args.host else args.host
    print(f"review app: http://{host}:{args.port}/  (registry {shown(review.registry)}{run}); Ctrl-C stops it",
          flush=True)
    uvicorn.run(create_app(review, args.https), host=args.host, port=args.port, log_level="warning")
    return 0


if __name__ == "__main__":
    sys.exit(main())
