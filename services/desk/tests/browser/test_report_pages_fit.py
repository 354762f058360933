"""The report and scoreboard pages as Chromium lays them out, at a phone's 360 px and a desktop's
1366 px: nothing scrolls sideways, and the charts are drawn. The pages are the desk's own templates
and stylesheet, filled with a district's worth of long Hindi and English names (no services needed)."""
import os
import re
import shutil

import pytest
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Request

from desk import domain
from desk.web import HERE as DESK_DIR
from desk.web import SignedIn, render_page

DM = SignedIn("h", "dm.jjr", "HR-JJR-DC1", ("officer",), "Shakti Singh", "शक्ति सिंह", "Deputy Commissioner", "उपायुक्त",
              "hi", "csrf-1")
OFFICES = [(f"HR-JJR-BDPO{n}", f"Block Development and Panchayat Officer, Bahadurgarh-{n}",
            f"खंड विकास एवं पंचायत अधिकारी, बहादुरगढ़-{n}") for n in range(1, 9)]
SCOPES = [{"kind": "district", "code": "JJR", "name_en": "Jhajjar", "name_hi": "झज्जर"},
          {"kind": "office", "code": "HR-JJR-DC1", "name_en": "Deputy Commissioner, Jhajjar", "name_hi": "उपायुक्त, झज्जर"}]


def named(code, en, hi):
    return {"office": code, "office_name_en": en, "office_name_hi": hi}


def pendency_report():
    rows = [{**named(*o), "holder": f"user.{n}", "holder_name_en": "Sandeep Kumar Rathee", "holder_name_hi": "संदीप कुमार राठी",
             "item_type": "file", "days_0-7": 1234 * n, "days_8-15": 17, "days_16-30": 9 * n, "days_31+": 120_000, "total": 1_234_567}
            for n, o in enumerate(OFFICES, start=1)]
    columns = ["office", "office_name_en", "office_name_hi", "holder", "holder_name_en", "holder_name_hi", "item_type",
               "days_0-7", "days_8-15", "days_16-30", "days_31+", "total"]
    return {"report": "pendency", "from": None, "to": None, "as_of": "2026-12-06T10:00:00+00:00", "columns": columns, "rows": rows}


def monthly_report():
    rows = []
    for month in range(1, 13):
        for code, en, hi in OFFICES[:3] + [("ALL", "All offices", "सभी कार्यालय")]:
            rows.append({"month": f"2026-{month:02d}", **named(code, en, hi), "files_created": 1200 * month, "receipts_diarised": 3400,
                         "files_received": 980, "receipts_received": 2100 + month, "files_forwarded": 15_000, "receipts_forwarded": 7})
    columns = ["month", "office", "office_name_en", "office_name_hi", *domain.MONTHLY_SERIES]
    return {"report": "monthly", "from": "2026-01-01", "to": "2026-12-06", "as_of": "2026-12-06T10:00:00+00:00",
            "columns": columns, "rows": rows}


def file_register():
    columns = ["office", "office_name_en", "office_name_hi", "file_id", "file_number", "subject", "classification",
               "category", "section", "kind", "opened_on", "closed_on", "holder", "holder_name_en", "holder_name_hi", "movements"]
    rows = [{**named(*o), "file_id": f"0192f1c4-7a3e-7d21-9b1e-{n:012d}", "file_number": f"N-11016/{n}/2026-HR-JJR-BDPO-ESTABLISHMENT",
             "subject": "ग्राम पंचायत भवन निर्माण हेतु अनुदान राशि की स्वीकृति एवं उपयोगिता प्रमाण-पत्र " * 2,
             "classification": "normal", "category": "Establishment", "section": "EST", "kind": "electronic",
             "opened_on": "2026-11-12", "closed_on": None, "holder": "sandeep.rathee.bdpo", "holder_name_en": "Sandeep Kumar Rathee",
             "holder_name_hi": "संदीप कुमार राठी", "movements": 12} for n, o in enumerate(OFFICES)]
    return {"report": "file-register", "from": "2026-11-06", "to": "2026-12-06", "as_of": "2026-12-06T10:00:00+00:00",
            "columns": columns, "rows": rows, "page": 2, "per_page": 100, "total": 11_027}


def dispatch_report():
    counts = ("issued", "inside", "reached", "opened", "by_email", "emailed", "bounced", "posted", "awaiting")
    rows = [{"week": f"2026-W{week}", **named(code, en, hi), **{c: 1000 * n + len(c) for c in counts}, "reached_percent": 97.25}
            for week in (47, 48) for n, (code, en, hi) in enumerate(OFFICES[:4] + [("ALL", "All offices", "सभी कार्यालय")])]
    columns = ["week", "office", "office_name_en", "office_name_hi", *counts, "reached_percent"]
    return {"report": "dispatch", "from": "2026-11-16", "to": "2026-11-29", "as_of": "2026-12-06T10:00:00+00:00",
            "columns": columns, "rows": rows}


