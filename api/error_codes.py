"""Codes of errors raised by the transport and by GraphQL itself (not by the domain).

Domain codes are `domain.errors.ErrorCode`; both sets are documented in docs/ERRORS.md.
"""

from __future__ import annotations

REQUEST_ERROR_CODES = frozenset(
    {
        "BAD_REQUEST",
        "PAYLOAD_TOO_LARGE",
        "METHOD_NOT_ALLOWED",
        "GRAPHQL_PARSE_FAILED",
        "GRAPHQL_VALIDATION_FAILED",
        "BAD_USER_INPUT",
        "MAX_COST_EXCEEDED",
        "INTROSPECTION_DISABLED",
        "PERSISTED_QUERY_NOT_FOUND",
        "PERSISTED_QUERY_NOT_IN_LIST",
        "INVALID_REPRESENTATION",
        "SUBSCRIPTION_NOT_SUPPORTED",
        "INTERNAL_SERVER_ERROR",
    }
)
