from werkzeug.datastructures import MultiDict

from desk import schemas


def test_the_diarise_form_becomes_daks_request_with_hindi_intact_and_blanks_dropped():
    form = MultiDict({"kind": "electronic", "sender_name": " सुनीता देवी ", "sender_pincode": "", "subject": "पेंशन हेतु आवेदन",
                      "delivery_mode": "post", "letter_date": "", "vip": "on", "csrf_token": "t"})
    body = schemas.receipt_request(form)
    assert body == {"kind": "electronic", "sender": {"name": "सुनीता देवी"}, "subject": "पेंशन हेतु आवेदन",
                    "delivery_mode": "post", "vip": True}


def test_generate_and_copy_keeps_the_sender_and_categories_but_not_the_letter():
    form = {"sender_name": "तहसीलदार", "main_category": "राजस्व", "subject": "खतौनी", "letter_number": "T/1", "csrf_token": "x"}
    assert schemas.kept_for_next_letter(form) == {"sender_name": "तहसीलदार", "main_category": "राजस्व"}


def test_the_send_dialog_gives_several_recipients_for_a_receipt_and_one_for_a_file():
    form = MultiDict([("to", "so.jhs"), ("to", "adm.jhs"), ("remarks", "कृपया देखें"), ("priority", ""), ("due_date", "2099-01-01")])
    assert schemas.send_request(form) == {"to": ["so.jhs", "adm.jhs"], "remarks": "कृपया देखें", "priority": "normal", "due_date": "2099-01-01"}
    assert schemas.send_request(form, many=False)["to"] == "so.jhs"


def test_preferences_take_the_ticked_channels_and_quiet_hours():
    form = MultiDict([("ch.file_sent", "email"), ("ch.file_sent", "sms"), ("ch.overdue", "fax"), ("quiet_start", "21:00"),
                      ("quiet_end", "07:00"), ("digest", "on")])
    body = schemas.preferences_request(form, ("file_sent", "overdue"))
    assert body == {"channels": {"file_sent": ["email", "sms"], "overdue": []}, "quiet_hours": {"start": "21:00", "end": "07:00"}, "digest": True}


def test_a_new_file_from_the_put_in_file_dialog_takes_its_subject_and_head():
    form = MultiDict({"head_id": "3", "file_subject": " वृद्धावस्था पेंशन ", "classification": "secret", "category": ""})
    assert schemas.new_file_request(form) == {"numbering": "sfs", "head_id": 3, "subject": "वृद्धावस्था पेंशन",
                                              "classification": "secret", "kind": "electronic"}
