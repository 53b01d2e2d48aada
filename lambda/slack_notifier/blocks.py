"""Block Kit building blocks that respect Slack's size limits and escape untrusted text.

Alarm descriptions, stop reasons and plain messages come from outside this function: escaping &, < and >
keeps them from turning into mentions such as <!channel> or into disguised links.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

# Limits from https://api.slack.com/reference/block-kit/blocks
HEADER_TEXT_LIMIT = 150
SECTION_TEXT_LIMIT = 3000
FIELD_TEXT_LIMIT = 2000
FIELDS_PER_SECTION = 10
CONTEXT_ELEMENTS_LIMIT = 10
# Slack truncates a message's top-level text beyond 40,000 characters and advises staying under 4,000.
MESSAGE_TEXT_LIMIT = 3900
ELLIPSIS = "…"
# The longest entity escape_mrkdwn produces is "&amp;".
_LONGEST_ENTITY = 5

Block = dict[str, Any]
Payload = dict[str, Any]


def escape_mrkdwn(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def truncate(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[: limit - len(ELLIPSIS)] + ELLIPSIS


def escaped(text: str, limit: int) -> str:
    """Escapes text for mrkdwn and shortens it to limit characters without splitting an entity."""
    safe = escape_mrkdwn(text)
    if len(safe) <= limit:
        return safe
    cut = safe[: limit - len(ELLIPSIS)]
    last_amp = cut.rfind("&", max(0, len(cut) - _LONGEST_ENTITY + 1))
    if last_amp != -1 and ";" not in cut[last_amp:]:
        cut = cut[:last_amp]
    return cut + ELLIPSIS


def link(url: str, label: str) -> str:
    # Slack wants &, < and > escaped everywhere, link targets included; it unescapes them when opening.
    return f"<{escape_mrkdwn(url)}|{escape_mrkdwn(label)}>"


def header(text: str) -> Block:
    return {"type": "header", "text": {"type": "plain_text", "text": truncate(text, HEADER_TEXT_LIMIT), "emoji": True}}


def section(mrkdwn_text: str) -> Block:
    """A section of already escaped mrkdwn; callers escape untrusted parts with escaped()."""
    return {"type": "section", "text": {"type": "mrkdwn", "text": truncate(mrkdwn_text, SECTION_TEXT_LIMIT)}}


def labelled_section(label: str, untrusted_text: str) -> Block:
    """A bold label over untrusted text; empty text yields an empty section, which message() leaves out."""
    if not untrusted_text:
        return section("")
    heading = f"*{escape_mrkdwn(label)}*\n"
    return section(heading + escaped(untrusted_text, SECTION_TEXT_LIMIT - len(heading)))


def fields(pairs: Iterable[tuple[str, str]]) -> Block:
    """A section of label/value fields; values are untrusted text, and empty ones are left out."""
    rendered = [_field(label, value) for label, value in pairs if value]
    return {"type": "section", "fields": rendered[:FIELDS_PER_SECTION]}


def _field(label: str, untrusted_value: str) -> Block:
    heading = f"*{escape_mrkdwn(label)}*\n"
    return {"type": "mrkdwn", "text": heading + escaped(untrusted_value, FIELD_TEXT_LIMIT - len(heading))}


def context(untrusted_parts: Sequence[str]) -> Block:
    """A line of small print; empty parts are left out."""
    elements = [{"type": "mrkdwn", "text": escaped(part, FIELD_TEXT_LIMIT)} for part in untrusted_parts if part]
    return {"type": "context", "elements": elements[:CONTEXT_ELEMENTS_LIMIT]}


def message(fallback_text: str, blocks: Iterable[Block]) -> Payload:
    """A webhook payload; the fallback text is what notifications and screen readers show."""
    return {
        "text": escaped(fallback_text, MESSAGE_TEXT_LIMIT),
        "blocks": [block for block in blocks if _has_content(block)],
    }


def plain_text_message(text: str) -> Payload:
    return {"text": escaped(text, MESSAGE_TEXT_LIMIT)}


def environment_prefix(environment: str) -> str:
    return f"[{environment}] " if environment else ""


def _has_content(block: Block) -> bool:
    # Slack rejects a section without fields or text and a context without elements.
    return bool(block.get("text") or block.get("fields") or block.get("elements"))
