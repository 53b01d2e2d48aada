"""Operators hear about trouble before users do: alarms, task-stop events, SNS email, Slack, and a dashboard."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from stacks.config import AtlantisConfig
from stacks.kms import AwsManagedKeys, ServiceKey, StackKeys
from stacks.lambda_function import LambdaNetwork, PythonLambda
from stacks.machinery.aws import aws
from stacks.machinery.framework import Construct
from stacks.secrets import AtlantisSecret


@dataclass(frozen=True)
class MetricAlarm:
    """One CloudWatch alarm; ``treat_missing_data`` is chosen per alarm so a stopped service never looks healthy."""

    name: str
    description: str
    namespace: str
    metric_name: str
    dimensions: dict[str, str]
    statistic: str
    comparison: str
    threshold: float
    period: int
    evaluation_periods: int
    treat_missing_data: str
    metric_queries: list[dict[str, Any]] = field(default_factory=list)


class AtlantisMonitoring(Construct):
    """Exposes ``topic`` and ``add_alarm``; the Slack notifier and dashboard are created when configured."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: AtlantisConfig,
        account_id: str,
        partition: str,
        secret: AtlantisSecret,
        network: LambdaNetwork | None,
        keys: StackKeys | AwsManagedKeys,
        cluster_name: str,
        cluster_arn: str,
        service_name: str,
        load_balancer_arn_suffix: str,
        target_group_arn_suffix: str,
        file_system_id: str,
        nat_instance_ids: list[str] | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.config = config
        self.keys = keys
        self.prefix = f"{config.environment}-atlantis"
        self._lambda_widgets: list[str] = []
        self.key = ServiceKey(
            self,
            "alerts-key",
            alias=f"{self.prefix}-alerts",
            description=f"Encrypts the {self.prefix}-alerts SNS topic (CloudWatch and EventBridge publish to it)",
            account_id=account_id,
            partition=partition,
            services=["cloudwatch.amazonaws.com", "events.amazonaws.com", "sns.amazonaws.com"],
        )
        self.topic = aws.sns_topic.SnsTopic(
            self, "alerts", name=f"{self.prefix}-alerts", kms_master_key_id=self.key.arn
        )
        aws.sns_topic_policy.SnsTopicPolicy(
            self, "alerts-policy", arn=self.topic.arn, policy=_topic_policy(self.topic.arn, account_id)
        )
        for index, address in enumerate(config.alarm_emails):
            aws.sns_topic_subscription.SnsTopicSubscription(
                self, f"email-{index}", topic_arn=self.topic.arn, protocol="email", endpoint=address
            )

        ecs = {"ClusterName": cluster_name, "ServiceName": service_name}
        target = {"TargetGroup": target_group_arn_suffix, "LoadBalancer": load_balancer_arn_suffix}
        for alarm in service_alarms(
            ecs, target, desired_count=config.desired_count, container_insights=config.enable_container_insights
        ):
            self.add_alarm(alarm)
        for index, instance_id in enumerate(nat_instance_ids or []):
            self.add_alarm(nat_instance_alarm(index, instance_id))
        self._task_stopped_events(cluster_arn)
        if config.enable_slack_notifications and network:
            self.slack_notifier = self._slack_notifier(secret, account_id, network)
        self.dashboard_inputs = (ecs, target, load_balancer_arn_suffix, file_system_id)

    def add_alarm(self, alarm: MetricAlarm) -> Any:
        metric: dict[str, Any]
        if alarm.metric_queries:
            metric = {"metric_query": [_metric_query(query) for query in alarm.metric_queries]}
        else:
            metric = {
                "namespace": alarm.namespace,
                "metric_name": alarm.metric_name,
                "dimensions": alarm.dimensions,
                "statistic": alarm.statistic,
                "period": alarm.period,
            }
        return aws.cloudwatch_metric_alarm.CloudwatchMetricAlarm(
            self,
            f"alarm-{alarm.name}",
            alarm_name=f"{self.prefix}-{alarm.name}",
            alarm_description=alarm.description,
            comparison_operator=alarm.comparison,
            threshold=alarm.threshold,
            evaluation_periods=alarm.evaluation_periods,
            datapoints_to_alarm=alarm.evaluation_periods,
            treat_missing_data=alarm.treat_missing_data,
            alarm_actions=[self.topic.arn],
            ok_actions=[self.topic.arn],
            **metric,
        )

    def watch_lambda(self, key: str, function_name: str) -> None:
        """Alarm on any error of an extra Lambda and chart it on the dashboard."""
        self.add_alarm(
            MetricAlarm(
                name=f"{key}-errors",
                description=f"{function_name} reported errors (see /aws/lambda/{function_name})",
                namespace="AWS/Lambda",
                metric_name="Errors",
                dimensions={"FunctionName": function_name},
                statistic="Sum",
                comparison="GreaterThanOrEqualToThreshold",
                threshold=1,
                period=300,
                evaluation_periods=1,
                treat_missing_data="notBreaching",  # no invocations means no errors
            )
        )
        self._lambda_widgets.append(function_name)

    def watch_queue(self, key: str, queue_name: str) -> None:
        self.add_alarm(
            MetricAlarm(
                name=f"{key}-depth",
                description=f"Messages are waiting in {queue_name}: reviews failed after all retries",
                namespace="AWS/SQS",
                metric_name="ApproximateNumberOfMessagesVisible",
                dimensions={"QueueName": queue_name},
                statistic="Maximum",
                comparison="GreaterThanOrEqualToThreshold",
                threshold=1,
                period=300,
                evaluation_periods=1,
                treat_missing_data="notBreaching",
            )
        )

    def add_dashboard(self) -> None:
        """Created last, so it charts every Lambda registered with watch_lambda."""
        ecs, target, load_balancer, file_system_id = self.dashboard_inputs
        aws.cloudwatch_dashboard.CloudwatchDashboard(
            self,
            "dashboard",
            dashboard_name=self.prefix,
            dashboard_body=dashboard_body(
                region=self.config.aws_region,
                ecs=ecs,
                target=target,
                load_balancer=load_balancer,
                file_system_id=file_system_id,
                lambda_functions=self._lambda_widgets,
                container_insights=self.config.enable_container_insights,
            ),
        )

    def _task_stopped_events(self, cluster_arn: str) -> None:
        rule = aws.cloudwatch_event_rule.CloudwatchEventRule(
            self,
            "task-stopped",
            name=f"{self.prefix}-task-stopped",
            description="Atlantis ECS task stopped (crash, OOM, failed health check, deployment)",
            event_pattern=json.dumps(
                {
                    "source": ["aws.ecs"],
                    "detail-type": ["ECS Task State Change"],
                    "detail": {"lastStatus": ["STOPPED"], "clusterArn": [cluster_arn]},
                }
            ),
        )
        aws.cloudwatch_event_target.CloudwatchEventTarget(
            self,
            "task-stopped-to-alerts",
            rule=rule.name,
            arn=self.topic.arn,
            input_transformer=aws.cloudwatch_event_target.CloudwatchEventTargetInputTransformer(
                input_paths={
                    "cluster": "$.detail.clusterArn",
                    "task": "$.detail.taskArn",
                    "group": "$.detail.group",
                    "stopCode": "$.detail.stopCode",
                    "stoppedReason": "$.detail.stoppedReason",
                    "containers": "$.detail.containers",
                    "region": "$.region",
                    "time": "$.time",
                },
                input_template=TASK_STOPPED_TEMPLATE,
            ),
        )

    def _slack_notifier(self, secret: AtlantisSecret, account_id: str, network: LambdaNetwork) -> PythonLambda:
        notifier = PythonLambda(
            self,
            "slack-notifier",
            config=self.config,
            function_name=f"{self.prefix}-slack-notifier",
            package="slack_notifier",
            description="Posts Atlantis alarms and task stops to Slack",
            environment={
                "SECRET_ARN": secret.arn,
                "ENVIRONMENT": self.config.environment,
                "LOG_LEVEL": "INFO",
            },
            account_id=account_id,
            timeout=30,
            memory_size=128,
            network=network,
            kms_key_arn=self.keys.data_arn,
            logs_kms_arn=self.keys.logs_arn,
        )
        notifier.grant(
            {
                "Sid": "ReadSlackWebhook",
                "Effect": "Allow",
                "Action": "secretsmanager:GetSecretValue",
                "Resource": secret.arn,
            }
        )
        aws.lambda_permission.LambdaPermission(
            self,
            "slack-notifier-from-sns",
            statement_id="AllowAlertsTopic",
            action="lambda:InvokeFunction",
            function_name=notifier.function.function_name,
            principal="sns.amazonaws.com",
            source_arn=self.topic.arn,
        )
        aws.sns_topic_subscription.SnsTopicSubscription(
            self, "slack-subscription", topic_arn=self.topic.arn, protocol="lambda", endpoint=notifier.arn
        )
        self.watch_lambda("slack-notifier", notifier.name)
        return notifier


