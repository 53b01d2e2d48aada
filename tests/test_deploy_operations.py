"""The operations subcommands against moto: reset-boltdb, status, update-secret, logs, and destroy (fake terraform)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.deploy_fakes.aws import RecordingMotoServer
from tests.deploy_fakes.helpers import (
    REGION,
    CliResult,
    DeployPaths,
    FakeTerraform,
    aws_client,
    fake_github_token,
    run_cli,
)

pytest_plugins = ["tests.deploy_fakes.fixtures"]

CLUSTER = "prod-atlantis"
SERVICE = "prod-atlantis-service"
SECRET = "prod-atlantis-secrets"
CLEANUP_COMMAND = ["sh", "-c", 'rm -f "${ATLANTIS_DATA_DIR:?}/atlantis.db"']
FAST = ("--timeout", "5", "--poll-interval", "0.01")


@dataclass(frozen=True)
class AtlantisService:
    task_definition: str
    subnets: list[str]
    security_group: str
    target_group: str


@pytest.fixture
def service(moto_aws: RecordingMotoServer) -> AtlantisService:
    """What the stack would have deployed: cluster, task definition, a Fargate service behind a target group."""
    ec2, ecs, elbv2 = aws_client("ec2"), aws_client("ecs"), aws_client("elbv2")
    vpc = ec2.create_vpc(CidrBlock="10.30.0.0/16")["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.30.{index}.0/24", AvailabilityZone=f"{REGION}{zone}")["Subnet"][
            "SubnetId"
        ]
        for index, zone in enumerate("ab")
    ]
    group = ec2.create_security_group(GroupName="prod-atlantis-task", Description="Atlantis task", VpcId=vpc)["GroupId"]
    ecs.create_cluster(clusterName=CLUSTER)
    task_definition = ecs.register_task_definition(
        family="prod-atlantis",
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="1024",
        memory="2048",
        containerDefinitions=[
            {"name": "atlantis", "image": "ghcr.io/runatlantis/atlantis:v0.47.1", "essential": True, "memory": 2048}
        ],
    )["taskDefinition"]["taskDefinitionArn"]
    target_group = elbv2.create_target_group(
        Name="prod-atlantis", Protocol="HTTP", Port=4141, VpcId=vpc, TargetType="ip"
    )["TargetGroups"][0]["TargetGroupArn"]
    elbv2.register_targets(TargetGroupArn=target_group, Targets=[{"Id": "10.30.0.10", "Port": 4141}])
    ecs.create_service(
        cluster=CLUSTER,
        serviceName=SERVICE,
        taskDefinition=task_definition,
        desiredCount=1,
        launchType="FARGATE",
        networkConfiguration={
            "awsvpcConfiguration": {"subnets": subnets, "securityGroups": [group], "assignPublicIp": "DISABLED"}
        },
        loadBalancers=[{"targetGroupArn": target_group, "containerName": "atlantis", "containerPort": 4141}],
    )
    # moto starts no task for a service; scaling sets runningCount like a settled deployment would.
    ecs.update_service(cluster=CLUSTER, service=SERVICE, desiredCount=1)
    moto_aws.log.clear()
    return AtlantisService(task_definition, subnets, group, target_group)


def operation(paths: DeployPaths, *arguments: str, stdin: str = "", terminal: bool = False) -> CliResult:
    command, *rest = arguments
    return run_cli(command, "--config-dir", str(paths.config_dir), *rest, stdin=stdin, terminal=terminal)


def desired_count() -> int:
    return int(aws_client("ecs").describe_services(cluster=CLUSTER, services=[SERVICE])["services"][0]["desiredCount"])


def test_reset_boltdb_scales_down_deletes_the_file_with_a_one_off_task_and_scales_back(
    moto_aws: RecordingMotoServer, deploy_paths: DeployPaths, service: AtlantisService
) -> None:
    result = operation(deploy_paths, "reset-boltdb", "--yes", *FAST)

    assert result.code == 0, result.err
    calls = [op for op in moto_aws.log.operations if op.name in ("UpdateService", "RunTask")]
    assert [(op.name, op.body.get("desiredCount")) for op in calls] == [
        ("UpdateService", 0),
        ("RunTask", None),
        ("UpdateService", 1),
    ]
    run_task = calls[1].body
    assert run_task["cluster"] == CLUSTER
    assert run_task["taskDefinition"] == service.task_definition
    assert run_task["launchType"] == "FARGATE"
    assert run_task["overrides"] == {"containerOverrides": [{"name": "atlantis", "command": CLEANUP_COMMAND}]}
    assert run_task["networkConfiguration"]["awsvpcConfiguration"]["subnets"] == service.subnets
    assert run_task["networkConfiguration"]["awsvpcConfiguration"]["securityGroups"] == [service.security_group]
    ecs = aws_client("ecs")
    [task_arn] = ecs.list_tasks(cluster=CLUSTER, startedBy="quick-deploy/reset-boltdb")["taskArns"]
    assert ecs.describe_tasks(cluster=CLUSTER, tasks=[task_arn])["tasks"][0]["lastStatus"] == "STOPPED"
    assert desired_count() == 1
    assert "[5/5] Wait until healthy: done" in result.out


def test_reset_boltdb_asks_for_the_service_name(
    moto_aws: RecordingMotoServer, deploy_paths: DeployPaths, service: AtlantisService
) -> None:
    refused = operation(deploy_paths, "reset-boltdb", *FAST)
    declined = operation(deploy_paths, "reset-boltdb", *FAST, stdin="yes\n", terminal=True)
    confirmed = operation(deploy_paths, "reset-boltdb", *FAST, stdin=f"{SERVICE}\n", terminal=True)

    assert refused.code == 1 and "re-run with --yes" in refused.err
    assert declined.code == 1 and "not confirmed" in declined.err
    assert confirmed.code == 0, confirmed.err
    assert [op.body["desiredCount"] for op in moto_aws.log.named("UpdateService")] == [0, 1]


@pytest.fixture
def tasks_never_stop(moto_aws: RecordingMotoServer) -> Iterator[None]:
    moto_aws.set_transition("ecs::task", {"progression": "manual", "times": 1_000_000})
    yield
    moto_aws.set_transition("ecs::task", None)


def test_reset_boltdb_that_times_out_leaves_the_service_stopped_and_says_so(
    moto_aws: RecordingMotoServer, deploy_paths: DeployPaths, service: AtlantisService, tasks_never_stop: None
) -> None:
    result = operation(deploy_paths, "reset-boltdb", "--yes", "--timeout", "0.2", "--poll-interval", "0.05")

    assert result.code == 1
    assert result.err.startswith("error: [3/5] Delete the BoltDB file with a one-off task failed after")
    assert "did not stop within 0.2s" in result.err
    assert "the service is left at 0 tasks; fix the cause and re-run reset-boltdb" in result.err
    assert desired_count() == 0


def test_reset_boltdb_without_a_service_says_to_deploy_first(
    moto_aws: RecordingMotoServer, deploy_paths: DeployPaths
) -> None:
    result = operation(deploy_paths, "reset-boltdb", "--yes", *FAST)

    assert result.code == 1
    assert f"ECS service {SERVICE} not found in cluster {CLUSTER}" in result.err
    assert "deploy first" in result.err


def test_status_shows_service_deployments_and_targets(
    moto_aws: RecordingMotoServer, deploy_paths: DeployPaths, service: AtlantisService
) -> None:
    healthy = operation(deploy_paths, "status")
    aws_client("ecs").update_service(cluster=CLUSTER, service=SERVICE, desiredCount=2)
    degraded = operation(deploy_paths, "status")

    assert healthy.code == 0, healthy.err
    assert f"Service {SERVICE} (cluster {CLUSTER}, {REGION}): ACTIVE" in healthy.out
    assert "tasks: desired 1, running 1, pending 0; task definition prod-atlantis:1" in healthy.out
    assert "PRIMARY" in healthy.out
    assert "10.30.0.10:4141 healthy" in healthy.out
    assert "Overall: healthy" in healthy.out
    assert degraded.code == 3
    assert "Overall: NOT healthy" in degraded.out  # one healthy target for two desired tasks


@pytest.fixture
def secret(moto_aws: RecordingMotoServer) -> dict[str, str]:
    values = {"github_token": fake_github_token(), "webhook_secret": "w" * 64, "web_password": "p" * 64}
    aws_client("secretsmanager").create_secret(Name=SECRET, SecretString=json.dumps(values))
    return values


def stored() -> dict[str, str]:
    return json.loads(aws_client("secretsmanager").get_secret_value(SecretId=SECRET)["SecretString"])


def test_update_secret_merges_a_value_from_stdin(
    moto_aws: RecordingMotoServer, deploy_paths: DeployPaths, secret: dict[str, str]
) -> None:
    new_token = fake_github_token()

    result = operation(deploy_paths, "update-secret", "github_token", stdin=new_token + "\n")

    assert result.code == 0, result.err
    assert stored() == {**secret, "github_token": new_token}
    assert new_token not in result.out + result.err
    assert "github_token updated" in result.out
    assert "add --restart" in result.out


def test_update_secret_reads_the_matching_environment_variable(
    moto_aws: RecordingMotoServer, deploy_paths: DeployPaths, secret: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INFRACOST_API_KEY", "ico-" + "i" * 32)

    result = operation(deploy_paths, "update-secret", "infracost_api_key")

    assert result.code == 0, result.err
    assert stored() == {**secret, "infracost_api_key": "ico-" + "i" * 32}


def test_update_secret_generates_and_restarts(
    moto_aws: RecordingMotoServer, deploy_paths: DeployPaths, secret: dict[str, str], service: AtlantisService
) -> None:
    result = operation(deploy_paths, "update-secret", "webhook_secret", "--generate", "--restart")

    assert result.code == 0, result.err
    new_value = stored()["webhook_secret"]
    assert new_value != secret["webhook_secret"] and len(new_value) == 64
    assert "--create-webhooks" in result.out
    [restart] = moto_aws.log.named("UpdateService")
    assert restart.body["forceNewDeployment"] is True


def test_update_secret_refuses_bad_values_and_missing_secrets(
    moto_aws: RecordingMotoServer, deploy_paths: DeployPaths
) -> None:
    missing_secret = operation(deploy_paths, "update-secret", "slack_webhook_url", stdin="https://hooks.example/x")
    no_value = operation(deploy_paths, "update-secret", "openai_api_key")
    bad_token = operation(deploy_paths, "update-secret", "github_token", stdin="not-a-token")

    assert missing_secret.code == 1 and f"secret {SECRET} does not exist" in missing_secret.err
    assert no_value.code == 1 and "no value for openai_api_key" in no_value.err and "OPENAI_API_KEY" in no_value.err
    assert bad_token.code == 1 and "the new github_token is not a GitHub token" in bad_token.err
    assert moto_aws.log.changes() == []


def test_logs_prints_recent_events_and_follows_without_repeating(
    moto_aws: RecordingMotoServer, deploy_paths: DeployPaths
) -> None:
    logs = aws_client("logs")
    logs.create_log_group(logGroupName="/ecs/atlantis-prod")
    logs.create_log_stream(logGroupName="/ecs/atlantis-prod", logStreamName="atlantis/atlantis/0123456789abcdef")
    now = int(time.time() * 1000)
    logs.put_log_events(
        logGroupName="/ecs/atlantis-prod",
        logStreamName="atlantis/atlantis/0123456789abcdef",
        logEvents=[{"timestamp": now - 1000, "message": "server started"}, {"timestamp": now, "message": "ready"}],
    )

    once = operation(deploy_paths, "logs", "--since", "5m")
    followed = operation(deploy_paths, "logs", "--follow", "--duration", "1", "--poll-interval", "0.3")

    assert once.code == 0, once.err
    assert once.out.splitlines()[-2:] == [
        f"{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime((now - 1000) / 1000))} 01234567 server started",
        f"{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(now / 1000))} 01234567 ready",
    ]
    assert followed.code == 0, followed.err
    assert followed.out.count("server started") == 1


def test_logs_without_a_log_group_says_to_deploy_first(
    moto_aws: RecordingMotoServer, deploy_paths: DeployPaths
) -> None:
    result = operation(deploy_paths, "logs")

    assert result.code == 1
    assert "log group /ecs/atlantis-prod does not exist" in result.err


def test_destroy_refuses_while_deletion_protection_is_on(
    moto_aws: RecordingMotoServer, deploy_paths: DeployPaths, fake_terraform: FakeTerraform
) -> None:
    result = operation(deploy_paths, "destroy", "--yes")

    assert result.code == 1
    assert "deletion_protection = true" in result.err
    assert "set deletion_protection = false, run ./quick-deploy.sh to apply it, then destroy" in result.err
    assert fake_terraform.calls() == []


def test_destroy_asks_for_the_stack_name_then_runs_terraform_destroy(
    moto_aws: RecordingMotoServer, deploy_paths: DeployPaths, fake_terraform: FakeTerraform
) -> None:
    deploy_paths.synthesized_stub("mycompany-atlantis-tfstate-ap-northeast-2", stack="dev-atlantis-stack")
    arguments = ("destroy", "--environment", "dev", "--skip-synth")

    refused = operation(deploy_paths, *arguments)
    declined = operation(deploy_paths, *arguments, stdin="prod-atlantis-stack\n", terminal=True)
    assert fake_terraform.calls() == []
    confirmed = operation(deploy_paths, *arguments, stdin="dev-atlantis-stack\n", terminal=True)

    assert refused.code == 1 and "re-run with --yes" in refused.err
    assert declined.code == 1 and "not confirmed" in declined.err
    assert confirmed.code == 0, confirmed.err
    assert fake_terraform.commands() == ["version", "init", "destroy"]
    assert fake_terraform.calls()[-1]["argv"] == ["destroy", "-input=false", "-no-color", "-auto-approve"]
    assert fake_terraform.calls()[-1]["cwd"] == str(deploy_paths.stack_dir("dev-atlantis-stack"))
    assert "Kept: secret dev-atlantis-secrets" in confirmed.out
