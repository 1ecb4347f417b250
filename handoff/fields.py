"""The fields a mapping reads, found by walking its JSONata syntax tree (a regex when that fails).

Each field is a path in the raw event (or in `$headers` / `$query`), what the mapping makes of it
(`profile.value`, `clientEventId`, `tag currency`, `counter amount`…) and a guess at its kind:
enough for a sender's developer to know what to send, and to build a made-up example from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from jsonata.jsonata import Jsonata

# Functions whose first argument is a list: in `$sum(line_items.quantity)` the items of the list
# `line_items` are summed (the list is the path's parent); `$count(answers)` counts the list itself.
_OVER_ITEMS = {"sum", "max", "min", "average"}
_OF_LIST = {"count", "map", "filter", "reduce", "join", "distinct", "sort", "reverse", "shuffle", "zip"}
_OBJECT_ARGS = {"each", "keys", "spread", "sift", "lookup"}  # their first argument is an object
_NUMERIC_ARGS = {"number", "round", "floor", "ceil", "abs", "power", "sqrt", "formatNumber"}
_ARITHMETIC = {"+", "-", "*", "/", "%"}
_SOURCES = {"": "body", "$": "body", "headers": "headers", "query": "query"}
ROOT = "$"  # the target of the whole expression: the mapped event itself
_KEYWORDS = {"and", "or", "in", "true", "false", "null", "function"}


@dataclass
class Field:
    path: tuple[str, ...]  # names from the raw event's root (or from the header / query map)
    source: str = "body"  # body | headers | query
    target: str = ""  # where the value goes in the mapped event, when known
    kind: str = "value"  # value | number | object | list
    list_at: int | None = None  # index of the step that is a list (`line_items` in line_items.quantity)
    equals: Any = None  # a value the mapping compares it with (`type = "track"`): the one to send

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"path": ".".join(self.path), "in": self.source, "kind": self.kind}
        if self.list_at is not None:
            body["list"] = ".".join(self.path[: self.list_at + 1])
        if self.target and self.target != ROOT:
            body["usedFor"] = self.target
        return body


@dataclass
class FieldsRead:
    fields: list[Field]
    whole_body: bool = False  # the mapping passes the body (or a part of it) through as it is
    method: str = "syntax tree"  # or "regex", when the tree could not be walked
    # `headers` / `query` when the mapping reads that map as a whole (`$headers`, `$keys($query)`,
    # `$lookup($headers, name)`): which names it needs cannot be told, so any of them may matter.
    whole_maps: frozenset[str] = frozenset()

    def reads(self, source: str, name: str) -> bool:
        """Whether the mapping may read header (lower-case, as the mapping sees them) or query `name`."""
        if source in self.whole_maps:
            return True

        def same(read: str) -> bool:
            return read.lower() == name.lower() if source == "headers" else read == name

        return any(f.source == source and f.path and same(f.path[0]) for f in self.fields)


def fields_read(expression: str) -> FieldsRead:
    try:
        ast = Jsonata(expression).ast
        walker = _Walker()
        walker.visit(ast, (), ROOT)
        for f in walker.fields:
            if f.source == "body":
                lists = [i for i in range(len(f.path)) if f.path[: i + 1] in walker.lists]
                f.list_at = lists[0] if lists else f.list_at
        return FieldsRead(_merge(walker.fields), walker.whole_body, whole_maps=frozenset(walker.whole_maps))
    except Exception:  # a tree shape this walker does not know: the words that look like paths
        maps = frozenset(m for m in ("headers", "query") if f"${m}" in expression)
        return FieldsRead(_merge(_by_regex(expression)), method="regex", whole_maps=maps)


def _merge(fields: list[Field]) -> list[Field]:
    """One entry per (source, path), keeping the most telling target and kind, in reading order."""
    merged: dict[tuple[str, tuple[str, ...]], Field] = {}
    for f in fields:
        key = (f.source, f.path)
        if key not in merged:
            merged[key] = f
            continue
        known = merged[key]
        if not known.target or (f.target and _rank(f.target) > _rank(known.target)):
            known.target = f.target
        if known.kind == "value":
            known.kind = f.kind
        if known.list_at is None:
            known.list_at = f.list_at
        if known.equals is None:
            known.equals = f.equals
    return list(merged.values())


def _rank(target: str) -> int:
    return 2 if target == "profile.value" else 1


class _Walker:
    def __init__(self) -> None:
        self.fields: list[Field] = []
        self.lists: set[tuple[str, ...]] = set()  # body paths known to be lists
        self.whole_body = False
        self.whole_maps: set[str] = set()  # headers / query read as a whole

    def visit(self, node: Any, context: tuple[str, ...] | None, target: str, kind: str = "value") -> None:
        """`context`: the path the node is evaluated at (None: unknown, e.g. inside a variable)."""
        if node is None or not hasattr(node, "type"):
            return
        kind_of = node.type
        if kind_of == "path":
            self._path(node, context, target, kind)
        elif kind_of == "name":
            self._path_steps([node], context, target, kind, node)
        elif kind_of == "variable" and node.value in ("", "$"):
            if target and context == ():  # `$` alone, or as a whole field of the output
                self.whole_body = True
        elif kind_of == "variable" and node.value in ("headers", "query"):
            self.whole_maps.add(str(node.value))
        elif kind_of == "unary" and node.value == "{":
            self._object(node.lhs_object or [], context, target)
        elif kind_of == "function":
            self._call(node, context, target, kind)
        elif kind_of == "binary":
            operand_kind = "number" if node.value in _ARITHMETIC | {"<", ">", "<=", ">="} else "value"
            for side, other in ((node.lhs, node.rhs), (node.rhs, node.lhs)):
                known = len(self.fields)
                self.visit(side, context, target, operand_kind)
                literal = _literal(other) if node.value in ("=", "in") else None
                if literal is not None and len(self.fields) == known + 1:
                    self.fields[-1].equals = literal
        elif kind_of == "condition":
            self.visit(node.condition, context, "")
            self.visit(node.then, context, target, kind)
            self.visit(getattr(node, "_else", None), context, target, kind)
        else:
            for child in _children(node):
                self.visit(child, context, target, kind)

    def _object(self, pairs: list[Any], context: tuple[str, ...] | None, target: str) -> None:
        label = next(
            (v.value for k, v in pairs if _is_text(k, "name") and getattr(v, "type", None) == "string"), None
        )
        for key, value in pairs:
            self.visit(key, context, "")
            if not _is_string(key):
                self.visit(value, context, "")
                continue
            name = str(key.value)
            listed = target.endswith(("payload.tags", "payload.counters"))
            if name == "value" and label is not None and listed:
                where = "tag" if target.endswith("tags") else "counter"
                self.visit(value, context, f"{where} {label}", "number" if where == "counter" else "value")
            else:
                self.visit(value, context, f"{target}.{name}" if target not in ("", ROOT) else name)

    def _call(self, node: Any, context: tuple[str, ...] | None, target: str, kind: str) -> None:
        name = getattr(node.procedure, "value", None)
        for index, argument in enumerate(node.arguments or []):
            arg_kind = kind
            if index == 0 and name in _OVER_ITEMS:
                arg_kind = "items"
            elif index == 0 and name in _OF_LIST:
                arg_kind = "list"
            elif index == 0 and name in _OBJECT_ARGS:
                arg_kind = "object"
            elif name in _NUMERIC_ARGS:
                arg_kind = "number"
            self.visit(argument, context, target, arg_kind)
        if getattr(node.procedure, "type", None) != "variable":
            self.visit(node.procedure, context, target)

    def _path(self, node: Any, context: tuple[str, ...] | None, target: str, kind: str) -> None:
        steps = list(node.steps or [])
        source = "body"
        first = steps[0] if steps else None
        if first is not None and first.type == "variable":
            if first.value not in _SOURCES:
                context = None  # a lambda parameter or a bound variable: not the raw event
            else:
                source = _SOURCES[first.value]
                context = () if source != "body" or first.value == "$" else context
                if first.value in ("", "$") and len(steps) == 1 and target:
                    self.whole_body = True
            steps = steps[1:]
        self._path_steps(steps, context, target, kind, node, source)

    def _path_steps(
        self,
        steps: list[Any],
        context: tuple[str, ...] | None,
        target: str,
        kind: str,
        node: Any,
        source: str = "body",
    ) -> None:
        names: list[str] = []
        base = context or ()
        for position, step in enumerate(steps):
            if step.type == "name":
                if context is None:
                    continue
                names.append(str(step.value))
                if getattr(step, "stages", None) and source == "body":  # `items[0]`, `items[qty > 1]`
                    self.lists.add((*base, *names))
                for stage in getattr(step, "stages", None) or []:
                    self.visit(getattr(stage, "expr", None), (*base, *names), "")
                continue
            # Anything else (a block, a function, a wildcard) is evaluated at the path so far.
            last = position == len(steps) - 1
            inner = (*base, *names) if context is not None and step.type != "wildcard" else None
            self.visit(step, inner, target if last else "", kind if last else "value")
            context = None  # what follows is relative to that step's value: unknown
        group = getattr(node, "group", None)
        if group is not None and context is not None:
            self._object(group.lhs_object or [], (*base, *names), "")
        if source != "body" and not names:  # `$headers.*`, `$query.($lookup(...))`
            self.whole_maps.add(source)
        if names and context is not None:
            path = (*base, *names) if source == "body" else tuple(names)
            if kind in ("list", "items") and source == "body":
                self.lists.add(path[:-1] if kind == "items" and len(path) > 1 else path)
            if kind == "items":
                kind = "number"
            self.fields.append(Field(path, source, target, "value" if kind == "list" else kind))


def _children(node: Any) -> list[Any]:
    found: list[Any] = []
    for name, value in vars(node).items():
        if name.startswith("_") and name != "_else":
            continue
        for item in value if isinstance(value, list) else [value]:
            for leaf in item if isinstance(item, list) else [item]:
                if hasattr(leaf, "type") and leaf is not node:
                    found.append(leaf)
    return found


def _literal(node: Any) -> Any:
    """The text or number a node stands for (the first item of a literal list), else None."""
    kind = getattr(node, "type", None)
    if kind in ("string", "number"):
        return node.value
    if kind == "unary" and node.value == "[" and node.expressions:
        return _literal(node.expressions[0])
    return None


def _is_string(node: Any) -> bool:
    return getattr(node, "type", None) == "string"


def _is_text(node: Any, text: str) -> bool:
    return _is_string(node) and node.value == text


_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'')
_WORDS = re.compile(r"(?<![\w$.])([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)(?!\s*\()")


def _by_regex(expression: str) -> list[Field]:
    text = _STRING.sub('""', expression)
    found = []
    for match in _WORDS.finditer(text):
        path = tuple(match.group(1).split("."))
        if path[0] not in _KEYWORDS:
            found.append(Field(path))
    return found
