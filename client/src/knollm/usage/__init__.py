"""Usage records, budgets and reliability: what every routed request cost, kept in SQLite.

>>> from knollm.usage import UsageStore, report  # doctest: +SKIP
>>> report.build(UsageStore(), since="7d", by="provider")  # doctest: +SKIP

Modules: :mod:`~knollm.usage.store` (the file), :mod:`~knollm.usage.meter` (what the router
records, field by field), :mod:`~knollm.usage.budgets` (limits, alerts, the hard stop),
:mod:`~knollm.usage.reliability` (scores that seed a starting router) and
:mod:`~knollm.usage.report` (``knollm usage report``).
"""

from knollm.usage.budgets import BudgetAlert, Budgets, Limit
from knollm.usage.meter import Meter
from knollm.usage.reliability import Reliability, reliability
from knollm.usage.store import UsageStore, default_path

__all__ = [
    "BudgetAlert",
    "Budgets",
    "Limit",
    "Meter",
    "Reliability",
    "UsageStore",
    "default_path",
    "reliability",
]
