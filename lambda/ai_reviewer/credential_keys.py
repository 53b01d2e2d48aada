"""The keyword-context rule: a value assigned to a credential-like key is a secret, whatever its format.

A key is credential-like when its last word names a credential (`password`, `secret`, `token`,
`credentials`, `dsn`, `pat`, ...) or is `key` qualified by another word (`api_key`, `AWS_SECRET_ACCESS_KEY`,
`license-key`), after words that only say how the value is stored (`_value`, `_b64`, `_pem`, a number) are
set aside. Words are split at `_`, `-`, `.`, blanks and camelCase, so the rule reads `DB_PASSWORD`,
`clientSecret`, `x-api-key` and `cas.authn.client-secret` alike. Anything after the credential word turns
the key into a name for something else: `kms_key_id`, `secret_arn`, `token_type`, `password_policy` and
`public_key` stay readable.

Inside a longer string the rule finds `key <assignment> value` in any of the spellings infrastructure
text uses: `KEY=value` and `export KEY='value'` (shell, env files, URLs, connection strings), `key: value`
(YAML, HTTP headers), `"key": "value"` and `\\"key\\":\\"value\\"` (JSON, also JSON inside a JSON string),
`key => value`, `key := value`, function arguments `getenv("api_token", "value")`, `["key"] = "value"`,
command-line flags `--password value`, and name/value pairs (`{"name": "DB_PASSWORD", "value": "..."}`
in ECS container definitions, `- name: ... value: ...` in YAML).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from functools import lru_cache

# Last words that name a credential.
_CREDENTIAL_WORDS = frozenset(
    {
        "password", "passwd", "pwd", "pass", "passphrase", "passcode", "secret", "token", "credential",
        "credentials", "creds", "cred", "apikey", "secretkey", "accesskey", "privatekey", "authtoken",
        "accesstoken", "auth", "authorization", "sas", "dsn", "pat", "psk", "webhook", "connectionstring",
        "connstr", "pin", "cookie", "sig", "signature",
    }
)  # fmt: skip
# One-word keys that end in a credential word (`clientsecret`, `dbpassword`, `xauthtoken`).
_CREDENTIAL_SUFFIXES = ("password", "passwd", "secret", "token", "apikey", "secretkey", "accesskey", "credentials")
# `key` is a credential with a qualifier, unless the qualifier says the key is public or an index.
_KEY_WORDS = frozenset({"key", "keys"})
_NOT_CREDENTIAL_QUALIFIERS = frozenset(
    {
        "public", "pub", "kms", "cmk", "partition", "sort", "hash", "range", "primary", "foreign", "cache",
        "object", "s3", "idempotency", "routing", "dedup", "deduplication", "lookup", "row", "ssh", "tag",
        "map", "index", "shard", "sse", "the", "a", "an", "this", "that", "your", "our", "my", "no", "new", "old",
        "export", "set", "local", "declare", "readonly", "let", "var", "const", "env",
    }
)  # fmt: skip
# Trailing words that say how the credential is stored, not what the key names.
_STORAGE_WORDS = frozenset(
    {
        "value", "values", "string", "data", "text", "b64", "base64", "hex", "plain", "plaintext", "pem",
        "json", "raw", "encoded", "bytes", "binary", "openssh", "blob", "wo", "url", "base",
    }
)  # fmt: skip
_WORD_SPLIT = re.compile(r"[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")

# Values that are references to a secret or placeholders for one, not the secret itself: `${VAR}`,
# `$(cmd)`, `$VAR`, code (`getenv(...`, `os.environ[...`), `{{ template }}`, `%(name)s`, `%NAME%`,
# `<your-token>`, our own placeholders and literals.
_REFERENCE = re.compile(
    r"^(?:\$[{(]|\$[A-Za-z_]\w*$|[A-Za-z_][\w.]*[(\[]|\{\{|%\(\w+\)[sd]|%\w+%|<[^<>]*>$|\((?:redacted|sensitive)\b|\*+$|arn:|"
    r"(?:true|false|null|nil|none|undefined)$|"
    # An absolute path into a system directory names a file, not a credential.
    r"/(?:bin|etc|home|opt|tmp|usr|var)/[\w ./-]+$)",
    re.IGNORECASE,
)
# A value of letters, `.`, `_` and `-` only reads as a name (`public-replica-id`, `changeme`), unless it is long and as random as generated letters (an Erlang
# cookie): random credentials carry digits, symbols or that much entropy.
_NAME_LIKE = re.compile(r"^[A-Za-z_.\-]+$")
_RANDOM_LETTERS_LENGTH = 16
_RANDOM_LETTERS_ENTROPY = 3.5
MIN_VALUE_LENGTH = 4
# "xxxx" and "****" are placeholders; real values carry more than this many bits per character.
MIN_VALUE_ENTROPY = 1.5

_KEY = r"[A-Za-z_][A-Za-z0-9_.\-]{0,80}"
# In prose and YAML a key may be a few words: `API key: ...`, `Client secret = ...`.
_KEY_PHRASE = _KEY + r"(?: [A-Za-z0-9_.\-]{1,40}){0,3}"
_VALUE = (
    r"(?:(?i:bearer|basic|token|bot|digest)[ \t]+)?"
    r"(?:\\{0,3}\"(?P<dq>[^\"\\\r\n]+)|'(?P<sq>[^'\r\n]+)|`(?P<bq>[^`\r\n]+)|(?P<bare>[^\s\"'`\\,;][^\s\"'`\\,;&]*+))"
)
_ASSIGNMENT = re.compile(
    r"(?<![A-Za-z0-9_.\-])(?P<kopen>\\{0,3}[\"'`]|\[[\"'])?(?P<key>"
    + _KEY_PHRASE
    + r")(?P<kclose>\\{0,3}[\"'`]\]?)?[ \t]*"
    r"(?P<op>:=|=>|==?|:(?=[ \t]|\\{0,3}[\"'`])|,)[ \t]*" + _VALUE
)
_FLAG = re.compile(r"(?<![A-Za-z0-9_.\-])--?(?P<key>" + _KEY + r")[ \t]+" + _VALUE)
_Q = r"\\{0,3}\""  # a double quote, escaped once or twice in JSON inside JSON strings
_NAME_VALUE = re.compile(
    _Q + r"name" + _Q + r"\s*:\s*" + _Q + r"(?P<key>[^\"\\]{1,100})" + _Q + r"\s*,\s*" + _Q + r"value" + _Q + r"\s*:\s*" + _VALUE
    + r"|" + _Q + r"value" + _Q + r"\s*:\s*" + _VALUE.replace("?P<", "?P<r") + r"(?:\\{0,3}\")?\s*,\s*" + _Q + r"name" + _Q + r"\s*:\s*" + _Q + r"(?P<rkey>[^\"\\]{1,100})"
    + r"|\bname:[ \t]*[\"']?(?P<ykey>" + _KEY + r")[\"']?[ \t]*\r?\n[ \t]*value:[ \t]*" + _VALUE.replace("?P<", "?P<y")
)  # fmt: skip
# Cheap test before the regexes: the text must mention one of these stems.
_STEMS = (
    "pass",
    "pwd",
    "secret",
    "token",
    "key",
    "cred",
    "auth",
    "sas",
    "dsn",
    "pat",
    "psk",
    "pin",
    "webhook",
    "conn",
    "cookie",
    "sig",
)


@lru_cache(maxsize=8192)
def is_credential_key(key: str) -> bool:
    """`key` may be a phrase of a few words (`API key`, `Legacy secret key base`): its last words count."""
    return _names_a_credential(_words(key))


def _words(name: str) -> list[str]:
    return [word.lower() for word in _WORD_SPLIT.split(name) if word]


def _names_a_credential(words: list[str]) -> bool:
    if not words:
        return False
    if words[-2:] in (["connection", "string"], ["conn", "str"]) or words[-1:] == ["connectionstring"]:
        return True
    while words and (words[-1] in _STORAGE_WORDS or words[-1].isdigit()):
        if words[-1] == "url" and words[-2:-1] != ["webhook"]:
            return False  # `token_url` names an endpoint; `webhook_url` holds the secret path
        words = words[:-1]
    if not words:
        return False
    last = words[-1]
    if last in _KEY_WORDS:
        return len(words) >= 2 and words[-2] not in _NOT_CREDENTIAL_QUALIFIERS
    if last in _CREDENTIAL_WORDS or (last.endswith("s") and last[:-1] in _CREDENTIAL_WORDS):
        return True
    return len(last) > 6 and last.endswith(_CREDENTIAL_SUFFIXES) and not last.startswith("csrf")


def shannon_entropy(text: str) -> float:
    length = len(text)
    return -sum(count / length * math.log2(count / length) for count in Counter(text).values())


def is_secret_value(value: str) -> bool:
    """Could `value`, assigned to a credential-like key, be the credential?"""
    value = value.strip()
    return (
        len(value) >= MIN_VALUE_LENGTH
        and _REFERENCE.match(value) is None
        and not is_name_like(value)
        and shannon_entropy(value) >= MIN_VALUE_ENTROPY
    )


def is_name_like(value: str) -> bool:
    if _NAME_LIKE.match(value) is None:
        return False
    random_letters = (
        len(value) >= _RANDOM_LETTERS_LENGTH and value.isalpha() and shannon_entropy(value) >= _RANDOM_LETTERS_ENTROPY
    )
    return not random_letters


def find_keyed_values(text: str) -> list[tuple[int, int]]:
    """Spans of the values assigned to credential-like keys in `text`."""
    lowered = text.lower()
    if not any(stem in lowered for stem in _STEMS):
        return []
    spans: list[tuple[int, int]] = []
    position = 0
    while (match := _ASSIGNMENT.search(text, position)) is not None:
        # `a, b` in prose is no assignment; a quoted key followed by a comma is a function argument.
        if (match["op"] != "," or match["kclose"]) and _add_span(spans, match, match["key"], ""):
            position = match.end()
        else:
            # The value may hold assignments of its own: `JDBC_URL="jdbc:...?password=..."`.
            position = match.end("op")
    for match in _FLAG.finditer(text):
        _add_span(spans, match, match["key"], "")
    for match in _NAME_VALUE.finditer(text):
        if match["key"]:
            _add_span(spans, match, match["key"], "")
        elif match["rkey"]:
            _add_span(spans, match, match["rkey"], "r")
        else:
            _add_span(spans, match, match["ykey"], "y")
    return spans


def _add_span(spans: list[tuple[int, int]], match: re.Match[str], key: str, prefix: str) -> bool:
    """Record the value of `match` when it is a secret under a credential-like key; say whether it was."""
    if not is_credential_key(key):
        return False
    for group in ("dq", "sq", "bq", "bare"):
        value = match[prefix + group]
        if value is not None:
            if is_secret_value(value):
                spans.append(match.span(prefix + group))
                return True
            return False
    return False
