"""SQL conditions from a catalogue, parsed with sqlglot and rebuilt as Ibis expressions.

Rebuilding the parsed SQL as Ibis (rather than pasting text into a query) lets Ibis check names
and types against the table's schema before anything runs, and compile the condition into each
backend's own dialect. The supported SQL is the everyday condition language: comparisons, AND /
OR / NOT, IN, BETWEEN, LIKE, IS [NOT] NULL, arithmetic, CASE, COALESCE, CAST and a few functions.
Used as count filters, a NULL condition counts as false.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
import sqlglot
from ibis.backends.sql.datatypes import SqlglotType
from sqlglot import exp

from marginalgains.errors import EngineError

_BINARY = {
    exp.EQ: lambda a, b: a == b,
    exp.NEQ: lambda a, b: a != b,
    exp.GT: lambda a, b: a > b,
    exp.GTE: lambda a, b: a >= b,
    exp.LT: lambda a, b: a < b,
    exp.LTE: lambda a, b: a <= b,
    exp.Add: lambda a, b: a + b,
    exp.Sub: lambda a, b: a - b,
    exp.Mul: lambda a, b: a * b,
    exp.Div: lambda a, b: a / b,
    exp.Mod: lambda a, b: a % b,
    exp.And: lambda a, b: a & b,
    exp.Or: lambda a, b: a | b,
    exp.Like: lambda a, b: a.like(b),
    exp.ILike: lambda a, b: a.ilike(b),
}
_FUNCTIONS = {
    exp.Lower: lambda a: a.lower(),
    exp.Upper: lambda a: a.upper(),
    exp.Abs: lambda a: a.abs(),
    exp.Length: lambda a: a.length(),
    exp.Year: lambda a: a.year(),
    exp.Month: lambda a: a.month(),
    exp.Not: lambda a: ~a,
    exp.Neg: lambda a: -a,
    exp.Paren: lambda a: a,
}


def condition(text: str, table: ir.Table, indicator_id: str, role: str) -> ir.BooleanValue:
    """The Ibis boolean expression for an SQL condition over `table` (NULL where SQL gives NULL)."""
    tree = parse(text, indicator_id, role)
    check_columns(tree, table, text, indicator_id, role)
    try:
        value = _Translator(table).build(tree)
    except EngineError as error:
        raise EngineError(f"indicator {indicator_id!r}, {role} {text!r}: {error}") from None
    except Exception as error:  # Ibis refuses a type mismatch with several exception types
        raise EngineError(f"indicator {indicator_id!r}, {role} {text!r}: type mismatch: {error}") from None
    if not value.type().is_boolean():
        raise EngineError(
            f"indicator {indicator_id!r}, {role} {text!r}: gives {value.type()}, not true/false; "
            "write a condition such as `column = 1`"
        )
    return value


MAX_CONDITION_CHARS = 10_000
MAX_NESTING = 64
"""Conditions longer or nested deeper are refused before parsing: a condition nested 3,000 deep
would take a minute to parse and end in a RecursionError. Long AND / OR chains are not nesting."""
_CHAINS = (exp.And, exp.Or)


def parse(text: str, indicator_id: str, role: str) -> exp.Expression:
    """Parse one SQL condition, or say where it fails to parse."""
    where = f"indicator {indicator_id!r}, {role} {_shown(text)}"
    if not isinstance(text, str):
        raise EngineError(f"{where}: expected an SQL condition as text, got {type(text).__name__}")
    if len(text) > MAX_CONDITION_CHARS:
        raise EngineError(f"{where}: {len(text):,} characters, more than the {MAX_CONDITION_CHARS:,} a condition may have")
    if _bracket_depth(text) > MAX_NESTING:
        raise EngineError(f"{where}: brackets nested more than {MAX_NESTING} deep")
    try:
        tree = sqlglot.parse_one(text)
    except RecursionError:  # operators such as NOT NOT NOT ... nest without brackets
        raise EngineError(f"{where}: nested more than {MAX_NESTING} deep") from None
    except sqlglot.errors.SqlglotError as error:
        reason = str(error).splitlines()[0]
        raise EngineError(f"indicator {indicator_id!r}, {role} {text!r}: SQL does not parse: {reason}") from None
    if isinstance(tree, (exp.Select, exp.Query, exp.Command)) or tree is None:
        raise EngineError(f"indicator {indicator_id!r}, {role} {text!r}: expected a condition, not a statement")
    if _tree_depth(tree) > MAX_NESTING:
        raise EngineError(f"{where}: nested more than {MAX_NESTING} deep")
    return tree


def _shown(text) -> str:
    shown = repr(text)
    return shown if len(shown) <= 80 else f"{shown[:60]}...' ({len(str(text)):,} characters)"


def _bracket_depth(text: str) -> int:
    """The deepest bracket nesting outside quoted strings, in one pass."""
    depth = deepest = 0
    quote = None
    for char in text:
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "(":
            depth += 1
            deepest = max(deepest, depth)
        elif char == ")":
            depth -= 1
    return deepest


def _tree_depth(tree: exp.Expression) -> int:
    """Nesting depth of a parsed condition, without recursion; an AND / OR chain counts as one level."""
    deepest, stack = 0, [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        for child in node.iter_expressions():
            flat = isinstance(node, _CHAINS) and type(child) is type(node)
            stack.append((child, depth if flat else depth + 1))
    return deepest


def _chain(node: exp.Expression) -> list[exp.Expression]:
    """The operands of an AND (or OR) chain, flattened without recursion."""
    operands, stack = [], [node]
    while stack:
        item = stack.pop()
        if type(item) is type(node):
            stack.extend([item.expression, item.this])
        else:
            operands.append(item)
    return operands


def columns_of(tree: exp.Expression) -> list[str]:
    """Column names an expression reads, in order of first use."""
    return list(dict.fromkeys(column.name for column in tree.find_all(exp.Column)))


def check_columns(tree: exp.Expression, table: ir.Table, text: str, indicator_id: str, role: str) -> None:
    """Refuse a condition naming a column the table does not have."""
    missing = [name for name in columns_of(tree) if name not in table.columns]
    if missing:
        raise EngineError(
            f"indicator {indicator_id!r}, {role} {text!r}: unknown column(s) {', '.join(missing)}; "
            f"the table has {', '.join(table.columns)}"
        )


class _Translator:
    """Rebuild a sqlglot tree as an Ibis expression over one table."""

    def __init__(self, table: ir.Table):
        self.table = table

    def build(self, node: exp.Expression) -> ir.Value:
        kind = type(node)
        if kind in _CHAINS:
            return self._balanced(_BINARY[kind], [self.build(operand) for operand in _chain(node)])
        if kind in _BINARY:
            return _BINARY[kind](self.build(node.this), self.build(node.expression))
        if kind in _FUNCTIONS:
            return _FUNCTIONS[kind](self.build(node.this))
        method = getattr(self, f"_{kind.__name__.lower()}", None)
        if method is None:
            raise EngineError(f"unsupported SQL {node.sql()!r} ({kind.__name__})")
        return method(node)

    @staticmethod
    def _balanced(combine, values: list[ir.Value]) -> ir.Value:
        """Combine a chain's operands pairwise, so a 3,000-term OR is 12 levels deep, not 3,000."""
        while len(values) > 1:
            values = [combine(values[i], values[i + 1]) if i + 1 < len(values) else values[i]
                      for i in range(0, len(values), 2)]
        return values[0]

    def _column(self, node: exp.Column) -> ir.Value:
        return self.table[node.name]

    def _literal(self, node: exp.Literal) -> ir.Value:
        if node.is_string:
            return ibis.literal(node.this)
        number = float(node.this)
        return ibis.literal(int(number) if number.is_integer() and "." not in node.this else number)

    def _boolean(self, node: exp.Boolean) -> ir.Value:
        return ibis.literal(bool(node.this))

    def _null(self, node: exp.Null) -> ir.Value:
        return ibis.null()

    def _is(self, node: exp.Is) -> ir.Value:
        subject, target = self.build(node.this), node.expression
        if isinstance(target, exp.Null):
            return subject.isnull()
        return subject == self.build(target)

    def _in(self, node: exp.In) -> ir.Value:
        if node.args.get("query") is not None:
            raise EngineError("IN (subquery) is not supported; list the values")
        return self.build(node.this).isin([self.build(value) for value in node.expressions])

    def _between(self, node: exp.Between) -> ir.Value:
        return self.build(node.this).between(self.build(node.args["low"]), self.build(node.args["high"]))

    def _case(self, node: exp.Case) -> ir.Value:
        subject = node.this
        branches = []
        for branch in node.args["ifs"]:
            test = self.build(branch.this)
            if subject is not None:
                test = self.build(subject) == test
            branches.append((test, self.build(branch.args["true"])))
        default = node.args.get("default")
        return ibis.cases(*branches, else_=None if default is None else self.build(default))

    def _if(self, node: exp.If) -> ir.Value:
        otherwise = node.args.get("false")
        return ibis.ifelse(self.build(node.this), self.build(node.args["true"]),
                           ibis.null() if otherwise is None else self.build(otherwise))

    def _coalesce(self, node: exp.Coalesce) -> ir.Value:
        return ibis.coalesce(self.build(node.this), *(self.build(e) for e in node.expressions))

    def _cast(self, node: exp.Cast) -> ir.Value:
        return self.build(node.this).cast(SqlglotType.to_ibis(node.to))
