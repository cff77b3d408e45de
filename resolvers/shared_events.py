"""Execute a subscription's selection once per event per distinct (document, variables, viewer).

A `stockChanged` event goes to every subscriber of its SKU. The stream yields the same
record object to all of them (`share`), and this executor keeps the result of executing
the subscription's selection on that record, keyed by the parsed operation (Strawberry's
parser cache returns the same document for the same query text), the variables and the
viewer class (staff-like or not: the only thing the fields read from the context). Every
further subscriber with the same key gets the stored result instead of a new execution.
The store lives on the record (a weak mapping), so it goes away with the event.

Only records passed to `share` are cached; everything else (e.g. one customer's order
changes) executes as usual.
"""

from __future__ import annotations

import weakref
from typing import Any

from graphql import ExecutionResult
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from domain.authz import may_see_stock_detail

_SHARED: weakref.WeakKeyDictionary[Any, dict[Any, ExecutionResult]] = weakref.WeakKeyDictionary()


def share(record: Any) -> Any:
    """Mark `record` as the one object every subscriber of an event receives."""
    _SHARED.setdefault(record, {})
    return record


def viewer_class(context: Any) -> bool:
    """The only thing shared subscription fields read from the context: whether the caller
    sees stock detail (domain.authz.may_see_stock_detail)."""
    settings = getattr(context, "settings", None)
    public = bool(getattr(settings, "public_stock_detail", False))
    return may_see_stock_detail(getattr(context, "principal", None), public)


def frozen(value: Any) -> Any:
    """A hashable copy of (coerced) variables, for grouping identical subscriptions."""
    if isinstance(value, dict):
        return tuple(sorted((k, frozen(v)) for k, v in value.items()))
    if isinstance(value, list):
        return tuple(frozen(v) for v in value)
    return value


class SharedEventExecutionContext(StrawberryGraphQLCoreExecutionContext):
    def execute_operation(self, serially: bool | None = None) -> Any:
        try:
            results = _SHARED.get(self.root_value)
        except TypeError:  # an unhashable root value is never shared
            results = None
        if results is None:
            return super().execute_operation(serially)
        key = (
            id(self.operation),
            frozen(self.variable_values.coerced),
            viewer_class(self.context_value),
        )
        cached = results.get(key)
        if cached is not None:
            return cached
        result: Any = super().execute_operation(serially)
        if isinstance(result, ExecutionResult):
            results[key] = result
            return result

        async def store() -> Any:
            done = await result
            results[key] = done
            return done

        return store()
