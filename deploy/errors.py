"""The one exception the tool reports to users: what failed and what to do about it, on one line."""

from __future__ import annotations


class DeployError(Exception):
    """A failure the user can act on. Printed as ``error: <where>: <problem>. <hint>``, never as a traceback."""

    def __init__(self, problem: str, hint: str = "") -> None:
        super().__init__(problem)
        self.problem = problem.rstrip(". ")
        self.hint = hint

    def line(self, where: str = "") -> str:
        text = f"{where}: {self.problem}" if where else self.problem
        return f"{text}. {self.hint}" if self.hint else f"{text}."
