"""Assertions of http checks: what the response must hold beyond its status.

Monitor.assertions is a list, checked in order; the first that fails makes the check
`assertion_failed`, with a message naming it and what was seen (at most 200 characters):

    {"type": "body_contains", "value": "ok"}
    {"type": "body_not_contains", "value": "error"}
    {"type": "json_path", "path": "$.status", "equals": "ok"}      (RFC 9535 JSONPath)
    {"type": "header", "name": "Content-Type", "contains": "json"}
    {"type": "response_time_ms", "below": 800}

Any of them may carry "degrade": true: when only such assertions fail, the check is `degraded`
(up, amber, no incident) with the message of the first of them. A failure of any other
assertion wins and makes it `assertion_failed`, whatever comes first in the list.
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass

import jsonpath

from ..outcomes import Outcome

MAX_ASSERTIONS = 20
MAX_TEXT_CHARS = 1000
MAX_BELOW_MS = 3_600_000
MESSAGE_CHARS = 200
SEEN_CHARS = 60

# type -> {key: (what it must be, a test)}; "type" and "degrade" are allowed on every one.
_TEXT = ("a non-empty string", lambda v: isinstance(v, str) and 0 < len(v) <= MAX_TEXT_CHARS)
_MS = ("a whole number of milliseconds between 1 and 3600000",
       lambda v: isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= MAX_BELOW_MS)
_ANY_JSON = ("any JSON value", lambda v: True)
KEYS: dict[str, dict] = {
    "body_contains": {"value": _TEXT},
    "body_not_contains": {"value": _TEXT},
    "json_path": {"path": _TEXT, "equals": _ANY_JSON},
    "header": {"name": _TEXT, "contains": _TEXT},
    "response_time_ms": {"below": _MS},
}
EXAMPLE = '[{"type": "body_contains", "value": "ok"}]'


def assertion_problems(value: object) -> list[str]:
    """What is wrong with an assertions list, one message per problem; [] when it is fine."""
    if not isinstance(value, list):
        return [f"Give assertions as a list of objects, e.g. {EXAMPLE}."]
    if len(value) > MAX_ASSERTIONS:
        return [f"At most {MAX_ASSERTIONS} assertions."]
    problems = []
    for number, item in enumerate(value, 1):
        if problem := _item_problem(item):
            problems.append(f"Assertion {number}: {problem}")
    return problems


def _item_problem(item: object) -> str | None:
    if not isinstance(item, dict):
        return f"give an object, e.g. {EXAMPLE[1:-1]}."
    kind = item.get("type")
    if kind not in KEYS:
        known = ", ".join(KEYS)
        return f"type must be one of {known} (got {str(kind)[:40]!r})."
    keys = KEYS[kind]
    if unknown := sorted(set(item) - set(keys) - {"type", "degrade"}):
        return f"{kind} takes {', '.join(keys)}, not {', '.join(map(str, unknown))[:60]}."
    for key, (what, test) in keys.items():
        if key not in item:
            return f"{kind} needs {key!r} ({what})."
        if not test(item[key]):
            return f"{kind}'s {key!r} must be {what}."
    if "degrade" in item and not isinstance(item["degrade"], bool):
        return "'degrade' must be true or false."
    if kind == "json_path":
        try:
            jsonpath.compile(item["path"])
        except jsonpath.JSONPathError as exc:
            return f"{item['path'][:60]!r} is not a valid JSONPath: {str(exc).splitlines()[0]}."
    if kind == "header" and any(c in item["name"] for c in " :\r\n"):
        return f"{item['name'][:60]!r} is not a valid header name."
    return None


@dataclass(frozen=True)
class Response:
    """What the assertions look at: headers (case-insensitive), the body as text and the
    response time."""

    headers: Mapping[str, str]
    body: str
    response_ms: int


def first_failure(assertions: list[dict], response: Response) -> tuple[Outcome, str] | None:
    """The outcome and message of the first assertion that fails, in order, or None when all
    pass: assertion_failed for one without "degrade", else degraded for the first that has it
    (the rest are still checked, since a later plain failure outweighs it)."""
    parsed: list = []  # the body as JSON, parsed once for every json_path
    degraded: str | None = None
    for item in assertions:
        if degraded is not None and item.get("degrade") is True:
            continue  # already degraded: another degrade failure would change nothing
        message = _check(item, response, parsed)
        if message is None:
            continue
        if item.get("degrade") is not True:
            return Outcome.ASSERTION_FAILED, cut(message)
        degraded = cut(message)
    return (Outcome.DEGRADED, degraded) if degraded is not None else None


def _check(item: dict, response: Response, parsed: list) -> str | None:
    kind = item.get("type")
    if kind == "body_contains":
        if item["value"] not in response.body:
            return f"body_contains {_show(item['value'])}: not in the body ({_body(response)})"
    elif kind == "body_not_contains":
        if item["value"] in response.body:
            at = response.body.index(item["value"])
            around = response.body[max(0, at - 20): at + len(item["value"]) + 20]
            return f"body_not_contains {_show(item['value'])}: found in …{_show(around)}…"
    elif kind == "json_path":
        return _check_json_path(item, response, parsed)
    elif kind == "header":
        name, wanted = item["name"], item["contains"]
        seen = response.headers.get(name)
        if seen is None:
            return f"header {name} contains {_show(wanted)}: no {name} header"
        if wanted not in seen:
            return f"header {name} contains {_show(wanted)}: got {_show(seen)}"
    elif kind == "response_time_ms":
        if response.response_ms >= item["below"]:
            return f"response_time_ms below {item['below']}: took {response.response_ms} ms"
    else:
        return f"unknown assertion type {str(kind)[:40]!r}"
    return None


def _check_json_path(item: dict, response: Response, parsed: list) -> str | None:
    path, wanted = item["path"], item["equals"]
    label = f"json_path {path} equals {_json(wanted)}"
    if not parsed:
        try:
            parsed.append(json.loads(response.body))
        except ValueError:
            parsed.append(_NOT_JSON)
    document = parsed[0]
    if document is _NOT_JSON:
        return f"{label}: the body is not JSON ({_body(response)})"
    try:
        matches = jsonpath.findall(path, document)
    except jsonpath.JSONPathError as exc:
        return f"{label}: {str(exc).splitlines()[0]}"
    if not matches:
        return f"{label}: nothing at {path}"
    if any(_same(match, wanted) for match in matches):
        return None
    seen = ", ".join(_json(match) for match in matches[:3])
    return f"{label}: got {seen}"


_NOT_JSON = object()


def _same(a: object, b: object) -> bool:
    # JSON's true is not 1, though Python's True == 1.
    return type(a) is type(b) and a == b or (
        isinstance(a, int | float) and isinstance(b, int | float)
        and not isinstance(a, bool) and not isinstance(b, bool) and a == b
    )


def _json(value: object) -> str:
    return _show(json.dumps(value, ensure_ascii=False), quote=False)


def _show(text: str, *, quote: bool = True) -> str:
    short = text if len(text) <= SEEN_CHARS else text[: SEEN_CHARS - 1] + "…"
    return json.dumps(short, ensure_ascii=False) if quote else short


def _body(response: Response) -> str:
    return f"body {_show(response.body)}" if response.body else "the body is empty"


def cut(text: str) -> str:
    return text if len(text) <= MESSAGE_CHARS else text[: MESSAGE_CHARS - 1] + "…"
