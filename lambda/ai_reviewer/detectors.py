"""Find secrets that Terraform never marked sensitive.

Four layers, each run once per distinct string; the first three replace only the secret span, so the
rest of the value (the host of a URL, the surrounding script) stays reviewable:

1. Our own patterns for the shapes infrastructure code carries around a secret: private key blocks,
   credentials in URLs, bearer tokens, and a few token formats whose span needs care.
2. Our rule file of documented token formats (rules/secret_formats.toml, run by format_rules.py): one
   rule per provider format with a fixed prefix, each written from the provider's documentation.
3. The keyword-context rule (credential_keys.py): a value assigned to a credential-like key, in any
   quoting or assignment style, and high-entropy values stored directly under such a key (`db_password`,
   `client_secret`, ...), also for strings nested below one.
4. detect-secrets' maintained regex detectors as a safety net: a string in which they still find
   something is replaced as a whole, because their matches do not always cover the full secret.
"""

from __future__ import annotations

import base64
import binascii
import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass

from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
from detect_secrets.plugins.base import BasePlugin, RegexBasedDetector

from ai_reviewer.credential_keys import find_keyed_values, is_credential_key, is_name_like, shannon_entropy
from ai_reviewer.format_rules import default_rules

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

# Base64 values at least this long are decoded and scanned when they hold text; at most this many bytes
# of gzip output are looked at.
MIN_BASE64_LENGTH = 24
MAX_DECODED_BYTES = 1 << 20
_BASE64 = re.compile(r"[A-Za-z0-9+/]+={0,2}")
_GZIP_MAGIC = b"\x1f\x8b"
_GZIP_WINDOW = 16 + zlib.MAX_WBITS

# Values under secret-like keys that are references to a secret, not the secret itself.
_REFERENCE_PREFIXES = ("arn:", "{{resolve:", "${", "$(")


@dataclass(frozen=True)
class _SecretFormat:
    """A secret format. `value_group` names the part to replace (the whole match when None);
    `requires` lists substrings of which one is in every match, a cheap test before the regex (without
    it, the regex itself is the test)."""

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
        "gitlab_token",
        re.compile(r"\bgl(?:pat|dt|ft|soat|rt|cbt|ptt|imt|agent|oas|ffct)-[A-Za-z0-9_\-]{20,}"),
        requires=("gl",),
    ),
    _SecretFormat(
        "slack_token",
        re.compile(r"\bxox[abposre]-[A-Za-z0-9-]{10,}|\bxapp-\d-[A-Za-z0-9-]{10,}"),
        requires=("xox", "xapp"),
    ),
    _SecretFormat(
        "slack_webhook",
        re.compile(r"https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9_/\-]+"),
        requires=("://",),
    ),
    # OpenAI and Anthropic style keys; the look-aheads keep names like `task-sk-processing-...` readable.
    _SecretFormat(
        "openai_key",
        re.compile(
            r"\bsk-(?:proj-|svcacct-|admin-|ant-)?(?=[A-Za-z0-9_\-]*\d)(?=[A-Za-z0-9_\-]*[A-Z])"
            r"[A-Za-z0-9_\-]{20,}"
        ),
        requires=("sk-",),
    ),
    _SecretFormat(
        "stripe_key",
        re.compile(r"\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}|\bwhsec_[A-Za-z0-9]{20,}"),
        requires=("k_", "whsec"),
    ),
    _SecretFormat("google_api_key", re.compile(r"\bAIza[0-9A-Za-z_\-]{35}"), requires=("AIza",)),
    _SecretFormat(
        "jwt", re.compile(r"\beyJ[A-Za-z0-9_\-]{5,}\.eyJ[A-Za-z0-9_\-]{5,}\.[A-Za-z0-9_\-]*"), requires=("eyJ",)
    ),
    _SecretFormat("npm_token", re.compile(r"\bnpm_[A-Za-z0-9]{36}"), requires=("npm_",)),
    _SecretFormat("pypi_token", re.compile(r"\bpypi-AgE[A-Za-z0-9_\-]{50,}"), requires=("pypi-",)),
    _SecretFormat("sendgrid_key", re.compile(r"\bSG\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43}"), requires=("SG.",)),
    _SecretFormat("twilio_key", re.compile(r"\bSK[0-9a-fA-F]{32}\b"), requires=("SK",)),
    _SecretFormat("vault_token", re.compile(r"\bhv[sbr]\.[A-Za-z0-9_\-]{24,}"), requires=("hv",)),
    _SecretFormat(
        "terraform_cloud_token", re.compile(r"\b[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_\-]{60,}"), requires=(".atlasv1.",)
    ),
    _SecretFormat("digitalocean_token", re.compile(r"\bdo[pro]_v1_[a-f0-9]{64}"), requires=("_v1_",)),
    # Prefixed formats whose span needs care (a dot or dash inside the token).
    _SecretFormat("google_oauth_client_secret", re.compile(r"\bGOCSPX-[A-Za-z0-9_\-]{28}"), requires=("GOCSPX-",)),
    _SecretFormat("google_oauth_access_token", re.compile(r"\bya29\.[A-Za-z0-9_\-]{20,}"), requires=("ya29.",)),
    _SecretFormat("newrelic_user_key", re.compile(r"\bNRAK-[A-Z0-9]{27}\b"), requires=("NRAK-",)),
    _SecretFormat("sonarqube_token", re.compile(r"\bsq[upa]_[a-f0-9]{40}\b"), requires=("sq",)),
    _SecretFormat("bitbucket_app_password", re.compile(r"\bATBB[A-Za-z0-9_=.\-]{32,}"), requires=("ATBB",)),
    _SecretFormat(
        "circleci_personal_token", re.compile(r"\bCCIPAT_[A-Za-z0-9]{22}_[a-f0-9]{40}\b"), requires=("CCIPAT_",)
    ),
    _SecretFormat(
        "discord_webhook",
        re.compile(r"https://(?:ptb\.|canary\.)?discord(?:app)?\.com/api/webhooks/\d+/[A-Za-z0-9_\-]+"),
        requires=("discord",),
    ),
    # scheme://token@host (a Sentry DSN, a Git URL with a token as the user): only the token goes.
    _SecretFormat(
        "url_token_user",
        re.compile(r"\b[A-Za-z][A-Za-z0-9+.\-]{1,20}://(?P<secret>[A-Za-z0-9_\-]{20,})@"),
        value_group="secret",
        requires=("://",),
    ),
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
)

