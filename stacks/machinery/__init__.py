"""Framework and provider plumbing: the only code that knows which CDK framework and which AWS provider bindings
are in use. Everything else in ``stacks/`` is infrastructure (one construct per AWS concern) and imports the
framework through ``stacks.machinery.framework`` and the provider through ``stacks.machinery.aws``."""
