# Production Atlantis (ap-northeast-2). Every key is documented in terraform.tfvars.example.
org_name    = "mycompany"
environment = "prod"
aws_region  = "ap-northeast-2"
stack_name  = "prod-atlantis-stack"
secret_name = "prod-atlantis-secrets"

git_username = "mycompany-atlantis"
repo_allowlist = [
  "github.com/mycompany/*",
]

use_existing_vpc            = false
existing_vpc_id             = ""
existing_public_subnet_ids  = []
existing_private_subnet_ids = []
existing_state_bucket       = ""
existing_lock_table         = ""

# Set one of: certificate_arn (an ACM certificate in aws_region), or custom_domain + route53_zone_name
# (a certificate is issued and DNS-validated for you). With neither, Atlantis is served over plain HTTP.
custom_domain   = ""
certificate_arn = ""

enable_infracost   = false
enable_ai_reviewer = false

terraform_version = "1.14.9"
atlantis_image    = "ghcr.io/runatlantis/atlantis:v0.47.1"

alarm_emails               = []
enable_slack_notifications = false
