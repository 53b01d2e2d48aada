"""Find secrets that Terraform never marked sensitive.

Three layers, cheapest first, each run once per distinct string:

1. Our own patterns for the formats that show up in infrastructure code (cloud keys, Git hosting,
   chat and payment tokens, private keys, JWTs, credentials in URLs, connection strings and
   `password=...` assignments). They replace only the secret span, so the rest of the value (the
   host of a URL, the surrounding script) stays reviewable.
2. High-entropy values under secret-like keys (`db_password`, `api_token`, ...), also for strings
   nested below such a key.
3. detect-secrets' maintained regex detectors as a safety net: a string in which they still find
   something after layer 1 is replaced as a whole, because their matches do not always cover the
   full secret (a private key detector matches only the BEGIN line).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
from detect_secrets.plugins.base import BasePlugin, RegexBasedDetector

SECRET_PLACEHOLDER = "(redacted secret)"  # noqa: S105 - the replacement text, not a secret

# The patterns skip shorter strings: what they could still match there (`pwd=ab`) is no real credential.
MIN_PATTERN_LENGTH = 8
# detect-secrets' formats are all longer than this; skipping shorter strings keeps the scan fast.
MIN_LIBRARY_LENGTH = 16
# Under a secret-like key, a value this long whose characters carry this much Shannon entropy (bits
# per character) is treated as a secret. The key already says "secret"; the entropy test only keeps
# obvious non-secrets such as "********", "none" or "xxxxxxxx" readable.
MIN_KEYED_SECRET_LENGTH = 6
MIN_KEYED_SECRET_ENTROPY = 2.5

# Key names that hold secrets (plurals too). Anchored at the end so that `password_policy`, `token_type`,
# `secret_arn` or `kms_key_id` stay readable.
_SECRET_KEY = re.compile(
    r"(?:^|[_\-.])(?:password|passwd|passphrase|pwd|secret|client_?secret|secret_?key|token|"
    r"auth_?token|access_?token|refresh_?token|api_?key|access_?key|private_?key|signing_?key|"
    r"master_?key|account_?key|credential|connection_?string|webhook_?url|sas)s?$",
    re.IGNORECASE,
)

# Values under secret-like keys that are references to a secret, not the secret itself.
_REFERENCE_PREFIXES = ("arn:", "{{resolve:", "${", "$(")

_CREDENTIAL_WORDS = (
    r"(?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|"
    r"accountkey|sharedaccesskey)"
)


@dataclass(frozen=True)
class _SecretFormat:
    """A secret format. `value_group` names the part to replace (the whole match when None);
    `requires` lists substrings of which one must be present, a cheap test before the regex."""

    name: str
    regex: re.Pattern[str]
    value_group: str | None = None
    requires: tuple[str, ...] = ()


_SECRET_FORMATS = (
    _SecretFormat(
        "private_key",
        re.compile(
            r"-----BEGIN[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----"
            r".*?(?:-----END[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----|\Z)",
            re.DOTALL,
        ),
        requires=("PRIVATE KEY",),
    ),
    _SecretFormat("putty_key", re.compile(r"PuTTY-User-Key-File-\d.*", re.DOTALL), requires=("PuTTY",)),
    # Access key ids only: AIDA/AROA/... are unique ids of users and roles, not credentials.
    _SecretFormat("aws_access_key_id", re.compile(r"\b(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}\b")),
    _SecretFormat("github_token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{30,255}|github_pat_[A-Za-z0-9_]{22,255})")),
    _SecretFormat(
        "gitlab_token", re.compile(r"\bgl(?:pat|dt|ft|soat|rt|cbt|ptt|imt|agent|oas|ffct)-[A-Za-z0-9_\-]{20,}")
    ),
    _SecretFormat("slack_token", re.compile(r"\bxox[abposre]-[A-Za-z0-9-]{10,}|\bxapp-\d-[A-Za-z0-9-]{10,}")),
    _SecretFormat(
        "slack_webhook",
        re.compile(r"https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9_/\-]+"),
    ),
    # OpenAI and Anthropic style keys; the look-aheads keep names like `task-sk-processing-...` readable.
    _SecretFormat(
        "openai_key",
        re.compile(
            r"\bsk-(?:proj-|svcacct-|admin-|ant-)?(?=[A-Za-z0-9_\-]*\d)(?=[A-Za-z0-9_\-]*[A-Z])"
            r"[A-Za-z0-9_\-]{20,}"
        ),
    ),
    _SecretFormat("stripe_key", re.compile(r"\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}|\bwhsec_[A-Za-z0-9]{20,}")),
    _SecretFormat("google_api_key", re.compile(r"\bAIza[0-9A-Za-z_\-]{35}")),
    _SecretFormat("jwt", re.compile(r"\beyJ[A-Za-z0-9_\-]{5,}\.eyJ[A-Za-z0-9_\-]{5,}\.[A-Za-z0-9_\-]*")),
    _SecretFormat("npm_token", re.compile(r"\bnpm_[A-Za-z0-9]{36}")),
    _SecretFormat("pypi_token", re.compile(r"\bpypi-AgE[A-Za-z0-9_\-]{50,}")),
    _SecretFormat("sendgrid_key", re.compile(r"\bSG\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43}")),
    _SecretFormat("twilio_key", re.compile(r"\bSK[0-9a-fA-F]{32}\b")),
    _SecretFormat("vault_token", re.compile(r"\bhv[sbr]\.[A-Za-z0-9_\-]{24,}")),
    _SecretFormat("terraform_cloud_token", re.compile(r"\b[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_\-]{60,}")),
    _SecretFormat("digitalocean_token", re.compile(r"\bdo[pro]_v1_[a-f0-9]{64}")),
    # scheme://user:password@host: only the password goes.
    _SecretFormat(
        "url_credentials",
        re.compile(r"\b[A-Za-z][A-Za-z0-9+.\-]{1,20}://[^\s/:@]*:(?P<secret>[^\s/@]+)@"),
        value_group="secret",
        requires=("://",),
    ),
    _SecretFormat(
        "bearer_token",
        re.compile(r"\bbearer\s+(?P<secret>[A-Za-z0-9._~+/=\-]{16,})", re.IGNORECASE),
        value_group="secret",
        requires=("earer", "EARER"),
    ),
    # {"name": "DB_PASSWORD", "value": "..."} as in ECS container definitions (sorted keys).
    _SecretFormat(
        "name_value_pair",
        re.compile(
            r'"name"\s*:\s*"[^"]*' + _CREDENTIAL_WORDS + r'[^"]*"\s*,\s*"value"\s*:\s*"(?P<secret>[^"]+)"',
            re.IGNORECASE,
        ),
        value_group="secret",
        requires=('"value"',),
    ),
    # Keys ending in a secret word: password=... and Password=...; (connection strings and shell),
    # token: ... (YAML), "secret":"..." (JSON). A colon counts only after a quoted key or before a
    # blank, so `secretsmanager:GetSecretValue` and secret ARNs stay readable.
    _SecretFormat(
        "assignment",
        re.compile(
            _CREDENTIAL_WORDS + r"(?:[\"']?[ \t]*=|[\"'][ \t]*:|:[ \t])[ \t]*[\"']?(?P<secret>[^\s\"',;&]{2,})",
            re.IGNORECASE,
        ),
        value_group="secret",
        requires=("=", ":"),
    ),
)

# Values an assignment may point at without being a secret: templates and references.
_NOT_A_VALUE = re.compile(r"^(?:\$|\{\{|%|<|\(|\[|true$|false$|null$|none$)", re.IGNORECASE)

# detect-secrets detectors that find things that are not secrets in a Terraform plan.
_EXCLUDED_LIBRARY_DETECTORS = frozenset(
    {
        # Public IP addresses are what a security review of ingress rules needs to see.
        "IPPublicDetector",
    }
)


@lru_cache(maxsize=4096)
def is_secret_like_key(key: str) -> bool:
    return _SECRET_KEY.search(key) is not None


def shannon_entropy(text: str) -> float:
    length = len(text)
    return -sum(count / length * math.log2(count / length) for count in Counter(text).values())


def _library_detectors() -> list[RegexBasedDetector]:
    classes: Iterable[type[BasePlugin]] = get_mapping_from_secret_type_to_class().values()
    return [
        detector_class()
        for detector_class in sorted(classes, key=lambda cls: cls.__name__)
        if issubclass(detector_class, RegexBasedDetector) and detector_class.__name__ not in _EXCLUDED_LIBRARY_DETECTORS
    ]


class SecretScanner:
    """Replaces secrets in strings and counts the replacements.

    One scanner serves one plan: results are cached per distinct (string, under secret-like key)
    pair because a plan repeats each value in several sections.
    """

    def __init__(self) -> None:
        self._detectors = _library_detectors()
        self._cache: dict[tuple[str, bool], tuple[str, int]] = {}

    def scan(self, text: str, under_secret_key: bool = False) -> tuple[str, int]:
        """Return `text` with secrets replaced, and how many replacements were made."""
        if len(text) < MIN_KEYED_SECRET_LENGTH or (len(text) < MIN_PATTERN_LENGTH and not under_secret_key):
            return text, 0
        cache_key = (text, under_secret_key)
        cached = self._cache.get(cache_key)
        if cached is None:
            cached = self._scan_uncached(text, under_secret_key)
            self._cache[cache_key] = cached
        return cached

    def _scan_uncached(self, text: str, under_secret_key: bool) -> tuple[str, int]:
        if under_secret_key and _looks_like_keyed_secret(text):
            return SECRET_PLACEHOLDER, 1
        cleaned, replaced = _replace_known_formats(text)
        if len(cleaned) >= MIN_LIBRARY_LENGTH and self._library_finds_secret(cleaned):
            return SECRET_PLACEHOLDER, replaced + 1
        return cleaned, replaced

    def _library_finds_secret(self, text: str) -> bool:
        # A plain search first: most strings match no denylist regex, and analyze_string (findall
        # plus per-detector checks such as JWT decoding) is only worth running on those that do.
        return any(
            any(regex.search(text) for regex in detector.denylist) and _finds_any(detector.analyze_string(text))
            for detector in self._detectors
        )


def _finds_any(found: Iterable[str]) -> bool:
    return next(iter(found), None) is not None


def _looks_like_keyed_secret(text: str) -> bool:
    return not text.startswith(_REFERENCE_PREFIXES) and shannon_entropy(text) >= MIN_KEYED_SECRET_ENTROPY


def _replace_known_formats(text: str) -> tuple[str, int]:
    replaced = 0
    for secret_format in _SECRET_FORMATS:
        if secret_format.requires and not any(part in text for part in secret_format.requires):
            continue
        if secret_format.regex.search(text) is None:
            continue
        text, count = _replace_format(secret_format, text)
        replaced += count
    return text, replaced


def _replace_format(secret_format: _SecretFormat, text: str) -> tuple[str, int]:
    replaced = 0

    def replace(match: re.Match[str]) -> str:
        nonlocal replaced
        if secret_format.value_group is None:
            replaced += 1
            return SECRET_PLACEHOLDER
        if _NOT_A_VALUE.match(match.group(secret_format.value_group)):
            return match.group(0)
        replaced += 1
        start, end = match.span(secret_format.value_group)
        offset = match.start()
        whole = match.group(0)
        return whole[: start - offset] + SECRET_PLACEHOLDER + whole[end - offset :]

    return secret_format.regex.sub(replace, text), replaced
