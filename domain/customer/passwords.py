"""Password hashing with argon2id (memory-hard). CPU only; callers run it off the event loop."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from domain.errors import DomainError, ErrorCode

MIN_LENGTH = 10
MAX_LENGTH = 256  # argon2 would hash megabytes happily; a login form should not make it
_hasher = PasswordHasher()  # argon2id, RFC 9106 low-memory profile defaults
# Verified when the account does not exist, so both paths cost the same time.
_DUMMY_HASH = _hasher.hash("not-a-real-password-0123456789")


def check_password_policy(password: str, field: list[str] | None = None) -> None:
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH or not password.strip():
        raise DomainError(
            ErrorCode.INVALID,
            f"A password has {MIN_LENGTH} to {MAX_LENGTH} characters.",
            field,
        )


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    if len(password) > MAX_LENGTH:
        return False
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
