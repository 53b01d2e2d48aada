"""The monthly cost command: pricing rules on small hand-built cdk.tf.json documents, and the CLI around them."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from costs.cli import main, resolve_stack_file
from costs.estimate import Estimate, estimate_stack
from costs.model import Basis, Category
from costs.pricers.fargate import tasks_by_provider
from costs.prices import DEFAULT_PRICE_TABLE, PriceTable, load_price_table
from costs.stack import stack_from_document

HOURS = 730
CLUSTER_REF = "${aws_ecs_cluster.cluster.arn}"


@pytest.fixture(scope="module")
def prices() -> PriceTable:
    return load_price_table()


def document(resources: dict[str, dict[str, Any]], data: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "//": {"metadata": {"stackName": "test-stack"}},
        "provider": {"aws": [{"region": "ap-northeast-2"}]},
        "terraform": {"backend": {"s3": {"bucket": "state-bucket", "dynamodb_table": "lock-table"}}},
        "resource": resources,
        "data": data or {},
    }


def fargate_document(
    *,
    desired: Any = 1,
    architecture: str = "X86_64",
    strategy: list[dict[str, Any]] | None = None,
    default_strategy: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    service: dict[str, Any] = {
        "cluster": CLUSTER_REF,
        "desired_count": desired,
        "task_definition": "${aws_ecs_task_definition.task.arn}",
    }
    if strategy is not None:
        service["capacity_provider_strategy"] = strategy
    elif default_strategy is None:
        service["launch_type"] = "FARGATE"
    resources: dict[str, dict[str, Any]] = {
        "aws_ecs_cluster": {"cluster": {"name": "c"}},
        "aws_ecs_task_definition": {
            "task": {
                "family": "atlantis",
                "cpu": "1024",
                "memory": "2048",
                "requires_compatibilities": ["FARGATE"],
                "runtime_platform": {"cpu_architecture": architecture, "operating_system_family": "LINUX"},
            }
        },
        "aws_ecs_service": {"service": service},
    }
    if default_strategy is not None:
        resources["aws_ecs_cluster_capacity_providers"] = {
            "providers": {
                "cluster_name": "${aws_ecs_cluster.cluster.name}",
                "capacity_providers": ["FARGATE", "FARGATE_SPOT"],
                "default_capacity_provider_strategy": default_strategy,
            }
        }
    return document(resources)


def estimate_of(doc: dict[str, Any], prices: PriceTable, hours: float = HOURS) -> Estimate:
    return estimate_stack(stack_from_document(doc), prices, hours)


def category_usd(estimate: Estimate, category: Category) -> float:
    return estimate.by_category()[category]


# Fargate: 1 task of 1 vCPU and 2 GB for 730 hours, at the published Seoul rates.
X86_ONE_TASK = 730 * 0.04656 + 1460 * 0.00511
ARM_ONE_TASK = 730 * 0.03725 + 1460 * 0.00409


def test_the_price_table_holds_the_published_seoul_fargate_and_network_rates(prices: PriceTable) -> None:
    assert prices.region == "ap-northeast-2"
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", prices.as_of)
    assert "Price List" in prices.source
    assert prices.price("fargate.linux_x86_64.vcpu_hour") == 0.04656
    assert prices.price("fargate.linux_x86_64.gb_hour") == 0.00511
    assert prices.price("fargate.linux_arm64.vcpu_hour") == 0.03725
    assert prices.price("fargate.linux_arm64.gb_hour") == 0.00409
    assert (prices.price("nat_gateway.hour"), prices.price("nat_gateway.data_processed_gb")) == (0.059, 0.059)
    assert (prices.price("alb.hour"), prices.price("alb.lcu_hour")) == (0.0225, 0.008)


def test_every_price_entry_names_its_source_and_how_it_was_checked() -> None:
    table = json.loads(DEFAULT_PRICE_TABLE.read_text())
    levels = set(table["verification_levels"])
    for section in ("prices", "factors"):
        for key, entry in table[section].items():
            assert entry["source"] and entry["unit"], key
            assert entry["verification"] in levels, key
    for key, entry in table["usage_assumptions"].items():
        assert entry["unit"] and entry["why"], key


def test_fargate_x86_task_is_vcpu_hours_plus_gb_hours(prices: PriceTable) -> None:
    estimate = estimate_of(fargate_document(), prices)
    vcpu, memory = estimate.lines
    assert (vcpu.quantity, vcpu.unit, vcpu.unit_price) == (730, "vCPU-hours", 0.04656)
    assert (memory.quantity, memory.unit, memory.unit_price) == (1460, "GB-hours", 0.00511)
    assert {vcpu.basis, memory.basis} == {Basis.FIXED}
    assert category_usd(estimate, Category.FARGATE) == pytest.approx(X86_ONE_TASK)


def test_fargate_arm64_uses_the_graviton_rates(prices: PriceTable) -> None:
    estimate = estimate_of(fargate_document(architecture="ARM64"), prices)
    assert category_usd(estimate, Category.FARGATE) == pytest.approx(ARM_ONE_TASK)
    assert all("ARM64" in line.item for line in estimate.lines)


def test_fargate_cost_scales_with_desired_count(prices: PriceTable) -> None:
    three = estimate_of(fargate_document(desired=3), prices)
    none = estimate_of(fargate_document(desired=0), prices)
    assert category_usd(three, Category.FARGATE) == pytest.approx(3 * X86_ONE_TASK)
    assert category_usd(none, Category.FARGATE) == 0


def test_fargate_spot_strategy_is_priced_at_the_spot_fraction(prices: PriceTable) -> None:
    spot_only = fargate_document(strategy=[{"capacity_provider": "FARGATE_SPOT", "weight": 1}])
    estimate = estimate_of(spot_only, prices)
    assert category_usd(estimate, Category.FARGATE) == pytest.approx(0.30 * X86_ONE_TASK)
    assert all("Spot" in line.item and line.assumption for line in estimate.lines)


def test_a_service_without_launch_type_follows_the_cluster_default_strategy(prices: PriceTable) -> None:
    doc = fargate_document(desired=2, default_strategy=[{"capacity_provider": "FARGATE_SPOT", "weight": 1}])
    assert category_usd(estimate_of(doc, prices), Category.FARGATE) == pytest.approx(2 * 0.30 * X86_ONE_TASK)


def test_capacity_strategy_places_base_tasks_first_then_splits_by_weight() -> None:
    strategy = [
        {"capacity_provider": "FARGATE", "base": 1, "weight": 1},
        {"capacity_provider": "FARGATE_SPOT", "weight": 3},
    ]
    assert tasks_by_provider(5, strategy) == {"FARGATE": 2, "FARGATE_SPOT": 3}
    assert tasks_by_provider(1, strategy) == {"FARGATE": 1}
    assert tasks_by_provider(2, []) == {"FARGATE": 2}


def test_arm64_tasks_cannot_use_spot_so_they_are_priced_on_demand_with_a_note(prices: PriceTable) -> None:
    doc = fargate_document(architecture="ARM64", strategy=[{"capacity_provider": "FARGATE_SPOT", "weight": 1}])
    estimate = estimate_of(doc, prices)
    assert category_usd(estimate, Category.FARGATE) == pytest.approx(ARM_ONE_TASK)
    assert any("Fargate Spot runs only X86_64" in note for note in estimate.notes)


def test_a_computed_desired_count_is_priced_as_default_with_a_note(prices: PriceTable) -> None:
    estimate = estimate_of(fargate_document(desired="${var.desired}"), prices)
    assert category_usd(estimate, Category.FARGATE) == 0
    assert any("desired_count is computed" in note for note in estimate.notes)


def nat_document(zones: int) -> dict[str, Any]:
    return document(
        {
            "aws_eip": {f"nat-{i}-ip": {"domain": "vpc"} for i in range(zones)},
            "aws_nat_gateway": {f"nat-{i}": {"allocation_id": f"${{aws_eip.nat-{i}-ip.id}}"} for i in range(zones)},
        }
    )


def test_nat_per_az_doubles_the_fixed_cost_but_not_the_traffic(prices: PriceTable) -> None:
    single, per_az = estimate_of(nat_document(1), prices), estimate_of(nat_document(2), prices)
    one_gateway_and_its_ip = 730 * 0.059 + 730 * 0.005
    assert single.fixed_usd == pytest.approx(one_gateway_and_its_ip)
    assert per_az.fixed_usd == pytest.approx(2 * one_gateway_and_its_ip)
    traffic = prices.assumption("nat_gateway.data_processed_gb_month") * 0.059
    assert single.usage_usd == pytest.approx(traffic)
    assert per_az.usage_usd == pytest.approx(traffic)
    nat_ips = [line for line in per_az.lines if line.address.startswith("aws_eip.")]
    assert len(nat_ips) == 2 and all(line.category is Category.NAT for line in nat_ips)


def test_internet_facing_alb_pays_for_a_public_ipv4_per_az_and_an_internal_one_does_not(prices: PriceTable) -> None:
    def alb(internal: bool) -> dict[str, Any]:
        return document({"aws_lb": {"alb": {"internal": internal, "subnets": ["a", "b"]}}})

    public, internal = estimate_of(alb(False), prices), estimate_of(alb(True), prices)
    assert public.fixed_usd - internal.fixed_usd == pytest.approx(2 * 730 * 0.005)
    assert internal.fixed_usd == pytest.approx(730 * 0.0225)
    assert internal.usage_usd == pytest.approx(730 * 0.008 * prices.assumption("load_balancer.average_capacity_units"))


def test_unknown_types_are_listed_as_not_priced_and_free_types_are_counted(prices: PriceTable) -> None:
    doc = document(
        {
            "aws_mq_broker": {"broker": {"engine_type": "RabbitMQ"}},
            "aws_iam_role": {"a": {}, "b": {}},
            "aws_security_group": {"sg": {}},
        }
    )
    estimate = estimate_of(doc, prices)
    assert [(item.address, item.type) for item in estimate.not_priced] == [("aws_mq_broker.broker", "aws_mq_broker")]
    assert estimate.no_direct_cost_count == 3
    assert estimate.total_usd == 0


def test_a_secret_read_as_a_data_source_is_still_billed_once(prices: PriceTable) -> None:
    data = {"aws_secretsmanager_secret": {"secret": {"name": "prod-atlantis-secrets"}}}
    read_only = estimate_of(document({}, data), prices)
    assert read_only.fixed_usd == pytest.approx(0.40)
    assert "data source" in read_only.lines[0].item
    managed = document({"aws_secretsmanager_secret": {"secret": {"name": "prod-atlantis-secrets"}}}, data)
    assert estimate_of(managed, prices).fixed_usd == pytest.approx(0.40)


def test_the_first_three_dashboards_are_free(prices: PriceTable) -> None:
    doc = document({"aws_cloudwatch_dashboard": {f"d{i}": {"dashboard_body": "{}"} for i in range(4)}})
    assert estimate_of(doc, prices).fixed_usd == pytest.approx(3.0)


def test_a_log_group_that_never_expires_accumulates_storage(prices: PriceTable) -> None:
    def group(config: dict[str, Any]) -> Estimate:
        return estimate_of(document({"aws_cloudwatch_log_group": {"logs": config}}), prices)

    kept_30_days, forever = group({"retention_in_days": 30}), group({})
    storage = next(line for line in forever.lines if "storage" in line.item)
    assert storage.quantity == pytest.approx(12 * prices.assumption("cloudwatch.log_ingestion_gb_month_per_group"))
    assert forever.usage_usd > kept_30_days.usage_usd


def test_a_log_group_fed_by_flow_logs_is_not_charged_ingestion_twice(prices: PriceTable) -> None:
    doc = document(
        {
            "aws_cloudwatch_log_group": {"flow": {"retention_in_days": 30}},
            "aws_flow_log": {"vpc": {"log_destination": "${aws_cloudwatch_log_group.flow.arn}"}},
        }
    )
    estimate = estimate_of(doc, prices)
    ingestion = [line for line in estimate.lines if "ingestion" in line.item or "delivered" in line.item]
    assert [line.address for line in ingestion] == ["aws_flow_log.vpc"]
    assert ingestion[0].unit_price == prices.price("cloudwatch.vended_logs_gb")
    storage = next(line for line in estimate.lines if line.address == "aws_cloudwatch_log_group.flow")
    assert storage.quantity == pytest.approx(prices.assumption("vpc_flow_logs.gb_month_per_flow_log") * 30 / 30.42)


@pytest.mark.parametrize(
    ("alarm", "expected_usd"),
    [
        ({"metric_name": "CPUUtilization", "period": 300}, 0.10),
        ({"metric_name": "CPUUtilization", "period": 10}, 0.30),
        ({"metric_query": [{"id": "a", "metric": {"period": 60}}, {"id": "b", "metric": {}}, {"id": "e"}]}, 0.20),
        ({"threshold_metric_id": "band", "metric_query": [{"id": "m", "metric": {"period": 300}}]}, 0.30),
    ],
)
def test_alarms_are_billed_per_metric_and_resolution(
    prices: PriceTable, alarm: dict[str, Any], expected_usd: float
) -> None:
    doc = document({"aws_cloudwatch_metric_alarm": {"alarm": alarm}})
    assert estimate_of(doc, prices).fixed_usd == pytest.approx(expected_usd)


def test_a_queue_polled_by_lambda_pays_for_long_polling_all_month(prices: PriceTable) -> None:
    mapping = {"poller": {"event_source_arn": "${aws_sqs_queue.jobs.arn}"}}
    polled = document({"aws_sqs_queue": {"jobs": {}}, "aws_lambda_event_source_mapping": mapping})
    dead_letters = document({"aws_sqs_queue": {"jobs": {}}})
    assert estimate_of(polled, prices).lines[0].quantity == prices.assumption("sqs.requests_month_per_polled_queue")
    assert estimate_of(dead_letters, prices).lines[0].quantity == prices.assumption("sqs.requests_month_per_queue")


def kitchen_sink() -> dict[str, Any]:
    """One of every priced resource type, shaped like the AI reviewer and monitoring constructs would emit them."""
    resources = fargate_document()["resource"]
    resources["aws_ecs_cluster"]["cluster"]["setting"] = [{"name": "containerInsights", "value": "enabled"}]
    resources.update(nat_document(1)["resource"])
    resources.update(
        {
            "aws_lb": {"alb": {"subnets": ["a", "b"]}},
            "aws_efs_file_system": {"efs": {"throughput_mode": "elastic"}},
            "aws_efs_backup_policy": {"backup": {"backup_policy": {"status": "ENABLED"}}},
            "aws_cloudwatch_log_group": {"logs": {"retention_in_days": 30}},
            "aws_cloudwatch_metric_alarm": {"cpu": {"metric_name": "CPUUtilization", "period": 300}},
            "aws_cloudwatch_composite_alarm": {"any": {}},
            "aws_cloudwatch_dashboard": {"board": {}},
            "aws_cloudwatch_log_metric_filter": {"errors": {"metric_transformation": [{"name": "Errors"}]}},
            "aws_sns_topic": {"alerts": {}},
            "aws_sns_topic_subscription": {"mail": {"topic_arn": "${aws_sns_topic.alerts.arn}", "protocol": "email"}},
            "aws_sqs_queue": {"reviews": {}},
            "aws_lambda_function": {"reviewer": {"memory_size": 512, "architectures": ["arm64"]}},
            "aws_cloudwatch_event_bus": {"bus": {}},
            "aws_s3_bucket": {"plans": {}},
            "aws_dynamodb_table": {"locks": {"billing_mode": "PAY_PER_REQUEST"}},
            "aws_secretsmanager_secret": {"secret": {"name": "s"}},
            "aws_kms_key": {"key": {"enable_key_rotation": True}},
            "aws_wafv2_web_acl": {"acl": {"rule": [{"name": "common"}, {"name": "bad-inputs"}]}},
            "aws_wafv2_web_acl_logging_configuration": {
                "acl-logs": {"log_destination_configs": ["${aws_cloudwatch_log_group.logs.arn}"]}
            },
            "aws_elasticache_cluster": {
                "cache": {"node_type": "cache.t4g.micro", "num_cache_nodes": 1, "engine": "valkey"}
            },
            "aws_flow_log": {"flow": {"log_destination_type": "cloud-watch-logs"}},
            "aws_vpc_endpoint": {"ecr": {"vpc_endpoint_type": "Interface", "subnet_ids": ["a", "b"]}},
            "aws_route53_zone": {"zone": {"name": "example.com"}},
            "aws_ecr_repository": {"repo": {}},
            "aws_ssm_parameter": {"param": {"tier": "Advanced"}},
            "aws_instance": {"nat": {"instance_type": "t4g.nano", "source_dest_check": False, "monitoring": True}},
        }
    )
    return document(resources)


def test_every_priced_type_prices_without_gaps(prices: PriceTable) -> None:
    estimate = estimate_of(kitchen_sink(), prices)
    assert estimate.not_priced == ()
    priced = {line.address.split(".")[0] for line in estimate.lines}
    expected = set(kitchen_sink()["resource"]) - {"aws_ecs_task_definition", "aws_sns_topic_subscription"}
    assert priced == expected
    zero_cost = [line.address for line in estimate.lines if line.monthly_usd == 0]
    assert zero_cost == ["aws_cloudwatch_dashboard.board"], "only the dashboard, inside the free three, costs nothing"
    usage_lines = [line for line in estimate.lines if line.basis is Basis.USAGE]
    assert all(line.assumption for line in usage_lines), "every usage-based line names its assumption"


def test_the_other_variants_of_each_type_price_too(prices: PriceTable) -> None:
    resources = fargate_document()["resource"]
    resources["aws_ecs_task_definition"]["task"]["ephemeral_storage"] = {"size_in_gib": 50}
    resources.update(
        {
            "aws_lb": {"nlb": {"load_balancer_type": "network", "internal": True}},
            "aws_efs_file_system": {"efs": {"throughput_mode": "provisioned", "provisioned_throughput_in_mibps": 2}},
            "aws_dynamodb_table": {"table": {"read_capacity": 5, "write_capacity": 5}},
            "aws_elasticache_replication_group": {"redis": {"node_type": "cache.r7g.large", "num_cache_clusters": 2}},
            "aws_sqs_queue": {"jobs": {"fifo_queue": True}},
            "aws_cloudwatch_log_group": {"cold": {"log_group_class": "INFREQUENT_ACCESS", "retention_in_days": 7}},
            "aws_flow_log": {"flow": {"log_destination_type": "s3"}},
        }
    )
    estimate = estimate_of(document(resources), prices)
    assert estimate.not_priced == ()
    items = " | ".join(line.item for line in estimate.lines)
    for expected in ("ephemeral storage", "NLB hours", "provisioned throughput", "provisioned write", "redis", "FIFO"):
        assert expected in items
    redis = next(line for line in estimate.lines if "redis" in line.item)
    assert redis.monthly_usd == pytest.approx(2 * 730 * 0.262)


def nat_instance_document(instance_type: str = "t4g.nano") -> dict[str, Any]:
    """The shape stacks/nat_instance.py synthesizes: an interface without source/destination checks, the instance
    launched with it, and an Elastic IP associated with the instance."""
    return document(
        {
            "aws_network_interface": {"nat": {"source_dest_check": False}},
            "aws_instance": {
                "nat": {
                    "instance_type": instance_type,
                    "network_interface": [
                        {"device_index": 0, "network_interface_id": "${aws_network_interface.nat.id}"}
                    ],
                    "root_block_device": {"volume_type": "gp3", "volume_size": 8, "encrypted": True},
                    "monitoring": True,
                }
            },
            "aws_eip": {"nat": {"domain": "vpc", "instance": "${aws_instance.nat.id}"}},
        }
    )


def test_a_nat_instance_is_hours_volume_monitoring_and_its_address(prices: PriceTable) -> None:
    estimate = estimate_of(nat_instance_document(), prices)
    assert estimate.not_priced == () and estimate.no_direct_cost == {"aws_network_interface": 1}
    by_item = {line.item: line for line in estimate.lines}
    hours = by_item["EC2 t4g.nano Linux hours (NAT instance)"]
    assert hours.monthly_usd == pytest.approx(730 * 0.0052) and "no per-GB processing" in hours.note
    assert by_item["EBS gp3 root volume"].monthly_usd == pytest.approx(8 * 0.0912)
    monitoring = next(line for line in estimate.lines if "detailed monitoring" in line.item)
    assert monitoring.quantity == prices.assumption("ec2.detailed_monitoring_metrics_per_instance")
    address = next(line for line in estimate.lines if line.address == "aws_eip.nat")
    assert address.item == "Public IPv4 (Elastic IP) of NAT instance nat" and address.category is Category.NAT
    assert category_usd(estimate, Category.NAT) == pytest.approx(730 * (0.0052 + 0.005) + 8 * 0.0912)


def test_an_instance_type_missing_from_the_price_table_is_listed_not_guessed(prices: PriceTable) -> None:
    estimate = estimate_of(nat_instance_document("m7i.48xlarge"), prices)
    assert [(item.address, item.reason) for item in estimate.not_priced] == [
        ("aws_instance.nat", "instance type m7i.48xlarge is not in the price table")
    ]


def test_a_flow_log_bucket_stores_each_month_until_it_expires(prices: PriceTable) -> None:
    def bucket_with_expiration(days: int) -> Estimate:
        return estimate_of(
            document(
                {
                    "aws_s3_bucket": {"flow": {}},
                    "aws_s3_bucket_lifecycle_configuration": {
                        "flow": {"bucket": "${aws_s3_bucket.flow.id}", "rule": [{"expiration": [{"days": days}]}]}
                    },
                    "aws_flow_log": {
                        "vpc": {"log_destination_type": "s3", "log_destination": "${aws_s3_bucket.flow.arn}"}
                    },
                }
            ),
            prices,
        )

    volume = prices.assumption("vpc_flow_logs.gb_month_per_flow_log")
    for days in (90, 365):
        storage = next(line for line in bucket_with_expiration(days).lines if "storage of VPC flow logs" in line.item)
        assert storage.quantity == pytest.approx(volume * days / 30.42)
        assert f"{days}-day expiration" in storage.item and storage.category is Category.MONITORING


def test_totals_add_up(prices: PriceTable) -> None:
    estimate = estimate_of(kitchen_sink(), prices)
    lines_total = sum(line.monthly_usd for line in estimate.lines)
    assert estimate.fixed_usd + estimate.usage_usd == pytest.approx(estimate.total_usd)
    assert estimate.total_usd == pytest.approx(lines_total)
    assert sum(estimate.by_category().values()) == pytest.approx(lines_total)


def test_hours_scale_hourly_items_only(prices: PriceTable) -> None:
    doc = document({"aws_nat_gateway": {"nat": {}}, "aws_kms_key": {"key": {}}})
    half = estimate_of(doc, prices, hours=365)
    assert half.fixed_usd == pytest.approx(365 * 0.059 + 1.0)


@pytest.fixture
def stack_file(tmp_path: Path) -> Path:
    path = tmp_path / "cdktf.out" / "stacks" / "test-stack" / "cdk.tf.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(kitchen_sink()))
    return path


def test_cli_prints_a_table_with_totals_and_the_seed_estimate(
    stack_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([str(stack_file)]) == 0
    out = capsys.readouterr().out
    header = next(line for line in out.splitlines() if line.startswith("RESOURCE"))
    assert header.split() == ["RESOURCE", "PRICED", "ITEM", "QUANTITY", "USD/MONTH", "BASIS"]
    assert re.search(r"aws_nat_gateway\.nat-0 +NAT gateway hours +730 gateway-hours +43\.07 +fixed", out)
    assert re.search(r"^Total +[\d,]+\.\d\d$", out, re.MULTILINE)
    assert "$80-120" in out
    assert "resources with no direct cost" in out


def test_cli_json_output_parses_and_matches_the_table(stack_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(stack_file), "--json", "--hours", "730"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["stack"] == "test-stack" and report["region"] == "ap-northeast-2"
    totals = report["totals"]
    assert totals["total_usd"] == pytest.approx(totals["fixed_usd"] + totals["usage_usd"])
    assert totals["total_usd"] == pytest.approx(sum(line["monthly_usd"] for line in report["lines"]), abs=1e-4)
    assert report["seed_comparison"]["basic_total_usd"] == [80, 120]
    assert report["price_table"]["as_of"]


def test_cli_assume_overrides_a_usage_assumption(stack_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(stack_file), "--json", "--assume", "nat_gateway.data_processed_gb_month=100"]) == 0
    lines = json.loads(capsys.readouterr().out)["lines"]
    nat_traffic = next(line for line in lines if line["item"].startswith("NAT gateway data"))
    assert nat_traffic["quantity"] == 100


def test_cli_accepts_a_stack_directory_or_a_stack_name(stack_file: Path) -> None:
    root = stack_file.parents[3]
    assert resolve_stack_file(str(stack_file.parent), root) == stack_file
    assert resolve_stack_file("test-stack", root) == stack_file


@pytest.mark.parametrize(
    "arguments",
    [
        ["does/not/exist/cdk.tf.json"],
        ["no-such-stack"],
        ["{stack}", "--assume", "no.such.assumption=1"],
        ["{stack}", "--assume", "nat_gateway.data_processed_gb_month=lots"],
        ["{stack}", "--hours", "0"],
        ["{bad_json}"],
    ],
)
def test_bad_input_gives_a_one_line_error_and_exit_2(
    arguments: list[str], stack_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad_json = tmp_path / "broken.json"
    bad_json.write_text("{not json")
    argv = [argument.format(stack=stack_file, bad_json=bad_json) for argument in arguments]
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert len(captured.err.strip().splitlines()) == 1
    assert captured.err.startswith("error: ")
