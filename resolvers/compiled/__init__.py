"""A compiled execution path for query operations (issue 19).

graphql-core's executor interprets the document on every request: it collects the
fields of every object again, builds a resolve info for every field (also for plain
attribute fields), and walks the value completion rules field by field. For an operation
that has been seen before, that work can be done once. `compile_operation` builds a tree
of closures for one validated query operation (per document text, operation name and the
values of the variables that `@skip`/`@include` read), and `CompiledExecutionContext`
runs it in place of graphql-core's field execution.

What stays the same: everything before execution (parsing, validation, the depth limit,
query cost, rate limit, trusted documents, introspection switch) runs exactly as before,
because the hook is the execution context's `execute_operation`, which Strawberry calls
after its extensions' parse/validate hooks. Every field is resolved by the field's own
resolve function (Strawberry's wrapper), with the same `GraphQLResolveInfo` graphql-core
would build (`build_resolve_info` of the execution context, with the same path), and the
same argument values (`get_argument_values`). Plain attribute fields (Strawberry's
"basic" fields, which ignore their info) are called without building an info. Awaitable
results of one level are awaited together (like graphql-core's gather), so DataLoaders
batch the same way. Leaves are coerced with the type's `coerce_output_value`.

Errors: the compiled path produces only successful results. Anything that would make
graphql-core record an error (a resolver raising, a null for a non-null field, a leaf that
does not coerce, an invalid runtime type) or anything unusual at run time (an awaitable
`is_type_of`, a non-list for a list type) raises `Fallback`; the execution context then
discards the compiled attempt and runs the operation on graphql-core's normal path. So an
errored operation costs a second run and gets exactly graphql-core's `errors` and null
propagation by construction. This is sound because query resolvers are reads (no side
effects); mutations and subscriptions are never compiled.

Refused at compile time (the normal path runs): non-query operations, introspection
fields other than `__typename`, any directive other than `@skip`/`@include`
(so `@defer`/`@stream` too), fragment variables, and any field unknown to the schema.
Refused per request: extensions that wrap resolvers (graphql-core middleware).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from graphql import (
    DirectiveNode,
    GraphQLAbstractType,
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    Undefined,
    VariableNode,
    is_abstract_type,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
    is_object_type,
)
from graphql.execution.collect_fields import (
    FieldDetails,
    collect_fields,
    collect_subfields,
)
from graphql.execution.values import get_argument_values
from graphql.language import Visitor, visit
from graphql.pyutils import Path, is_awaitable

ALLOWED_DIRECTIVES = frozenset({"skip", "include"})
MAX_CACHED = 1000

Completer = Callable[["_Run", Any, Path, Callable[[], Any]], Any]


class Fallback(Exception):  # noqa: N818 - a control-flow signal, not an error
    """The compiled path cannot produce this answer; run the normal path."""


class Refused(Exception):  # noqa: N818
    """The compiler does not support this operation (decided at compile time)."""


class _Run:
    """One execution of a plan: the execution context it runs in."""

    __slots__ = ("exe", "hide", "variables")

    def __init__(self, exe: Any) -> None:
        self.exe = exe
        self.variables = exe.variable_values
        self.hide = getattr(exe, "hide_suggestions", False)


def _close(values: list[Any]) -> None:
    """Close awaitables that will never be awaited (no 'never awaited' warnings)."""
    for value in values:
        close = getattr(value, "close", None)
        if close is not None:
            close()


async def _gather(awaitables: list[Any]) -> list[Any]:
    if len(awaitables) == 1:  # nothing to run concurrently: no task
        try:
            return [await awaitables[0]]
        except Fallback:
            raise
        except Exception as error:
            raise Fallback from error
    results = await asyncio.gather(*awaitables, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            if isinstance(result, Exception):
                raise Fallback from result
            raise result
    return results


class _FieldPlan:
    __slots__ = (
        "args_node",
        "attr",
        "basic",
        "complete",
        "field_def",
        "key",
        "nodes",
        "parent_type",
        "resolve",
        "typename",
    )

    def __init__(
        self,
        key: str,
        parent_type: GraphQLObjectType,
        field_def: GraphQLField | None,
        nodes: list[Any],
        complete: Completer | None,
        default_resolver: Any,
    ) -> None:
        self.key = key
        self.parent_type = parent_type
        self.field_def = field_def
        self.nodes = nodes
        self.complete = complete
        self.typename = field_def is None
        self.resolve = None
        self.basic = False
        self.args_node = None
        self.attr: str | None = None
        if field_def is not None:
            self.resolve = field_def.resolve or default_resolver
            self.basic = bool(getattr(self.resolve, "_is_default", False))
            # A Strawberry field with no resolver whose default resolver is getattr: its
            # resolve function is getattr(source, python_name); read the attribute.
            definition = (field_def.extensions or {}).get("strawberry-definition")
            if (
                self.basic
                and definition is not None
                and getattr(definition, "base_resolver", True) is None
                and getattr(definition, "default_resolver", None) is getattr
                and isinstance(getattr(definition, "python_name", None), str)
            ):
                self.attr = definition.python_name
            if field_def.args or nodes[0].arguments:
                self.args_node = nodes[0]


class _ObjectPlan:
    __slots__ = ("fields", "name")

    def __init__(self, name: str, fields: list[_FieldPlan]) -> None:
        self.name = name
        self.fields = fields


class Plan:
    """A compiled query operation: `run(exe)` gives the data dict or an awaitable of it."""

    __slots__ = ("root", "root_type")

    def __init__(self, root_type: GraphQLObjectType, root: _ObjectPlan) -> None:
        self.root_type = root_type
        self.root = root

    def run(self, exe: Any) -> Any:
        return _execute_object(_Run(exe), self.root, exe.root_value, None)


def _execute_object(run: _Run, plan: _ObjectPlan, source: Any, path: Path | None) -> Any:
    data: dict[str, Any] = {}
    pending: list[Any] = []
    keys: list[str] = []
    type_name = plan.name
    try:
        for field in plan.fields:
            key = field.key
            if field.typename:
                data[key] = type_name
                continue
            field_path = Path(path, key, type_name)
            info_cache: list[Any] = []

            def info(
                field: _FieldPlan = field,
                field_path: Path = field_path,
                cache: list[Any] = info_cache,
            ) -> Any:
                if not cache:
                    cache.append(
                        run.exe.build_resolve_info(
                            field.field_def, field.nodes, field.parent_type, field_path
                        )
                    )
                return cache[0]

            try:
                if field.attr is not None:
                    value = getattr(source, field.attr)
                elif field.basic:
                    value = field.resolve(source, None)  # type: ignore[misc]
                else:
                    args = (
                        get_argument_values(
                            field.field_def,  # type: ignore[arg-type]
                            field.args_node,
                            run.variables,
                            None,
                            run.hide,
                        )
                        if field.args_node is not None
                        else {}
                    )
                    value = field.resolve(source, info(), **args)  # type: ignore[misc]
            except Exception as error:
                raise Fallback from error
            complete = field.complete
            assert complete is not None
            if is_awaitable(value):
                result = _complete_later(run, complete, value, field_path, info)
            else:
                result = complete(run, value, field_path, info)
            if is_awaitable(result):
                data[key] = None
                keys.append(key)
                pending.append(result)
            else:
                data[key] = result
    except BaseException:
        _close(pending)
        raise
    if not pending:
        return data

    async def finish() -> dict[str, Any]:
        for key, value in zip(keys, await _gather(pending), strict=True):
            data[key] = value
        return data

    return finish()


async def _complete_later(
    run: _Run, complete: Completer, awaitable: Awaitable[Any], path: Path, info: Any
) -> Any:
    try:
        value = await awaitable
    except Exception as error:
        raise Fallback from error
    result = complete(run, value, path, info)
    if is_awaitable(result):
        return await result
    return result


class _Compiler:
    def __init__(self, exe: Any) -> None:
        self.exe = exe
        self.schema: GraphQLSchema = exe.schema

    def object_plan(
        self, object_type: GraphQLObjectType, details: list[FieldDetails]
    ) -> _ObjectPlan:
        collected = collect_subfields(
            self.schema,
            self.exe.fragments,
            self.exe.variable_values,
            self.exe.operation,
            object_type,
            details,
            getattr(self.exe, "hide_suggestions", False),
        )
        return self.grouped(object_type, collected[0])

    def grouped(
        self, object_type: GraphQLObjectType, grouped: dict[str, list[FieldDetails]]
    ) -> _ObjectPlan:
        fields = []
        for key, details in grouped.items():
            for detail in details:
                if detail.defer_usage is not None or detail.fragment_variable_values is not None:
                    raise Refused(key)
            nodes = [detail.node for detail in details]
            name = nodes[0].name.value
            if name == "__typename":
                fields.append(_FieldPlan(key, object_type, None, nodes, None, None))
                continue
            if name.startswith("__"):
                raise Refused(name)
            field_def = object_type.fields.get(name)
            if field_def is None:
                raise Refused(name)
            complete = self.completer(field_def.type, details)
            fields.append(
                _FieldPlan(key, object_type, field_def, nodes, complete, self.exe.field_resolver)
            )
        return _ObjectPlan(object_type.name, fields)

    def completer(self, type_: GraphQLOutputType, details: list[FieldDetails]) -> Completer:
        if is_non_null_type(type_):
            assert isinstance(type_, GraphQLNonNull)
            return _non_null(self.completer(type_.of_type, details))
        if is_list_type(type_):
            assert isinstance(type_, GraphQLList)
            return _list(self.completer(type_.of_type, details))
        if is_leaf_type(type_):
            return _leaf(type_.coerce_output_value)
        if is_abstract_type(type_):
            return self.abstract(type_, details)
        if is_object_type(type_):
            assert isinstance(type_, GraphQLObjectType)
            return _object(type_, self.object_plan(type_, details))
        raise Refused(str(type_))

    def abstract(self, type_: GraphQLAbstractType, details: list[FieldDetails]) -> Completer:
        schema = self.schema
        resolve_type = type_.resolve_type or self.exe.type_resolver
        plans: dict[str, Completer] = {}
        for possible in schema.get_possible_types(type_):
            plans[possible.name] = _object(possible, self.object_plan(possible, details))

        def complete(run: _Run, value: Any, path: Path, info: Callable[[], Any]) -> Any:
            if value is None or value is Undefined:
                return None
            if isinstance(value, Exception):
                raise Fallback
            name = resolve_type(value, info(), type_)
            if not isinstance(name, str):
                _close([name])
                raise Fallback
            plan = plans.get(name)
            if plan is None:
                raise Fallback
            return plan(run, value, path, info)

        return complete


def _non_null(inner: Completer) -> Completer:
    def complete(run: _Run, value: Any, path: Path, info: Callable[[], Any]) -> Any:
        result = inner(run, value, path, info)
        if result is None:
            raise Fallback
        if is_awaitable(result):
            return _non_null_later(result)
        return result

    return complete


async def _non_null_later(awaitable: Awaitable[Any]) -> Any:
    result = await awaitable
    if result is None:
        raise Fallback
    return result


def _leaf(coerce: Callable[[Any], Any]) -> Completer:
    def complete(run: _Run, value: Any, path: Path, info: Callable[[], Any]) -> Any:
        if value is None or value is Undefined:
            return None
        if isinstance(value, Exception):
            raise Fallback
        try:
            result = coerce(value)
        except Exception as error:
            raise Fallback from error
        if result is None or result is Undefined:
            raise Fallback
        return result

    return complete


def _list(item: Completer) -> Completer:
    def complete(run: _Run, value: Any, path: Path, info: Callable[[], Any]) -> Any:
        if value is None or value is Undefined:
            return None
        if not isinstance(value, (list, tuple)):
            raise Fallback
        out: list[Any] = []
        pending: list[Any] = []
        indexes: list[int] = []
        try:
            for index, element in enumerate(value):
                item_path = Path(path, index, None)
                if is_awaitable(element):
                    result = _complete_later(run, item, element, item_path, info)
                else:
                    result = item(run, element, item_path, info)
                if is_awaitable(result):
                    indexes.append(index)
                    pending.append(result)
                    out.append(None)
                else:
                    out.append(result)
        except BaseException:
            _close(pending)
            raise
        if not pending:
            return out

        async def finish() -> list[Any]:
            for index, result in zip(indexes, await _gather(pending), strict=True):
                out[index] = result
            return out

        return finish()

    return complete


def _object(type_: GraphQLObjectType, plan: _ObjectPlan) -> Completer:
    is_type_of = type_.is_type_of

    def complete(run: _Run, value: Any, path: Path, info: Callable[[], Any]) -> Any:
        if value is None or value is Undefined:
            return None
        if isinstance(value, Exception):
            raise Fallback
        if is_type_of is not None:
            try:
                ok = is_type_of(value, info())
            except Exception as error:
                raise Fallback from error
            if is_awaitable(ok):
                _close([ok])
                raise Fallback
            if not ok:
                raise Fallback
        return _execute_object(run, plan, value, path)

    return complete


class _DirectiveCheck(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.refused = False
        self.variables: set[str] = set()

    def enter_directive(self, node: DirectiveNode, *_: Any) -> None:
        if node.name.value not in ALLOWED_DIRECTIVES:
            self.refused = True
        for argument in node.arguments or ():
            if isinstance(argument.value, VariableNode):
                self.variables.add(argument.value.name.value)


def _directive_variables(exe: Any) -> tuple[bool, tuple[str, ...]]:
    """(refused, the variables `@skip`/`@include` read) for the operation and fragments."""
    check = _DirectiveCheck()
    visit(exe.operation, check)
    for fragment in exe.fragment_definitions.values():
        visit(fragment, check)
    return check.refused, tuple(sorted(check.variables))


def compile_operation(exe: Any) -> Plan:
    """Compile the execution context's operation; raises `Refused` if unsupported."""
    operation: OperationDefinitionNode = exe.operation
    if operation.operation != OperationType.QUERY:
        raise Refused("not a query")
    schema: GraphQLSchema = exe.schema
    root_type = schema.query_type
    if root_type is None:
        raise Refused("no query type")
    collected = collect_fields(
        schema,
        exe.fragments,
        exe.variable_values,
        root_type,
        operation,
        getattr(exe, "hide_suggestions", False),
    )
    if collected[1]:
        raise Refused("defer")
    return Plan(root_type, _Compiler(exe).grouped(root_type, collected[0]))


