"""Posts the Atlantis alerts SNS topic to Slack.

CloudWatch alarm state changes and ECS task-stopped events become Block Kit messages with console links;
any other message is posted as plain text so an alert is never dropped for having an unexpected shape.
"""
