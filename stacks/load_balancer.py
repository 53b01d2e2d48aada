"""The internet-facing entry point: an ALB that terminates TLS and forwards to Atlantis on 4141."""

from __future__ import annotations

from typing import Any

from stacks.config import AtlantisConfig
from stacks.machinery.aws import aws
from stacks.machinery.framework import Construct, TerraformResourceLifecycle, TerraformVariable

TLS13_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
HEALTH_CHECK_PATH = "/healthz"
READINESS_PATH = "/readyz"  # Atlantis answers 503 here while its Redis lock store is unreachable


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
        access_log_bucket: str | None,
    ) -> None:
        super().__init__(scope, construct_id)
        name = f"{config.environment}-atlantis"
        access_logs = (
            aws.lb.LbAccessLogs(bucket=access_log_bucket, prefix="alb", enabled=True) if access_log_bucket else None
        )
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
            access_logs=access_logs,
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
                path=READINESS_PATH if config.locking_db == "redis" else HEALTH_CHECK_PATH,
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
                default_action=self._authenticated(config, forward),
            )
            if config.auth_mode != "basic":
                self._unauthenticated_paths()
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

    def _authenticated(self, config: AtlantisConfig, forward: Any) -> list[Any]:
        """The HTTPS default action: forward (Atlantis basic auth), or ALB OIDC/Cognito login, then forward."""
        listener = aws.lb_listener
        if config.auth_mode == "oidc":
            client_secret = TerraformVariable(
                self,
                "oidc_client_secret",
                type="string",
                sensitive=True,
                nullable=False,
                description="OIDC client secret for the Atlantis UI login (set TF_VAR_oidc_client_secret)",
            )
            client_secret.override_logical_id("oidc_client_secret")  # the name users pass as TF_VAR_...
            login = listener.LbListenerDefaultAction(
                type="authenticate-oidc",
                order=1,
                authenticate_oidc=listener.LbListenerDefaultActionAuthenticateOidc(
                    issuer=config.oidc_issuer,
                    authorization_endpoint=config.oidc_authorization_endpoint,
                    token_endpoint=config.oidc_token_endpoint,
                    user_info_endpoint=config.oidc_user_info_endpoint,
                    client_id=config.oidc_client_id,
                    client_secret=client_secret.string_value,
                    on_unauthenticated_request="authenticate",
                    session_timeout=28800,
                ),
            )
        elif config.auth_mode == "cognito":
            login = listener.LbListenerDefaultAction(
                type="authenticate-cognito",
                order=1,
                authenticate_cognito=listener.LbListenerDefaultActionAuthenticateCognito(
                    user_pool_arn=config.cognito_user_pool_arn,
                    user_pool_client_id=config.cognito_user_pool_client_id,
                    user_pool_domain=config.cognito_user_pool_domain,
                    on_unauthenticated_request="authenticate",
                    session_timeout=28800,
                ),
            )
        else:
            return [forward]
        then_forward = listener.LbListenerDefaultAction(type="forward", order=2, target_group_arn=self.target_group.arn)
        return [login, then_forward]

    def _unauthenticated_paths(self) -> None:
        """GitHub cannot log in: /events (HMAC-signed webhooks) and /healthz go straight to Atlantis."""
        rule = aws.lb_listener_rule
        rule.LbListenerRule(
            self,
            "webhooks-and-health",
            listener_arn=self.https_listener.arn,
            priority=10,
            action=[rule.LbListenerRuleAction(type="forward", target_group_arn=self.target_group.arn)],
            condition=[
                rule.LbListenerRuleCondition(
                    path_pattern=rule.LbListenerRuleConditionPathPattern(values=["/events", "/healthz"])
                )
            ],
        )

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
