"""The naive baseline on CDK Terrain: benchmarks/hello_world/main.py with cdktn's package names, no import tricks.

The benchmark compares ``STACKKIT_FRAMEWORK=cdktn python main.py`` of the project against this app, run in the CDK
Terrain venv (frameworks/cdktn/.venv). STACKKIT_OUTDIR picks the output folder so runs never touch ./cdktf.out.
"""

import os

from cdktn import App, TerraformStack
from cdktn_provider_aws.provider import AwsProvider
from cdktn_provider_aws.s3_bucket import S3Bucket
from constructs import Construct


class HelloWorldStack(TerraformStack):
    def __init__(self, scope: Construct, stack_id: str) -> None:
        super().__init__(scope, stack_id)
        AwsProvider(self, "aws", region="us-east-1")
        S3Bucket(self, "bucket", bucket_prefix="hello-world-")


app = App(outdir=os.environ.get("STACKKIT_OUTDIR", "cdktf.out"))
HelloWorldStack(app, "hello-world")
app.synth()
