"""Configuration: a service's config.yml with ${ENV_VAR:default} values, as nameko reads it."""
import os

import yaml
from nameko.cli.main import setup_yaml_parser
from sqlalchemy.engine import make_url


def load_config(path):
    """Load a config.yml the way `nameko run --config` does, environment substituted."""
    setup_yaml_parser()
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def service_config_path(package_file):
    """config.yml of the service whose package contains `package_file`."""
    return os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(package_file))), "config.yml")


def load_service_config(package_file):
    """The config.yml of `package_file`'s service (see load_config), its relative paths (a SQLite
    database, DOCUMENTS_DIR) taken from the repository's root, where `make run` and the images run
    the services: so that a command finds the same files from any directory."""
    path = service_config_path(package_file)
    root = os.path.dirname(os.path.dirname(os.path.dirname(path)))
    config = load_config(path)
    if config.get("DB_URL"):
        url = make_url(config["DB_URL"])
        if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:" and not os.path.isabs(url.database):
            config["DB_URL"] = url.set(database=os.path.join(root, url.database)).render_as_string(hide_password=False)
    if config.get("DOCUMENTS_DIR"):
        config["DOCUMENTS_DIR"] = os.path.join(root, config["DOCUMENTS_DIR"])
    return config
