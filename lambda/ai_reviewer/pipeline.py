"""Plan in, review out: redact, digest within the budget, build the request, ask the model.

The handler and the preview CLI share `prepare_review`, so the preview prints exactly the request
bodies the Lambda would send.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ai_reviewer.prompt import ReviewPrompt, build_prompt
from ai_reviewer.providers import BedrockModel, ModelError, OpenAIModel, ReviewModel, is_transient
from ai_reviewer.redact import RedactionStats, redact_plan
from ai_reviewer.retry import RetryPolicy, call_with_retries
from ai_reviewer.review import InvalidReviewError, Review, parse_review
from ai_reviewer.settings import Settings


@dataclass(frozen=True)
class PreparedReview:
    redaction: RedactionStats
    prompt: ReviewPrompt
    request: dict[str, Any] | None  # None when the plan changes nothing: the model is not asked


def create_model(settings: Settings, openai_api_key: str | None = None) -> ReviewModel:
    """The configured back end. Without an API key the OpenAI model can only build requests."""
    if settings.ai_provider == "bedrock":
        return BedrockModel(
            settings.ai_model,
            settings.max_output_tokens,
            timeout_seconds=settings.model_timeout_seconds,
        )
    return OpenAIModel(
        settings.ai_model,
        settings.max_output_tokens,
        api_key=openai_api_key,
        base_url=settings.openai_base_url,
        timeout_seconds=settings.model_timeout_seconds,
    )


def prepare_review(plan: Mapping[str, Any], model: ReviewModel, max_input_tokens: int) -> PreparedReview:
    redacted = redact_plan(plan)
    prompt = build_prompt(redacted.plan, max_input_tokens)
    request = model.build_request(prompt) if prompt.review_input.has_changes else None
    return PreparedReview(redaction=redacted.stats, prompt=prompt, request=request)


def ask_model(
    model: ReviewModel,
    request: dict[str, Any],
    policy: RetryPolicy,
    sleep: Callable[[float], None] = time.sleep,
) -> Review:
    """Send one request with bounded retries of transient failures; raise ModelError otherwise."""
    answer = call_with_retries(
        lambda: model.send(request),
        is_transient=is_transient,
        policy=policy,
        what=model.label,
        sleep=sleep,
    )
    try:
        return parse_review(answer)
    except InvalidReviewError as error:
        raise ModelError(f"the model's review does not match the schema: {error}") from None
