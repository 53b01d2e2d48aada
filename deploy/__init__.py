"""quick-deploy: bootstraps, deploys and operates StackKit Atlantis (``./quick-deploy.sh --help``).

Plain Python with boto3 and the standard library; it never imports cdktf. Synthesis runs ``python main.py`` in a
subprocess and Terraform runs as a subprocess, both with an environment that holds no Atlantis secret.
"""
