"""Secret detection rules: our rule file of documented formats and the keyword-context rule, one behaviour each.

Secret-shaped values are assembled here at test time; none is written out whole.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import re
import tomllib
import uuid
from typing import Any

import pytest
from ai_reviewer.credential_keys import find_keyed_values, is_credential_key
from ai_reviewer.detectors import SECRET_PLACEHOLDER, SecretScanner
from ai_reviewer.format_rules import RULES_FILE, FormatRules, _python_regex, default_rules

from tests.ai_reviewer_corpus import ordinary_samples, secret_samples

HEX40 = hashlib.sha256(b"corpus").hexdigest()[:40]
UUID = str(uuid.UUID(int=0x5E1F2A3B4C5D4E6F8A7B9C0D1E2F3A4B, version=4))


def scan(text: str) -> str:
    return SecretScanner().scan(text)[0]


# Our rule file of documented formats


def _raw_rules() -> list[dict[str, Any]]:
    with RULES_FILE.open("rb") as rules_file:
        return list(tomllib.load(rules_file)["rules"])


def test_every_rule_of_our_file_names_its_source_and_compiles() -> None:
    raw_rules = _raw_rules()
    ids = [str(raw["id"]) for raw in raw_rules]

    assert len(ids) == len(set(ids)) >= 30
    assert all(str(raw["source"]).startswith("https://") and raw["description"] for raw in raw_rules)
    assert all(raw["keywords"] and all(word == word.lower() for word in raw["keywords"]) for raw in raw_rules)
    assert all(rule.regex.pattern for rule in default_rules().rules)  # compiled lazily; compile them all here


def test_every_rule_finds_a_corpus_secret_and_no_ordinary_value() -> None:
    secrets = [sample.planted for sample in secret_samples()]
    ordinary = [sample.planted for sample in ordinary_samples()]

    for raw in _raw_rules():
        rules = FormatRules({"rules": [raw]})
        assert any(rules.find(text) for text in secrets), raw["id"]
    assert not [text for text in ordinary if default_rules().find(text)]


@pytest.mark.parametrize(
    ("re2", "matches", "does_not_match"),
    [
        # A flag in mid-pattern holds up to the end of the enclosing group in RE2, later alternatives too.
        (r"\b(p8e-(?i)[a-z0-9]{4})\b", ["p8e-AbC1"], ["P8E-abc1"]),
        (r"x(?:a(?i)b|c)y", ["xaBy", "xCy"], ["xAby", "xaBcy"]),
        (r"(?:'(?i)(?:key)'|\"(?i)(?:tok)\")", ["'KEY'", '"Tok"'], ["'KEY\""]),
        (r"\bab[[:alnum:]]{2}\z", ["xx ab1Z"], ["ab1Z\n", "ab_1"]),
    ],
)
def test_re2_patterns_are_rewritten_with_the_same_meaning(
    re2: str, matches: list[str], does_not_match: list[str]
) -> None:
    pattern = re.compile(_python_regex(re2))

    assert all(pattern.search(text) for text in matches)
    assert not any(pattern.search(text) for text in does_not_match)


def _rules(**rule: object) -> FormatRules:
    return FormatRules({"rules": [{"id": "demo", "keywords": ["demo_"], **rule}]})


def test_rules_run_only_where_their_keyword_is() -> None:
    rules = _rules(regex=r"(?i)\b(?:demo_|plain_)([a-z0-9]{8})\b")

    assert [(found.start, found.end) for found in rules.find("x DEMO_a1b2c3d4 y")] == [(7, 15)]
    assert rules.find("x plain_a1b2c3d4 y") == []  # the regex matches, but the keyword is absent


def test_entropy_threshold_and_allowlists_apply() -> None:
    rules = _rules(
        regex=r"\bdemo_([a-z0-9]{8})\b",
        entropy=2.5,
        allowlists=[
            {"regexes": ["^0{4}"]},
            {"stopwords": ["test"]},
            {"condition": "AND", "paths": ["x"], "regexes": [".*"]},
        ],
    )

    assert rules.find("demo_a1b2c3d4")  # random enough, not allowed
    assert rules.find("demo_aaaaaaab") == []  # entropy too low
    assert rules.find("demo_0000ab12") == []  # allowlist regex
    assert rules.find("demo_ab12test") == []  # stopword


# The keyword-context rule


@pytest.mark.parametrize(
    "key",
    [
        "db_password",
        "clientSecret",
        "x-api-key",
        "cas.authn.azure-active-directory.client-secret",
        "AWS_SECRET_ACCESS_KEY",
        "SECRET_KEY_BASE",
        "secret_string",
        "private_key_pem",
        "webhook_url",
        "connection_string",
        "AUTH_CLIENTSECRET",
        "cloudant_password",
        "ibm_cloud_iam_api_key",
        "cos_hmac_secret_access_key",
        "RABBITMQ_ERLANG_COOKIE",
        "sig",
        "credentials",
        "API key",
        "npm _authToken",
        "TOKEN_2",
    ],
)
def test_credential_like_keys(key: str) -> None:
    assert is_credential_key(key)


@pytest.mark.parametrize(
    "key",
    [
        "kms_key_id",
        "secret_arn",
        "token_type",
        "password_policy",
        "public_key",
        "key",
        "token_url",
        "secret_name",
        "api_key_id",
        "partition_key",
        "ssh_key",
        "secretsmanager",
        "csrftoken",
        "tokenizer",
        "the key",
        "export KEY_0",
        "export key",
    ],
)
def test_keys_that_name_something_else(key: str) -> None:
    assert not is_credential_key(key)


@pytest.mark.parametrize("value", [HEX40, UUID])
@pytest.mark.parametrize(
    "template",
    [
        '{{"api_token": "{value}"}}',  # JSON in a string
        '{{\\"credentials\\":\\"{value}\\"}}',  # JSON in a JSON string
        '{{\\\\\\"client_secret\\\\\\": \\\\\\"{value}\\\\\\"}}',  # and once more
        "export SERVICE_API_TOKEN={value}",
        "API_TOKEN='{value}' ./run.sh",
        "client_secret: {value}",
        'token = getenv("api_token", "{value}")',
        "os.environ.setdefault('DB_PASSWORD', '{value}')",
        "config['signing_key'] = '{value}'",
        ':secret_key => "{value}"',
        'token := "{value}"',
        "app --password {value} --verbose",
        "curl -H 'X-Api-Key: {value}' https://api.example.com",
        "https://host/path?access_token={value}&page=2",
        "Host=db;Username=app;Password={value};SSL Mode=Require",
        '[{{"name": "DB_PASSWORD", "value": "{value}"}}]',
        '[{{"value": "{value}", "name": "WEBHOOK_SECRET"}}]',
        "env:\n  - name: API_KEY\n    value: {value}\n",
        "Legacy client secret: {value} (rotate)",
    ],
)
def test_values_of_credential_like_keys_are_replaced_in_any_style(template: str, value: str) -> None:
    text = template.format(value=value)

    cleaned = scan(text)

    assert value not in cleaned
    assert cleaned == text.replace(value, SECRET_PLACEHOLDER)  # only the value goes


@pytest.mark.parametrize(
    "text",
    [
        f'kms_key_id = "{UUID}"',
        f'{{"KMS_KEY_ID": "{UUID}", "SECRET_ARN": "arn:aws:secretsmanager:ap-northeast-2:123456789012:secret:x-AbCdEf"}}',
        f"export GIT_COMMIT_SHA={HEX40}",
        "token_type: bearer",
        "password: ${DB_PASSWORD}",
        "password={{resolve:secretsmanager:prod/db:SecretString:password}}",
        "DB_PASSWORD=$(aws secretsmanager get-secret-value --secret-id prod/db)",
        "api_token: <your-token-here>",
        "password = %(db_password)s",
        "secret: ********",
        "GOOGLE_APPLICATION_CREDENTIALS=/etc/gcp/service-account.json",
        "credentials: true",
        "replica_keys: public-replica-id",
        "secretsmanager:GetSecretValue on arn:aws:secretsmanager:*:*:secret:app-*",
        f'{{"name": "KMS_KEY_ID", "value": "{UUID}"}}',
        f"a token, {HEX40} and more",
    ],
)
def test_identifiers_references_and_placeholders_stay_readable(text: str) -> None:
    assert scan(text) == text


def test_azure_client_secret_without_fixed_prefix_is_found_anywhere() -> None:
    # The documented shape: three characters, a digit, Q~, then 31 to 34 of [A-Za-z0-9_~.-].
    client_value = "bP8" + "8Q~" + ("Rc7.Yj_Oh1~" * 4)[:34]

    for text in (client_value, f"(use it: {client_value})", f'"the_value": "{client_value}"', f"x={client_value}\n"):
        assert client_value not in scan(text), text


def test_keyed_values_report_spans_not_whole_strings() -> None:
    text = f"export A=1\nexport API_TOKEN={HEX40}\nexport B=2"

    spans = find_keyed_values(text)

    assert [text[start:end] for start, end in spans] == [HEX40]


def test_base64_text_that_hides_a_secret_is_replaced_whole() -> None:
    script = f"#!/bin/bash\nexport API_TOKEN={HEX40}\nsystemctl start app\n".encode()
    plain = base64.b64encode(script).decode()
    compressed = base64.b64encode(gzip.compress(script)).decode()
    harmless = base64.b64encode(b'{"Version": "2012-10-17", "Statement": []}').decode()
    digest = base64.b64encode(hashlib.sha256(b"lambda.zip").digest()).decode()

    assert SecretScanner().scan(plain) == (SECRET_PLACEHOLDER, 1)
    assert SecretScanner().scan(compressed) == (SECRET_PLACEHOLDER, 1)
    assert SecretScanner().scan(harmless) == (harmless, 0)
    assert SecretScanner().scan(digest) == (digest, 0)
