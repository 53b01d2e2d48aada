"""Stand-ins for AWS (moto), GitHub, Atlantis's /healthz and the terraform binary, used by tests/test_deploy_*.py."""
