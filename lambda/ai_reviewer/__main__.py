"""Command line: `python -m ai_reviewer preview PLAN.json`.

Prints, one JSON object per line, the request bodies the reviewer would send to the model for a
`terraform show -json` plan, after redaction and budgeting, and sends nothing. The provider, model and
budget come from the same environment variables as the Lambda (AI_PROVIDER, AI_MODEL,
MAX_INPUT_TOKENS, ...). For OpenAI a line is the Chat Completions body; for Bedrock the Converse
request (modelId travels in the URL path, the rest is the body).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from ai_reviewer.pipeline import create_model, prepare_review
from ai_reviewer.settings import ConfigError, Settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ai_reviewer", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    preview = commands.add_parser("preview", help="print the model request bodies for a plan, send nothing")
    preview.add_argument("plan", help="path of the `terraform show -json` output, or - for standard input")
    args = parser.parse_args(argv)

    try:
        settings = Settings.from_env(os.environ)
        plan = _load_plan(args.plan)
    except (ConfigError, OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    prepared = prepare_review(plan, create_model(settings), settings.max_input_tokens)
    if prepared.request is not None:
        print(json.dumps(prepared.request, ensure_ascii=False))
    review_input = prepared.prompt.review_input
    print(
        f"{1 if prepared.request else 0} request(s) for {settings.ai_provider}/{settings.ai_model}; "
        f"{prepared.redaction.total} values redacted "
        f"({prepared.redaction.sensitive} sensitive, {prepared.redaction.detected} detected); "
        f"{review_input.resource_changes_in_detail} of {review_input.resource_changes_total} resource changes in detail",
        file=sys.stderr,
    )
    return 0


def _load_plan(path: str) -> dict[str, Any]:
    if path == "-":
        plan = json.load(sys.stdin)
    else:
        with open(path, encoding="utf-8") as plan_file:
            plan = json.load(plan_file)
    if not isinstance(plan, dict):
        raise ValueError(f"{path} does not hold a JSON object")
    return plan


if __name__ == "__main__":
    sys.exit(main())
