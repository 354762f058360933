import eventlet

# First, before anything opens a socket (the eoffice pytest plugin does the same).
eventlet.monkey_patch()

import pytest  # noqa: E402

SERVICE_CONTAINER = "eoffice_common.runtime.PromptStopContainer"


@pytest.fixture
def container_factory(container_factory):
    """Containers of the class every config.yml names, unless a test's config names another."""
    def make(service_cls, config):
        return container_factory(service_cls, {"SERVICE_CONTAINER_CLS": SERVICE_CONTAINER, **config})

    return make
