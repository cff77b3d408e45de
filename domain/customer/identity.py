"""Identity values (email, phone, loyalty card, device, external id), normalized. Pure."""

from __future__ import annotations

import re
from enum import StrEnum

from domain.errors import DomainError, ErrorCode


class IdentityKind(StrEnum):
    EMAIL = "EMAIL"
    PHONE = "PHONE"
    LOYALTY_CARD = "LOYALTY_CARD"
    DEVICE = "DEVICE"
    EXTERNAL = "EXTERNAL"


_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
_PHONE_SEPARATORS = re.compile(r"[\s\-().\u00a0/]")
_E164 = re.compile(r"^\+[1-9][0-9]{7,14}$")
_TOKEN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,127}$")
_SOURCE = re.compile(r"^[a-z][a-z0-9_\-]{0,31}$")


def normalize_email(value: str, field: list[str] | None = None) -> str:
    """Trimmed and lower-cased (mail providers treat the local part case-insensitively)."""
    email = value.strip().lower()
    if len(email) > 254 or not _EMAIL.match(email):
        raise DomainError(ErrorCode.INVALID, "That is not a valid email address.", field)
    return email


def normalize_phone(value: str, field: list[str] | None = None) -> str:
    """E.164 (+<country code><number>). A number without its country code is refused.

    Separators (spaces, dashes, dots, brackets, slashes) are dropped and a leading
    international prefix 00 becomes +. A national trunk 0 written inside brackets
    after the country code, as in "+44 (0)20 7946 0958", is dropped too.
    """
    raw = value.strip().replace("(0)", "")
    digits = _PHONE_SEPARATORS.sub("", raw)
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    if not _E164.match(digits):
        raise DomainError(
            ErrorCode.INVALID,
            "A phone number must include its country code, e.g. +44 20 7946 0958.",
            field,
        )
    return digits


def normalize_identity(
    kind: IdentityKind, value: str, source_system: str | None = None, field: list[str] | None = None
) -> str:
    """The value under which (kind, value) is unique."""
    if kind is IdentityKind.EMAIL:
        return normalize_email(value, field)
    if kind is IdentityKind.PHONE:
        return normalize_phone(value, field)
    token = value.strip()
    if not _TOKEN.match(token):
        raise DomainError(
            ErrorCode.INVALID,
            "An identifier is 1-128 letters, digits or _ . : - characters.",
            field,
        )
    if kind is IdentityKind.LOYALTY_CARD:
        return token.upper()
    if kind is IdentityKind.EXTERNAL:
        source = (source_system or "").strip().lower()
        if not _SOURCE.match(source):
            raise DomainError(
                ErrorCode.INVALID,
                "An external identity needs a source system, e.g. shopify.",
                ["source_system"],
            )
        return f"{source}:{token}"
    return token


def guess_login_kind(login: str) -> IdentityKind:
    """A login is an email when it has an @, else a phone number."""
    return IdentityKind.EMAIL if "@" in login else IdentityKind.PHONE
