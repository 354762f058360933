"""A clerk or officer adds and corrects their office's correspondents by hand, as use cases on the
in-memory unit of work: only in their own office's book, never twice the same correspondent."""
from dataclasses import replace

import pytest

from dak import commands, exceptions, usecases
from dak.address_book import Entry

from .conftest import FakeDakUnitOfWork, Officer
from .test_usecases import LETTER, diarised

SUNITA = Entry(name="सुनीता देवी", designation="प्रधान", organisation="ग्राम पंचायत बड़ागाँव", address="ग्राम बड़ागाँव, तहसील मऊरानीपुर",
               state="उत्तर प्रदेश", pincode="284204", email="pradhan.badagaon@gp.example.in", mobile="9876543210")


def add(uow, entry=SUNITA, by="clerk.jhs"):
    return usecases.add_correspondent(commands.AddCorrespondent(by, entry), uow)


def edit(uow, correspondent_id, entry, by="clerk.jhs"):
    return usecases.edit_correspondent(commands.EditCorrespondent(by, correspondent_id, entry), uow)


def test_a_clerk_adds_a_correspondent_found_afterwards_by_a_spelling_variant(uow):
    added = add(uow)
    assert uow.commits == 1 and uow.answers == [added]
    stored = uow.address_book.correspondents[added.id]
    assert (stored.office_code, stored.name, stored.organisation, stored.pincode, stored.letters) == (
        "COLL-JHS", "सुनीता देवी", "ग्राम पंचायत बड़ागाँव", "284204", 0)
    (found,) = usecases.correspondents_of("COLL-JHS", "बडागांव", 20, uow)
    assert found.id == added.id
    assert usecases.correspondents_of("COLL-LLP", "बडागांव", 20, uow) == []


def test_the_same_correspondent_however_spelt_is_not_added_twice(uow):
    added = add(uow)
    with pytest.raises(exceptions.CorrespondentExists) as refused:
        add(uow, replace(SUNITA, name="सुनीता  देवी", organisation="ग्राम पंचायत बडागाँव", email=None))
    assert refused.value.existing_id == added.id and refused.value.to_dict()["existing_id"] == added.id
    assert len(uow.address_book.correspondents) == 1 and uow.commits == 1
    # Another office keeps a book of its own.
    add(uow, by="diarist.llp")
    assert len(uow.address_book.correspondents) == 2


def test_a_sender_added_by_hand_then_writing_counts_their_letters_in_the_same_entry(uow):
    added = add(uow, Entry(name=LETTER.sender_name, organisation=LETTER.sender_organisation))
    diarised(uow)
    (entry,) = uow.address_book.correspondents.values()
    assert (entry.id, entry.letters) == (added.id, 1)


def test_an_edit_corrects_every_field_and_keeps_the_count_of_letters(uow):
    diarised(uow)
    (entry,) = uow.address_book.correspondents.values()
    corrected = Entry(name="राम प्रसाद वर्मा", organisation=LETTER.sender_organisation, pincode="284001", mobile="9876543210")
    edited = edit(uow, entry.id, corrected)
    stored = uow.address_book.correspondents[entry.id]
    assert (stored.name, stored.pincode, stored.mobile, stored.letters, stored.address) == (
        "राम प्रसाद वर्मा", "284001", "9876543210", 1, None)
    assert edited.name == "राम प्रसाद वर्मा" and uow.answers[-1] is edited
    (found,) = usecases.correspondents_of("COLL-JHS", "वर्मा", 20, uow)
    assert found.id == entry.id


def test_an_edit_into_another_entry_is_refused_and_changes_nothing(uow):
    first, second = add(uow), add(uow, Entry(name="R. K. Traders", email="rk@traders.example.in"))
    with pytest.raises(exceptions.CorrespondentExists) as refused:
        edit(uow, second.id, replace(SUNITA, name="सुनीता देवी "))
    assert refused.value.existing_id == first.id
    assert uow.address_book.correspondents[second.id].name == "R. K. Traders"
    assert edit(uow, first.id, replace(SUNITA, address="ग्राम बड़ागाँव, पोस्ट रानीपुर")).address == "ग्राम बड़ागाँव, पोस्ट रानीपुर"


def test_another_offices_entry_is_not_found_for_editing(uow):
    theirs = add(uow, by="diarist.llp")
    with pytest.raises(exceptions.CorrespondentNotFound):
        edit(uow, theirs.id, replace(SUNITA, name="बदला हुआ नाम"))
    with pytest.raises(exceptions.CorrespondentNotFound):
        edit(uow, 999, SUNITA)
    assert uow.address_book.correspondents[theirs.id].name == "सुनीता देवी"


@pytest.mark.parametrize("user", ["unknown.jhs", "retired.jhs", "head.jhs"])
def test_only_an_active_clerk_or_officer_keeps_the_book(user):
    uow = FakeDakUnitOfWork()
    uow.directory.officers["head.jhs"] = Officer("head.jhs", "COLL-JHS", "JHS", roles=("district_head",))
    with pytest.raises(exceptions.NotAllowed):
        add(uow, by=user)
    assert uow.address_book.correspondents == {} and uow.commits == 0
    assert add(uow, by="dm.jhs").name == "सुनीता देवी"  # an officer
