"""services/EVENTS.md lists exactly the fields each published event carries: every field of every
event dataclass (what `DomainEvent.data()` publishes), and no field that the event lacks."""
import importlib
import re
from pathlib import Path

import pytest

from eoffice_common.events import DomainEvent, field_names
from eoffice_common.testing import REPO_ROOT

PUBLISHERS = ("dak", "files", "signing", "notify", "metrics", "desk")
EVENTS_MD = Path(REPO_ROOT) / "services" / "EVENTS.md"


def _top_level_parts(text):
    """Comma-separated parts, ignoring commas inside (...) and [...]."""
    parts, depth, current = [], 0, ""
    for char in text:
        depth += char in "([{"
        depth -= char in ")]}"
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    return parts + [current]


def documented_fields():
    """{event type: set of field names} from the bullet lines of EVENTS.md (continuations indented)."""
    bullets = re.split(r"\n(?=- `)", EVENTS_MD.read_text(encoding="utf-8"))
    documented = {}
    for bullet in bullets:
        match = re.match(r"- ((?:`\w+`(?:, )?)+)[^:]*:(.*)", bullet, re.S)
        if not match:
            continue
        fields = {re.match(r"\s*(\w+)", part).group(1) for part in _top_level_parts(match.group(2).split("\n\n")[0])
                  if re.match(r"\s*\w+", part)}
        for event_type in re.findall(r"`(\w+)`", match.group(1)):
            documented[event_type] = fields
    return documented


def published_fields():
    published = {}
    for service in PUBLISHERS:
        try:
            module = importlib.import_module(f"{service}.events")
        except ModuleNotFoundError:
            continue
        for value in vars(module).values():
            if (isinstance(value, type) and issubclass(value, DomainEvent)
                    and isinstance(vars(value).get("event_type"), str)):
                published[value.event_type] = set(field_names(value))
    return published


def test_every_published_event_is_documented():
    assert set(published_fields()) - set(documented_fields()) == set()


@pytest.mark.parametrize("event_type", sorted(published_fields()))
def test_documented_fields_are_the_published_ones(event_type):
    assert published_fields()[event_type] == documented_fields().get(event_type, set())
