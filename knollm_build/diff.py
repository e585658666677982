"""Diff two compiled catalogs: what changed between an old and a new ``models.json``.

Pure functions: :func:`load_catalog` reads a file, :func:`diff_catalogs` compares two
documents in linear time (both sides indexed by key once), and :func:`render_text` /
:func:`render_markdown` turn the JSON-ready result into a report. Offerings are keyed by
``(provider, provider_model_id)``; per-offering changes (the canonical model it maps to,
prices including context tiers, limits, capabilities, status, conflicts) are reported only
for offerings present on both sides; an offering that appears or disappears is reported
once, under ``offerings``. A tier price is a price row whose field names its threshold
(``tiers[>200000].input``).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import orjson

from knollm_build.emit import Written, to_bytes, write_if_changed
from knollm_build.schema import PRICE_FIELDS, TIER_PRICE_FIELDS

LIMIT_FIELDS = ("context_window", "max_input_tokens", "max_output_tokens")
"""Token limits compared per offering."""

Key = tuple[str, str]


class DiffError(Exception):
    """A catalog file cannot be read or is not a models.json document."""


# --------------------------------------------------------------------------- loading


def _check_entries(path: Path, doc: dict[str, Any]) -> None:
    """Reject a document whose lists do not have the shapes the diff relies on."""
    offerings = doc["offerings"]
    if not isinstance(offerings, list):
        raise DiffError(f'{path}: "offerings" is not a list')
    seen: set[Key] = set()
    for index, item in enumerate(offerings):
        if not isinstance(item, dict) or not all(
            isinstance(item.get(name), str) for name in ("provider", "provider_model_id", "model")
        ):
            raise DiffError(
                f"{path}: offerings[{index}] is not an object with string provider, "
                "provider_model_id and model"
            )
        key = (item["provider"], item["provider_model_id"])
        if key in seen:
            raise DiffError(
                f"{path}: offerings[{index}] repeats provider {key[0]!r} "
                f"provider_model_id {key[1]!r}"
            )
        seen.add(key)
    for name in ("providers", "models"):
        entries = doc.get(name, [])
        if not isinstance(entries, list) or not all(
            isinstance(entry, dict) and isinstance(entry.get("id"), str) for entry in entries
        ):
            raise DiffError(f'{path}: "{name}" is not a list of objects with a string id')


def load_catalog(path: Path | str) -> dict[str, Any]:
    """Read a models.json file; raise :class:`DiffError` with a one-line message naming it."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DiffError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise DiffError(f"{path}: is a directory, not a models.json file") from None
    except OSError as exc:
        raise DiffError(f"{path}: cannot read ({exc.strerror or exc})") from None
    try:
        doc = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        reason = " ".join(str(exc).split())
        raise DiffError(f"{path}: not valid JSON ({reason})") from None
    if not isinstance(doc, dict) or "offerings" not in doc:
        raise DiffError(f'{path}: not a models.json catalog (no "offerings")')
    _check_entries(path, doc)
    return doc


# --------------------------------------------------------------------------- diffing


def _ids(doc: Mapping[str, Any], listing: str, offering_field: str) -> set[str]:
    """Ids from a top-level list (``providers``/``models``) plus those the offerings name."""
    ids = {entry["id"] for entry in doc.get(listing) or [] if isinstance(entry, dict)}
    ids.update(item[offering_field] for item in doc.get("offerings") or [])
    return ids


def _index(doc: Mapping[str, Any]) -> dict[Key, dict[str, Any]]:
    """Offerings by ``(provider, provider_model_id)``; the last wins on a repeated key."""
    return {(item["provider"], item["provider_model_id"]): item for item in doc["offerings"]}


def _ref(key: Key, offering: Mapping[str, Any]) -> dict[str, Any]:
    return {"provider": key[0], "provider_model_id": key[1], "model": offering.get("model")}


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def percent_change(old: Any, new: Any) -> float | None:
    """``(new - old) / old`` in percent, rounded to 2 places; ``None`` when old is 0 or missing."""
    if not (_is_number(old) and _is_number(new)) or old == 0:
        return None
    return round((new - old) / old * 100, 2)


def _conflicts(offering: Mapping[str, Any]) -> dict[str, str | None]:
    """Conflicted field -> kind."""
    found: dict[str, str | None] = {}
    for conflict in offering.get("conflicts") or []:
        if isinstance(conflict, dict) and isinstance(conflict.get("field"), str):
            found[conflict["field"]] = conflict.get("kind")
    return found


