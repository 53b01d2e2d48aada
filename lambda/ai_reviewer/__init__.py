"""AI review of Atlantis plans: redact a `terraform show -json` plan, ask a model, comment on the PR.

Entry points: `ai_reviewer.handler.handler` (Lambda, SQS batches of S3 events) and
`python -m ai_reviewer preview PLAN.json` (prints the model requests, sends nothing).
"""
