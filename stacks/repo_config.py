"""Atlantis server-side repo config, built from typed Python and emitted as ``ATLANTIS_REPO_CONFIG_JSON``.

The types mirror the documented repos.yaml reference for Atlantis v0.47
(https://www.runatlantis.io/docs/server-side-repo-config.html, workflow and step forms from
https://www.runatlantis.io/docs/custom-workflows.html#reference). Plain Python with no cdktf or provider import,
so the policy it encodes is built and tested in milliseconds. The ECS service sets the task's
``ATLANTIS_REPO_CONFIG_JSON`` to ``escape_for_terraform(build_repo_config(...).to_json())``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, fields
from typing import Literal, TypeAlias, get_args

JsonValue: TypeAlias = "str | bool | list[JsonValue] | dict[str, JsonValue]"

BuiltinStepName = Literal["init", "plan", "apply", "show", "policy_check", "import", "state_rm"]
RunOutput = Literal["show", "hide", "strip_refreshing"]
MultiEnvOutput = Literal["show", "hide"]
Requirement = Literal["approved", "mergeable", "undiverged"]
Override = Literal[
    "plan_requirements",
    "apply_requirements",
    "import_requirements",
    "workflow",
    "delete_source_branch_on_merge",
    "repo_locking",
    "repo_locks",
    "policy_check",
    "custom_policy_check",
    "silence_pr_comments",
]
RepoLockMode = Literal["disabled", "on_plan", "on_apply"]

DEFAULT_WORKFLOW = "default"
INFRACOST_WORKFLOW = "infracost"
PROD_ENVIRONMENT = "prod"
# The container already receives the GitHub token under this name (task definition secrets); commands reference the
# variable so the token itself never appears in the repo config or in a PR comment.
GITHUB_TOKEN_ENV = "ATLANTIS_GH_TOKEN"  # noqa: S105 - a variable name, not a secret
INFRACOST_PROJECT_KEY_ENV = "INFRACOST_PROJECT_KEY"

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Characters Go's regexp.QuoteMeta escapes: the RE2 syntax Atlantis compiles repo ids with (Python's re agrees).
_REGEX_META = frozenset("\\.+*?()|[]{}^$")


def _check_choice(value: str, choices: object, what: str) -> None:
    allowed = get_args(choices)
    if value not in allowed:
        raise ValueError(f"{what} {value!r} is not one of: {', '.join(allowed)}")


def _check_command(command: str, what: str) -> None:
    if not command.strip():
        raise ValueError(f"{what} command is empty")


@dataclass(frozen=True)
class Shell:
    """The interpreter for a run/env/multienv command; Atlantis uses ``sh -c`` when none is given."""

    name: str
    args: tuple[str, ...] = ()

    def to_json(self) -> dict[str, JsonValue]:
        shell: dict[str, JsonValue] = {"shell": self.name}
        if self.args:
            shell["shellArgs"] = list(self.args)
        return shell


@dataclass(frozen=True)
class Builtin:
    """A built-in step (``init``, ``plan``, ``show`` ...), optionally with ``extra_args``."""

    name: BuiltinStepName
    extra_args: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check_choice(self.name, BuiltinStepName, "built-in step")

    def to_json(self) -> JsonValue:
        if not self.extra_args:
            return self.name
        return {self.name: {"extra_args": list(self.extra_args)}}


def _command_step(key: str, command: str, output: str | None, shell: Shell | None) -> JsonValue:
    """The compact ``{key: command}`` form when nothing else is set, else the map form."""
    if output is None and shell is None:
        return {key: command}
    body: dict[str, JsonValue] = {"command": command}
    if output is not None:
        body["output"] = output
    if shell is not None:
        body.update(shell.to_json())
    return {key: body}


@dataclass(frozen=True)
class Run:
    """A custom command; ``output`` decides what of it reaches the PR comment."""

    command: str
    output: RunOutput | None = None
    shell: Shell | None = None

    def __post_init__(self) -> None:
        _check_command(self.command, "run")
        if self.output is not None:
            _check_choice(self.output, RunOutput, "run output")

    def to_json(self) -> JsonValue:
        return _command_step("run", self.command, self.output, self.shell)


@dataclass(frozen=True)
class Env:
    """Sets ``name`` for the following steps, to ``value`` or to the output of ``command``."""

    name: str
    value: str | None = None
    command: str | None = None
    shell: Shell | None = None

    def __post_init__(self) -> None:
        if not _ENV_NAME.match(self.name):
            raise ValueError(f"env step name {self.name!r} is not an environment variable name")
        if (self.value is None) == (self.command is None):
            raise ValueError(f"env step {self.name} needs exactly one of value or command")
        if self.shell is not None and self.command is None:
            raise ValueError(f"env step {self.name} sets a shell but has no command")

    def to_json(self) -> JsonValue:
        body: dict[str, JsonValue] = {"name": self.name}
        if self.value is not None:
            body["value"] = self.value
        if self.command is not None:
            body["command"] = self.command
        if self.shell is not None:
            body.update(self.shell.to_json())
        return {"env": body}


@dataclass(frozen=True)
class MultiEnv:
    """Runs ``command`` and exports the ``NAME=value,NAME2=value2`` pairs it prints."""

    command: str
    output: MultiEnvOutput | None = None
    shell: Shell | None = None

    def __post_init__(self) -> None:
        _check_command(self.command, "multienv")
        if self.output is not None:
            _check_choice(self.output, MultiEnvOutput, "multienv output")

    def to_json(self) -> JsonValue:
        return _command_step("multienv", self.command, self.output, self.shell)


Step: TypeAlias = "Builtin | Run | Env | MultiEnv"


def _stage(steps: tuple[Step, ...]) -> JsonValue:
    return {"steps": [step.to_json() for step in steps]}


@dataclass(frozen=True)
class Workflow:
    """A server-side workflow. A stage left as ``None`` keeps Atlantis's default; an empty tuple runs nothing."""

    name: str
    plan_steps: tuple[Step, ...]
    apply_steps: tuple[Step, ...] = (Builtin("apply"),)
    import_steps: tuple[Step, ...] | None = None
    state_rm_steps: tuple[Step, ...] | None = None

    def to_json(self) -> dict[str, JsonValue]:
        stages = {
            "plan": self.plan_steps,
            "apply": self.apply_steps,
            "import": self.import_steps,
            "state_rm": self.state_rm_steps,
        }
        return {stage: _stage(steps) for stage, steps in stages.items() if steps is not None}


