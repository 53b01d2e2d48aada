"""The Atlantis server-side repo config: policy per environment, workflows per integration, and the JSON checked
against a schema written from Atlantis's documented repos.yaml reference."""

from __future__ import annotations

import copy
import itertools
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from stacks.repo_config import (
    Builtin,
    Env,
    MultiEnv,
    RepoConfig,
    RepoRule,
    Run,
    Shell,
    Workflow,
    allowlist_repo_id,
    build_repo_config,
    escape_for_terraform,
)

SCHEMA = json.loads((Path(__file__).parent / "fixtures" / "atlantis_repos_schema.json").read_text())
VALIDATOR = Draft202012Validator(SCHEMA)

ALLOWLIST = ("github.com/mycompany/*",)
UPLOAD = "python -m plan_export --bucket prod-plans --region ap-northeast-2"

INFRACOST_STEPS: list[Any] = [
    {
        "env": {
            "name": "INFRACOST_PROJECT_KEY",
            "command": "printf '%s' \"$BASE_REPO_OWNER-$BASE_REPO_NAME-$PULL_NUM-$PROJECT_NAME-$WORKSPACE-$REPO_REL_DIR\""
            " | tr '/' '-'",
        }
    },
    {
        "run": {
            "command": 'infracost breakdown --path "$SHOWFILE" --format json'
            ' --out-file "/tmp/infracost-$INFRACOST_PROJECT_KEY.json"',
            "output": "hide",
        }
    },
    {
        "run": {
            "command": 'infracost comment github --path "/tmp/infracost-$INFRACOST_PROJECT_KEY.json"'
            ' --repo "$BASE_REPO_OWNER/$BASE_REPO_NAME" --pull-request "$PULL_NUM"'
            ' --github-token "$ATLANTIS_GH_TOKEN" --tag "$INFRACOST_PROJECT_KEY" --behavior update',
            "output": "hide",
        }
    },
]
UPLOAD_STEPS: list[Any] = ["show", {"run": {"command": UPLOAD, "output": "hide"}}]


def build(
    *,
    environment: str = "prod",
    infracost: bool = False,
    upload: str | None = None,
    allowlist: tuple[str, ...] = ALLOWLIST,
) -> dict[str, Any]:
    """The config as Atlantis receives it: parsed back from the emitted JSON string."""
    config = build_repo_config(
        repo_allowlist=allowlist, environment=environment, infracost=infracost, plan_upload_command=upload
    )
    parsed: dict[str, Any] = json.loads(config.to_json())
    return parsed


def plan_steps(config: dict[str, Any], workflow: str) -> list[Any]:
    steps: list[Any] = config["workflows"][workflow]["plan"]["steps"]
    return steps


def schema_errors(document: object) -> list[str]:
    return [error.message for error in VALIDATOR.iter_errors(document)]


COMBINATIONS = list(itertools.product(["prod", "dev"], [False, True], [None, UPLOAD]))


# --- policy per environment -----------------------------------------------------------------------------------


def test_prod_applies_and_imports_only_approved_mergeable_prs_in_every_rule() -> None:
    config = build(environment="prod")
    assert [rule["id"] for rule in config["repos"]] == ["/.*/", "/(?i)^github\\.com/mycompany/.*$/"]
    for rule in config["repos"]:
        assert rule["apply_requirements"] == ["approved", "mergeable"]
        assert rule["import_requirements"] == ["approved", "mergeable"]
        assert "plan_requirements" not in rule  # autoplan must still run on every push


@pytest.mark.parametrize("environment", ["dev", "staging"])
def test_other_environments_require_only_a_mergeable_pr(environment: str) -> None:
    for rule in build(environment=environment)["repos"]:
        assert rule["apply_requirements"] == ["mergeable"]
        assert rule["import_requirements"] == ["mergeable"]


def test_repos_may_only_choose_a_server_workflow_never_define_one_or_drop_requirements() -> None:
    baseline, allowlisted = build(infracost=True, upload=UPLOAD)["repos"]
    assert baseline == {
        "id": "/.*/",
        "apply_requirements": ["approved", "mergeable"],
        "import_requirements": ["approved", "mergeable"],
        "workflow": "infracost",
        "allow_custom_workflows": False,
    }
    assert allowlisted["allowed_overrides"] == ["workflow"]
    assert allowlisted["allowed_workflows"] == ["default", "infracost"]
    assert allowlisted["allow_custom_workflows"] is False


