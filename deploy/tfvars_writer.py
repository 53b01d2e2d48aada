"""Rewrites top-level keys of an HCL tfvars file, keeping its comments, layout and every other key.

Only the value text of a changed key is replaced (a key that is absent is appended), so a reviewer's diff shows
exactly the values the tool set. The caller re-parses the result with the real HCL parser and checks each value.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

TfvarsValue = str | bool | int | Sequence[str]

_ASSIGNMENT = re.compile(r"(?P<key>[A-Za-z_][A-Za-z0-9_-]*)[ \t]*=(?!=)[ \t]*")
_BARE_LITERAL = re.compile(r"[^\s,#\]})]+")  # numbers, true, false, null
_CLOSING = {"[": "]", "{": "}", "(": ")"}


class TfvarsEditError(Exception):
    """The file has a construct this editor does not rewrite (heredoc, unbalanced brackets, ...)."""


@dataclass(frozen=True)
class _Span:
    start: int
    end: int


def render_value(value: TfvarsValue) -> str:
    """A value as HCL: quoted and escaped strings, bare booleans and numbers, one list item per line."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return _quote(value)
    if not value:
        return "[]"
    return "[\n" + "".join(f"  {_quote(item)},\n" for item in value) + "]"


def _quote(text: str) -> str:
    escaped = (
        text.replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("\n", "\\n")
        .replace("\r", "\\r")
        .replace("\t", "\\t")
        .replace("${", "$${")
        .replace("%{", "%%{")
    )
    return f'"{escaped}"'


def update_tfvars(text: str, updates: Mapping[str, TfvarsValue]) -> str:
    """``text`` with each key in ``updates`` set: its value replaced in place, or appended when absent."""
    spans = _top_level_values(text)
    present = sorted((key for key in updates if key in spans), key=lambda key: spans[key].start, reverse=True)
    for key in present:  # from the end, so the offsets of earlier keys stay valid
        span = spans[key]
        text = text[: span.start] + render_value(updates[key]) + text[span.end :]
    missing = [key for key in updates if key not in spans]
    if missing:
        if text and not text.endswith("\n"):
            text += "\n"
        text += "".join(f"{key} = {render_value(updates[key])}\n" for key in missing)
    return text


def _top_level_values(text: str) -> dict[str, _Span]:
    spans: dict[str, _Span] = {}
    position = 0
    while True:
        position = _skip_blanks_and_comments(text, position)
        if position >= len(text):
            return spans
        match = _ASSIGNMENT.match(text, position)
        if not match:
            raise TfvarsEditError(f"line {_line_number(text, position)}: expected key = value")
        end = _skip_value(text, match.end())
        spans[match["key"]] = _Span(match.end(), end)
        position = end


def _skip_blanks_and_comments(text: str, position: int) -> int:
    while position < len(text):
        if text[position] in " \t\r\n":
            position += 1
        elif text.startswith("#", position) or text.startswith("//", position):
            newline = text.find("\n", position)
            position = len(text) if newline < 0 else newline
        elif text.startswith("/*", position):
            close = text.find("*/", position + 2)
            if close < 0:
                raise TfvarsEditError(f"line {_line_number(text, position)}: unterminated /* comment")
            position = close + 2
        else:
            break
    return position


def _skip_value(text: str, position: int) -> int:
    if position >= len(text) or text[position] == "\n":
        raise TfvarsEditError(f"line {_line_number(text, position)}: missing value")
    if text.startswith("<<", position):
        raise TfvarsEditError(f"line {_line_number(text, position)}: heredoc values are not rewritten")
    if text[position] == '"':
        return _skip_string(text, position)
    if text[position] in _CLOSING:
        return _skip_brackets(text, position)
    match = _BARE_LITERAL.match(text, position)
    if not match:
        raise TfvarsEditError(f"line {_line_number(text, position)}: unexpected {text[position]!r}")
    return match.end()


def _skip_string(text: str, position: int) -> int:
    index = position + 1
    while index < len(text) and text[index] != "\n":
        if text[index] == "\\":
            index += 2
            continue
        if text[index] == '"':
            return index + 1
        index += 1
    raise TfvarsEditError(f"line {_line_number(text, position)}: unterminated string")


def _skip_brackets(text: str, position: int) -> int:
    expected: list[str] = []
    index = position
    while True:
        index = _skip_blanks_and_comments(text, index)
        if index >= len(text):
            raise TfvarsEditError(f"line {_line_number(text, position)}: unclosed {text[position]!r}")
        char = text[index]
        if char == '"':
            index = _skip_string(text, index)
            continue
        if char in _CLOSING:
            expected.append(_CLOSING[char])
        elif char in _CLOSING.values():
            if not expected or expected.pop() != char:
                raise TfvarsEditError(f"line {_line_number(text, index)}: unbalanced {char!r}")
            if not expected:
                return index + 1
        index += 1


def _line_number(text: str, position: int) -> int:
    return text.count("\n", 0, position) + 1