@dataclass(frozen=True)
class RepoRule:
    """One ``repos`` entry. ``id`` is an exact repo id (``github.com/org/repo``) or a ``/regex/``.

    Atlantis applies every matching rule in order, the last one setting a key winning; unset keys are omitted
    so they do not override an earlier rule.
    """

    id: str
    apply_requirements: tuple[Requirement, ...] | None = None
    plan_requirements: tuple[Requirement, ...] | None = None
    import_requirements: tuple[Requirement, ...] | None = None
    workflow: str | None = None
    allowed_overrides: tuple[Override, ...] | None = None
    allowed_workflows: tuple[str, ...] | None = None
    allow_custom_workflows: bool | None = None
    delete_source_branch_on_merge: bool | None = None
    repo_locks: RepoLockMode | None = None

    def __post_init__(self) -> None:
        if not self.id:
            raise ValueError("repo rule id is empty")
        if self.is_regex:
            try:
                re.compile(self.id[1:-1])
            except re.error as error:
                raise ValueError(f"repo rule id {self.id} is not a valid regex: {error}") from None
        for requirements in (self.apply_requirements, self.plan_requirements, self.import_requirements):
            for requirement in requirements or ():
                _check_choice(requirement, Requirement, "requirement")
        for override in self.allowed_overrides or ():
            _check_choice(override, Override, "allowed override")
        if self.repo_locks is not None:
            _check_choice(self.repo_locks, RepoLockMode, "repo_locks mode")

    @property
    def is_regex(self) -> bool:
        return len(self.id) >= 2 and self.id.startswith("/") and self.id.endswith("/")

    def referenced_workflows(self) -> tuple[str, ...]:
        return ((self.workflow,) if self.workflow else ()) + (self.allowed_workflows or ())

    def to_json(self) -> dict[str, JsonValue]:
        rule: dict[str, JsonValue] = {}
        for field in fields(self):
            value = getattr(self, field.name)
            if value is None:
                continue
            if field.name == "repo_locks":
                rule[field.name] = {"mode": value}
            else:
                rule[field.name] = list(value) if isinstance(value, tuple) else value
        return rule