# A JSON object the Slack notifier understands, led by a sentence that reads well in an email.
TASK_STOPPED_TEMPLATE = (
    '{"message": "Atlantis task stopped: <stopCode> - <stoppedReason>", "kind": "ecs-task-stopped", '
    '"cluster": "<cluster>", "task": "<task>", "group": "<group>", "stopCode": "<stopCode>", '
    '"stoppedReason": "<stoppedReason>", "containers": <containers>, "region": "<region>", "time": "<time>"}'
)


def service_alarms(
    ecs: dict[str, str], target: dict[str, str], *, desired_count: int, container_insights: bool
) -> list[MetricAlarm]:
    """The seed's alarms (CPU, memory, ALB health checks, task stops) plus 5xx and running-task count."""
    return [
        MetricAlarm(
            name="cpu-high",
            description="Atlantis CPU above 80% for 5 consecutive minutes",
            namespace="AWS/ECS",
            metric_name="CPUUtilization",
            dimensions=ecs,
            statistic="Average",
            comparison="GreaterThanThreshold",
            threshold=80,
            period=60,
            evaluation_periods=5,
            treat_missing_data="missing",  # no data = no task; the running-tasks alarm reports that
        ),
        MetricAlarm(
            name="memory-high",
            description="Atlantis memory above 90% for 5 consecutive minutes",
            namespace="AWS/ECS",
            metric_name="MemoryUtilization",
            dimensions=ecs,
            statistic="Average",
            comparison="GreaterThanThreshold",
            threshold=90,
            period=60,
            evaluation_periods=5,
            treat_missing_data="missing",
        ),
        MetricAlarm(
            name="unhealthy-targets",
            description="The ALB health check (/healthz) failed for 3 consecutive minutes",
            namespace="AWS/ApplicationELB",
            metric_name="UnHealthyHostCount",
            dimensions=target,
            statistic="Maximum",
            comparison="GreaterThanOrEqualToThreshold",
            threshold=1,
            period=60,
            evaluation_periods=3,
            treat_missing_data="notBreaching",
        ),
        MetricAlarm(
            name="no-healthy-targets",
            description="No healthy Atlantis target behind the ALB for 3 consecutive minutes",
            namespace="AWS/ApplicationELB",
            metric_name="HealthyHostCount",
            dimensions=target,
            statistic="Minimum",
            comparison="LessThanThreshold",
            threshold=1,
            period=60,
            evaluation_periods=3,
            treat_missing_data="breaching",  # a stopped service publishes nothing: that is the outage
        ),
        MetricAlarm(
            name="http-5xx",
            description="The ALB or Atlantis answered 10 or more 5xx responses in 5 minutes",
            namespace="AWS/ApplicationELB",
            metric_name="",
            dimensions={},
            statistic="Sum",
            comparison="GreaterThanOrEqualToThreshold",
            threshold=10,
            period=300,
            evaluation_periods=1,
            treat_missing_data="notBreaching",  # no requests means no errors
            metric_queries=_five_xx_queries(target),
        ),
        running_tasks_alarm(ecs, target, desired_count=desired_count, container_insights=container_insights),
    ]


