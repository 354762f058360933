"""Configuration: a service's config.yml with ${ENV_VAR:default} values, as nameko reads it."""
import os

import yaml
from nameko.cli.main import setup_yaml_parser


def load_config(path):
    """Load a config.yml the way `nameko run --config` does, environment substituted."""
    setup_yaml_parser()
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def service_config_path(package_file):
    """config.yml of the service whose package contains `package_file`."""
    return os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(package_file))), "config.yml")
