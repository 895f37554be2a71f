"""The review app's accounts, kept in the registry: a name, an argon2 hash of the password
(argon2-cffi's defaults, RFC 9106's low-memory profile) and a role. Editors may correct the
registry and Apply; viewers see every page and change nothing."""
from __future__ import annotations

import functools

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from influencer_kit.errors import RegistryError
from influencer_kit.registry.store import Registry, User

EDITOR, VIEWER = "editor", "viewer"
ROLES = (EDITOR, VIEWER)
MIN_PASSWORD = 8  # characters
_hasher = PasswordHasher()


@functools.cache
def _nobody() -> str:
    """The hash verified against for an unknown name, so that it takes as long as a known one."""
    return _hasher.hash("no such user")


def add_user(registry: Registry, name: str, password: str, role: str) -> None:
    """A new account; raises `RegistryError` for a bad name, role or password, or a name taken."""
    if not name or name != name.strip() or len(name) > 64:
        raise RegistryError(f"user names are 1 to 64 characters, without spaces around them: got {name!r}")
    if role not in ROLES:
        raise RegistryError(f"--role: one of {', '.join(ROLES)}, got {role!r}")
    if len(password) < MIN_PASSWORD:
        raise RegistryError(f"the password must have at least {MIN_PASSWORD} characters")
    registry.add_user(name, _hasher.hash(password), role)


def check_password(registry: Registry, name: str, password: str) -> User | None:
    """The account `name` when `password` is its password, else None (in about the same time)."""
    user = registry.user(name)
    try:
        _hasher.verify(user.password_hash if user else _nobody(), password)
    except (VerificationError, InvalidHashError):
        return None
    return user