def running_tasks_alarm(
    ecs: dict[str, str], target: dict[str, str], *, desired_count: int, container_insights: bool
) -> MetricAlarm:
    """Fewer tasks than desired. Container Insights counts running tasks; without it (its metrics cost about $9 a
    month) the load balancer counts healthy targets, free: every Atlantis task registers with the one target group,
    so a task that is not serving counts as missing, which is stricter than RUNNING."""
    source = (
        ("ECS/ContainerInsights", "RunningTaskCount", ecs, "Fewer Atlantis tasks running")
        if container_insights
        else ("AWS/ApplicationELB", "HealthyHostCount", target, "Fewer healthy Atlantis tasks behind the ALB")
    )
    namespace, metric_name, dimensions, what = source
    return MetricAlarm(
        name="running-tasks-low",
        description=f"{what} than desired ({desired_count}) for 3 consecutive minutes",
        namespace=namespace,
        metric_name=metric_name,
        dimensions=dimensions,
        statistic="Minimum",
        comparison="LessThanThreshold",
        threshold=desired_count,
        period=60,
        evaluation_periods=3,
        treat_missing_data="breaching",
    )


def nat_instance_alarm(index: int, instance_id: str) -> MetricAlarm:
    """A NAT instance failing its status checks cuts the private subnets off the internet (EC2 recovers it on host
    failures by itself; an operating system failure needs a reboot or a redeploy)."""
    return MetricAlarm(
        name=f"nat-{index}-status-check-failed",
        description=f"NAT instance {index} failed an EC2 status check for 2 consecutive minutes: no egress from its AZ",
        namespace="AWS/EC2",
        metric_name="StatusCheckFailed",
        dimensions={"InstanceId": instance_id},
        statistic="Maximum",
        comparison="GreaterThanOrEqualToThreshold",
        threshold=1,
        period=60,
        evaluation_periods=2,
        treat_missing_data="breaching",  # a terminated instance reports nothing
    )


