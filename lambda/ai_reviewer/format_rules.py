"""Our rule file of documented secret formats (rules/secret_formats.toml), run on single strings of a plan.

The rules are ours, written from each provider's description of its token format; every rule names that
description in `source`. The file uses the schema of gitleaks' configuration (`[[rules]]` with `id`,
`regex`, `secretGroup`, `keywords`, `entropy`, `allowlists`) so that a rule reads the way scanner rules
usually read, and this engine runs a file of that schema the way gitleaks v8 describes its matching
(https://github.com/gitleaks/gitleaks, README "Configuration"; detect/detect.go, detectRule):

- a rule runs only on text that contains one of its keywords (lower-cased);
- the secret is the rule's `secretGroup`, else the first non-empty group, else the whole match;
- it must carry more Shannon entropy than the rule's `entropy`;
- allowlists (`regexes` against the secret, the match or the line as `regexTarget` says, and
  `stopwords`) leave a match alone; allowlists tied to file paths or commits never apply to a plan.

Regexes are written for Python's `re`. `_python_regex` still accepts the three RE2 spellings Python lacks
(a flag group in mid-pattern, `\\z`, POSIX classes such as `[[:alnum:]]`), and bounds an unbounded `.*`
to `.{0,500}`: Python backtracks where RE2 runs in linear time, so `.*` before a later token would cost
time quadratic in the length of a line.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from ai_reviewer.credential_keys import shannon_entropy

RULES_FILE = Path(__file__).with_name("rules") / "secret_formats.toml"

_POSIX_CLASSES = {
    "alnum": "0-9A-Za-z",
    "alpha": "A-Za-z",
    "digit": "0-9",
    "lower": "a-z",
    "upper": "A-Z",
    "xdigit": "0-9A-Fa-f",
    "space": r"\t\n\v\f\r ",
    "word": r"\w",
}
_UNBOUNDED_DOTS = re.compile(r"(?<!\\)\.\*")
MAX_DOTS = 500
_INLINE_FLAGS = re.compile(r"\(\?([imsU-]+)\)")


@dataclass(frozen=True)
class Finding:
    rule_id: str
    start: int
    end: int


@dataclass(frozen=True)
class _Allowlist:
    regexes: tuple[re.Pattern[str], ...]
    target: str  # "secret", "match" or "line"
    stopwords: tuple[str, ...]
    requires_all: bool  # condition AND: every check must pass
    has_paths_or_commits: bool

    def allows(self, secret: str, match: str, line: str) -> bool:
        target = {"match": match, "line": line}.get(self.target, secret)
        checks: list[bool] = []
        if self.regexes:
            checks.append(any(regex.search(target) for regex in self.regexes))
        if self.stopwords:
            lowered = secret.lower()
            checks.append(any(word in lowered for word in self.stopwords))
        if self.requires_all:
            # A path or commit condition never holds for a plan, so an AND list with one never allows.
            return bool(checks) and all(checks) and not self.has_paths_or_commits
        return any(checks)


@dataclass(frozen=True)
class _Rule:
    rule_id: str
    source: str  # the rule's regex; compiled on first use (most never run on a plan)
    secret_group: int
    entropy: float
    keywords: tuple[str, ...]
    allowlists: tuple[_Allowlist, ...]

    @property
    def regex(self) -> re.Pattern[str]:
        return _compile(self.source)


class FormatRules:
    """Finds the spans of secrets that the rules of a rule file report in one string."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.rules = tuple(_rule(raw) for raw in document.get("rules", []) if "regex" in raw)
        self._global_allowlists = tuple(_allowlist(raw) for raw in _global_allowlist_tables(document))
        self._always = tuple(rule for rule in self.rules if not rule.keywords)
        self._by_keyword: dict[str, list[_Rule]] = {}
        for rule in self.rules:
            for keyword in rule.keywords:
                self._by_keyword.setdefault(keyword, []).append(rule)
        # One pass over the lower-cased text finds every keyword: a look-ahead at each position over a
        # trie of the keywords reports the longest keyword starting there; shorter keywords that are a
        # prefix of it (`sk` of `sk_live`) are present too.
        self._keyword_regex = re.compile("(?=(" + _trie_regex(self._by_keyword) + "))")
        self._keyword_prefixes = {
            keyword: [other for other in self._by_keyword if keyword.startswith(other)] for keyword in self._by_keyword
        }

    def find(self, text: str) -> list[Finding]:
        candidates = {rule.rule_id: rule for rule in self._always}
        for keyword in set(self._keyword_regex.findall(text.lower())) - {""}:  # "": a file without keywords
            for present in self._keyword_prefixes[keyword]:
                for rule in self._by_keyword[present]:
                    candidates[rule.rule_id] = rule
        findings: list[Finding] = []
        for rule in candidates.values():
            findings.extend(self._find_rule(rule, text))
        return findings

    def _find_rule(self, rule: _Rule, text: str) -> Iterable[Finding]:
        for match in rule.regex.finditer(text):
            group = _secret_group(match, rule.secret_group)
            if group is None:
                continue
            start, end = match.span(group)
            secret = text[start:end]
            if not secret or (rule.entropy and shannon_entropy(secret) <= rule.entropy):
                continue
            line = _line_around(text, match.start(), match.end())
            if any(allowlist.allows(secret, match.group(0), line) for allowlist in self._global_allowlists):
                continue
            if any(allowlist.allows(secret, match.group(0), line) for allowlist in rule.allowlists):
                continue
            yield Finding(rule.rule_id, start, end)


