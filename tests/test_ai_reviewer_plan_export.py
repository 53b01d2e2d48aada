"""The plan upload step: the exact command runs with bash against moto_server S3 on 127.0.0.1.

Task-role credentials come from a local stand-in for the ECS credentials endpoint, reached through
AWS_CONTAINER_CREDENTIALS_FULL_URI.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from moto.server import ThreadedMotoServer

from stacks.plan_export import plan_upload_command

REGION = "us-east-1"
# Obviously fake credentials, assembled at test time.
ACCESS_KEY_ID = "ASIA" + "TEST" * 4
SECRET_ACCESS_KEY = "fake/Secret+Key=" + "x" * 24
SESSION_TOKEN = "fake+session/token=" + "y" * 40


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


class _CredentialsHandler(BaseHTTPRequestHandler):
    authorization_seen: list[str | None] = []

    def do_GET(self) -> None:
        type(self).authorization_seen.append(self.headers.get("Authorization"))
        # Pretty-printed, with slashes escaped as some JSON encoders do.
        body = json.dumps(
            {
                "AccessKeyId": ACCESS_KEY_ID,
                "SecretAccessKey": SECRET_ACCESS_KEY,
                "Token": SESSION_TOKEN,
                "Expiration": "2099-01-01T00:00:00Z",
            },
            indent=2,
        ).replace("/", "\\/")
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def credentials_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _CredentialsHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v2/credentials/test"
    server.shutdown()
    thread.join()


@pytest.fixture
def s3(s3_endpoint: str) -> Any:
    return boto3.client(
        "s3",
        region_name=REGION,
        endpoint_url=s3_endpoint,
        aws_access_key_id=ACCESS_KEY_ID,
        aws_secret_access_key=SECRET_ACCESS_KEY,
    )


@pytest.fixture
def plan_file(tmp_path: Path) -> Path:
    path = tmp_path / "default.tfplan.json"
    path.write_text(json.dumps({"format_version": "1.2", "resource_changes": []}))
    return path


def _atlantis_env(plan_file: Path, s3_endpoint: str, credentials_url: str, **overrides: str) -> dict[str, str]:
    env = {
        "PATH": os.environ["PATH"],
        "SHOWFILE": str(plan_file),
        "PLANFILE": str(plan_file.with_suffix(".tfplan")),
        "BASE_REPO_OWNER": "acme",
        "BASE_REPO_NAME": "infra",
        "PULL_NUM": "42",
        "HEAD_COMMIT": "0123456789abcdef0123456789abcdef01234567",
        "PROJECT_NAME": "prod network/vpc",
        "REPO_REL_DIR": "envs/prod",
        "WORKSPACE": "default",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI": credentials_url,
        "AWS_ENDPOINT_URL_S3": s3_endpoint,
    }
    env.update(overrides)
    return env


def _run(command: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", "-c", command], env=env, capture_output=True, text=True, timeout=60)


def test_curl_supports_aws_sigv4() -> None:
    help_text = subprocess.run(["curl", "--help", "all"], capture_output=True, text=True, check=True).stdout
    assert "--aws-sigv4" in help_text


def test_uploads_plan_with_metadata_and_encryption(
    s3: Any, s3_endpoint: str, credentials_url: str, plan_file: Path
) -> None:
    s3.create_bucket(Bucket="plans-upload")
    command = plan_upload_command("plans-upload", REGION, sse="AES256")

    result = _run(command, _atlantis_env(plan_file, s3_endpoint, credentials_url))

    assert result.returncode == 0, result.stderr
    key = "acme/infra/42/prod_network_vpc-0123456789abcdef0123456789abcdef01234567.json"
    stored = s3.get_object(Bucket="plans-upload", Key=key)
    assert json.loads(stored["Body"].read()) == json.loads(plan_file.read_text())
    assert stored["Metadata"] == {
        "repo": "acme/infra",
        "pull": "42",
        "commit": "0123456789abcdef0123456789abcdef01234567",
        "project": "prod_network_vpc",
    }
    assert stored["ServerSideEncryption"] == "AES256"


def test_kms_encryption_header_is_sent(s3: Any, s3_endpoint: str, credentials_url: str, plan_file: Path) -> None:
    s3.create_bucket(Bucket="plans-kms")
    command = plan_upload_command("plans-kms", REGION)  # aws:kms is the default

    result = _run(command, _atlantis_env(plan_file, s3_endpoint, credentials_url))

    assert result.returncode == 0, result.stderr
    listed = s3.list_objects_v2(Bucket="plans-kms")["Contents"]
    head = s3.head_object(Bucket="plans-kms", Key=listed[0]["Key"])
    assert head["ServerSideEncryption"] == "aws:kms"


def test_unnamed_project_is_named_after_directory_and_workspace(
    s3: Any, s3_endpoint: str, credentials_url: str, plan_file: Path
) -> None:
    s3.create_bucket(Bucket="plans-unnamed")
    command = plan_upload_command("plans-unnamed", REGION, sse="AES256")
    cases = {
        ("envs/prod", "default"): "envs_prod",
        (".", "default"): "root",
        (".", "staging"): "root-staging",
    }
    for (directory, workspace), project in cases.items():
        env = _atlantis_env(
            plan_file, s3_endpoint, credentials_url, PROJECT_NAME="", REPO_REL_DIR=directory, WORKSPACE=workspace
        )
        result = _run(command, env)
        assert result.returncode == 0, result.stderr
        key = f"acme/infra/42/{project}-0123456789abcdef0123456789abcdef01234567.json"
        assert s3.head_object(Bucket="plans-unnamed", Key=key)["Metadata"]["project"] == project


def test_credentials_never_appear_in_output_or_command(
    s3: Any, s3_endpoint: str, credentials_url: str, plan_file: Path
) -> None:
    s3.create_bucket(Bucket="plans-quiet")
    command = plan_upload_command("plans-quiet", REGION)

    result = _run(command, _atlantis_env(plan_file, s3_endpoint, credentials_url))

    assert result.returncode == 0, result.stderr
    for secret in (SECRET_ACCESS_KEY, SESSION_TOKEN, ACCESS_KEY_ID):
        assert secret not in result.stdout + result.stderr
    assert "set -x" not in command and "xtrace" not in command


class _SigningCheckHandler(BaseHTTPRequestHandler):
    """Stands in for S3 and recomputes the request's SigV4 signature with botocore."""

    results: list[tuple[str, str]] = []
    protocol_version = "HTTP/1.1"  # answers curl's "Expect: 100-continue" at once

    def do_PUT(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        authorization = self.headers["Authorization"]
        signed_names = authorization.split("SignedHeaders=")[1].split(",")[0].split(";")
        request = AWSRequest(
            method="PUT",
            url=f"http://{self.headers['Host']}{self.path}",
            data=body,
            headers={name: self.headers[name] for name in signed_names if name != "host"},
        )
        request.context["timestamp"] = self.headers["X-Amz-Date"]
        signer = S3SigV4Auth(Credentials(ACCESS_KEY_ID, SECRET_ACCESS_KEY, SESSION_TOKEN), "s3", REGION)
        canonical_request = signer.canonical_request(request)
        expected = signer.signature(signer.string_to_sign(request, canonical_request), request)
        type(self).results.append((authorization.rsplit("Signature=", 1)[1], expected))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_request_signature_matches_botocore_s3_sigv4(credentials_url: str, plan_file: Path) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _SigningCheckHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        endpoint = f"http://127.0.0.1:{server.server_address[1]}"
        result = _run(plan_upload_command("plans", REGION), _atlantis_env(plan_file, endpoint, credentials_url))
    finally:
        server.shutdown()
        thread.join()

    assert result.returncode == 0, result.stderr
    [(sent, expected)] = _SigningCheckHandler.results
    assert sent == expected


def test_authorization_token_is_sent_to_the_credentials_endpoint(
    s3: Any, s3_endpoint: str, credentials_url: str, plan_file: Path
) -> None:
    s3.create_bucket(Bucket="plans-auth")
    _CredentialsHandler.authorization_seen.clear()
    env = _atlantis_env(plan_file, s3_endpoint, credentials_url, AWS_CONTAINER_AUTHORIZATION_TOKEN="local-test")

    result = _run(plan_upload_command("plans-auth", REGION), env)

    assert result.returncode == 0, result.stderr
    assert _CredentialsHandler.authorization_seen == ["local-test"]


def test_fails_when_bucket_is_missing(s3_endpoint: str, credentials_url: str, plan_file: Path) -> None:
    result = _run(plan_upload_command("no-such-bucket", REGION), _atlantis_env(plan_file, s3_endpoint, credentials_url))

    assert result.returncode != 0
    assert "upload to S3 failed" in result.stderr


def test_fails_when_credentials_are_unavailable(s3_endpoint: str, plan_file: Path) -> None:
    env = _atlantis_env(plan_file, s3_endpoint, "http://127.0.0.1:9/unreachable")

    result = _run(plan_upload_command("plans-upload", REGION), env)

    assert result.returncode != 0
    assert "credentials" in result.stderr


def test_fails_without_showfile_or_pull_number(s3_endpoint: str, credentials_url: str, plan_file: Path) -> None:
    command = plan_upload_command("plans-upload", REGION)

    missing_plan = _run(command, _atlantis_env(plan_file, s3_endpoint, credentials_url, SHOWFILE="/nonexistent"))
    bad_pull = _run(command, _atlantis_env(plan_file, s3_endpoint, credentials_url, PULL_NUM="12; rm -rf /"))

    assert missing_plan.returncode != 0 and "SHOWFILE" in missing_plan.stderr
    assert bad_pull.returncode != 0 and "PULL_NUM" in bad_pull.stderr


@pytest.mark.parametrize(
    ("bucket", "region", "sse", "kms_key_id"),
    [
        ("Bad_Bucket", REGION, "AES256", None),
        ("dotted.bucket", REGION, "AES256", None),
        ("plans", "us east 1", "AES256", None),
        ("plans", REGION, "none", None),
        ("plans", REGION, "AES256", "alias/plans"),
        ("plans", REGION, "aws:kms", "alias/$(reboot)"),
    ],
)
def test_rejects_values_that_could_break_the_command(
    bucket: str, region: str, sse: str, kms_key_id: str | None
) -> None:
    with pytest.raises(ValueError):
        plan_upload_command(bucket, region, sse=sse, kms_key_id=kms_key_id)
