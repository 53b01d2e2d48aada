"""Emulator mode (``--aws-endpoint URL`` or ``STACKKIT_AWS_ENDPOINT``): every AWS call of the deploy, boto3's and
Terraform's, goes to a local AWS emulator such as LocalStack (http://localhost:4566) or moto_server.

What changes, and why each is needed:
- ``AWS_ENDPOINT_URL`` is set for boto3 and for Terraform (the S3 backend and the AWS provider both honour it).
- S3 uses path-style addressing: an emulator at ``localhost:4566`` has no ``<bucket>.localhost`` host names. The
  backend gets ``-backend-config=use_path_style=true``; the provider, which does not read a variable for it, gets
  ``s3_use_path_style = true`` from a Terraform override file written beside ``cdk.tf.json`` (and removed again by
  a run without the option).
- The state bucket gets no TLS-only statement (``aws:SecureTransport``): moto denies every object read under it,
  even over HTTPS, because it cannot evaluate that key, and the emulator holds no real state to protect.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from deploy.errors import DeployError

ENDPOINT_VARIABLE = "STACKKIT_AWS_ENDPOINT"
OVERRIDE_FILE = "stackkit_emulator_override.tf.json"


def emulator_endpoint(environ: Mapping[str, str]) -> str | None:
    """The emulator's URL when emulator mode is on; DeployError for something that is not an http(s) URL."""
    endpoint = (environ.get(ENDPOINT_VARIABLE) or "").strip()
    if not endpoint:
        return None
    parts = urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise DeployError(
            f"{ENDPOINT_VARIABLE} / --aws-endpoint {endpoint!r} is not a URL",
            "expected e.g. http://localhost:4566 (LocalStack) or http://127.0.0.1:5000 (moto_server)",
        )
    return endpoint.rstrip("/")


def with_endpoint(environ: Mapping[str, str], endpoint: str | None) -> dict[str, str]:
    """``environ`` in emulator mode when ``endpoint`` (the flag) or STACKKIT_AWS_ENDPOINT is set."""
    env = dict(environ)
    if endpoint:
        env[ENDPOINT_VARIABLE] = endpoint
    chosen = emulator_endpoint(env)
    if chosen:
        env["AWS_ENDPOINT_URL"] = chosen
    return env


def prepare_stack(stack_dir: Path, environ: Mapping[str, str]) -> bool:
    """Write the path-style override in emulator mode, remove it otherwise; True in emulator mode."""
    override = stack_dir / OVERRIDE_FILE
    if emulator_endpoint(environ) is None:
        override.unlink(missing_ok=True)
        return False
    document = json.loads((stack_dir / "cdk.tf.json").read_text(encoding="utf-8"))
    entries: Any = document.get("provider", {}).get("aws", [])
    providers = [
        {**({"alias": entry["alias"]} if "alias" in entry else {}), "s3_use_path_style": True}
        for entry in (entries if isinstance(entries, list) else [entries]) or [{}]
    ]
    content = {
        "//": f"Written by quick-deploy.sh in emulator mode ({ENDPOINT_VARIABLE}); removed by a run without it.",
        "provider": {"aws": providers},
    }
    override.write_text(json.dumps(content, indent=2) + "\n", encoding="utf-8")
    return True
