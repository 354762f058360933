"""What notify says, in Hindi and English: a title per kind, labelled detail lines, email framing.

Titles never carry a file's subject: the subject is a detail line, withheld from email and SMS
when the item is classified (see domain.render)."""

TITLES = {
    "receipt_sent": {
        "en": "Receipt {number} sent to you by {by}",
        "hi": "प्राप्ति {number} {by} द्वारा आपको भेजी गई",
    },
    "receipt_copied": {
        "en": "Copy of receipt {number} for information, from {by}",
        "hi": "प्राप्ति {number} की प्रति सूचनार्थ, {by} द्वारा",
    },
    "file_sent": {
        "en": "File {number} sent to you by {by}",
        "hi": "फ़ाइल {number} {by} द्वारा आपको भेजी गई",
    },
    "file_returned": {
        "en": "File {number} returned to you by {by}",
        "hi": "फ़ाइल {number} {by} द्वारा आपको लौटाई गई",
    },
    "file_pulled_back": {
        "en": "File {number} pulled back by {by}",
        "hi": "फ़ाइल {number} {by} द्वारा वापस ले ली गई",
    },
    # An officer going on leave handed what they hold to the officer acting for them (action hand_over):
    # said instead of "sent to you", under the same kind and settings.
    "receipt_handed_over": {
        "en": "Receipt {number} handed over to you by {by}, who is going on leave",
        "hi": "प्राप्ति {number} {by} द्वारा अवकाश पर जाते समय आपको सौंपी गई",
    },
    "file_handed_over": {
        "en": "File {number} handed over to you by {by}, who is going on leave",
        "hi": "फ़ाइल {number} {by} द्वारा अवकाश पर जाते समय आपको सौंपी गई",
    },
    "due_soon": {
        "en": "{item} {number} is due on {due}",
        "hi": "{item} {number} की नियत तिथि {due} है",
    },
    "overdue": {
        "en": "{item} {number} is overdue by {days} day(s) (due {due})",
        "hi": "{item} {number} नियत तिथि {due} के बाद {days} दिन से लंबित है",
    },
    "escalation": {
        "en": "{item} {number} with {holder} is overdue by {days} day(s) (due {due})",
        "hi": "{holder} के पास {item} {number} नियत तिथि {due} के बाद {days} दिन से लंबित है",
    },
    "draft_approved": {
        "en": "Draft (version {version}) on file {number} approved by {by}",
        "hi": "फ़ाइल {number} का मसौदा (संस्करण {version}) {by} द्वारा अनुमोदित",
    },
    "draft_issued": {
        "en": "Draft on file {number} issued as {issue_number}",
        "hi": "फ़ाइल {number} का मसौदा निर्गम संख्या {issue_number} से जारी",
    },
    "signature_failed": {
        "en": "Signing of the {document} failed: {reason}",
        "hi": "{document} पर हस्ताक्षर विफल: {reason}",
    },
    "digest": {
        "en": "{count} notification(s) of the day",
        "hi": "आज की {count} सूचनाएँ",
    },
}

LABELS = {
    "en": {
        "subject": "Subject", "remarks": "Remarks", "due": "Due date", "priority": "Priority", "open": "Open",
        "file": "File", "receipt": "Receipt", "note": "note", "draft": "draft",
        "urgent": "Urgent", "most_immediate": "Most Immediate",
        "withheld": "(classified: open eOffice to read it)",
        "system": "eOffice",
        "app": "eOffice",
        "greeting": "Dear {name},",
        "held_for": " (for {name}, who is away)",
        "footer": "This message was sent automatically by eOffice. Choose what you receive under Notification settings.",
    },
    "hi": {
        "subject": "विषय", "remarks": "टिप्पणी", "due": "नियत तिथि", "priority": "प्राथमिकता", "open": "खोलें",
        "file": "फ़ाइल", "receipt": "प्राप्ति", "note": "टिप्पणी", "draft": "मसौदा",
        "urgent": "तत्काल", "most_immediate": "अति तत्काल",
        "withheld": "(गोपनीय: पढ़ने के लिए ई-ऑफिस खोलें)",
        "system": "ई-ऑफिस",
        "app": "ई-ऑफिस",
        "greeting": "नमस्कार {name},",
        "held_for": " ({name} के लिए, जो अनुपस्थित हैं)",
        "footer": "यह संदेश ई-ऑफिस द्वारा स्वतः भेजा गया है। क्या प्राप्त करना है, यह 'सूचना सेटिंग' में चुनें।",
    },
}

LANGUAGES = tuple(LABELS)