def test_one_rule_per_allowlist_entry_in_order_without_duplicates() -> None:
    allowlist = ("github.com/mycompany/*", "github.com/partner/infra", "github.com/mycompany/*")
    ids = [rule["id"] for rule in build(allowlist=allowlist)["repos"]]
    assert ids == ["/.*/", "/(?i)^github\\.com/mycompany/.*$/", "/(?i)^github\\.com/partner/infra$/"]


# --- workflows per integration ----------------------------------------------------------------------------------


def test_without_integrations_the_default_workflow_is_init_plan_then_apply() -> None:
    config = build()
    assert config["workflows"] == {"default": {"plan": {"steps": ["init", "plan"]}, "apply": {"steps": ["apply"]}}}
    assert {rule["workflow"] for rule in config["repos"]} == {"default"}


def test_ai_reviewer_export_runs_after_show_in_the_default_workflow() -> None:
    config = build(upload=UPLOAD)
    assert plan_steps(config, "default") == ["init", "plan", *UPLOAD_STEPS]
    assert list(config["workflows"]) == ["default"]


def test_infracost_workflow_posts_a_cost_comment_and_is_every_repos_default() -> None:
    config = build(infracost=True)
    assert plan_steps(config, "default") == ["init", "plan"]
    assert plan_steps(config, "infracost") == ["init", "plan", "show", *INFRACOST_STEPS]
    assert config["workflows"]["infracost"]["apply"] == {"steps": ["apply"]}
    assert {rule["workflow"] for rule in config["repos"]} == {"infracost"}


def test_with_infracost_and_ai_reviewer_every_workflow_uploads_the_plan_before_costing_it() -> None:
    config = build(infracost=True, upload=UPLOAD)
    assert plan_steps(config, "default") == ["init", "plan", *UPLOAD_STEPS]
    assert plan_steps(config, "infracost") == ["init", "plan", *UPLOAD_STEPS, *INFRACOST_STEPS]


def test_the_github_token_is_referenced_by_variable_never_embedded() -> None:
    text = json.dumps(build(infracost=True, upload=UPLOAD))
    assert '--github-token \\"$ATLANTIS_GH_TOKEN\\"' in text
    assert "ghp_" not in text
    assert "echo $ATLANTIS_GH_TOKEN" not in text


@pytest.mark.parametrize(("environment", "infracost", "upload"), COMBINATIONS)
def test_every_combination_matches_the_atlantis_schema(environment: str, infracost: bool, upload: str | None) -> None:
    assert schema_errors(build(environment=environment, infracost=infracost, upload=upload)) == []


def render_terraform_literal(text: str) -> str:
    """What Terraform makes of a string in JSON syntax that holds no real template: $${ and %%{ become ${ and %{."""
    rendered, index = [], 0
    while index < len(text):
        if text.startswith(("$${", "%%{"), index):
            rendered.append(text[index + 1 : index + 3])
            index += 3
        elif text.startswith(("${", "%{"), index):
            raise AssertionError(f"Terraform would expand the template at {text[index : index + 20]!r}")
        else:
            rendered.append(text[index])
            index += 1
    return "".join(rendered)


@pytest.mark.parametrize(
    "text",
    [
        "plain $VAR and 100% {braces}",
        'bash -c \'key="${PROJECT_NAME:-}"; name="${1//[^a-z]/_}"; echo "$${literal}"\'',
        "%{ if x }y%{ endif } and %%{ and $$${",
    ],
)
def test_escaped_text_reaches_the_container_unchanged(text: str) -> None:
    assert render_terraform_literal(escape_for_terraform(text)) == text


def test_a_config_with_shell_parameter_expansion_survives_terraform() -> None:
    # The upload command uses ${VAR:-default}; the container must get the JSON exactly as Atlantis expects it.
    upload = 'bash -c \'f="${SHOWFILE:-}"; [ -r "$f" ] && aws s3 cp "$f" "s3://b/${PULL_NUM:-0}.json"\''
    text = build_repo_config(
        repo_allowlist=ALLOWLIST, environment="prod", infracost=True, plan_upload_command=upload
    ).to_json()
    with pytest.raises(AssertionError, match="Terraform would expand"):
        render_terraform_literal(text)
    assert render_terraform_literal(escape_for_terraform(text)) == text


