"""Render a review as a GitHub comment (Markdown) and a Slack message (mrkdwn).

Model output is untrusted text: it cannot open or close HTML comments (our marker lives in one),
mention people or break out of inline code.
"""

from __future__ import annotations

from dataclasses import dataclass

from ai_reviewer.budget import ReviewInput
from ai_reviewer.events import PullRequest
from ai_reviewer.redact import RedactionStats
from ai_reviewer.review import Review

_RISK_BADGES = {"low": "🟢", "medium": "🟡", "high": "🟠", "critical": "🔴"}
# GitHub rejects comments over 65536 characters; this leaves room for the truncation note.
MAX_COMMENT_LENGTH = 60000
_SLACK_SUMMARY_LENGTH = 600


@dataclass(frozen=True)
class ReviewReport:
    pull: PullRequest
    review: Review | None  # None when the plan changes nothing and the model was not asked
    review_input: ReviewInput
    redaction: RedactionStats
    model_label: str


def render_comment(marker: str, report: ReviewReport) -> str:
    """The PR comment: our hidden marker first, then the review."""
    project = _code(report.pull.project)
    commit = _code(report.pull.commit[:12])
    if report.review is None:
        return "\n".join(
            [
                marker,
                f"## AI plan review: {project}: no changes",
                "",
                f"The latest plan (commit {commit}) changes no resources or outputs; there is nothing to review.",
            ]
        )
    review = report.review
    lines = [
        marker,
        f"## AI plan review: {project}: risk {_RISK_BADGES[review.risk_level]} **{review.risk_level.upper()}**",
        "",
        f"Commit {commit} · {_change_summary(report.review_input)} · {_redaction_summary(report.redaction)}",
    ]
    if report.review_input.summarized:
        lines += [
            "",
            f"> **Partial review:** the plan exceeds the review budget. "
            f"{report.review_input.resource_changes_in_detail} of {report.review_input.resource_changes_total} "
            "resource changes were sent in detail; every change was sent as counts per action and type, "
            "destructive changes by name.",
        ]
    lines += ["", "### Summary", "", _text(review.summary)]
    lines += _section(
        "Destructive changes",
        [f"{_code(item.address)} ({_text(item.action)}): {_text(item.impact)}" for item in review.destructive_changes],
    )
    lines += _section(
        "Security findings",
        [
            f"**{item.severity.upper()}** {_code(item.address)}: {_text(item.finding)}"
            for item in review.security_findings
        ],
    )
    lines += _section(
        "Cost-relevant changes",
        [f"{_code(item.address)}: {_text(item.change)}" for item in review.cost_changes],
    )
    lines += [
        "",
        f"<sub>Reviewed by {_text(report.model_label)}. Values Terraform marks sensitive and detected secrets "
        "were redacted before the plan was sent. An automated review can miss or misjudge changes; "
        "read the plan before applying.</sub>",
    ]
    return _bounded("\n".join(lines))


def render_slack(report: ReviewReport, comment_url: str) -> str:
    pull = report.pull
    link = f"<{_slack(comment_url)}|{_slack(pull.repo)}#{pull.number}>"
    if report.review is None:
        return f"*AI plan review* {link} `{_slack(pull.project)}`: the latest plan changes nothing."
    review = report.review
    summary = review.summary
    if len(summary) > _SLACK_SUMMARY_LENGTH:
        summary = summary[: _SLACK_SUMMARY_LENGTH - 1] + "…"
    return (
        f"*AI plan review* {link} `{_slack(pull.project)}`: "
        f"{_RISK_BADGES[review.risk_level]} *{review.risk_level.upper()}*\n"
        f"{_slack(summary)}\n"
        f"{len(review.destructive_changes)} destructive change(s), "
        f"{len(review.security_findings)} security finding(s), {len(review.cost_changes)} cost change(s)."
    )


def _bounded(comment: str) -> str:
    if len(comment) <= MAX_COMMENT_LENGTH:
        return comment
    cut = comment.rfind("\n", 0, MAX_COMMENT_LENGTH)
    return comment[:cut] + "\n\n_The review was too long for one comment and was cut here._"


def _section(title: str, entries: list[str]) -> list[str]:
    body = [f"- {entry}" for entry in entries] or ["None found."]
    return ["", f"### {title}", "", *body]


def _change_summary(review_input: ReviewInput) -> str:
    total = review_input.resource_changes_total
    return f"{total} resource change{'' if total == 1 else 's'}"


def _redaction_summary(stats: RedactionStats) -> str:
    return (
        f"{stats.total} value{'' if stats.total == 1 else 's'} redacted before review "
        f"({stats.sensitive} marked sensitive by Terraform, {stats.detected} detected as secrets)"
    )


def _text(text: str) -> str:
    """Untrusted text for Markdown: one line, no HTML comments, no @mentions."""
    one_line = " ".join(text.split())
    return one_line.replace("<!--", "&lt;!--").replace("-->", "--&gt;").replace("@", "@\u200b")


def _code(text: str) -> str:
    return "`" + " ".join(text.replace("`", "'").split()) + "`"


def _slack(text: str) -> str:
    # Slack's mrkdwn treats these three as control characters; escaping also disables @-mentions.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
