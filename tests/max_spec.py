"""Every MAX request the bot made, checked against MAX's official OpenAPI schema
(../shared/specs/max/max-bot-api.json, read here, never copied): the path and HTTP
method exist, no unknown query parameter, none of the required ones missing, and the
JSON body valid for the operation's schema (types, required fields, no unknown fields,
lengths, enums, the `type` discriminators of attachments and buttons)."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from bot.max.emulator import MaxRequest

SPEC_FILE = (
    Path(__file__).resolve().parent.parent.parent / "shared" / "specs" / "max" / "max-bot-api.json"
)
_TYPES: dict[str, Any] = {
    "object": dict,
    "array": list,
    "string": str,
    "integer": int,
    "number": (int, float),
    "boolean": bool,
}


class MaxSpec:
    def __init__(self, raw: dict[str, Any]) -> None:
        self._schemas: dict[str, Any] = raw["components"]["schemas"]
        self._paths: list[tuple[re.Pattern[str], str, dict[str, Any]]] = []
        for template, operations in raw["paths"].items():
            pattern = re.compile("^" + re.sub(r"\{[^}]+\}", r"[^/]+", template) + "$")
            self._paths.append((pattern, template, operations))

    def problems(self, request: MaxRequest) -> list[str]:
        found = next(
            ((t, ops) for pattern, t, ops in self._paths if pattern.match(request.path)), None
        )
        if found is None:
            return [f"{request.method}: no such path in the MAX API"]
        template, operations = found
        operation = operations.get(request.http_method.lower())
        name = f"{request.http_method} {template}"
        if operation is None:
            return [f"{name}: no such method in the MAX API"]
        problems: list[str] = []
        parameters = [p for p in operation.get("parameters", []) if p.get("in") == "query"]
        known = {p["name"]: p for p in parameters}
        for key, value in request.params.items():
            parameter = known.get(key)
            if parameter is None:
                problems.append(f"{name}: unknown query parameter {key}")
                continue
            kind = self._resolve(parameter.get("schema") or {}).get("type")
            if kind == "integer" and not re.fullmatch(r"-?\d+", value):
                problems.append(f"{name}: {key}={value!r} is not an integer")
            if kind == "boolean" and value not in ("true", "false"):
                problems.append(f"{name}: {key}={value!r} is not a boolean")
        for key, parameter in known.items():
            if parameter.get("required") and key not in request.params:
                problems.append(f"{name}: required query parameter {key} missing")
        body_spec = operation.get("requestBody")
        if body_spec is None:
            if request.body is not None:
                problems.append(f"{name}: a body where none is taken")
            return problems
        schema = body_spec["content"]["application/json"]["schema"]
        if request.body is None:
            if body_spec.get("required"):
                problems.append(f"{name}: the body is required")
            return problems
        self._validate(request.body, schema, name, problems)
        return problems

    def _resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            schema = self._schemas[schema["$ref"].rsplit("/", 1)[-1]]
        return schema

    def _nullable(self, schema: dict[str, Any]) -> bool:
        schema = self._resolve(schema)
        if schema.get("nullable"):
            return True
        return any(self._nullable(part) for part in schema.get("allOf", []))

    def _properties(self, schema: dict[str, Any]) -> dict[str, Any] | None:
        """Every property an object of `schema` may have (None: any)."""
        schema = self._resolve(schema)
        if "additionalProperties" in schema:
            return None
        props: dict[str, Any] = dict(schema.get("properties", {}))
        for part in schema.get("allOf", []):
            more = self._properties(part)
            if more is None:
                return None
            props.update(more)
        return props

    def _validate(
        self,
        value: Any,
        schema: dict[str, Any],
        where: str,
        problems: list[str],
        *,
        dispatch: bool = True,
        unknown: bool = True,
    ) -> None:
        schema = self._resolve(schema)
        if value is None:
            if not self._nullable(schema):
                problems.append(f"{where}: null where a value is required")
            return
        discriminator = schema.get("discriminator")
        if dispatch and discriminator and isinstance(value, dict):
            kind = value.get(discriminator["propertyName"])
            target = discriminator.get("mapping", {}).get(kind)
            if target is None:
                problems.append(f"{where}: unknown {discriminator['propertyName']} {kind!r}")
                return
            self._validate(value, {"$ref": target}, f"{where}<{kind}>", problems, dispatch=False)
            return
        for part in schema.get("allOf", []):
            self._validate(value, part, where, problems, dispatch=False, unknown=False)
        kind = schema.get("type")
        if kind in _TYPES:
            wanted = _TYPES[kind]
            if isinstance(value, bool) and kind in ("integer", "number"):
                problems.append(f"{where}: expected {kind}, got a boolean")
                return
            if not isinstance(value, wanted):
                problems.append(f"{where}: expected {kind}, got {type(value).__name__}")
                return
        if "enum" in schema and value not in schema["enum"]:
            problems.append(f"{where}: {value!r} not one of {schema['enum']}")
        if isinstance(value, str) and "maxLength" in schema and len(value) > schema["maxLength"]:
            problems.append(f"{where}: longer than {schema['maxLength']}")
        if isinstance(value, list) and "items" in schema:
            for index, item in enumerate(value):
                self._validate(item, schema["items"], f"{where}[{index}]", problems)
        if isinstance(value, dict):
            for key, sub in schema.get("properties", {}).items():
                if key in value:
                    self._validate(value[key], sub, f"{where}.{key}", problems)
            for key in schema.get("required", []):
                if key not in value:
                    problems.append(f"{where}: required field {key} missing")
            if unknown:
                props = self._properties(schema)
                if props:
                    for key in value:
                        if key not in props:
                            problems.append(f"{where}: unknown field {key}")


@cache
def _spec() -> MaxSpec | None:
    if not SPEC_FILE.exists():
        return None
    return MaxSpec(json.loads(SPEC_FILE.read_text(encoding="utf-8")))


def max_spec_problems(requests: list[MaxRequest]) -> list[str]:
    """Problems of the API requests (uploads go to MAX's upload URL, not the API)."""
    spec = _spec()
    if spec is None:
        return []
    problems: list[str] = []
    for request in requests:
        if request.path.startswith("/upload/"):
            continue
        problems.extend(spec.problems(request))
    return sorted(set(problems))
