"""Sums of money in SQL, exact on every database: PostgreSQL adds NUMERIC values exactly,
SQLite keeps NUMERIC as floating point, whose sums drift past ~10¹³ (a tester's 99,999 sales
of up to 10¹⁰ ₽ came out 175 ₽ short). On SQLite each amount (two decimals, at most
10¹² ₽: `Numeric(14, 2)`, exact to the kopeck as a float) is summed as whole kopecks, an
integer, and read back as a Decimal of roubles (docs/operations.md: "never floats")."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator, TypeEngine


class MoneyTotal(TypeDecorator[Decimal]):
    """A sum of amounts: NUMERIC on PostgreSQL, whole kopecks (an integer) on SQLite; read as
    a Decimal of roubles either way."""

    impl = sa.Numeric
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(sa.BigInteger())
        return dialect.type_descriptor(sa.Numeric(20, 2))

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        if dialect.name == "sqlite":
            return Decimal(int(value)).scaleb(-2)
        return Decimal(value)


class money_sum(FunctionElement[Decimal]):  # noqa: N801 - an SQL function's name
    """`SUM(amount)`, exact (see the module): `money_sum(conversions.c.amount)`; `.filter()`
    and `coalesce` work as on `func.sum`."""

    type = MoneyTotal()
    inherit_cache = True
    name = "money_sum"


@compiles(money_sum)
def _sum(element: money_sum, compiler: SQLCompiler, **kw: Any) -> str:
    return f"sum({compiler.process(element.clauses, **kw)})"


@compiles(money_sum, "sqlite")
def _sum_kopecks(element: money_sum, compiler: SQLCompiler, **kw: Any) -> str:
    return f"sum(CAST(round({compiler.process(element.clauses, **kw)} * 100) AS INTEGER))"
