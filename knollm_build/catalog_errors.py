"""One error line per problem in a hand-edited catalog file: file, entry, field, problem, fix.

Pydantic's errors name a location (``("variant_suffix", 3, "pattern")``) and a type
(``missing``, ``extra_forbidden``…). This module turns each into a line a person can act
on without reading the code: ``catalog/model_rules.toml: variant_suffix[3]: pattern: field
required; fix: add pattern = "..." to this entry``.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

FIX_MARK = "; fix: "
"""Custom validators raise ``ValueError("problem; fix: what to do")``."""


def entry_and_field(
    loc: tuple[int | str, ...], model: type[BaseModel] | None = None
) -> tuple[str, str | None]:
    """``("variant_suffix", 3, "pattern")`` -> (``variant_suffix[3]``, ``pattern``).

    A key of a table of free-form keys (``aliases``) is part of the entry: ``aliases['x']``.
    """
    if not loc:
        return "", None
    parts = list(loc)
    entry = str(parts.pop(0))
    if model is not None and parts and _is_mapping(model, entry):
        return f"{entry}[{parts.pop(0)!r}]", ".".join(str(p) for p in parts) or None
    while parts and isinstance(parts[0], int):
        entry += f"[{parts.pop(0)}]"
    if parts and len(parts) > 1:
        key = parts.pop(0)
        entry += f".{key}" if isinstance(key, str) and key.isidentifier() else f"[{key!r}]"
    field = ".".join(str(p) for p in parts) if parts else None
    return entry, field


def _is_mapping(model: type[BaseModel], name: str) -> bool:
    field = model.model_fields.get(name)
    return field is not None and getattr(field.annotation, "__origin__", None) is dict


def _model_at(model: type[BaseModel], loc: tuple[int | str, ...]) -> type[BaseModel] | None:
    """The pydantic model that holds the last element of ``loc`` (for listing its fields)."""
    current: Any = model
    for step in loc[:-1]:
        if isinstance(step, int):
            continue
        fields = getattr(current, "model_fields", None)
        if fields is None or step not in fields:
            return None
        annotation = fields[step].annotation
        current = _inner_model(annotation)
        if current is None:
            return None
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def _fix(error: Any, model: type[BaseModel], field: str | None) -> tuple[str, str]:
    """(problem, fix) for one pydantic error."""
    kind = error["type"]
    message = str(error["msg"])
    name = field or (str(error["loc"][-1]) if error["loc"] else "value")
    if kind == "missing":
        return "field required", f'add {name} = "..." to this entry'
    if kind == "extra_forbidden":
        holder = _model_at(model, tuple(error["loc"]))
        known = ", ".join(sorted(holder.model_fields)) if holder else ""
        return "unknown field", f"remove it or correct its spelling (known: {known})"
    if kind in ("string_type", "str_type"):
        return "must be a string", 'write it as a quoted string: "..."'
    if kind == "list_type":
        return (
            "must be a list",
            f'write {name} = ["...", "..."] above every [table] header',
        )
    if kind in ("dict_type", "model_type"):
        return "must be a table", f"write it as a [{name}] table or an inline table {{ ... }}"
    if kind in ("bool_type", "bool_parsing"):
        return "must be true or false", "write true or false (no quotes)"
    if kind == "literal_error":
        return message.replace("Input should be", "must be"), "use one of the values listed"
    if kind in ("value_error", "assertion_error"):
        text = message.removeprefix("Value error, ").removeprefix("Assertion failed, ")
        if FIX_MARK in text:
            problem, fix = text.split(FIX_MARK, 1)
            return problem, fix
        return text, "correct the value"
    return message, "correct the value"


def error_lines(file: str, exc: ValidationError, model: type[BaseModel]) -> list[str]:
    """One ``file: entry: field: problem; fix: ...`` line per error, in pydantic's order."""
    out = []
    for error in exc.errors():
        entry, field = entry_and_field(tuple(error["loc"]), model)
        problem, fix = _fix(error, model, field)
        where = ": ".join(part for part in (file, entry, field) if part)
        out.append(f"{where}: {problem}{FIX_MARK}{fix}")
    return out


def error_parts(exc: ValidationError, model: type[BaseModel]) -> list[tuple[str, str, Any]]:
    """(position, reason with fix, input) per error, for :class:`~knollm_build.records.Problem`."""
    out = []
    for error in exc.errors():
        entry, field = entry_and_field(tuple(error["loc"]), model)
        problem, fix = _fix(error, model, field)
        position = ".".join(part for part in (entry, field) if part)
        value = error.get("input")
        out.append(
            (
                position,
                f"{problem}{FIX_MARK}{fix}",
                None if isinstance(value, dict) or error["type"] == "missing" else value,
            )
        )
    return out
