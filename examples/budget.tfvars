# Budget preset: the seed's basic setup within its $80-120 a month (ap-northeast-2), with every trade-off stated.
# Start from it: cp examples/budget.tfvars config/prod.tfvars, then set certificate_arn and alarm_emails.
# Price it after synthesizing: python -m costs prod-atlantis-stack (README "Monthly cost" has the breakdown).
#
# Kept: HTTPS (TLS 1.3) once certificate_arn is set, UI authentication (basic auth), encryption at rest with
# customer-managed KMS keys, the seed's alarms mailed to alarm_emails, WAF, EFS persistence with daily backups,
# the S3/DynamoDB state backend, a NAT per AZ (egress survives the loss of an AZ), VPC flow logs.
#
# cost_profile = "budget" stands for this group of defaults (any of them can still be set here):
#   nat_type                  = "instance"  NAT instances (t4g.nano, SSM only, IMDSv2, encrypted EBS) instead of
#                                           NAT gateways. Gives up: a managed NAT. Bandwidth is the instance's
#                                           (t4g.nano: burst to 5 Gbit/s, baseline 32 Mbit/s); a deploy after a new
#                                           Amazon Linux release replaces the instance (egress pauses a minute or
#                                           two); an operating-system failure needs a reboot (an alarm says so).
#   enable_container_insights = false       Gives up: per-task CPU/memory/network metrics in Container Insights.
#                                           The running-tasks-low alarm counts healthy targets at the ALB instead.
#   flow_log_destination      = "s3"        Flow logs in an encrypted S3 bucket. Gives up: Logs Insights queries
#                                           (use Athena), and metric filters on flow logs.
#   flow_log_retention_days   = 90          Gives up: flow logs older than 90 days (365 in the standard profile).
#   waf_log_retention_days    = 90          Gives up: WAF logs older than 90 days (365 in the standard profile).
org_name    = "mycompany"
environment = "prod"
aws_region  = "ap-northeast-2"
stack_name  = "prod-atlantis-stack"
secret_name = "prod-atlantis-secrets"

git_username = "mycompany-atlantis"
repo_allowlist = [
  "github.com/mycompany/*",
]

cost_profile = "budget"

# An ACM certificate in aws_region (or custom_domain + route53_zone_name); without one Atlantis serves plain HTTP.
custom_domain   = ""
certificate_arn = ""

# Who receives the alarms (confirm the subscription email AWS sends).
alarm_emails = []

terraform_version = "1.7.5"
atlantis_image    = "ghcr.io/runatlantis/atlantis:v0.47.1"
