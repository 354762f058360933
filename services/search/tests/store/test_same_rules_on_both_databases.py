"""Every unit test of visibility and searching, on PostgreSQL and on SQLite (conftest's `uow`)."""
import importlib.util
import os

UNIT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "unit")


def _tests_of(module_name):
    spec = importlib.util.spec_from_file_location(f"search_unit_{module_name}", os.path.join(UNIT, f"{module_name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return {name: test for name, test in vars(module).items() if name.startswith("test_") and "uow" in test.__code__.co_varnames}


globals().update(_tests_of("test_visibility"))
globals().update(_tests_of("test_search"))
