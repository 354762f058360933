"""Drives Debian's Chromium through Playwright for the browser tests, in a process of its own:
Playwright's sync API cannot run inside the eventlet-patched test process (its driver's exit is
never seen there). Reads one JSON command a line on stdin, answers one JSON line on stdout:

    {"page": "clerk", "op": "fill", "args": ["#f-subject", "भूमि"]}  ->  {"ok": true, "value": null}

`op` is a method of the page (goto, fill, click, wait_for_selector, screenshot...), or `new_page`
(with kwargs viewport and locale), `close_pages` (every page and its context) and `close`."""
import json
import sys

from playwright.sync_api import Error, sync_playwright

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"]


def plain(value):
    try:
        json.dumps(value)
        return value
    except TypeError:
        return None


def seen(page):
    """What the page shows, to explain a failed step."""
    try:
        return f"\n  at {page.url}\n  showing: {page.inner_text('main', timeout=2000)[:1500]!r}" if page else ""
    except Error:
        return ""


def main():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=ARGS)
        pages = {}
        for line in sys.stdin:
            command = json.loads(line)
            op, args, kwargs = command["op"], command.get("args", []), command.get("kwargs", {})
            try:
                if op == "close":
                    break
                if op == "close_pages":  # the end of a test: the next one starts without its cookies
                    for page in pages.values():
                        page.context.close()
                    pages.clear()
                    value = None
                elif op == "new_page":
                    if command["page"] in pages:
                        pages[command["page"]].context.close()
                    context = browser.new_context(**kwargs)
                    context.set_default_timeout(20_000)
                    pages[command["page"]] = context.new_page()
                    value = None
                else:
                    value = plain(getattr(pages[command["page"]], op)(*args, **kwargs))
                answer = {"ok": True, "value": value}
            except Error as exc:
                answer = {"ok": False, "error": str(exc).splitlines()[0][:2000] + seen(pages.get(command.get("page")))}
            sys.stdout.write(json.dumps(answer, ensure_ascii=False) + "\n")
            sys.stdout.flush()
        browser.close()


if __name__ == "__main__":
    main()
