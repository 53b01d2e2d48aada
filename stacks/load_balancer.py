"""The internet-facing entry point: an ALB that terminates TLS and forwards to Atlantis on 4141."""

from __future__ import annotations

from typing import Any

from stacks.aws import aws
from stacks.config import AtlantisConfig
from stacks.framework import Construct, TerraformResourceLifecycle

TLS13_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
HEALTH_CHECK_PATH = "/healthz"


class AtlantisLoadBalancer(Construct):
    """Exposes ``alb``, ``target_group``, ``dns_name``, ``url`` and the listeners."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: AtlantisConfig,
        vpc_id: str,
        public_subnet_ids: list[str],
        security_group_id: str,
    ) -> None:
        super().__init__(scope, construct_id)
        name = f"{config.environment}-atlantis"
        self.alb = aws.lb.Lb(
            self,
            "alb",
            name=name,
            internal=False,
            load_balancer_type="application",
            subnets=public_subnet_ids,
            security_groups=[security_group_id],
            drop_invalid_header_fields=True,
            desync_mitigation_mode="strictest",
            enable_deletion_protection=config.deletion_protection,
            idle_timeout=60,
        )
        self.target_group = aws.lb_target_group.LbTargetGroup(
            self,
            "atlantis",
            name=name,
            port=4141,
            protocol="HTTP",
            target_type="ip",
            vpc_id=vpc_id,
            deregistration_delay="10",
            health_check=aws.lb_target_group.LbTargetGroupHealthCheck(
                path=HEALTH_CHECK_PATH,
                protocol="HTTP",
                matcher="200",
                interval=15,
                timeout=5,
                healthy_threshold=2,
                unhealthy_threshold=3,
            ),
        )
        self.dns_name: str = self.alb.dns_name
        forward = aws.lb_listener.LbListenerDefaultAction(type="forward", target_group_arn=self.target_group.arn)
        certificate_arn = self._certificate(config)
        self.listeners: list[Any] = []
        if certificate_arn:
            self.https_listener = aws.lb_listener.LbListener(
                self,
                "https",
                load_balancer_arn=self.alb.arn,
                port=443,
                protocol="HTTPS",
                ssl_policy=TLS13_POLICY,
                certificate_arn=certificate_arn,
                default_action=[forward],
            )
            redirect = aws.lb_listener.LbListenerDefaultAction(
                type="redirect",
                redirect=aws.lb_listener.LbListenerDefaultActionRedirect(
                    port="443", protocol="HTTPS", status_code="HTTP_301"
                ),
            )
            self.listeners = [
                self.https_listener,
                aws.lb_listener.LbListener(
                    self, "http", load_balancer_arn=self.alb.arn, port=80, protocol="HTTP", default_action=[redirect]
                ),
            ]
        else:
            self.listeners = [
                aws.lb_listener.LbListener(
                    self, "http", load_balancer_arn=self.alb.arn, port=80, protocol="HTTP", default_action=[forward]
                )
            ]
        host = config.custom_domain or self.dns_name
        self.url = f"{config.atlantis_scheme}://{host}"

    def _certificate(self, config: AtlantisConfig) -> str | None:
        if config.certificate_arn:
            return config.certificate_arn
        if not (config.custom_domain and config.route53_zone_name):
            return None
        zone = aws.data_aws_route53_zone.DataAwsRoute53Zone(
            self, "zone", name=config.route53_zone_name, private_zone=False
        )
        certificate = aws.acm_certificate.AcmCertificate(
            self,
            "certificate",
            domain_name=config.custom_domain,
            validation_method="DNS",
            lifecycle=TerraformResourceLifecycle(create_before_destroy=True),
        )
        # One validation record per domain (for_each over the certificate's options, known after apply).
        validation_record = aws.route53_record.Route53Record(
            self,
            "certificate-validation-record",
            zone_id=zone.zone_id,
            name="${each.value.resource_record_name}",
            type="${each.value.resource_record_type}",
            records=["${each.value.resource_record_value}"],
            ttl=60,
            allow_overwrite=True,
        )
        certificate_address = f"aws_acm_certificate.{certificate.friendly_unique_id}"
        records_address = f"aws_route53_record.{validation_record.friendly_unique_id}"
        validation_record.add_override(
            "for_each",
            f"${{{{for option in {certificate_address}.domain_validation_options : option.domain_name => option}}}}",
        )
        validation = aws.acm_certificate_validation.AcmCertificateValidation(
            self, "certificate-validation", certificate_arn=certificate.arn
        )
        validation.add_override("validation_record_fqdns", f"${{[for record in {records_address} : record.fqdn]}}")
        aws.route53_record.Route53Record(
            self,
            "alias",
            zone_id=zone.zone_id,
            name=config.custom_domain,
            type="A",
            alias=aws.route53_record.Route53RecordAlias(
                name=self.alb.dns_name, zone_id=self.alb.zone_id, evaluate_target_health=True
            ),
        )
        return str(validation.certificate_arn)