@pytest.mark.parametrize(
    ("allowlist", "upload", "message"),
    [
        ((), None, "repo_allowlist is empty"),
        (ALLOWLIST, "   ", "plan upload command is empty"),
    ],
)
def test_builder_rejects_unusable_inputs(allowlist: tuple[str, ...], upload: str | None, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        build_repo_config(repo_allowlist=allowlist, environment="prod", infracost=False, plan_upload_command=upload)


# --- allowlist glob to repo rule id -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("github.com/mycompany/*", r"/(?i)^github\.com/mycompany/.*$/"),
        ("github.com/mycompany/infra", r"/(?i)^github\.com/mycompany/infra$/"),
        ("github.com/my.company/tf-*-live", r"/(?i)^github\.com/my\.company/tf-.*-live$/"),
        ("ghe.example.com:8443/team/*", r"/(?i)^ghe\.example\.com:8443/team/.*$/"),
        ("*", "/(?i)^.*$/"),
    ],
)
def test_allowlist_patterns_become_anchored_case_insensitive_regexes(pattern: str, expected: str) -> None:
    assert allowlist_repo_id(pattern) == expected


@pytest.mark.parametrize(
    ("pattern", "repo_id", "matches"),
    [
        ("github.com/mycompany/*", "github.com/mycompany/infra", True),
        ("github.com/mycompany/*", "github.com/MyCompany/Infra", True),  # the allowlist ignores case too
        ("github.com/mycompany/*", "github.com/mycompany-evil/infra", False),
        ("github.com/mycompany/*", "github.com/other/github.com/mycompany/x", False),  # anchored at the start
        ("github.com/mycompany/*", "githubXcom/mycompany/infra", False),  # the dot is literal
        ("github.com/mycompany/infra", "github.com/mycompany/infra", True),
        ("github.com/mycompany/infra", "github.com/MYCOMPANY/infra", True),
        ("github.com/mycompany/infra", "github.com/mycompany/infra-old", False),  # anchored at the end
        ("github.com/mycompany/tf-*-live", "github.com/mycompany/tf-network-live", True),
        ("github.com/mycompany/tf-*-live", "github.com/mycompany/tf-network-dev", False),
    ],
)
def test_converted_ids_match_like_atlantis_searches_them(pattern: str, repo_id: str, matches: bool) -> None:
    # Atlantis strips the slashes and calls regexp.MatchString, an unanchored search; re.search is the same.
    regex = allowlist_repo_id(pattern)[1:-1]
    assert (re.search(regex, repo_id) is not None) is matches


# --- the typed model ----------------------------------------------------------------------------------------------


def test_each_step_form_emits_its_documented_json() -> None:
    assert Builtin("init").to_json() == "init"
    assert Builtin("plan", extra_args=("-lock=false",)).to_json() == {"plan": {"extra_args": ["-lock=false"]}}
    assert Run("make lint").to_json() == {"run": "make lint"}
    assert Run("terragrunt plan", output="strip_refreshing", shell=Shell("bash", ("-eu", "-c"))).to_json() == {
        "run": {"command": "terragrunt plan", "output": "strip_refreshing", "shell": "bash", "shellArgs": ["-eu", "-c"]}
    }
    assert Env("TF_IN_AUTOMATION", value="true").to_json() == {"env": {"name": "TF_IN_AUTOMATION", "value": "true"}}
    assert Env("TAG", command="echo x", shell=Shell("bash")).to_json() == {
        "env": {"name": "TAG", "command": "echo x", "shell": "bash"}
    }
    assert MultiEnv("./envs.sh").to_json() == {"multienv": "./envs.sh"}
    assert MultiEnv("./envs.sh", output="hide").to_json() == {"multienv": {"command": "./envs.sh", "output": "hide"}}


def test_a_workflow_using_every_step_form_and_stage_passes_the_schema() -> None:
    workflow = Workflow(
        "everything",
        plan_steps=(
            Env("A", value="1"),
            MultiEnv("./envs.sh", output="show", shell=Shell("sh", ("-c",))),
            Builtin("init", extra_args=("-upgrade",)),
            Builtin("plan"),
            Builtin("show"),
            Builtin("policy_check"),
            Run("echo done", output="show"),
        ),
        apply_steps=(Builtin("apply", extra_args=("-lock-timeout=5m",)),),
        import_steps=(Builtin("init"), Builtin("import")),
        state_rm_steps=(Builtin("init"), Builtin("state_rm")),
    )
    rule = RepoRule(
        id="github.com/mycompany/infra",
        plan_requirements=("undiverged",),
        workflow="everything",
        allowed_overrides=("apply_requirements",),
        delete_source_branch_on_merge=True,
        repo_locks="on_apply",
    )
    document: dict[str, Any] = RepoConfig(repos=(rule,), workflows=(workflow,)).to_dict()
    assert schema_errors(document) == []
    assert list(document["workflows"]["everything"]) == ["plan", "apply", "import", "state_rm"]