class Plans:
    """Compiled plans by (schema, document text, operation name, `@skip`/`@include` inputs), and how
    often each document was seen (a document is compiled on its `after`-th sighting)."""

    def __init__(self) -> None:
        self.plans: dict[Any, Plan | None] = {}
        self.seen: dict[Any, int] = {}
        self.directives: dict[Any, tuple[bool, tuple[str, ...]]] = {}
        # Counters (for tests and the benchmark): compiled runs that answered, and
        # compiled runs discarded for the normal path.
        self.answered = 0
        self.fell_back = 0

    def clear(self) -> None:
        self.plans.clear()
        self.seen.clear()
        self.directives.clear()
        self.answered = 0
        self.fell_back = 0

    def plan_for(self, exe: Any, after: int) -> Plan | None:
        operation = exe.operation
        loc = operation.loc
        if loc is None or operation.operation != OperationType.QUERY:
            return None
        op_name = operation.name.value if operation.name else None
        # Per schema too: the same text runs against the supergraph and every subgraph.
        doc_key = (exe.schema, loc.source.body, op_name)
        found = self.directives.get(doc_key)
        if found is None:
            found = _directive_variables(exe)
            if len(self.directives) >= MAX_CACHED:
                self.directives.clear()
            self.directives[doc_key] = found
        refused, variables = found
        if refused:
            return None
        coerced = exe.variable_values.coerced
        key = (doc_key, tuple(coerced.get(v) for v in variables))
        if key in self.plans:
            return self.plans[key]
        seen = self.seen.get(key, 0) + 1
        if seen < after:
            if len(self.seen) >= MAX_CACHED:
                self.seen.clear()
            self.seen[key] = seen
            return None
        self.seen.pop(key, None)
        try:
            plan: Plan | None = compile_operation(exe)
        except Refused:
            plan = None
        if len(self.plans) >= MAX_CACHED:
            self.plans.clear()
        self.plans[key] = plan
        return plan


PLANS = Plans()