# Values an assignment may point at without being a secret: templates and references.
_NOT_A_VALUE = re.compile(r"^(?:\$|\{\{|%|<|\(|\[|true$|false$|null$|none$)", re.IGNORECASE)

# detect-secrets detectors that find things that are not secrets in a Terraform plan.
_EXCLUDED_LIBRARY_DETECTORS = frozenset(
    {
        # Public IP addresses are what a security review of ingress rules needs to see.
        "IPPublicDetector",
        # Keyword-context detectors for IBM Cloud key names (`cloudant_password`, `ibm_cloud_iam_api_key`,
        # `cos_hmac_secret_access_key`, `softlayer_api_key`): the general keyword-context rule reads those
        # names too, and their look-behind patterns are the slowest of the library, about 40 % of its time.
        "CloudantDetector",
        "IbmCloudIamDetector",
        "IbmCosHmacDetector",
        "SoftlayerDetector",
    }
)


def is_secret_like_key(key: str) -> bool:
    """A key whose value is a credential (credential_keys.py explains how key names are read)."""
    return is_credential_key(key)


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
        self._format_rules = default_rules()
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
        decoded = decoded_text(text)
        if decoded is not None and self.scan(decoded)[1]:
            return SECRET_PLACEHOLDER, 1  # base64 (or base64 gzip) text that hides a secret goes whole
        cleaned, replaced = _replace_known_formats(text)
        spans = [(finding.start, finding.end) for finding in self._format_rules.find(cleaned)]
        spans.extend(find_keyed_values(cleaned))
        if spans:
            cleaned, found = _replace_spans(cleaned, spans)
            replaced += found
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


def decoded_text(text: str) -> str | None:
    """The text inside a base64 value (a launch template's `user_data`, `base64gzip()` output), if any."""
    compact = text.replace("\n", "").replace("\r", "")
    if len(compact) < MIN_BASE64_LENGTH or len(compact) % 4 or _BASE64.fullmatch(compact) is None:
        return None
    try:
        data = base64.b64decode(compact, validate=True)
        if data.startswith(_GZIP_MAGIC):
            data = zlib.decompressobj(_GZIP_WINDOW).decompress(data, MAX_DECODED_BYTES)
        decoded = data.decode("utf-8")
    except (binascii.Error, zlib.error, UnicodeDecodeError):
        return None
    return decoded if all(character.isprintable() or character in "\t\r\n" for character in decoded) else None


def _finds_any(found: Iterable[str]) -> bool:
    return next(iter(found), None) is not None


def _looks_like_keyed_secret(text: str) -> bool:
    return (
        not text.startswith(_REFERENCE_PREFIXES)
        and shannon_entropy(text) >= MIN_KEYED_SECRET_ENTROPY
        and not is_name_like(text)
    )


def _replace_spans(text: str, spans: list[tuple[int, int]]) -> tuple[str, int]:
    """Replace each span, overlapping spans merged into one."""
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    parts: list[str] = []
    position = 0
    for start, end in merged:
        parts.extend((text[position:start], SECRET_PLACEHOLDER))
        position = end
    parts.append(text[position:])
    return "".join(parts), len(merged)


def _replace_known_formats(text: str) -> tuple[str, int]:
    if _ANY_SECRET_FORMAT.search(text) is None:  # most strings: one search instead of one per format
        return text, 0
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


# Every substring a format requires, and the regexes of formats that require none.
_ANY_SECRET_FORMAT = re.compile(
    "|".join(
        [re.escape(part) for secret_format in _SECRET_FORMATS for part in secret_format.requires]
        + [secret_format.regex.pattern for secret_format in _SECRET_FORMATS if not secret_format.requires]
    )
)
