# Development Atlantis: one NAT gateway, no deletion protection, no backups.
org_name    = "mycompany"
environment = "dev"
aws_region  = "ap-northeast-2"
stack_name  = "dev-atlantis-stack"
secret_name = "dev-atlantis-secrets"

git_username = "mycompany-atlantis"
repo_allowlist = [
  "github.com/mycompany/*",
]

vpc_cidr = "10.1.0.0/16"

use_existing_vpc   = false
enable_infracost   = false
enable_ai_reviewer = false

terraform_version = "1.14.9"
atlantis_image    = "ghcr.io/runatlantis/atlantis:v0.47.1"
