"""Event ids: UUID version 7, ordered by the millisecond they were made in."""
import time
import uuid

from eoffice_common.events import DomainEvent, Envelope, time_ordered_id


def test_an_event_id_is_a_version_7_uuid():
    parsed = uuid.UUID(time_ordered_id())
    assert parsed.version == 7
    assert parsed.variant == uuid.RFC_4122


def test_ids_made_in_a_later_millisecond_sort_after_earlier_ones():
    earlier = [time_ordered_id() for _ in range(50)]
    time.sleep(0.002)
    later = [time_ordered_id() for _ in range(50)]
    assert max(earlier) < min(later)
    assert len(set(earlier + later)) == 100


def test_the_id_carries_the_time_it_was_made():
    before = time.time_ns() // 1_000_000
    made = uuid.UUID(time_ordered_id()).int >> 80
    after = time.time_ns() // 1_000_000
    assert before <= made <= after


def test_a_wrapped_event_gets_a_time_ordered_id():
    class NoteWritten(DomainEvent):
        event_type = "note_written"
        aggregate_type = "note"

        @property
        def aggregate_id(self):
            return "n-1"

    assert uuid.UUID(Envelope.wrap(NoteWritten(), actor="clerk.jhs").id).version == 7