@dataclass(frozen=True)
class RepoConfig:
    """The whole server-side repo config: rules in match order, then the server-defined workflows."""

    repos: tuple[RepoRule, ...]
    workflows: tuple[Workflow, ...] = ()

    def __post_init__(self) -> None:
        names = [workflow.name for workflow in self.workflows]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"workflow defined twice: {', '.join(duplicates)}")
        # Atlantis refuses to start when a rule names a workflow nobody defined; "default" always exists.
        defined = {DEFAULT_WORKFLOW, *names}
        for rule in self.repos:
            missing = [name for name in rule.referenced_workflows() if name not in defined]
            if missing:
                raise ValueError(f"repo rule {rule.id} references undefined workflow: {', '.join(missing)}")

    def to_dict(self) -> dict[str, JsonValue]:
        config: dict[str, JsonValue] = {"repos": [rule.to_json() for rule in self.repos]}
        if self.workflows:
            config["workflows"] = {workflow.name: workflow.to_json() for workflow in self.workflows}
        return config

    def to_json(self) -> str:
        """Compact JSON for ``ATLANTIS_REPO_CONFIG_JSON``; the same config always gives the same string."""
        return json.dumps(self.to_dict(), separators=(",", ":"))


def _quote_meta(text: str) -> str:
    return "".join(f"\\{char}" if char in _REGEX_META else char for char in text)


def allowlist_repo_id(pattern: str) -> str:
    """The repo rule id matching the repos ``--repo-allowlist`` admits for ``pattern``.

    The allowlist compares case-insensitively and reads ``*`` as any run of characters, while a repo rule id is
    an exact, case-sensitive string or a regex searched anywhere in ``host/owner/repo``. So every entry, exact ones
    included, becomes an anchored case-insensitive regex: an exact id written ``github.com/mycompany/infra`` would
    silently miss ``github.com/MyCompany/infra``, a repo the allowlist still lets in.
    """
    body = ".*".join(_quote_meta(part) for part in pattern.split("*"))
    return f"/(?i)^{body}$/"


def apply_requirements_for(environment: str) -> tuple[Requirement, ...]:
    """Prod applies only reviewed, mergeable PRs; other environments only need a mergeable PR."""
    if environment == PROD_ENVIRONMENT:
        return ("approved", "mergeable")
    return ("mergeable",)


def _plan_json_steps(plan_upload_command: str | None) -> tuple[Step, ...]:
    """``show`` writes the plan JSON to $SHOWFILE, then the AI reviewer export uploads it."""
    if plan_upload_command is None:
        return ()
    return (Builtin("show"), Run(plan_upload_command, output="hide"))


def _shell_var(name: str) -> str:
    return "$" + name