def _sorted(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(
        rows, key=lambda r: (r["provider"], r["provider_model_id"], str(r.get("field", "")))
    )


def _tier_prices(pricing: Mapping[str, Any]) -> dict[str, Any]:
    """``tiers[>N].field`` -> price, for every tier of an offering's pricing."""
    out: dict[str, Any] = {}
    for tier in pricing.get("tiers") or []:
        if isinstance(tier, dict) and "above_input_tokens" in tier:
            for field in TIER_PRICE_FIELDS:
                if tier.get(field) is not None:
                    out[f"tiers[>{tier['above_input_tokens']}].{field}"] = tier[field]
    return out


def _price_rows(
    ref: dict[str, Any], old_pricing: Mapping[str, Any], new_pricing: Mapping[str, Any]
) -> list[dict[str, Any]]:
    rows = []
    for field in PRICE_FIELDS:
        was, now = old_pricing.get(field), new_pricing.get(field)
        if was != now:
            rows.append(
                {
                    **ref,
                    "field": field,
                    "old": was,
                    "new": now,
                    "change_pct": percent_change(was, now),
                }
            )
    old_tiers, new_tiers = _tier_prices(old_pricing), _tier_prices(new_pricing)
    for field in sorted(old_tiers.keys() | new_tiers.keys()):
        was, now = old_tiers.get(field), new_tiers.get(field)
        if was != now:
            rows.append(
                {
                    **ref,
                    "field": field,
                    "old": was,
                    "new": now,
                    "change_pct": percent_change(was, now),
                }
            )
    return rows


def _compare_offering(
    ref: dict[str, Any],
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    rows: dict[str, list[dict[str, Any]]],
) -> None:
    """Append the changes between two versions of one offering to ``rows``."""
    if before.get("model") != after.get("model"):
        rows["models"].append({**ref, "old": before.get("model"), "new": after.get("model")})
    old_pricing = before.get("pricing") or {}
    new_pricing = after.get("pricing") or {}
    if old_pricing != new_pricing:
        rows["prices"].extend(_price_rows(ref, old_pricing, new_pricing))
    for field in LIMIT_FIELDS:
        was, now = before.get(field), after.get(field)
        if was != now:
            rows["limits"].append({**ref, "field": field, "old": was, "new": now})
    old_caps = set(before.get("capabilities") or [])
    new_caps = set(after.get("capabilities") or [])
    if old_caps != new_caps:
        gained = sorted(new_caps - old_caps, key=str)
        lost = sorted(old_caps - new_caps, key=str)
        rows["capabilities"].append({**ref, "gained": gained, "lost": lost})
    if before.get("status") != after.get("status"):
        rows["status"].append({**ref, "old": before.get("status"), "new": after.get("status")})
    if before.get("conflicts") != after.get("conflicts"):
        old_conflicts, new_conflicts = _conflicts(before), _conflicts(after)
        for field in new_conflicts.keys() - old_conflicts.keys():
            rows["appeared"].append({**ref, "field": field, "kind": new_conflicts[field]})
        for field in old_conflicts.keys() - new_conflicts.keys():
            rows["resolved"].append({**ref, "field": field, "kind": old_conflicts[field]})


def diff_catalogs(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """Compare two catalog documents; return a JSON-ready dict of every change, sorted."""
    old_providers, new_providers = (
        _ids(old, "providers", "provider"),
        _ids(new, "providers", "provider"),
    )
    old_models, new_models = _ids(old, "models", "model"), _ids(new, "models", "model")
    old_index, new_index = _index(old), _index(new)

    added = [_ref(k, new_index[k]) for k in new_index.keys() - old_index.keys()]
    removed = [_ref(k, old_index[k]) for k in old_index.keys() - new_index.keys()]
    rows: dict[str, list[dict[str, Any]]] = {
        name: []
        for name in ("models", "prices", "limits", "capabilities", "status", "appeared", "resolved")
    }
    for key, before in old_index.items():
        after = new_index.get(key)
        if after is not None and after != before:
            _compare_offering(_ref(key, after), before, after, rows)

    result: dict[str, Any] = {
        "old_generated_at": old.get("generated_at"),
        "new_generated_at": new.get("generated_at"),
        "providers": {
            "added": sorted(new_providers - old_providers),
            "removed": sorted(old_providers - new_providers),
        },
        "models": {
            "added": sorted(new_models - old_models),
            "removed": sorted(old_models - new_models),
        },
        "offerings": {"added": _sorted(added), "removed": _sorted(removed)},
        "model_changes": _sorted(rows["models"]),
        "price_changes": _sorted(rows["prices"]),
        "limit_changes": _sorted(rows["limits"]),
        "capability_changes": _sorted(rows["capabilities"]),
        "status_changes": _sorted(rows["status"]),
        "conflicts": {"appeared": _sorted(rows["appeared"]), "resolved": _sorted(rows["resolved"])},
    }
    result["summary"] = {name: len(rows) for name, rows in _sections(result)}
    return result


def _sections(diff: Mapping[str, Any]) -> list[tuple[str, list[Any]]]:
    """``(summary key, rows)`` for every category, in report order."""
    return [
        ("providers_added", diff["providers"]["added"]),
        ("providers_removed", diff["providers"]["removed"]),
        ("models_added", diff["models"]["added"]),
        ("models_removed", diff["models"]["removed"]),
        ("offerings_added", diff["offerings"]["added"]),
        ("offerings_removed", diff["offerings"]["removed"]),
        ("model_changes", diff["model_changes"]),
        ("price_changes", diff["price_changes"]),
        ("limit_changes", diff["limit_changes"]),
        ("capability_changes", diff["capability_changes"]),
        ("status_changes", diff["status_changes"]),
        ("conflicts_appeared", diff["conflicts"]["appeared"]),
        ("conflicts_resolved", diff["conflicts"]["resolved"]),
    ]


def has_changes(diff: Mapping[str, Any]) -> bool:
    """True when any category is non-empty."""
    return any(diff["summary"].values())


def json_bytes(diff: Mapping[str, Any]) -> bytes:
    """The diff as canonical JSON: sorted keys, compact, trailing newline."""
    return to_bytes(diff)


def write_json(path: Path, diff: Mapping[str, Any]) -> Written:
    """Write the diff as canonical JSON atomically (unchanged bytes are not rewritten)."""
    return write_if_changed(path, json_bytes(diff))


# --------------------------------------------------------------------------- rendering

TITLES = {
    "providers_added": "Providers added",
    "providers_removed": "Providers removed",
    "models_added": "Models added",
    "models_removed": "Models removed",
    "offerings_added": "Offerings added",
    "offerings_removed": "Offerings removed",
    "model_changes": "Offerings mapped to another model",
    "price_changes": "Price changes",
    "limit_changes": "Limit changes",
    "capability_changes": "Capability changes",
    "status_changes": "Status changes",
    "conflicts_appeared": "Conflicts appeared",
    "conflicts_resolved": "Conflicts resolved",
}

_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Co", "Cs"})


def _unsafe(char: str) -> bool:
    return unicodedata.category(char) in _UNSAFE_CATEGORIES


def plain(value: Any) -> str:
    """``str(value)`` with control, format (bidi) and line-break characters shown as escapes."""
    text = str(value)
    if text.isascii() and text.isprintable():
        return text
    return "".join(f"\\u{ord(c):04x}" if _unsafe(c) else c for c in text)


_MD_ENTITIES = {ord(c): f"&#{ord(c)};" for c in "\\`*_{}[]()<>|&~$\"'"}


def md_escape(value: Any) -> str:
    """Make ``value`` inert in Markdown and HTML: syntax characters become numeric entities.

    Covers ``|`` (table cells), ``<`` ``>`` ``&`` ``"`` ``'`` (HTML), ``[`` ``]`` ``(`` ``)``
    (links, images), backticks, ``*`` ``_`` ``~`` (emphasis), ``{`` ``}`` (template engines),
    ``$`` (math) and backslash; control and bidi characters are shown as ``\\uXXXX``.
    """
    return plain(value).translate(_MD_ENTITIES)


def _number(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def _pct(value: float | None) -> str:
    if value is None:
        return "n/a"
    text = f"{value:+,.2f}".rstrip("0").rstrip(".")
    return f"{text}%"


def _cells(name: str, row: Any) -> list[str]:
    """Unescaped cells of one row of section ``name``."""
    if name.startswith(("providers_", "models_")):
        return [str(row)]
    if name.startswith("offerings_"):
        return [row["provider"], row["provider_model_id"], str(row["model"])]
    head = [row["provider"], row["provider_model_id"]]
    if name == "model_changes":
        return [*head, str(row["old"]), str(row["new"])]
    if name == "price_changes":
        return [
            *head,
            row["field"],
            _number(row["old"]),
            _number(row["new"]),
            _pct(row["change_pct"]),
        ]
    if name == "limit_changes":
        return [*head, row["field"], _number(row["old"]), _number(row["new"])]
    if name == "capability_changes":
        return [
            *head,
            ", ".join(map(str, row["gained"])) or "-",
            ", ".join(map(str, row["lost"])) or "-",
        ]
    if name == "status_changes":
        return [*head, _number(row["old"]), _number(row["new"])]
    return [*head, row["field"], str(row["kind"])]


_HEADERS = {
    "providers": ["Provider"],
    "models": ["Model"],
    "offerings": ["Provider", "Provider model id", "Model"],
    "model_changes": ["Provider", "Provider model id", "Old model", "New model"],
    "price_changes": ["Provider", "Provider model id", "Field", "Old", "New", "Change"],
    "limit_changes": ["Provider", "Provider model id", "Field", "Old", "New"],
    "capability_changes": ["Provider", "Provider model id", "Gained", "Lost"],
    "status_changes": ["Provider", "Provider model id", "Old", "New"],
    "conflicts": ["Provider", "Provider model id", "Field", "Kind"],
}


def _headers(name: str) -> list[str]:
    return _HEADERS.get(name, _HEADERS.get(name.rsplit("_", 1)[0], []))


def _text_row(name: str, row: Any) -> str:
    cells = [plain(c) for c in _cells(name, row)]
    if name.startswith(("providers_", "models_")):
        return cells[0]
    offering = f"{cells[0]}/{cells[1]}"
    if name.startswith("offerings_"):
        return f"{offering} (model {cells[2]})"
    if name == "model_changes":
        return f"{offering}: model {cells[2]} → {cells[3]}"
    if name == "price_changes":
        return f"{offering} {cells[2]}: {cells[3]} → {cells[4]} ({cells[5]})"
    if name == "limit_changes":
        return f"{offering} {cells[2]}: {cells[3]} → {cells[4]}"
    if name == "capability_changes":
        return f"{offering} gained: {cells[2]}; lost: {cells[3]}"
    if name == "status_changes":
        return f"{offering}: {cells[2]} → {cells[3]}"
    return f"{offering} {cells[2]} ({cells[3]})"


def summary_line(diff: Mapping[str, Any]) -> str:
    """One line with the count of every category."""
    s = diff["summary"]
    return (
        f"providers +{s['providers_added']} -{s['providers_removed']} · "
        f"models +{s['models_added']} -{s['models_removed']} · "
        f"offerings +{s['offerings_added']} -{s['offerings_removed']} · "
        f"model changes {s['model_changes']} · "
        f"price changes {s['price_changes']} · limit changes {s['limit_changes']} · "
        f"capability changes {s['capability_changes']} · status changes {s['status_changes']} · "
        f"conflicts +{s['conflicts_appeared']} -{s['conflicts_resolved']}"
    )


def _shown(rows: list[Any], limit: int) -> tuple[Iterable[Any], int]:
    """Rows to show and how many are left off; ``limit`` 0 shows all."""
    if limit <= 0 or len(rows) <= limit:
        return rows, 0
    return rows[:limit], len(rows) - limit


def render_text(diff: Mapping[str, Any], limit: int = 50) -> str:
    """A plain-text report: a header, a summary line, then at most ``limit`` rows per section."""
    header = f"catalog diff: {plain(diff['old_generated_at'])} → {plain(diff['new_generated_at'])}"
    if not has_changes(diff):
        return f"{header}\nno changes"
    lines = [header, summary_line(diff)]
    for name, rows in _sections(diff):
        if not rows:
            continue
        lines += ["", f"{TITLES[name]} ({len(rows):,})"]
        shown, more = _shown(rows, limit)
        lines += [f"  {_text_row(name, row)}" for row in shown]
        if more:
            lines.append(f"  … and {more:,} more")
    return "\n".join(lines)


def render_markdown(diff: Mapping[str, Any], limit: int = 50) -> str:
    """The same report as Markdown tables; every string from the data goes through md_escape."""
    header = (
        f"## Catalog diff: {md_escape(diff['old_generated_at'])} → "
        f"{md_escape(diff['new_generated_at'])}"
    )
    if not has_changes(diff):
        return f"{header}\n\nno changes"
    lines = [header, "", md_escape(summary_line(diff))]
    for name, rows in _sections(diff):
        if not rows:
            continue
        headers = _headers(name)
        lines += [
            "",
            f"### {TITLES[name]} ({len(rows):,})",
            "",
            "| " + " | ".join(headers) + " |",
            "|" + "---|" * len(headers),
        ]
        shown, more = _shown(rows, limit)
        for row in shown:
            lines.append("| " + " | ".join(md_escape(c) for c in _cells(name, row)) + " |")
        if more:
            lines += ["", f"… and {more:,} more"]
    return "\n".join(lines)
