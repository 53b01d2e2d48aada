"""A WAF web ACL in front of the ALB: AWS IP reputation, known bad inputs (Log4Shell and friends), a per-IP rate
limit, and optionally "webhooks only from GitHub". Requests are logged to CloudWatch (aws-waf-logs-*)."""

from __future__ import annotations

from typing import Any

from stacks.config import AtlantisConfig
from stacks.machinery.aws import aws
from stacks.machinery.framework import Construct

# Managed rule groups that do not inspect request bodies: GitHub webhook payloads and plan comments are large and
# full of code, which body-inspecting groups (CommonRuleSet's SizeRestrictions_BODY, XSS_BODY) would block.
# AnonymousIpList blocks Tor exits and anonymizing proxies; its HostingProviderIPList rule only counts, because CI
# runners and cloud workstations of legitimate users live in hosting providers' ranges.
MANAGED_RULE_GROUPS: dict[str, list[str]] = {
    "AWSManagedRulesAmazonIpReputationList": [],
    "AWSManagedRulesKnownBadInputsRuleSet": [],
    "AWSManagedRulesAnonymousIpList": ["HostingProviderIPList"],
}
GITHUB_LABEL = "atlantis:github-webhook-source"


def _visibility(metric: str) -> Any:
    return aws.wafv2_web_acl.Wafv2WebAclRuleVisibilityConfig(
        cloudwatch_metrics_enabled=True, metric_name=metric, sampled_requests_enabled=True
    )


class AtlantisWaf(Construct):
    """Exposes ``web_acl``."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: AtlantisConfig,
        load_balancer_arn: str,
        logs_kms_arn: str | None,
    ) -> None:
        super().__init__(scope, construct_id)
        prefix = f"{config.environment}-atlantis"
        waf = aws.wafv2_web_acl
        rules: list[Any] = []
        for priority, (group, count_only) in enumerate(MANAGED_RULE_GROUPS.items(), start=10):
            statement: dict[str, Any] = {"name": group, "vendor_name": "AWS"}
            if count_only:
                statement["rule_action_override"] = [
                    {"name": rule, "action_to_use": {"count": {}}} for rule in count_only
                ]
            rules.append(
                waf.Wafv2WebAclRule(
                    name=group,
                    priority=priority,
                    override_action=waf.Wafv2WebAclRuleOverrideAction(none=waf.Wafv2WebAclRuleOverrideActionNone()),
                    statement={"managed_rule_group_statement": statement},
                    visibility_config=_visibility(group),
                )
            )
        rules.append(
            waf.Wafv2WebAclRule(
                name="rate-limit-per-ip",
                priority=30,
                action=waf.Wafv2WebAclRuleAction(block=waf.Wafv2WebAclRuleActionBlock()),
                statement={"rate_based_statement": {"limit": config.waf_rate_limit, "aggregate_key_type": "IP"}},
                visibility_config=_visibility("rate-limit-per-ip"),
            )
        )
        if config.restrict_webhooks_to_github:
            rules.extend(self._github_only_webhooks(config, prefix))
        self.web_acl = waf.Wafv2WebAcl(
            self,
            "web-acl",
            name=prefix,
            description=f"Protects the {prefix} load balancer",
            scope="REGIONAL",
            default_action=waf.Wafv2WebAclDefaultAction(allow=waf.Wafv2WebAclDefaultActionAllow()),
            rule=rules,
            visibility_config=waf.Wafv2WebAclVisibilityConfig(
                cloudwatch_metrics_enabled=True, metric_name=prefix, sampled_requests_enabled=True
            ),
        )
        aws.wafv2_web_acl_association.Wafv2WebAclAssociation(
            self, "association", resource_arn=load_balancer_arn, web_acl_arn=self.web_acl.arn
        )
        # WAF requires the log group name to start with aws-waf-logs-.
        log_group = aws.cloudwatch_log_group.CloudwatchLogGroup(
            self,
            "log-group",
            name=f"aws-waf-logs-{prefix}",
            retention_in_days=config.waf_log_retention_days,
            kms_key_id=logs_kms_arn,
        )
        aws.wafv2_web_acl_logging_configuration.Wafv2WebAclLoggingConfiguration(
            self,
            "logging",
            resource_arn=self.web_acl.arn,
            log_destination_configs=[log_group.arn],
            # Never log the Authorization header (basic-auth credentials) or GitHub's signature.
            redacted_fields=[
                aws.wafv2_web_acl_logging_configuration.Wafv2WebAclLoggingConfigurationRedactedFields(
                    single_header=aws.wafv2_web_acl_logging_configuration.Wafv2WebAclLoggingConfigurationRedactedFieldsSingleHeader(
                        name=header
                    )
                )
                for header in ("authorization", "x-hub-signature-256", "cookie")
            ],
        )

    def _github_only_webhooks(self, config: AtlantisConfig, prefix: str) -> list[Any]:
        """Label requests from GitHub's hook ranges, then block /events requests without that label."""
        waf = aws.wafv2_web_acl
        ip_sets = []
        for version, family in (("IPV4", "."), ("IPV6", ":")):
            addresses = [cidr for cidr in config.github_webhook_cidrs if family in cidr]
            if addresses:
                ip_sets.append(
                    aws.wafv2_ip_set.Wafv2IpSet(
                        self,
                        f"github-hooks-{version.lower()}",
                        name=f"{prefix}-github-hooks-{version.lower()}",
                        description="GitHub webhook source ranges (api.github.com/meta hooks)",
                        scope="REGIONAL",
                        ip_address_version=version,
                        addresses=addresses,
                    )
                )
        matches = [{"ip_set_reference_statement": {"arn": ip_set.arn}} for ip_set in ip_sets]
        source = matches[0] if len(matches) == 1 else {"or_statement": {"statement": matches}}
        return [
            waf.Wafv2WebAclRule(
                name="label-github-webhook-sources",
                priority=1,
                action=waf.Wafv2WebAclRuleAction(count=waf.Wafv2WebAclRuleActionCount()),
                rule_label=[waf.Wafv2WebAclRuleRuleLabel(name=GITHUB_LABEL)],
                statement=source,
                visibility_config=_visibility("github-webhook-sources"),
            ),
            waf.Wafv2WebAclRule(
                name="webhooks-only-from-github",
                priority=2,
                action=waf.Wafv2WebAclRuleAction(block=waf.Wafv2WebAclRuleActionBlock()),
                statement={
                    "and_statement": {
                        "statement": [
                            {
                                "byte_match_statement": {
                                    "positional_constraint": "STARTS_WITH",
                                    "search_string": "/events",
                                    "field_to_match": {"uri_path": {}},
                                    "text_transformation": [{"priority": 0, "type": "NONE"}],
                                }
                            },
                            {
                                "not_statement": {
                                    "statement": {"label_match_statement": {"scope": "LABEL", "key": GITHUB_LABEL}}
                                }
                            },
                        ]
                    }
                },
                visibility_config=_visibility("webhooks-only-from-github"),
            ),
        ]
