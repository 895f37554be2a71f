"""`python -m influencer_kit.review users add|list|remove`: the review app's accounts.

    users add NAME --role editor|viewer   asks for the password (read from stdin when it is not a terminal)
    users list                            every account and its role
    users remove NAME

The accounts live in the registry (`--registry PATH`, default registry.db here); once it has one,
the review app asks everyone to sign in.
"""
from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from influencer_kit.errors import EXIT_STATUS, InfluencerKitError, InputError
from influencer_kit.registry.known import FILE_NAME, registry_path
from influencer_kit.registry.store import Registry
from influencer_kit.review.accounts import ROLES, add_user


def parser() -> argparse.ArgumentParser:
    parse = argparse.ArgumentParser(prog="python -m influencer_kit.review users", description=__doc__.splitlines()[0],
                                    epilog="\n".join(__doc__.splitlines()[2:]),
                                    formatter_class=argparse.RawDescriptionHelpFormatter)
    where = argparse.ArgumentParser(add_help=False)
    where.add_argument("--registry", default=FILE_NAME,
                       help=f"the registry: a file (default: {FILE_NAME} here) or a postgresql:// URI")
    commands = parse.add_subparsers(dest="command", required=True)
    add = commands.add_parser("add", help="a new account", parents=[where])
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=ROLES)
    commands.add_parser("list", help="every account", parents=[where])
    commands.add_parser("remove", help="delete an account", parents=[where]).add_argument("name")
    return parse


def read_password() -> str:
    """From a prompt (twice) on a terminal, else the first line of stdin."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    password = getpass.getpass("password: ")
    if getpass.getpass("again: ") != password:
        raise InfluencerKitError("the two passwords differ: nothing was changed")
    return password


def run(registry: Registry, args: argparse.Namespace) -> list[str]:
    if args.command == "list":
        return [f"{u.name:<24}{u.role}" for u in registry.users()] or ["no accounts: the app needs no sign-in"]
    password = read_password() if args.command == "add" else ""
    with registry.write():
        if args.command == "add":
            add_user(registry, args.name, password, args.role)
            return [f"added {args.name} ({args.role})"]
        registry.remove_user(args.name)
        return [f"removed {args.name}"]


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    try:
        where = registry_path(args.registry, None)
        if isinstance(where, Path) and not where.is_file():
            raise InputError(f"no registry at {where}: accounts live in the registry a run makes; "
                             f"pass --registry PATH or a postgresql:// URI")
        with Registry(where) as registry:
            print("\n".join(run(registry, args)))
    except InfluencerKitError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_STATUS
    return 0