@cache
def default_rules() -> FormatRules:
    with RULES_FILE.open("rb") as rules_file:
        return FormatRules(tomllib.load(rules_file))


@cache
def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _secret_group(match: re.Match[str], configured: int) -> int | None:
    """gitleaks: the configured group, else the first non-empty group, else the whole match."""
    if match.re.groups == 0:
        return 0
    if configured:
        return configured if match.group(configured) is not None else None
    return next((index for index in range(1, match.re.groups + 1) if match.group(index)), 0)


def _trie_regex(words: Iterable[str]) -> str:
    """A regex alternation of `words` shaped as a trie, so that each position costs one branch per letter."""
    trie: dict[str, Any] = {}
    for word in words:
        node = trie
        for character in word:
            node = node.setdefault(character, {})
        node[""] = {}

    def build(node: dict[str, Any]) -> str:
        branches = [re.escape(character) + build(child) for character, child in sorted(node.items()) if character]
        if not branches:
            return ""
        alternation = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{alternation})?" if "" in node else alternation

    return build(trie)


def _line_around(text: str, start: int, end: int) -> str:
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    return text[line_start : line_end if line_end >= 0 else len(text)]


def _global_allowlist_tables(document: Mapping[str, Any]) -> Sequence[Mapping[str, Any]]:
    tables = list(document.get("allowlists", []))
    if "allowlist" in document:
        tables.append(document["allowlist"])
    return tables


def _rule(raw: Mapping[str, Any]) -> _Rule:
    return _Rule(
        rule_id=raw["id"],
        source=_python_regex(raw["regex"]),
        secret_group=int(raw.get("secretGroup", 0)),
        entropy=float(raw.get("entropy", 0.0)),
        keywords=tuple(keyword.lower() for keyword in raw.get("keywords", [])),
        allowlists=tuple(_allowlist(table) for table in raw.get("allowlists", [])),
    )


def _allowlist(raw: Mapping[str, Any]) -> _Allowlist:
    return _Allowlist(
        regexes=tuple(re.compile(_python_regex(regex)) for regex in raw.get("regexes", [])),
        target=str(raw.get("regexTarget", "secret")),
        stopwords=tuple(word.lower() for word in raw.get("stopwords", [])),
        requires_all=str(raw.get("condition", "OR")).upper() == "AND",
        has_paths_or_commits=bool(raw.get("paths") or raw.get("commits")),
    )


def _python_regex(pattern: str) -> str:
    """Rewrite an RE2 pattern into an equivalent Python `re` pattern."""
    pattern = _UNBOUNDED_DOTS.sub(f".{{0,{MAX_DOTS}}}", pattern)
    pattern = re.sub(r"\[:(\w+):\]", lambda match: _POSIX_CLASSES[match.group(1)], pattern)
    pattern = re.sub(r"(?<!\\)((?:\\\\)*)\\z", r"\1\\Z", pattern)
    return _scope_inline_flags(pattern)


def _scope_inline_flags(pattern: str) -> str:
    """`a(?i)b|c` sets the flag up to the end of the enclosing group in RE2, later alternatives included;
    Python wants `a(?i:b)|(?i:c)`."""
    while True:
        match = next((found for found in _INLINE_FLAGS.finditer(pattern) if found.start() > 0), None)
        if match is None or not _outside_class(pattern, match.start()):
            return pattern
        branches, end = _rest_of_group(pattern, match.end())
        scoped = "|".join(f"(?{match.group(1)}:{branch})" for branch in branches)
        pattern = pattern[: match.start()] + scoped + pattern[end:]


def _rest_of_group(pattern: str, position: int) -> tuple[list[str], int]:
    """The alternatives from `position` to the end of the enclosing group, and where that group closes."""
    branches: list[str] = []
    depth = 0
    branch_start = index = position
    while index < len(pattern):
        character = pattern[index]
        if character == "\\":
            index += 1
        elif character == "[":
            index = _class_end(pattern, index)
        elif character == "(":
            depth += 1
        elif character == ")":
            if depth == 0:
                break
            depth -= 1
        elif character == "|" and depth == 0:
            branches.append(pattern[branch_start:index])
            branch_start = index + 1
        index += 1
    branches.append(pattern[branch_start:index])
    return branches, index


def _outside_class(pattern: str, position: int) -> bool:
    index = 0
    while index < position:
        if pattern[index] == "\\":
            index += 2
        elif pattern[index] == "[":
            index = _class_end(pattern, index) + 1
            if index > position:
                return False
        else:
            index += 1
    return True


def _class_end(pattern: str, start: int) -> int:
    """Index of the `]` that closes the character class opened at `start`."""
    index = start + 1
    if pattern[index : index + 1] == "^":
        index += 1
    if pattern[index : index + 1] == "]":  # a ] first in the class is a literal
        index += 1
    while index < len(pattern) and pattern[index] != "]":
        index += 2 if pattern[index] == "\\" else 1
    return index