def report_page(language, report):
    request = Request.from_values(f"/reports?report={report['report']}&scope=district:JJR&page=2")
    return render_page(
        "reports.html", language, DM, request, name=report["report"], reports=("pendency", "monthly", "file-register"),
        report=report, failure=None, values=MultiDict(request.args), errors={}, scopes=SCOPES, scope="district:JJR",
        pendency_chart=domain.pendency_chart(report), monthly_chart=domain.monthly_chart(report),
        dispatch_chart=domain.dispatch_chart(report),
    ).get_data(as_text=True)


def scoreboard_page(language):
    from metrics.domain import ScoreSettings, UnitInputs, explain

    components = explain(UnitInputs(files_created=40, e_files_created=31, receipts_diarised=90, e_receipts_diarised=77, movements=300,
                                    users=22, active_people={f"u{n}" for n in range(17)}, pending=58, pending_old=9,
                                    disposal_days=[2.5, 4.0], notes_confirmed=30, notes_signed=21), ScoreSettings.from_config({}))
    units = [{"unit": code, "name_en": en, "name_hi": hi, "score": round(8.1 - n / 3, 2), "rank": n + 1, "rank_change": 2 - n, "active": n < 6}
             for n, (code, en, hi) in enumerate(OFFICES)]
    history = [(f"2026-W{w}", r) for w, r in zip(range(37, 49), (9, 7, 8, 4, 3, 3, 2, 1, 1, 2, 1, 1), strict=True)]
    return render_page(
        "scoreboard.html", language, DM, None, level="office", board={"week": "2026-W48", "units": units}, unit=units[0]["unit"],
        detail={**units[0], "history": [{"week": w, "score": 8.0, "rank": r} for w, r in history]},
        explained={"components": components, "formula": {"score": "sum"}},
        history_chart=domain.line_chart([(w, round(8.4 - r / 3, 2)) for w, r in history]), rank_chart=domain.rank_chart(history),
    ).get_data(as_text=True)


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    """The pages written beside a copy of the desk's static files, each referring to them there."""
    folder = tmp_path_factory.mktemp("report-pages")
    shutil.copytree(os.path.join(DESK_DIR, "static"), folder / "static")
    written = {}
    for language in ("hi", "en"):
        for label, html in (("pendency", report_page(language, pendency_report())),
                            ("monthly", report_page(language, monthly_report())),
                            ("register", report_page(language, file_register())),
                            ("dispatch", report_page(language, dispatch_report())),
                            ("scoreboard", scoreboard_page(language))):
            assert " style=" not in html  # the desk's CSP allows no inline styles: a chart must not need them
            path = folder / f"{label}-{language}.html"
            path.write_text(re.sub(r'(href|src)="/static/([^"?]+)[^"]*"', r'\1="static/\2"', html), encoding="utf-8")
            written[(label, language)] = path.as_uri()
    return written


@pytest.mark.parametrize("width", [360, 1366])
def test_report_and_scoreboard_pages_do_not_scroll_sideways_and_draw_their_charts(chromium, pages, width):
    page = chromium.page(f"fit-{width}", width=width, height=800)
    for (label, language), url in sorted(pages.items()):
        page.goto(url)
        scroll, client = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert scroll <= client, f"{label} ({language}) at {width} px is {scroll} px wide"
        drawn = page.evaluate("Array.from(document.querySelectorAll('.bars svg rect, svg.chart polyline'))"
                              ".filter(e => e.getBoundingClientRect().width > 0).length")
        if label in ("pendency", "monthly", "dispatch", "scoreboard"):
            assert drawn > 0, f"{label} ({language}) at {width} px draws no chart"
        if label == "scoreboard":
            assert page.evaluate("document.querySelectorAll('svg.chart.rank circle').length") == 12
        # On a phone a table's cells become cards captioned by their data-label: none may be captioned by ":" alone.
        uncaptioned = page.evaluate(
            "Array.from(document.querySelectorAll('.list td')).filter(td => td.getBoundingClientRect().width > 0"
            " && getComputedStyle(td, '::before').content !== 'none' && !(td.dataset.label || '').trim())"
            ".map(td => td.closest('table').className + ': ' + td.textContent.trim().slice(0, 40))")
        assert uncaptioned == [], f"{label} ({language}) at {width} px has cells captioned by ':' alone: {uncaptioned}"
