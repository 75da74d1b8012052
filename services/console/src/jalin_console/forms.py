"""Forms drawn from the services' own OpenAPI documents: an action's body model (``body`` of
``GET /v1/proposals/{id}/actions``) gives its fields, types, limits and which are required, so
the console states no rule of its own. The service still decides: what it refuses comes back
beside the field."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from jalin_console.i18n import Translator

MAX_FORM_FIELDS = 30


@dataclass
class Field:
    name: str
    label: str
    kind: str  # text, textarea, date, number, select, checkbox
    required: bool
    max_length: int | None = None
    minimum: int | None = None
    maximum: int | None = None
    options: list[tuple[str, str]] = field(default_factory=list)
    value: str = ""
    error: str = ""


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
        found = schema.get("components", {}).get("schemas", {}).get(ref.rsplit("/", 1)[1])
        return found if isinstance(found, dict) else {}
    return node


def _non_null(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    node = _resolve(schema, node)
    for key in ("anyOf", "oneOf"):
        if key in node:
            options = [_resolve(schema, n) for n in node[key] if n.get("type") != "null"]
            if len(options) == 1:
                return {**options[0], **{k: v for k, v in node.items() if k not in (key,)}}
    return node


def _field(openapi: dict[str, Any], name: str, raw: Any, required: bool, t: Translator) -> Field:
    prop = _non_null(openapi, raw if isinstance(raw, dict) else {})
    f = Field(name=name, label=t.field(name), kind="text", required=required)
    if "enum" in prop:
        f.kind = "select"
        f.options = [(str(v), t.choice(name, str(v))) for v in prop["enum"]]
    elif prop.get("const") is not None:
        f.kind = "select"
        f.options = [(str(prop["const"]), str(prop["const"]))]
    elif prop.get("type") == "boolean":
        f.kind = "checkbox"
    elif prop.get("type") == "integer":
        f.kind = "number"
        bounds = (prop.get("minimum"), prop.get("maximum"))
        f.minimum, f.maximum = (None if b is None else int(b) for b in bounds)
    elif prop.get("format") == "date":
        f.kind = "date"
    elif prop.get("type") == "string":
        f.max_length = prop.get("maxLength")
        f.kind = "textarea" if (f.max_length or 0) > 300 else "text"
    default = prop.get("default", raw.get("default") if isinstance(raw, dict) else None)
    if default is not None and not isinstance(default, bool):
        f.value = str(default)
    return f


def fields_of(openapi: dict[str, Any], model: str | None, t: Translator) -> list[Field]:
    """The form of one body model; none when the command takes no body. A property that is
    an object of its own (a partner: name, tenant) gives one field per property of it, named
    ``parent.child`` (``body_from_form`` builds the object again)."""
    if not model:
        return []
    body = openapi.get("components", {}).get("schemas", {}).get(model)
    if not isinstance(body, dict):
        return []
    required = set(body.get("required", []))
    out: list[Field] = []
    for name, raw in list(body.get("properties", {}).items())[:MAX_FORM_FIELDS]:
        prop = _non_null(openapi, raw if isinstance(raw, dict) else {})
        if isinstance(prop.get("properties"), dict):
            inner = set(prop.get("required", []))
            out += [_field(openapi, f"{name}.{sub}", sraw, name in required and sub in inner, t)
                    for sub, sraw in list(prop["properties"].items())[:MAX_FORM_FIELDS]]
        else:
            out.append(_field(openapi, name, raw, name in required, t))
    return out


def body_from_form(fields: list[Field], form: dict[str, str]) -> dict[str, Any]:
    """The JSON body the service expects: empty optional fields left out, numbers as numbers
    when they are numbers (otherwise the text, which the service refuses with its reason)."""
    body: dict[str, Any] = {}
    for f in fields:
        if f.kind == "checkbox":
            f.value = "true" if f.name in form else ""
            _put(body, f.name, f.name in form)
            continue
        value = form.get(f.name, "").strip()
        f.value = value
        if value == "":
            continue
        if f.kind == "number":
            try:
                parsed: Any = int(value)
            except ValueError:
                parsed = value
        else:
            parsed = value
        _put(body, f.name, parsed)
    return body


def _put(body: dict[str, Any], name: str, value: Any) -> None:
    """``partner.name`` → ``body["partner"]["name"]``."""
    parent, _, child = name.partition(".")
    if child:
        body.setdefault(parent, {})[child] = value
    else:
        body[name] = value


def attach_errors(fields: list[Field], errors: list[dict[str, str]], t: Translator) -> list[str]:
    """Each of the service's errors beside its field; the ones no field shows, returned."""
    by_name = {f.name: f for f in fields}
    rest: list[str] = []
    for e in errors:
        key = str(e.get("field", ""))
        name = key if key in by_name else key.split(".")[-1]
        if name not in by_name:  # an object missing as a whole: beside its first required field
            name = next((f.name for f in fields if f.name.startswith(f"{key}.") and f.required), name)
        message = t.message(str(e.get("message", "")))
        if name in by_name:
            by_name[name].error = message
        else:
            rest.append(message)
    return rest
