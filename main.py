"""Entry point: validate every environment's config, then synthesize one stack per environment.

python main.py                              # all config/*.tfvars -> cdktf.out/stacks/<stack_name>/
STACKKIT_ENVIRONMENTS=prod python main.py   # only config/prod.tfvars
STACKKIT_CONFIG_DIR=... STACKKIT_OUTDIR=...  # other config folder / output folder
"""

from __future__ import annotations

import sys
from pathlib import Path

from stacks.config import ConfigError, config_directory, load_all, output_directory


def main() -> int:
    try:
        configs = load_all(config_directory())
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    # Imported only after the configs are valid: this starts jsii and loads the AWS provider.
    from stacks.app import SynthError, synthesize

    outdir = output_directory()
    try:
        names = synthesize(configs, outdir)
    except SynthError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"synthesized {', '.join(stack_folders(names, outdir))}", file=sys.stderr)
    return 0


def stack_folders(names: list[str], outdir: str | None) -> list[str]:
    """Each stack's folder, relative to the current folder when inside it; bare names when the cdktf CLI chose the
    output folder (it prints its own summary)."""
    if outdir is None:
        return names
    stacks = Path(outdir, "stacks").absolute()
    if stacks.is_relative_to(Path.cwd()):
        stacks = stacks.relative_to(Path.cwd())
    return [str(stacks / name) for name in names]


if __name__ == "__main__":
    sys.exit(main())
