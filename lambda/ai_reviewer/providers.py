"""The model back ends: OpenAI through its official SDK, Amazon Bedrock through the Converse API.

Each back end builds the exact request body (the preview CLI prints it) and sends it once. Retrying is
the caller's job (retry.py), so the SDKs' own retries are off and one bounded policy governs both.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Protocol

import boto3
from botocore.config import Config
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

from ai_reviewer.prompt import ReviewPrompt
from ai_reviewer.review import REVIEW_SCHEMA

if TYPE_CHECKING:
    import openai

REVIEW_TOOL_NAME = "submit_plan_review"

_TRANSIENT_BEDROCK_ERRORS = frozenset(
    {
        "ThrottlingException",
        "ServiceUnavailableException",
        "InternalServerException",
        "ModelNotReadyException",
        "ModelTimeoutException",
    }
)
_BEDROCK_NETWORK_ERRORS = (ReadTimeoutError, ConnectTimeoutError, EndpointConnectionError, ConnectionClosedError)
_CONNECT_TIMEOUT_SECONDS = 10


class ModelError(Exception):
    """The model call failed, or its answer is unusable. Messages never include response bodies."""


class TransientModelError(ModelError):
    """Rate limited, server error or timeout: worth retrying."""


class ReviewModel(Protocol):
    label: str

    def build_request(self, prompt: ReviewPrompt) -> dict[str, Any]: ...

    def send(self, request: dict[str, Any]) -> Any:
        """Send one request and return the review as decoded JSON."""
        ...


def is_transient(error: Exception) -> bool:
    return isinstance(error, TransientModelError)


class OpenAIModel:
    def __init__(
        self,
        model: str,
        max_output_tokens: int,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout_seconds: float = 60.0,
    ) -> None:
        self.label = f"openai/{model}"
        self._model = model
        self._max_output_tokens = max_output_tokens
        self._api_key = api_key
        self._base_url = base_url
        self._timeout_seconds = timeout_seconds
        self._client: openai.OpenAI | None = None

    def build_request(self, prompt: ReviewPrompt) -> dict[str, Any]:
        return {
            "model": self._model,
            "messages": [
                {"role": "system", "content": prompt.system},
                {"role": "user", "content": prompt.user},
            ],
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": "terraform_plan_review", "strict": True, "schema": REVIEW_SCHEMA},
            },
            "max_completion_tokens": self._max_output_tokens,
        }

    def send(self, request: dict[str, Any]) -> Any:
        # Imported here so that a Bedrock-only deployment and the preview CLI never load the SDK.
        import openai

        if self._client is None:
            self._client = openai.OpenAI(
                api_key=self._api_key,
                base_url=self._base_url,
                timeout=self._timeout_seconds,
                max_retries=0,
            )
        try:
            completion = self._client.chat.completions.create(**request)
        except openai.APIConnectionError as error:  # includes APITimeoutError
            raise TransientModelError(f"OpenAI request failed: {type(error).__name__}") from None
        except openai.APIStatusError as error:
            status = error.status_code
            message = f"OpenAI returned HTTP {status}"
            if status in (408, 429) or status >= 500:
                raise TransientModelError(message) from None
            raise ModelError(message) from None
        if not completion.choices:
            raise ModelError("OpenAI returned no choices")
        choice = completion.choices[0]
        if choice.finish_reason == "length":
            raise ModelError("the review was cut off by max_completion_tokens")
        if choice.message.refusal:
            raise ModelError("the model refused to review the plan")
        return _decode_json(choice.message.content)


class BedrockModel:
    def __init__(
        self,
        model_id: str,
        max_output_tokens: int,
        *,
        client: Any = None,
        timeout_seconds: float = 60.0,
    ) -> None:
        self.label = f"bedrock/{model_id}"
        self._model_id = model_id
        self._max_output_tokens = max_output_tokens
        self._client = client
        self._timeout_seconds = timeout_seconds

    def build_request(self, prompt: ReviewPrompt) -> dict[str, Any]:
        # A forced tool call is Converse's way to get JSON that follows a schema.
        return {
            "modelId": self._model_id,
            "system": [{"text": prompt.system}],
            "messages": [{"role": "user", "content": [{"text": prompt.user}]}],
            "inferenceConfig": {"maxTokens": self._max_output_tokens, "temperature": 0},
            "toolConfig": {
                "tools": [
                    {
                        "toolSpec": {
                            "name": REVIEW_TOOL_NAME,
                            "description": "Submit the structured review of the Terraform plan.",
                            "inputSchema": {"json": REVIEW_SCHEMA},
                        }
                    }
                ],
                "toolChoice": {"tool": {"name": REVIEW_TOOL_NAME}},
            },
        }

    def send(self, request: dict[str, Any]) -> Any:
        try:
            response = self._bedrock().converse(**request)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "Unknown")
            status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
            message = f"Bedrock returned {code} (HTTP {status})"
            if code in _TRANSIENT_BEDROCK_ERRORS or status == 429 or status >= 500:
                raise TransientModelError(message) from None
            raise ModelError(message) from None
        except _BEDROCK_NETWORK_ERRORS as error:
            raise TransientModelError(f"Bedrock request failed: {type(error).__name__}") from None
        if response.get("stopReason") == "max_tokens":
            raise ModelError("the review was cut off by maxTokens")
        content = response.get("output", {}).get("message", {}).get("content", [])
        for block in content:
            tool_use = block.get("toolUse")
            if tool_use and tool_use.get("name") == REVIEW_TOOL_NAME:
                return tool_use.get("input")
        texts = [block["text"] for block in content if "text" in block]
        if texts:
            return _decode_json("".join(texts))
        raise ModelError("Bedrock returned neither a tool call nor text")

    def _bedrock(self) -> Any:
        if self._client is None:
            self._client = boto3.client(
                "bedrock-runtime",
                config=Config(
                    retries={"total_max_attempts": 1},
                    connect_timeout=_CONNECT_TIMEOUT_SECONDS,
                    read_timeout=self._timeout_seconds,
                ),
            )
        return self._client


def _decode_json(text: str | None) -> Any:
    if not text:
        raise ModelError("the model returned an empty answer")
    stripped = text.strip()
    if stripped.startswith("```"):
        # Some models wrap JSON in a Markdown fence despite the instructions.
        stripped = stripped.strip("`").removeprefix("json").strip()
    try:
        return json.loads(stripped)
    except json.JSONDecodeError:
        raise ModelError("the model's answer is not valid JSON") from None
