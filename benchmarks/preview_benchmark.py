"""Benchmark: preview the model request for a generated 5 MB `terraform show -json` plan.

Goal: under 2 s wall time and under 256 MB peak memory. Run from the repository root:

    python benchmarks/preview_benchmark.py [--size-mb 5] [--strict]

It writes the plan to a temporary file, runs `python -m ai_reviewer preview` on it in a child process
(wall time and peak RSS of that process) and then runs the same preparation in this process under
tracemalloc (peak Python heap). It prints the numbers and whether the goals are met; it is not a
test, and exits non-zero on a miss only with --strict.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

REPOSITORY = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPOSITORY / "lambda"))

from ai_reviewer.pipeline import create_model, prepare_review  # noqa: E402 - needs the path above
from ai_reviewer.settings import Settings  # noqa: E402

GOAL_SECONDS = 2.0
GOAL_MEGABYTES = 256


def _instance(index: int) -> tuple[str, dict[str, Any], dict[str, Any]]:
    before: dict[str, Any] = {
        "ami": f"ami-0{index:016x}",
        "instance_type": "t3.medium",
        "subnet_id": f"subnet-0{index:016x}",
        "vpc_security_group_ids": [f"sg-0{index:016x}", f"sg-1{index:016x}"],
        "tags": {"Name": f"app-{index}", "Environment": "prod", "Team": "platform", "CostCenter": "cc-42"},
        "root_block_device": [{"volume_size": 50, "volume_type": "gp3", "encrypted": True, "iops": 3000}],
        "user_data": f"#!/bin/bash\necho starting app {index}\nsystemctl enable app-{index}\n",
        "arn": f"arn:aws:ec2:ap-northeast-2:123456789012:instance/i-0{index:016x}",
        "private_ip": f"10.{index % 250}.{index % 200}.{index % 100}",
        "monitoring": True,
    }
    after = dict(before, instance_type="t3.large", tags=dict(before["tags"], Version=f"v{index}"))
    return "aws_instance", before, after


def _database(index: int) -> tuple[str, dict[str, Any], dict[str, Any]]:
    before: dict[str, Any] = {
        "identifier": f"orders-{index}",
        "engine": "postgres",
        "engine_version": "15.4",
        "instance_class": "db.r6g.large",
        "allocated_storage": 200,
        "username": "app",
        "password": f"generated-db-password-{index}",
        "storage_encrypted": True,
        "deletion_protection": True,
        "vpc_security_group_ids": [f"sg-0{index:016x}"],
        "tags": {"Name": f"orders-{index}", "Environment": "prod"},
    }
    return "aws_db_instance", before, dict(before, allocated_storage=400)


def _role(index: int) -> tuple[str, dict[str, Any], dict[str, Any]]:
    statement = [
        {
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:PutObject", "secretsmanager:GetSecretValue"],
            "Resource": [f"arn:aws:s3:::bucket-{index}/*", f"arn:aws:secretsmanager:*:*:secret:app-{index}-*"],
        }
    ]
    before: dict[str, Any] = {
        "name": f"role-{index}",
        "assume_role_policy": json.dumps({"Version": "2012-10-17", "Statement": statement}),
        "max_session_duration": 3600,
        "tags": {"Environment": "prod"},
        "unique_id": f"AROA{index:016d}",
    }
    return "aws_iam_role", before, dict(before, max_session_duration=7200)


_FACTORIES = (_instance, _database, _role)


def generate_plan(target_bytes: int) -> dict[str, Any]:
    resource_changes: list[dict[str, Any]] = []
    planned: list[dict[str, Any]] = []
    prior: list[dict[str, Any]] = []
    plan = {
        "format_version": "1.2",
        "terraform_version": "1.9.5",
        "variables": {"db_password": {"value": "not-sent-to-the-model"}},
        "resource_changes": resource_changes,
        "planned_values": {"root_module": {"resources": planned}},
        "prior_state": {"values": {"root_module": {"resources": prior}}},
        "configuration": {"root_module": {"variables": {"db_password": {"sensitive": True}}}},
    }
    size = 0
    index = 0
    while size < target_bytes:
        resource_type, before, after = _FACTORIES[index % len(_FACTORIES)](index)
        address = f"{resource_type}.r{index}"
        mask = {"password": True} if "password" in before else {}
        actions = ["delete", "create"] if index % 10 == 0 else ["update"]
        change = {
            "actions": actions,
            "before": before,
            "after": after,
            "after_unknown": {"arn": True} if "arn" in after else {},
            "before_sensitive": mask,
            "after_sensitive": mask,
        }
        common = {"address": address, "mode": "managed", "type": resource_type, "name": f"r{index}"}
        entries = (
            (resource_changes, {**common, "provider_name": "registry.terraform.io/hashicorp/aws", "change": change}),
            (planned, {**common, "values": after, "sensitive_values": mask}),
            (prior, {**common, "values": before, "sensitive_values": mask}),
        )
        for section, entry in entries:
            section.append(entry)
            size += len(json.dumps(entry)) + 2
        index += 1
    return plan


def _measure_child(plan_path: Path) -> tuple[float, float, float, int]:
    environment = dict(os.environ, PYTHONPATH=str(REPOSITORY / "lambda"), AI_PROVIDER="openai")
    started = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, "-m", "ai_reviewer", "preview", str(plan_path)],
        env=environment,
        capture_output=True,
        check=True,
    )
    wall = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak_rss_mb = usage.ru_maxrss / 1024  # KiB on Linux
    # CPU time (user + system) tells the cost when other processes share the cores and stretch the wall time.
    return wall, usage.ru_utime + usage.ru_stime, peak_rss_mb, len(completed.stdout)


def _measure_in_process(plan_path: Path) -> tuple[float, float]:
    settings = Settings.from_env({"AI_PROVIDER": "openai"})
    tracemalloc.start()
    started = time.perf_counter()
    plan = json.loads(plan_path.read_text(encoding="utf-8"))
    prepare_review(plan, create_model(settings), settings.max_input_tokens)
    wall = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return wall, peak / 1024 / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=float, default=5.0)
    parser.add_argument("--strict", action="store_true", help="exit 1 when a goal is missed")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        plan_path = Path(directory) / "plan.json"
        plan_path.write_text(json.dumps(generate_plan(int(args.size_mb * 1024 * 1024))), encoding="utf-8")
        plan_mb = plan_path.stat().st_size / 1024 / 1024
        wall, cpu, rss_mb, output_bytes = _measure_child(plan_path)
        traced_wall, traced_peak_mb = _measure_in_process(plan_path)
    print(f"plan size:                  {plan_mb:.2f} MB")
    print(f"preview wall time:          {wall:.2f} s (goal < {GOAL_SECONDS} s, includes interpreter start)")
    print(f"preview CPU time:           {cpu:.2f} s (user + system; the wall time on an idle machine)")
    print(f"preview peak RSS:           {rss_mb:.0f} MB (goal < {GOAL_MEGABYTES} MB)")
    print(f"request body written:       {output_bytes / 1024:.0f} KB")
    print(f"in-process time (traced):   {traced_wall:.2f} s")
    print(f"in-process tracemalloc peak: {traced_peak_mb:.0f} MB")
    met = wall < GOAL_SECONDS and rss_mb < GOAL_MEGABYTES
    print("goal met" if met else "goal missed")
    return 1 if args.strict and not met else 0


if __name__ == "__main__":
    sys.exit(main())
