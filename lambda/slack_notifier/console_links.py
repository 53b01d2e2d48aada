"""AWS console addresses for the things an alert is about."""

from __future__ import annotations

import re
from urllib.parse import quote

# Region codes such as ap-northeast-2 or us-gov-west-1. Anything else is refused, because the region becomes
# part of a link's host name and the message that carries it comes from outside this function.
_REGION_CODE = re.compile(r"[a-z]{2}(-[a-z]+)+-\d{1,2}")


def pick_region(*candidates: str, fallback: str) -> str:
    """The first candidate that is a well-formed region code, else fallback (the function's own region)."""
    return next((candidate for candidate in candidates if _REGION_CODE.fullmatch(candidate)), fallback)


def region_from_arn(arn: str) -> str:
    """The region field of an ARN (arn:partition:service:region:account:resource), or "" if there is none."""
    parts = arn.split(":")
    return parts[3] if arn.startswith("arn:") and len(parts) > 5 else ""


def console_base(region: str) -> str:
    # China and GovCloud regions have consoles of their own.
    if region.startswith("cn-"):
        return f"https://{region}.console.amazonaws.cn"
    if region.startswith("us-gov-"):
        return f"https://{region}.console.amazonaws-us-gov.com"
    return f"https://{region}.console.aws.amazon.com"


def cloudwatch_alarm(region: str, alarm_name: str) -> str:
    return f"{console_base(region)}/cloudwatch/home?region={region}#alarmsV2:alarm/{_segment(alarm_name)}"


def ecs_service(region: str, cluster: str, service: str) -> str:
    return (
        f"{console_base(region)}/ecs/v2/clusters/{_segment(cluster)}/services/{_segment(service)}"
        f"/health?region={region}"
    )


def ecs_task(region: str, cluster: str, task_id: str) -> str:
    return (
        f"{console_base(region)}/ecs/v2/clusters/{_segment(cluster)}/tasks/{_segment(task_id)}"
        f"/configuration?region={region}"
    )


def _segment(value: str) -> str:
    return quote(value, safe="")
