"""``govbus deploy render``: Kubernetes (Strimzi) and Compose manifests rendered from the
catalogue and the agreements, as pure functions of ``DeployInputs`` (docs/deploy.md).

Each module returns plain dicts (the documents) or file texts; only ``commands/deploy_cmd.py``
reads the catalogue and writes files.
"""
