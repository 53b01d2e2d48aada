"""The naive baseline: a one-resource cdktf app written exactly as the cdktf docs show, with no import tricks.

The benchmark compares ``python main.py`` of the project against this app (same cdktf and provider versions).
STACKKIT_OUTDIR picks the output folder so benchmark runs never touch ./cdktf.out.
"""

import os

from cdktf import App, TerraformStack
from cdktf_cdktf_provider_aws.provider import AwsProvider
from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from constructs import Construct


class HelloWorldStack(TerraformStack):
    def __init__(self, scope: Construct, stack_id: str) -> None:
        super().__init__(scope, stack_id)
        AwsProvider(self, "aws", region="us-east-1")
        S3Bucket(self, "bucket", bucket_prefix="hello-world-")


app = App(outdir=os.environ.get("STACKKIT_OUTDIR", "cdktf.out"))
HelloWorldStack(app, "hello-world")
app.synth()
