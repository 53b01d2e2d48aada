"""Entry point: validate every environment's config, then synthesize one stack per environment.

python main.py                              # all config/*.tfvars -> cdktf.out/stacks/<stack_name>/
STACKKIT_ENVIRONMENTS=prod python main.py   # only config/prod.tfvars
STACKKIT_CONFIG_DIR=... STACKKIT_OUTDIR=...  # other config folder / output folder
"""

from __future__ import annotations

import sys

from stacks.config import ConfigError, config_directory, load_all, output_directory


def main() -> int:
    try:
        configs = load_all(config_directory())
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    # Imported only after the configs are valid: this starts jsii and loads the AWS provider.
    from stacks.app import SynthError, synthesize

    try:
        synthesize(configs, output_directory())
    except SynthError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    names = ", ".join(config.stack_name for config in configs)
    print(f"synthesized {names}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
