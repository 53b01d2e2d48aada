"""Monthly AWS cost of a synthesized stack, from the dated ap-northeast-2 price table kept beside this file.

python -m costs cdktf.out/stacks/prod-atlantis-stack/cdk.tf.json [--hours 730] [--json]
"""
