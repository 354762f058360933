"""A receipt refused because someone it was to go to is not cleared for its classification: the dialog says
so in the page's language and names whom dak named."""
from desk.domain import field_errors
from desk.exceptions import ServiceFailure

from .test_issue_21_pages import a_receipt, receipt_page, text_of


def refusal(named):
    fields = {"to": f"not cleared for secret: {named}"}
    return ServiceFailure("dak", 422, "recipient_not_cleared", f"not cleared for this secret receipt: {named}", fields)


def test_a_reply_to_a_sender_no_longer_cleared_says_so_in_the_reply_dialog():
    failure = refusal("diarist.jhs")
    html = receipt_page(a_receipt(classification="secret"), dialog="reply", failure=failure, errors=field_errors(failure.fields))
    reply = text_of(html.split('id="reply"')[1].split("</form>")[0])
    assert "इस वर्गीकरण के लिए अधिकृत नहीं" in reply and "(diarist.jhs)" in reply


def test_the_send_dialog_says_who_is_not_cleared_beside_the_officers_chosen():
    failure = refusal("clerk.jhs")
    html = receipt_page(a_receipt(classification="secret"), dialog="send", failure=failure, errors=field_errors(failure.fields))
    assert 'id="e-to"' in html and "इस वर्गीकरण के लिए अधिकृत नहीं" in text_of(html) and "(clerk.jhs)" in text_of(html)
