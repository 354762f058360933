"""The pages' forms and the service requests they become: flat form fields (`sender_name`) to the
services' JSON bodies (`{"sender": {"name": ...}}`), blanks dropped, Hindi untouched."""

SENDER_FIELDS = ("name", "designation", "organisation", "address", "state", "pincode", "email", "mobile")
RECEIPT_FIELDS = (
    "kind", "letter_number", "letter_date", "received_date", "delivery_mode", "main_category",
    "sub_category", "subject", "language", "classification", "enclosures", "remarks",
)
NOTIFICATION_KINDS = (
    "receipt_sent", "receipt_copied", "file_sent", "file_returned", "file_pulled_back", "due_soon", "overdue",
    "escalation", "draft_approved", "draft_issued", "signature_failed",
)
# What Generate & Copy keeps for the next letter: everything but what identifies this one.
NOT_KEPT_FOR_NEXT = ("subject", "letter_number", "letter_date", "enclosures", "remarks")
PER_LETTER = ("subject", "letter_number", "letter_date")  # of each letter on the bulk Diarise page


def _filled(form, name):
    value = form.get(name)
    if value is None:
        return None
    value = value.strip()
    return value or None


def receipt_request(form):
    """dak's diarise body from the flat Diarise form (`sender_name` becomes `sender.name`)."""
    body = {name: _filled(form, name) for name in RECEIPT_FIELDS}
    body["sender"] = {name: _filled(form, f"sender_{name}") for name in SENDER_FIELDS}
    body["sender"] = {k: v for k, v in body["sender"].items() if v is not None}
    body["vip"] = form.get("vip") in ("on", "true", "1")
    return {k: v for k, v in body.items() if v is not None}


def kept_for_next_letter(form):
    return {k: v for k, v in form.items() if k not in NOT_KEPT_FOR_NEXT and k != "csrf_token"}


def send_request(form, many=True):
    """The Send dialog's fields: recipients (several for a receipt, one for a file), remarks,
    due date, priority."""
    recipients = [r.strip() for r in form.getlist("to") if r.strip()] if hasattr(form, "getlist") else []
    body = {
        "remarks": _filled(form, "remarks"),
        "due_date": _filled(form, "due_date"),
        "priority": _filled(form, "priority") or "normal",
    }
    if many:
        body["to"] = recipients
    elif recipients:
        body["to"] = recipients[0]
    return {k: v for k, v in body.items() if v is not None}


def preferences_request(form, kinds):
    """notify's preferences from the form: per kind the extra channels ticked (`ch.<kind>`),
    quiet hours when both ends are given, the daily digest."""
    start, end = _filled(form, "quiet_start"), _filled(form, "quiet_end")
    body = {
        "channels": {kind: [c for c in form.getlist(f"ch.{kind}") if c in ("email", "sms")] for kind in kinds},
        "quiet_hours": {"start": start, "end": end} if start or end else None,
        "digest": form.get("digest") in ("on", "true", "1"),
    }
    if _filled(form, "digest_time"):
        body["digest_time"] = _filled(form, "digest_time")
    return body


def preferences_as_typed(form, kinds):
    """The form as the user typed it, in notify's shape, to show it again after an error."""
    body = preferences_request(form, kinds)
    body["quiet_hours"] = {"start": form.get("quiet_start") or "", "end": form.get("quiet_end") or ""}
    body.setdefault("digest_time", form.get("digest_time") or "")
    return body


def issue_request(form):
    """Issue an approved draft to several addressees: offices of this deployment (each gets a receipt),
    offices sent a copy for information, and one addressee outside by post or email."""
    recipients = [{"office": code} for code in form.getlist("to_offices") if code]
    recipients += [{"office": code, "for_information": True} for code in form.getlist("copy_offices") if code]
    outside = {name: _filled(form, f"recipient_{name}") for name in ("name", "address", "email")}
    mode = _filled(form, "dispatch_mode") or "post"
    if outside["name"] or outside["address"] or outside["email"]:
        recipients.append({"mode": mode, **{k: v for k, v in outside.items() if v is not None}})
    return {"dispatch_mode": "intra" if recipients and "office" in recipients[0] else mode, "recipients": recipients}


def new_file_request(form):
    """A new file from the New file form, or from the Put in a file dialog (its `file_subject`)."""
    body = {
        "numbering": form.get("numbering") or "sfs",
        "head_id": int(form["head_id"]) if (form.get("head_id") or "").isdigit() else None,
        "file_number": (form.get("file_number") or "").strip() or None,
        "subject": (form.get("file_subject") or form.get("subject") or "").strip(),
        "category": (form.get("category") or "").strip() or None,
        "classification": form.get("classification") or "normal",
        "kind": form.get("file_kind") or "electronic",
    }
    return {k: v for k, v in body.items() if v is not None}


def bulk_letters(form, rows):
    """The letters of the bulk Diarise form: [(row, dak's diarise body)] for each row with a subject;
    the shared fields (sender, delivery, categories...) with the row's own subject, letter number and date."""
    shared = receipt_request(form)
    letters = []
    for row in range(1, rows + 1):
        own = {name: _filled(form, f"{name}_{row}") for name in PER_LETTER}
        if own["subject"]:
            letters.append((row, {**shared, **{k: v for k, v in own.items() if v is not None}}))
    return letters


def bulk_shared(form):
    """What the bulk Diarise page keeps for the next pile: the shared fields, none of a letter's own."""
    own = tuple(f"{name}_" for name in PER_LETTER)
    return {k: v for k, v in kept_for_next_letter(form).items() if not k.startswith(own)}
