"""The Atlantis workflow step that uploads a plan's JSON for the AI reviewer.

Pure Python, no cdktf: the stack puts the returned command in a `run:` step after the `show` step.
It runs inside the stock Atlantis image, which has bash, sha256sum and curl (with `--aws-sigv4`) but no
aws CLI, jq or python, so the command fetches the ECS task-role credentials with curl, reads them with
sed and signs the S3 PUT with curl itself, payload hash included.

Credentials never reach a command line (where `ps` would show them): curl reads them from a config
on its standard input. The script never traces (`set -x`) and exits non-zero on any failure.

The object key is `<owner>/<repo>/<pull>/<project>-<commit>.json` with every part reduced to
`[A-Za-z0-9._-]`; the same values travel as `x-amz-meta-repo/pull/commit/project`. A project without
an Atlantis name is named after its directory (`root` for the repository root) plus the workspace
when that is not `default`.
"""

from __future__ import annotations

import re
import shlex

SSE_ALGORITHMS = ("aws:kms", "AES256")

# Bucket names without dots: a dotted name breaks TLS on the virtual-hosted endpoint.
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")
_KMS_KEY = re.compile(r"^[A-Za-z0-9:/_.-]{1,2048}$")

_SCRIPT = r"""set -euo pipefail
bucket=__BUCKET__
region=__REGION__
sse=__SSE__
kms_key_id=__KMS_KEY_ID__
fail() { echo "AI plan review upload: $*" >&2; exit 1; }
safe() { local value="${1//[^A-Za-z0-9._-]/_}"; printf '%s' "${value:0:100}"; }

[ -n "${SHOWFILE:-}" ] && [ -r "$SHOWFILE" ] || fail "SHOWFILE is not readable; run the show step first"
owner="$(safe "${BASE_REPO_OWNER:-}")"
name="$(safe "${BASE_REPO_NAME:-}")"
pull="${PULL_NUM:-}"
commit="${HEAD_COMMIT:-}"
commit="${commit//[^A-Za-z0-9]/}"
[ -n "$owner" ] && [ -n "$name" ] && [ -n "$commit" ] || fail "BASE_REPO_OWNER, BASE_REPO_NAME and HEAD_COMMIT must be set"
[[ "$pull" =~ ^[0-9]+$ ]] || fail "PULL_NUM is not a number"
project="${PROJECT_NAME:-}"
if [ -z "$project" ]; then
  project="${REPO_REL_DIR:-.}"
  [ "$project" != "." ] || project="root"
  [ "${WORKSPACE:-default}" = "default" ] || project="$project-$WORKSPACE"
fi
project="$(safe "$project")"
key="$owner/$name/$pull/$project-$commit.json"

credentials_url="${AWS_CONTAINER_CREDENTIALS_FULL_URI:-}"
if [ -z "$credentials_url" ]; then
  [ -n "${AWS_CONTAINER_CREDENTIALS_RELATIVE_URI:-}" ] || fail "no ECS task-role credentials in the environment"
  credentials_url="http://169.254.170.2$AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"
fi
credentials="$(
  { [ -z "${AWS_CONTAINER_AUTHORIZATION_TOKEN:-}" ] || printf 'header = "Authorization: %s"\n' "$AWS_CONTAINER_AUTHORIZATION_TOKEN"; } |
    curl --silent --show-error --fail --max-time 10 --retry 2 --config - "$credentials_url" | tr -d '\r\n'
)" || fail "could not fetch the task-role credentials"
field() { printf '%s' "$credentials" | sed -n "s/.*\"$1\"[[:space:]]*:[[:space:]]*\"\([^\"]*\)\".*/\1/p" | sed 's#\\/#/#g'; }
access_key_id="$(field AccessKeyId)"
secret_access_key="$(field SecretAccessKey)"
session_token="$(field Token)"
[[ "$access_key_id" =~ ^[A-Za-z0-9]+$ && "$secret_access_key" =~ ^[A-Za-z0-9/+=]+$ ]] || fail "the task-role credentials are not in the expected format"
[[ -z "$session_token" || "$session_token" =~ ^[A-Za-z0-9/+=]+$ ]] || fail "the session token is not in the expected format"

endpoint="${AWS_ENDPOINT_URL_S3:-${AWS_ENDPOINT_URL:-}}"
if [ -n "$endpoint" ]; then
  url="${endpoint%/}/$bucket/$key"
else
  url="https://$bucket.s3.$region.amazonaws.com/$key"
fi
# S3 needs the payload hash in a header; curl 8 would send UNSIGNED-PAYLOAD, older curl nothing.
payload_sha256="$(sha256sum "$SHOWFILE")" || fail "could not hash the plan"
payload_sha256="${payload_sha256%% *}"
encryption_headers=(-H "x-amz-server-side-encryption: $sse")
[ -z "$kms_key_id" ] || encryption_headers+=(-H "x-amz-server-side-encryption-aws-kms-key-id: $kms_key_id")
{
  printf 'user = "%s:%s"\n' "$access_key_id" "$secret_access_key"
  [ -z "$session_token" ] || printf 'header = "x-amz-security-token: %s"\n' "$session_token"
} | curl --silent --show-error --fail --max-time 120 --retry 3 --retry-max-time 120 \
  --config - --aws-sigv4 "aws:amz:$region:s3" --upload-file "$SHOWFILE" --output /dev/null \
  -H "Content-Type: application/json" -H "x-amz-content-sha256: $payload_sha256" "${encryption_headers[@]}" \
  -H "x-amz-meta-repo: $owner/$name" -H "x-amz-meta-pull: $pull" \
  -H "x-amz-meta-commit: $commit" -H "x-amz-meta-project: $project" \
  "$url" || fail "the upload to S3 failed"
echo "AI plan review requested for $project."
"""


def plan_upload_command(bucket: str, region: str, sse: str = "aws:kms", kms_key_id: str | None = None) -> str:
    """One shell command (Atlantis runs `run:` steps with `sh -c`) that uploads "$SHOWFILE" to S3.

    `sse` is the x-amz-server-side-encryption value, "aws:kms" or "AES256". With "aws:kms", pass the
    bucket's customer managed key (ARN) as `kms_key_id`: without it S3 uses the AWS managed key
    aws/s3, not the bucket default.
    """
    if not _BUCKET.match(bucket):
        raise ValueError(f"bucket {bucket!r} must be 3-63 lowercase letters, digits or hyphens")
    if not _REGION.match(region):
        raise ValueError(f"region {region!r} is not an AWS region name")
    if sse not in SSE_ALGORITHMS:
        raise ValueError(f"sse must be one of {', '.join(SSE_ALGORITHMS)}, got {sse!r}")
    if kms_key_id is not None and (sse != "aws:kms" or not _KMS_KEY.match(kms_key_id)):
        raise ValueError("kms_key_id needs sse='aws:kms' and must be a key id, alias or ARN")
    script = (
        _SCRIPT.replace("__BUCKET__", shlex.quote(bucket))
        .replace("__REGION__", shlex.quote(region))
        .replace("__SSE__", shlex.quote(sse))
        .replace("__KMS_KEY_ID__", shlex.quote(kms_key_id or ""))
    )
    # Wrapped in `bash -c` because Atlantis starts run steps with `sh`, which may not be bash.
    return f"bash -c {shlex.quote(script)}"
