"""ALB: internet-facing, TLS 1.3 with an HTTP->HTTPS redirect when there is a certificate, health check /healthz."""

from __future__ import annotations

from typing import Any

from stacks.config import AtlantisConfig
from tests.conftest import FAKE_CERT_ARN, only, resources


def listeners_by_port(stack: dict[str, Any]) -> dict[int, dict[str, Any]]:
    return {listener["port"]: listener for listener in resources(stack, "aws_lb_listener")}


def test_alb_is_internet_facing_hardened_and_protected_in_prod(synthesized: dict[str, Any]) -> None:
    alb = only(synthesized["prod"], "aws_lb")
    assert alb["internal"] is False and alb["load_balancer_type"] == "application"
    assert all("aws_subnet.network_public" in subnet for subnet in alb["subnets"])
    assert alb["drop_invalid_header_fields"] is True
    assert alb["enable_deletion_protection"] is True
    assert only(synthesized["dev"], "aws_lb")["enable_deletion_protection"] is False


def test_target_group_checks_healthz_on_4141(synthesized: dict[str, Any]) -> None:
    target_group = only(synthesized["prod"], "aws_lb_target_group")
    assert (target_group["target_type"], target_group["port"], target_group["protocol"]) == ("ip", 4141, "HTTP")
    health = target_group["health_check"]
    assert health["path"] == "/healthz"
    assert health["unhealthy_threshold"] == 3
    assert int(target_group["deregistration_delay"]) <= 30


def test_certificate_gives_https_with_tls13_and_a_redirect(synthesized: dict[str, Any]) -> None:
    listeners = listeners_by_port(synthesized["prod_full"])
    assert set(listeners) == {80, 443}
    https = listeners[443]
    assert https["protocol"] == "HTTPS"
    assert https["ssl_policy"].startswith("ELBSecurityPolicy-TLS13")
    assert https["certificate_arn"] == FAKE_CERT_ARN
    redirect = listeners[80]["default_action"][0]
    assert redirect["type"] == "redirect"
    assert redirect["redirect"] == {"port": "443", "protocol": "HTTPS", "status_code": "HTTP_301"}


def test_route53_zone_gets_a_dns_validated_certificate_and_an_alias(synthesized: dict[str, Any]) -> None:
    stack = synthesized["prod_route53"]
    certificate = only(stack, "aws_acm_certificate")
    assert certificate["domain_name"] == "atlantis.example.com" and certificate["validation_method"] == "DNS"
    records = resources(stack, "aws_route53_record")
    validation = [record for record in records if "for_each" in record]
    assert len(validation) == 1 and "domain_validation_options" in validation[0]["for_each"]
    alias = [record for record in records if "alias" in record]
    assert len(alias) == 1 and alias[0]["name"] == "atlantis.example.com" and alias[0]["type"] == "A"
    assert "aws_lb." in alias[0]["alias"]["name"]
    https = listeners_by_port(stack)[443]
    assert "aws_acm_certificate_validation." in https["certificate_arn"]
    [zone] = stack["data"]["aws_route53_zone"].values()
    assert zone["name"] == "example.com" and zone["private_zone"] is False


def test_without_certificate_http_forwards_to_atlantis(synthesized: dict[str, Any]) -> None:
    listeners = listeners_by_port(synthesized["prod"])
    assert set(listeners) == {80}
    assert listeners[80]["default_action"][0]["type"] == "forward"


def test_synth_without_certificate_warns_once(scenario_configs: dict[str, AtlantisConfig]) -> None:
    from stacks.app import warnings_for

    [warning] = warnings_for(scenario_configs["prod"])
    assert "unencrypted" in warning and "prod-atlantis-stack" in warning and "\n" not in warning
    assert warnings_for(scenario_configs["prod_full"]) == []