def _five_xx_queries(target: dict[str, str]) -> list[dict[str, Any]]:
    def metric(query_id: str, name: str, dimensions: dict[str, str]) -> dict[str, Any]:
        return {
            "id": query_id,
            "return_data": False,
            "metric": {
                "namespace": "AWS/ApplicationELB",
                "metric_name": name,
                "dimensions": dimensions,
                "stat": "Sum",
                "period": 300,
            },
        }

    load_balancer = {"LoadBalancer": target["LoadBalancer"]}
    return [
        metric("elb", "HTTPCode_ELB_5XX_Count", load_balancer),
        metric("targets", "HTTPCode_Target_5XX_Count", target),
        {"id": "total", "expression": "FILL(elb, 0) + FILL(targets, 0)", "label": "5xx responses", "return_data": True},
    ]


def _metric_query(query: dict[str, Any]) -> Any:
    module = aws.cloudwatch_metric_alarm
    inner = query.get("metric")
    return module.CloudwatchMetricAlarmMetricQuery(
        id=query["id"],
        expression=query.get("expression"),
        label=query.get("label"),
        return_data=query.get("return_data"),
        metric=module.CloudwatchMetricAlarmMetricQueryMetric(**inner) if inner else None,
    )


def _topic_policy(topic_arn: str, account_id: str) -> str:
    publish = {"Effect": "Allow", "Action": "sns:Publish", "Resource": topic_arn}
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "CloudWatchAlarms",
                    **publish,
                    "Principal": {"Service": "cloudwatch.amazonaws.com"},
                    "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
                },
                {
                    "Sid": "EcsTaskEvents",
                    **publish,
                    "Principal": {"Service": "events.amazonaws.com"},
                    "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
                },
            ],
        }
    )


def dashboard_body(
    *,
    region: str,
    ecs: dict[str, str],
    target: dict[str, str],
    load_balancer: str,
    file_system_id: str,
    lambda_functions: list[str],
    container_insights: bool,
) -> str:
    def widget(title: str, metrics: list[list[Any]], stat: str = "Average", y: int = 0, x: int = 0) -> dict[str, Any]:
        return {
            "type": "metric",
            "x": x,
            "y": y,
            "width": 12,
            "height": 6,
            "properties": {"title": title, "region": region, "stat": stat, "period": 60, "metrics": metrics},
        }

    cluster, service = ecs["ClusterName"], ecs["ServiceName"]
    ecs_dims = ["ClusterName", cluster, "ServiceName", service]
    lb_dims = ["LoadBalancer", load_balancer]
    tg_dims = ["TargetGroup", target["TargetGroup"], "LoadBalancer", load_balancer]
    widgets = [
        widget("ECS CPU and memory (%)", [["AWS/ECS", "CPUUtilization", *ecs_dims], [".", "MemoryUtilization", "."]]),
        widget("Running tasks", [["ECS/ContainerInsights", "RunningTaskCount", *ecs_dims]], "Minimum", x=12)
        if container_insights
        else widget("Healthy tasks", [["AWS/ApplicationELB", "HealthyHostCount", *tg_dims]], "Minimum", x=12),
        widget("ALB requests", [["AWS/ApplicationELB", "RequestCount", *lb_dims]], "Sum", y=6),
        widget(
            "Target response time (s)",
            [
                ["AWS/ApplicationELB", "TargetResponseTime", *lb_dims, {"stat": "p50"}],
                ["...", {"stat": "p95"}],
                ["...", {"stat": "p99"}],
            ],
            "p50",
            y=6,
            x=12,
        ),
        widget(
            "4xx / 5xx",
            [
                ["AWS/ApplicationELB", "HTTPCode_Target_4XX_Count", *lb_dims],
                [".", "HTTPCode_Target_5XX_Count", "."],
                [".", "HTTPCode_ELB_5XX_Count", "."],
            ],
            "Sum",
            y=12,
        ),
        widget(
            "Healthy / unhealthy targets",
            [["AWS/ApplicationELB", "HealthyHostCount", *tg_dims], [".", "UnHealthyHostCount", "."]],
            "Minimum",
            y=12,
            x=12,
        ),
        widget(
            "EFS throughput and IO (bytes)",
            [
                ["AWS/EFS", "MeteredIOBytes", "FileSystemId", file_system_id],
                [".", "DataReadIOBytes", "."],
                [".", "DataWriteIOBytes", "."],
            ],
            "Sum",
            y=18,
        ),
    ]
    for index, function_name in enumerate(lambda_functions):
        dims = ["FunctionName", function_name]
        widgets.append(
            widget(
                f"Lambda {function_name}: invocations, errors, duration",
                [
                    ["AWS/Lambda", "Invocations", *dims, {"stat": "Sum"}],
                    [".", "Errors", ".", ".", {"stat": "Sum"}],
                    [".", "Duration", ".", ".", {"stat": "p95", "yAxis": "right"}],
                ],
                "Sum",
                y=24 + 6 * (index // 2),
                x=12 * (index % 2),
            )
        )
    return json.dumps({"widgets": widgets})
