from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class StrictJSONParser(JSONParser):
    """JSON bodies that the database can store.

    PostgreSQL refuses NUL characters in text and jsonb, and no database driver can encode a lone
    UTF-16 surrogate ("\\ud800"); either one would fail at INSERT time as a 500. Refusing them
    here answers 400 for every field at once, the free-form JSON ones (request headers, channel
    config) included.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("The JSON is nested too deeply.") from None
        problem = unstorable_text(data)
        if problem:
            raise ParseError(problem)
        return data


def unstorable_text(data: object) -> str | None:
    """Why some string in parsed JSON cannot be stored, or None. Iterative: the parser has
    already bounded the depth, but a recursive walk would need the same stack again."""
    pending = [data]
    while pending:
        value = pending.pop()
        if isinstance(value, dict):
            pending.extend(value.keys())
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
        elif isinstance(value, str):
            if "\x00" in value:
                return "Text may not contain NUL (\\u0000) characters."
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return "Text must be valid Unicode (it contains a lone surrogate escape)."
    return None