def _infracost_steps() -> tuple[Step, ...]:
    """Cost breakdown of $SHOWFILE posted as a PR comment, following Infracost's Atlantis integration.

    One comment per project, updated in place on re-plans: the key names the repo, PR, project, workspace and
    directory, so parallel plans of different repos or projects never share a file or overwrite each other's
    comment. Portable sh (``tr`` rather than bash's ``${VAR//...}``): the image's ``/bin/sh`` need not be bash.
    """
    key = _shell_var(INFRACOST_PROJECT_KEY_ENV)
    out_file = f'"/tmp/infracost-{key}.json"'
    return (
        Env(
            name=INFRACOST_PROJECT_KEY_ENV,
            command="printf '%s' \"$BASE_REPO_OWNER-$BASE_REPO_NAME-$PULL_NUM-$PROJECT_NAME-$WORKSPACE-$REPO_REL_DIR\""
            " | tr '/' '-'",
        ),
        Run(f'infracost breakdown --path "$SHOWFILE" --format json --out-file {out_file}', output="hide"),
        Run(
            f"infracost comment github --path {out_file}"
            ' --repo "$BASE_REPO_OWNER/$BASE_REPO_NAME" --pull-request "$PULL_NUM"'
            f' --github-token "{_shell_var(GITHUB_TOKEN_ENV)}" --tag "{key}" --behavior update',
            output="hide",
        ),
    )


def server_workflows(*, infracost: bool, plan_upload_command: str | None) -> tuple[Workflow, ...]:
    """``default`` (plus the AI reviewer export, so every plan is reviewed) and, when enabled, ``infracost``."""
    plan_json = _plan_json_steps(plan_upload_command)
    default = Workflow(DEFAULT_WORKFLOW, plan_steps=(Builtin("init"), Builtin("plan"), *plan_json))
    if not infracost:
        return (default,)
    # The review upload runs before the cost steps so an Infracost outage cannot skip the review.
    cost_plan_json = plan_json or (Builtin("show"),)
    with_costs = Workflow(
        INFRACOST_WORKFLOW, plan_steps=(Builtin("init"), Builtin("plan"), *cost_plan_json, *_infracost_steps())
    )
    return (default, with_costs)


def build_repo_config(
    *, repo_allowlist: tuple[str, ...], environment: str, infracost: bool, plan_upload_command: str | None
) -> RepoConfig:
    """The server-side policy for one environment.

    Atlantis reads ``atlantis.yaml`` from the pull request's own branch, so anything a repo may override can be
    changed by whoever opens the PR. Hence repos may only pick one of the server-defined workflows
    (``allowed_overrides: [workflow]``): requirements stay fixed (a PR cannot drop its own approval requirement)
    and ``allow_custom_workflows`` is false, as a custom workflow would run arbitrary commands with the task role's
    AWS permissions and the GitHub token.

    A first ``/.*/`` rule carries the same requirements, so a repo the allowlist admits but no converted pattern
    matches still fails closed; the per-allowlist rules then grant the workflow choice.
    """
    if not repo_allowlist:
        raise ValueError("repo_allowlist is empty; expected at least one pattern such as github.com/org/*")
    if plan_upload_command is not None:
        _check_command(plan_upload_command, "plan upload")
    workflows = server_workflows(infracost=infracost, plan_upload_command=plan_upload_command)
    requirements = apply_requirements_for(environment)
    workflow = INFRACOST_WORKFLOW if infracost else DEFAULT_WORKFLOW
    baseline = RepoRule(
        id="/.*/",
        apply_requirements=requirements,
        import_requirements=requirements,
        workflow=workflow,
        allow_custom_workflows=False,
    )
    allowlisted = tuple(
        RepoRule(
            id=allowlist_repo_id(pattern),
            apply_requirements=requirements,
            import_requirements=requirements,
            workflow=workflow,
            allowed_overrides=("workflow",),
            allowed_workflows=tuple(w.name for w in workflows),
            allow_custom_workflows=False,
        )
        for pattern in dict.fromkeys(repo_allowlist)
    )
    return RepoConfig(repos=(baseline, *allowlisted), workflows=workflows)


def escape_for_terraform(text: str) -> str:
    """``text`` as a literal inside a string of the synthesized Terraform JSON.

    The repo config reaches ECS inside the task definition's ``container_definitions`` string, where Terraform
    expands ``${...}`` and ``%{...}``; the shell commands in it use ``${VAR:-default}`` literally. Doubling the
    first character is Terraform's escape, so the container receives ``text`` unchanged.
    """
    return text.replace("${", "$${").replace("%{", "%%{")
