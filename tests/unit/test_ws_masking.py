"""WebSocket results are masked like HTTP ones: nothing of Postgres or Python leaks."""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError
from strawberry.types.execution import ExecutionResult

from api.ws_masking import FormattedError, mask
from domain.errors import InvalidId


def _located(original: Exception) -> GraphQLError:
    return GraphQLError(str(original), path=["node"], original_error=original)


def test_an_unexpected_exception_becomes_internal_server_error() -> None:
    leak = 'invalid byte sequence for encoding "UTF8": 0x00'
    result = mask(ExecutionResult(data=None, errors=[_located(RuntimeError(leak))]))
    formatted: Any = result.errors[0].formatted
    assert formatted["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert formatted["extensions"]["requestId"]
    assert formatted["path"] == ["node"]
    assert "UTF8" not in str(formatted) and "RuntimeError" not in str(formatted)


def test_a_domain_error_keeps_its_code_and_masking_is_idempotent() -> None:
    result = mask(ExecutionResult(data=None, errors=[_located(InvalidId("id"))]))
    assert result.errors[0].formatted["extensions"]["code"] == "INVALID_ID"
    again = mask(result)
    assert isinstance(again.errors[0], FormattedError)
    assert again.errors[0].formatted["extensions"]["code"] == "INVALID_ID"
