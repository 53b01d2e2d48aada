"""Everything the tool prints goes through here, so no secret value can reach the terminal or a CI log."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TextIO

from botocore.exceptions import BotoCoreError, ClientError

from deploy.aws import describe_aws_error
from deploy.errors import DeployError

MASK = "********"
# Shorter values could mask ordinary words; every real secret here is longer.
MIN_SECRET_LENGTH = 8


class Console:
    """Progress and notes on stdout, warnings and errors on stderr, prompts on stdin; all output is redacted."""

    def __init__(
        self,
        out: TextIO | None = None,
        err: TextIO | None = None,
        stdin: TextIO | None = None,
    ) -> None:
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self.stdin = stdin or sys.stdin
        self._secrets: set[str] = set()

    def protect(self, *values: str | None) -> None:
        """Never print these values (tokens, generated secrets), wherever they turn up."""
        self._secrets.update(value for value in values if value and len(value) >= MIN_SECRET_LENGTH)

    @property
    def protected(self) -> frozenset[str]:
        return frozenset(self._secrets)

    def redact(self, text: str) -> str:
        for secret in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(secret, MASK)
        return text

    def say(self, text: str = "") -> None:
        print(self.redact(text), file=self.out, flush=True)

    def note(self, text: str) -> None:
        self.say(f"      {text}")

    def warn(self, text: str) -> None:
        print(self.redact(f"warning: {text}"), file=self.err, flush=True)

    def error(self, text: str) -> None:
        print(self.redact(f"error: {text}"), file=self.err, flush=True)

    @property
    def interactive(self) -> bool:
        isatty = getattr(self.stdin, "isatty", None)
        return bool(isatty and isatty())

    def confirm(self, question: str, expected: str, assume_yes: bool) -> None:
        """Ask the user to type ``expected``; raise DeployError unless they do. ``--yes`` skips the question."""
        if assume_yes:
            return
        if not self.interactive:
            raise DeployError(f"{question} needs a confirmation and stdin is not a terminal", "re-run with --yes")
        self.out.write(f"{question} Type {expected!r} to continue: ")
        self.out.flush()
        answer = self.stdin.readline().strip()
        if answer != expected:
            raise DeployError("not confirmed; nothing more was changed", "re-run and type the confirmation")


class Progress:
    """Numbered steps with their elapsed time; a failing step becomes one ``[n/N] <title>: <problem>`` line."""

    def __init__(self, console: Console, titles: Sequence[str], default_hints: Sequence[str] | None = None) -> None:
        self.console = console
        self.titles = list(titles)
        self.hints = list(default_hints) if default_hints else [""] * len(self.titles)
        self.started = time.monotonic()

    def _label(self, number: int) -> str:
        return f"[{number}/{len(self.titles)}] {self.titles[number - 1]}"

    @contextmanager
    def step(self, number: int) -> Iterator[None]:
        label = self._label(number)
        self.console.say(f"{label} ...")
        started = time.monotonic()
        try:
            yield
        except DeployError as error:
            raise DeployError(
                f"{label} failed after {time.monotonic() - started:.1f}s: {error.problem}",
                error.hint or self.hints[number - 1],
            ) from None
        except (BotoCoreError, ClientError) as error:
            raise DeployError(
                f"{label} failed after {time.monotonic() - started:.1f}s: {describe_aws_error(error)}",
                self.hints[number - 1],
            ) from None
        self.console.say(f"{label}: done in {time.monotonic() - started:.1f}s")

    def skip(self, number: int, reason: str) -> None:
        self.console.say(f"{self._label(number)}: skipped ({reason})")

    def finish(self, summary: str) -> None:
        self.console.say(f"{summary} (total {time.monotonic() - self.started:.1f}s)")


def bullet_list(items: Iterable[str]) -> str:
    return ", ".join(items) or "none"