def test_unset_optionals_are_omitted_and_an_exact_id_stays_exact() -> None:
    assert RepoRule(id="github.com/mycompany/infra").to_json() == {"id": "github.com/mycompany/infra"}
    assert RepoRule(id="github.com/o/r", repo_locks="disabled").to_json() == {
        "id": "github.com/o/r",
        "repo_locks": {"mode": "disabled"},
    }
    assert Workflow("w", plan_steps=()).to_json() == {"plan": {"steps": []}, "apply": {"steps": ["apply"]}}


def test_json_is_stable_compact_and_round_trips() -> None:
    def make() -> RepoConfig:
        return build_repo_config(
            repo_allowlist=("github.com/b/*", "github.com/a/*"),
            environment="prod",
            infracost=True,
            plan_upload_command=UPLOAD,
        )

    text = make().to_json()
    assert text == make().to_json()
    parsed = json.loads(text)
    assert parsed == make().to_dict()
    assert json.dumps(parsed, separators=(",", ":")) == text
    assert list(parsed) == ["repos", "workflows"]
    assert [next(iter(rule)) for rule in parsed["repos"]] == ["id", "id", "id"]
    assert "\n" not in text


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Builtin("version"), "built-in step 'version' is not one of"),  # type: ignore[arg-type]
        (lambda: Run("  "), "run command is empty"),
        (lambda: Run("x", output="full"), "run output 'full'"),  # type: ignore[arg-type]
        (lambda: MultiEnv("x", output="strip_refreshing"), "multienv output"),  # type: ignore[arg-type]
        (lambda: Env("A", value="1", command="echo 1"), "exactly one of value or command"),
        (lambda: Env("A"), "exactly one of value or command"),
        (lambda: Env("A", value="1", shell=Shell("bash")), "sets a shell but has no command"),
        (lambda: Env("1A", value="1"), "not an environment variable name"),
        (lambda: RepoRule(id=""), "id is empty"),
        (lambda: RepoRule(id="/(unclosed/"), "is not a valid regex"),
        (lambda: RepoRule(id="/.*/", apply_requirements=("reviewed",)), "requirement 'reviewed'"),  # type: ignore[arg-type]
        (lambda: RepoRule(id="/.*/", allowed_overrides=("workflows",)), "allowed override 'workflows'"),  # type: ignore[arg-type]
        (lambda: RepoConfig(repos=(RepoRule(id="/.*/", workflow="missing"),)), "undefined workflow: missing"),
        (
            lambda: RepoConfig(repos=(), workflows=(Workflow("w", plan_steps=()), Workflow("w", plan_steps=()))),
            "workflow defined twice: w",
        ),
    ],
)
def test_the_model_refuses_what_atlantis_would_refuse(make: Callable[[], object], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        make()


# --- the schema itself ----------------------------------------------------------------------------------------------

# The example from the server-side repo config page, as JSON: a schema that rejects it is wrong, not strict.
DOCUMENTED_EXAMPLE: dict[str, Any] = {
    "repos": [
        {
            "id": "/.*/",
            "branch": "/.*/",
            "repo_config_file": "path/to/atlantis.yaml",
            "plan_requirements": ["approved", "mergeable", "undiverged"],
            "apply_requirements": ["approved", "mergeable", "undiverged"],
            "import_requirements": ["approved", "mergeable", "undiverged"],
            "workflow": "custom",
            "allowed_overrides": [
                "apply_requirements",
                "workflow",
                "delete_source_branch_on_merge",
                "repo_locking",
                "repo_locks",
                "custom_policy_check",
            ],
            "allowed_workflows": ["custom"],
            "allow_custom_workflows": True,
            "delete_source_branch_on_merge": True,
            "repo_locking": True,
            "repo_locks": {"mode": "on_plan"},
            "custom_policy_check": False,
            "pre_workflow_hooks": [{"run": "my-pre-workflow-hook-command arg1"}],
            "post_workflow_hooks": [{"run": "my-post-workflow-hook-command arg1"}],
            "policy_check": False,
            "autodiscover": {"mode": "auto", "ignore_paths": ["foo/*"]},
        },
        {"id": "github.com/myorg/specific-repo"},
    ],
    "workflows": {
        "custom": {
            "plan": {
                "steps": [
                    {"run": "my-custom-command arg1 arg2"},
                    "init",
                    {"plan": {"extra_args": ["-lock", "false"]}},
                    {"run": "my-custom-command arg1 arg2"},
                ]
            },
            "apply": {"steps": [{"run": "echo hi"}, "apply"]},
        }
    },
}


def test_the_schema_is_valid_and_accepts_the_documented_example() -> None:
    Draft202012Validator.check_schema(SCHEMA)
    assert "Atlantis v0.47" in SCHEMA["$comment"]
    assert "server-side-repo-config.html" in SCHEMA["$comment"]
    assert schema_errors(DOCUMENTED_EXAMPLE) == []


Mutation = Callable[[dict[str, Any]], object]
STEP_PATH = ["workflows", "custom", "plan", "steps", 1]
RULE_PATH = ["repos", 1]


def _set_step(step: object) -> tuple[Mutation, list[object]]:
    def mutate(document: dict[str, Any]) -> None:
        document["workflows"]["custom"]["plan"]["steps"][1] = step

    return mutate, STEP_PATH


def _set_rule_key(key: str, value: object) -> tuple[Mutation, list[object]]:
    def mutate(document: dict[str, Any]) -> None:
        document["repos"][1][key] = value

    return mutate, RULE_PATH


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(_set_step("version"), id="unknown-step-name"),
        pytest.param(_set_step("terraform_plan"), id="misspelt-step-name"),
        pytest.param(_set_step({"version": {"extra_args": []}}), id="unknown-step-with-extra-args"),
        pytest.param(_set_step({"plan": {"extra_args": "-lock=false"}}), id="extra-args-not-a-list"),
        pytest.param(_set_step({"plan": {"args": ["-lock=false"]}}), id="built-in-key-other-than-extra-args"),
        pytest.param(_set_step({"run": {"command": "x", "output": "full"}}), id="unknown-run-output"),
        pytest.param(_set_step({"run": {"command": "x", "shellArgs": "-c"}}), id="shell-args-without-shell"),
        pytest.param(_set_step({"env": {"name": "A", "value": "1", "command": "echo"}}), id="env-value-and-command"),
        pytest.param(_set_step({"run": "x", "env": {"name": "A", "value": "1"}}), id="two-steps-in-one"),
        pytest.param(_set_rule_key("apply_requirements", "approved"), id="requirements-not-a-list"),
        pytest.param(_set_rule_key("apply_requirements", ["reviewed"]), id="unknown-requirement"),
        pytest.param(_set_rule_key("allow_custom_workflows", "false"), id="bool-as-string"),
        pytest.param(_set_rule_key("allowed_overrides", ["workflows"]), id="unknown-override"),
        pytest.param(_set_rule_key("repo_lock", True), id="unknown-repo-key"),
        pytest.param((lambda d: d["repos"][1].pop("id"), RULE_PATH), id="missing-id"),
        pytest.param(
            (lambda d: d["workflows"]["custom"].update(deploy={"steps": []}), ["workflows", "custom"]),
            id="unknown-stage",
        ),
    ],
)
def test_the_schema_rejects_unknown_names_and_wrong_types(case: tuple[Mutation, list[object]]) -> None:
    mutate, broken_path = case
    document = copy.deepcopy(DOCUMENTED_EXAMPLE)
    mutate(document)
    errors = list(VALIDATOR.iter_errors(document))
    assert errors, "the schema accepted a broken document"
    # Each error points at the broken spot, so the rejection is for the reason under test.
    assert all(list(error.absolute_path)[: len(broken_path)] == broken_path for error in errors)


def test_the_schema_rejects_a_generated_config_with_an_unknown_step() -> None:
    config = build(upload=UPLOAD)
    config["workflows"]["default"]["plan"]["steps"][2] = "version"
    assert schema_errors(config) == ["'version' is not valid under any of the given schemas"]
