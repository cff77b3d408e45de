"""The execution context that runs compiled plans (see resolvers.compiled)."""

from __future__ import annotations

from typing import Any

from resolvers.compiled import PLANS, Fallback
from resolvers.shared_events import SharedEventExecutionContext

DEFAULT_AFTER = 2


def _options(context: Any) -> tuple[bool, int]:
    """(compiled execution on, compile on the how-many-th sighting) from the settings."""
    settings = getattr(context, "settings", None)
    enabled = bool(getattr(settings, "compiled_execution", False))
    after = getattr(settings, "compiled_after", DEFAULT_AFTER)
    if getattr(settings, "trusted_documents", None):
        after = 1  # every document that runs is registered: compile at once
    if not isinstance(after, int) or after < 1:
        after = DEFAULT_AFTER
    return enabled, after


class CompiledExecutionContext(SharedEventExecutionContext):
    """graphql-core's execution, with query operations run by their compiled plan.

    Parse, validation and every schema extension run before this as usual; only the
    field execution of `execute_operation` is replaced. Any error -> the normal path.
    """

    def execute_operation(self, serially: bool | None = None) -> Any:
        plan = self._plan()
        if plan is None:
            return super().execute_operation(serially)
        try:
            data = plan.run(self)
        except Fallback:
            PLANS.fell_back += 1
            return super().execute_operation(serially)
        if not self.is_awaitable(data):
            PLANS.answered += 1
            return self.finish(self.build_response(data))

        async def finish() -> Any:
            try:
                done = await data
            except Fallback:
                PLANS.fell_back += 1
                result = super(CompiledExecutionContext, self).execute_operation(serially)
                if self.is_awaitable(result):
                    return await result
                return result
            PLANS.answered += 1
            return self.finish(self.build_response(done))

        return finish()

    def _plan(self) -> Any:
        enabled, after = _options(self.context_value)
        if not enabled:
            return None
        if self.abort_signal is not None or self.hooks is not None:
            return None
        if not self.error_propagation:
            return None
        manager = self.middleware_manager
        if manager is not None and getattr(manager, "_middleware_resolvers", None):
            return None
        return PLANS.plan_for(self, after)
