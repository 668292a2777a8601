"""The dashboard in a real browser: the system Chromium driven by Playwright
against a real emulator on a free port. Skipped (with the reason) when
Chromium or Playwright is missing; .ci/run installs Debian's chromium."""

from __future__ import annotations

import os
import re
import shutil
import time
from pathlib import Path

import httpx
import pytest

from emulator.testing import Emulator

sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (pip install -e '.[test]')")
expect = sync_api.expect

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(
    not os.path.exists(CHROMIUM), reason="Chromium is not installed (apt-get install chromium): the dashboard's browser tests need it"
)
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DOCS = Path(__file__).resolve().parents[1] / "docs"
NOW = "2025-12-01T15:30:10Z"
ACME = "org_abc123"
TRILLET_WS = "69cf4b468d2a8a6a8e39b684"
HEPPU = {"x-api-key": "YOUR_API_KEY"}
TRILLET = {"x-api-key": "YOUR_API_KEY", "x-workspace-id": TRILLET_WS}
STREAM = "/_emulator/events/stream"


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


class Page:
    """A browser tab on the dashboard that records console errors."""

    def __init__(self, browser, url: str, width: int = 1280, height: int = 900) -> None:
        self.context = browser.new_context(viewport={"width": width, "height": height})
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(f"uncaught: {e}"))
        self.url = url

    def open(self, hash_: str = "#/calls") -> "Page":
        self.page.goto(f"{self.url}/_emulator/ui/{hash_}")
        return self

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def tab(browser):
    opened: list[Page] = []

    def make(emu: Emulator, **kw) -> Page:
        p = Page(browser, emu.url, **kw)
        opened.append(p)
        return p

    yield make
    for p in opened:  # before the emulator stops: the page holds a stream open
        p.close()


def paths(emu: Emulator) -> str:
    """The control routes this build serves, as one string to search."""
    return " ".join(httpx.get(emu.url + "/_emulator/openapi/control.json").json()["paths"])


def has_stream(emu: Emulator) -> bool:
    return STREAM in paths(emu).split()


def needs_stream(emu: Emulator) -> None:
    if not has_stream(emu):
        pytest.skip(f"live updates need the event stream ({STREAM}), which this build does not serve yet")


def nav(page, name: str):
    return page.get_by_role("navigation").get_by_role("link", name=name, exact=True)


def row(page, call_id: str):
    return page.locator(f'#calls-table tr[data-call-id="{call_id}"]')


# -- loading -----------------------------------------------------------------


def test_default_configuration_loads_without_console_errors_at_1280_and_narrow(tab):
    # The default configuration: realtime clock, demo traffic on.
    with Emulator(demo=True) as emu:
        t = tab(emu)
        t.page.goto(emu.url + "/")  # a browser asking for / lands on the dashboard
        assert t.page.url == emu.url + "/_emulator/ui/"
        expect(t.page.locator("#calls-table tbody tr[data-call-id]").first).to_be_visible()
        expect(t.page.locator("#clock-summary")).to_contain_text("realtime")
        expect(t.page.locator("#live")).to_have_attribute("data-state", re.compile("live|unavailable"))
        for section in ("new", "time", "faults", "journal", "webhooks", "state"):
            nav(t.page, {"new": "New call"}.get(section, section.title())).click()
            expect(t.page.locator("main h2").first).to_be_visible()
        first = emu.control.calls()[-1].id
        t.page.goto(f"{emu.url}/_emulator/ui/#/calls/{first}")
        expect(t.page.locator("#vendor-json pre").first).to_be_visible()
        time.sleep(0.5)
        assert t.errors == []

        narrow = tab(emu, width=390, height=800).open()
        expect(narrow.page.locator("#calls-table tbody tr[data-call-id]").first).to_be_visible()
        # Wide tables scroll inside their box; the page itself never does sideways.
        assert narrow.page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        assert narrow.errors == []


def test_keyboard_reaches_every_section_with_visible_focus(tab):
    with Emulator(clock="manual", now=NOW) as emu:
        t = tab(emu).open()
        expect(t.page.locator("#calls-table")).to_be_visible()
        seen = []
        for _ in range(12):
            t.page.keyboard.press("Tab")
            focus = t.page.evaluate(
                "(() => { const e = document.activeElement; const s = getComputedStyle(e);"
                " return {text: e.textContent.trim(), outline: s.outlineStyle, width: parseFloat(s.outlineWidth)}; })()"
            )
            seen.append(focus["text"])
            assert focus["outline"] != "none" and focus["width"] > 0, f"focus is not visible on {focus['text']!r}"
            if focus["text"] == "Time":
                break
        assert "Time" in seen
        t.page.keyboard.press("Enter")
        expect(t.page.locator("[data-clock=global]")).to_be_visible()
        # Every control has a text label.
        unlabeled = t.page.evaluate(
            "[...document.querySelectorAll('input, select')].filter(e => !e.labels || !e.labels.length).map(e => e.name)"
        )
        assert unlabeled == []
        assert t.errors == []


# -- live: needs the event stream --------------------------------------------


def test_call_created_from_the_page_moves_through_its_statuses_under_a_scaled_clock(tab):
    with Emulator(clock="scaled", speed=5, now=NOW) as emu:
        needs_stream(emu)
        t = tab(emu).open("#/new")
        page = t.page
        page.get_by_label("Tenant", exact=True).select_option(ACME)
        page.get_by_label("Number", exact=True).fill("+14155550123")
        page.get_by_label("Outcome", exact=True).select_option("completed")
        page.get_by_label("Rings at", exact=True).fill("2s")
        page.get_by_label("Answered at", exact=True).fill("6s")
        page.get_by_label("Talks for", exact=True).fill("15s")
        page.evaluate(
            "window.__seen = []; new MutationObserver(() => { const s = document.querySelector('main h2[data-status]');"
            " if (s && window.__seen[window.__seen.length - 1] !== s.dataset.status) window.__seen.push(s.dataset.status); })"
            ".observe(document.body, {subtree: true, childList: true, attributes: true});"
        )
        page.get_by_role("button", name="Create call").click()
        heading = page.locator("main h2[data-status]")
        expect(heading).to_have_attribute("data-status", "completed", timeout=20_000)
        seen = page.evaluate("window.__seen")
        live = [s for s in seen if s in ("ringing", "active", "completed")]
        assert live == ["ringing", "active", "completed"], seen
        call_id = re.search(r"#/calls/(.+)$", page.url).group(1)
        page.get_by_role("link", name="All calls").click()
        expect(row(page, call_id)).to_have_attribute("data-status", "completed")
        assert httpx.get(f"{emu.url}/api/v1/calls/{call_id}", headers=HEPPU).json()["data"]["status"] == "completed"
        assert t.errors == []


def test_a_call_created_elsewhere_appears_and_ends_on_the_list_without_reloading(tab):
    with Emulator(clock="scaled", speed=10, now=NOW) as emu:
        needs_stream(emu)
        t = tab(emu).open()
        page = t.page
        expect(page.locator("#live")).to_have_attribute("data-state", "live")
        page.evaluate("window.__stay = 1")
        call = emu.control.create_call(ACME, contactPhone="+15005550002")  # busy after two seconds of ringing
        expect(row(page, call.id)).to_be_visible(timeout=10_000)
        expect(row(page, call.id)).to_have_attribute("data-status", "busy", timeout=10_000)
        assert page.evaluate("window.__stay") == 1, "the page reloaded"
        assert t.errors == []


def test_transcript_grows_on_screen_without_reloading(tab):
    with Emulator(clock="scaled", speed=4, now=NOW) as emu:
        needs_stream(emu)
        turns = [{"at": 1 + 3 * i, "role": ("agent", "customer")[i % 2], "text": f"Turn number {i + 1}."} for i in range(6)]
        call = emu.control.create_call(ACME, outcome="completed", ringAt=0.5, answerAt=1, talkFor="20s", turns=turns)
        t = tab(emu).open(f"#/calls/{call.id}")
        page = t.page
        page.evaluate("window.__stay = 1")
        turns = page.locator("#transcript li.turn")
        expect(turns.first).to_be_visible(timeout=10_000)
        counts = [turns.count()]
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and page.locator("main h2").get_attribute("data-status") != "completed":
            counts.append(turns.count())
            time.sleep(0.2)
        expect(page.locator("main h2[data-status]")).to_have_attribute("data-status", "completed", timeout=10_000)
        counts.append(turns.count())
        assert len(set(counts)) >= 4 and counts[-1] == 6, f"the transcript did not grow turn by turn: {counts}"
        assert counts == sorted(counts)
        assert page.evaluate("window.__stay") == 1, "the page reloaded"
        # What the page shows is what the vendor's GET shows.
        spoken = httpx.get(f"{emu.url}/api/v1/calls/{call.id}", headers=HEPPU).json()["data"]["transcript"]
        assert turns.count() == len(spoken)
        assert page.locator("#transcript li.turn p").last.inner_text() == spoken[-1]["content"]
        assert t.errors == []


# -- driving from the page (works with or without the stream) ----------------


def test_advancing_a_manual_clock_from_the_page_moves_calls(tab):
    with Emulator(clock="manual", now=NOW) as emu:
        acme = emu.control.create_call(ACME, contactPhone="+15005550001")  # answered 5 s after start, talks 60 s
        trillet = emu.control.create_call(TRILLET_WS, contactPhone="+15005550001")
        t = tab(emu).open()
        page = t.page
        expect(row(page, acme.id)).to_have_attribute("data-status", "initiated")

        nav(page, "Time").click()
        card = page.locator("[data-clock=global]")
        card.get_by_label("Advance by").fill("10s")
        card.get_by_role("button", name="Advance").click()
        expect(page.locator("#notice")).to_contain_text("advanced 10s")
        nav(page, "Calls").click()
        expect(row(page, acme.id)).to_have_attribute("data-status", "active")
        expect(row(page, trillet.id)).to_have_attribute("data-status", "active")
        assert httpx.get(f"{emu.url}/api/v1/calls/{acme.id}", headers=HEPPU).json()["data"]["status"] == "active"

        # Acme's own clock only: its call completes, the Trillet one talks on.
        nav(page, "Time").click()
        card = page.locator(f"[data-clock={ACME}]")
        card.get_by_label("Advance by").fill("2m")
        card.get_by_role("button", name="Advance").click()
        expect(page.locator(f"[data-clock={ACME}]")).to_contain_text("15:32:20")
        nav(page, "Calls").click()
        expect(row(page, acme.id)).to_have_attribute("data-status", "completed")
        expect(row(page, trillet.id)).to_have_attribute("data-status", "active")
        assert emu.control.clock(ACME).own and emu.control.clock().now.startswith("2025-12-01T15:30:20")
        assert t.errors == []


@pytest.mark.parametrize("tenant", [ACME, TRILLET_WS])
def test_hang_up_from_the_page_ends_the_call_everywhere(tab, tenant):
    with Emulator(clock="manual", now=NOW) as emu:
        call = emu.control.create_call(tenant, contactPhone="+15005550008")  # talks for an hour
        emu.control.advance("30s")
        t = tab(emu).open(f"#/calls/{call.id}")
        page = t.page
        heading = page.locator("main h2[data-status]")
        expect(heading).to_have_attribute("data-status", "active")
        expect(page.locator("#room")).to_contain_text("open")
        # The timeline: what happened, "now", and what is planned (an hour of talk).
        expect(page.locator(".axis .now")).to_be_visible()
        assert page.locator("#timeline li.past").count() >= 4
        expect(page.locator("#timeline li.planned").last).to_contain_text("ends" if "timeline" not in paths(emu) else "ended: completed")
        page.get_by_role("button", name="Hang up").click()
        expect(heading).to_have_attribute("data-status", "completed")
        expect(page.locator("#timeline li.planned")).to_have_count(0)
        expect(page.locator("#timeline li.past").last).to_contain_text("ended: completed")
        expect(page.locator("#room")).to_contain_text("closed")
        expect(page.locator("#vendor-json")).to_contain_text('"completed"')
        if tenant == ACME:
            body = httpx.get(f"{emu.url}/api/v1/calls/{call.id}", headers=HEPPU).json()["data"]
            assert body["status"] == "completed" and body["liveRoomStatus"] is None
        else:
            assert httpx.get(f"{emu.url}/v2/api/active-calls/{call.plan.room}", headers=TRILLET).status_code == 404
            assert httpx.get(f"{emu.url}/v2/api/call-history/{call.id}", headers=TRILLET).json()["status"] == "completed"
            expect(page.locator("#vendor-json")).to_contain_text("→ 404")
        page.get_by_role("link", name="All calls").click()
        expect(row(page, call.id)).to_have_attribute("data-status", "completed")
        assert t.errors == []


def test_say_a_turn_and_remove_the_agent_from_the_page(tab):
    with Emulator(clock="manual", now=NOW) as emu:
        call = emu.control.create_call(TRILLET_WS, contactPhone="+15005550008")
        emu.control.advance("30s")
        t = tab(emu).open(f"#/calls/{call.id}")
        page = t.page
        expect(page.locator("main h2[data-status]")).to_have_attribute("data-status", "active")
        page.get_by_label("Speaker", exact=True).select_option("customer")
        page.get_by_label("Text", exact=True).fill("Can I speak to a person?")
        page.get_by_role("button", name="Say").click()
        expect(page.locator("#transcript li.turn p").last).to_have_text("Can I speak to a person?")
        page.get_by_role("button", name="Remove the agent").click()
        expect(page.locator("#room")).to_contain_text("muted")
        live = httpx.get(f"{emu.url}/v2/api/active-calls/{call.plan.room}", headers=TRILLET).json()
        assert live["transcript"][-1]["content"] == "Can I speak to a person?"
        assert [iv.kind for iv in emu.control.call(call.id).interventions] == ["say", "mute"]
        assert t.errors == []


def test_fault_and_journal_views_reflect_requests_made_elsewhere(tab):
    with Emulator(clock="manual", now=NOW) as emu:
        fault = emu.control.add_fault(vendor="heppu", route="/api/v1/calls/{callId}", status=429, times=1)
        first = httpx.get(f"{emu.url}/api/v1/calls/call_abc123", headers=HEPPU)
        second = httpx.get(f"{emu.url}/api/v1/calls/call_abc123", headers=HEPPU)
        assert (first.status_code, second.status_code) == (429, 200)

        t = tab(emu).open("#/faults")
        page = t.page
        rule = page.locator(f'tr[data-fault="{fault.id}"]')
        expect(rule).to_contain_text("429")
        expect(rule.locator("td").nth(9)).to_have_text("1")  # hits

        nav(page, "Journal").click()
        table = page.locator("#journal-list table")
        expect(table).to_contain_text("/api/v1/calls/call_abc123")
        expect(table.locator("tbody tr")).to_have_count(2)
        expect(table.locator("tbody tr").nth(0)).to_contain_text("200")  # newest first
        expect(table.locator("tbody tr").nth(1)).to_contain_text(fault.id)

        # More requests from outside show on Refresh.
        httpx.get(f"{emu.url}/v2/api/active-calls", headers=TRILLET)
        page.get_by_role("button", name="Refresh").click()
        expect(table.locator("tbody tr")).to_have_count(3)
        page.get_by_role("button", name="Clear journal").click()
        expect(page.locator("#journal-list")).to_contain_text("No request recorded")
        assert emu.control.journal().total == 0

        # Add and clear from the page, seen from outside.
        nav(page, "Faults").click()
        form = page.locator("#add-fault")
        form.get_by_label("Vendor").select_option("trillet")
        form.get_by_label("Status").fill("503")
        form.get_by_role("button", name="Add fault").click()
        expect(page.locator("#faults-list tbody tr")).to_have_count(2)
        assert httpx.get(f"{emu.url}/v2/api/active-calls", headers=TRILLET).status_code == 503
        page.get_by_role("button", name="Clear all faults").click()
        expect(page.locator("#faults-list")).to_contain_text("No fault rules")
        assert emu.control.faults() == []
        assert t.errors == []


def test_reset_export_and_import_from_the_page(tab, tmp_path):
    with Emulator(clock="manual", now=NOW) as emu:
        call = emu.control.create_call(ACME, contactPhone="+15005550001")
        t = tab(emu).open("#/state")
        page = t.page
        with page.expect_download() as download:
            page.get_by_role("button", name="Download state").click()
        saved = tmp_path / "state.json"
        download.value.save_as(saved)
        assert call.id in saved.read_text()

        page.on("dialog", lambda d: d.accept())
        page.locator("#reset").get_by_role("button", name="Reset").click()
        expect(page.locator("#notice")).to_contain_text("Reset everything")
        assert emu.control.calls() and all(c.id != call.id for c in emu.control.calls())

        page.get_by_label("State file", exact=True).set_input_files(str(saved))
        page.locator("#import").get_by_role("button", name="Import").click()
        expect(page.locator("#notice")).to_contain_text("Imported state.json")
        assert emu.control.call(call.id).id == call.id
        assert t.errors == []


def test_the_page_asks_for_the_control_token_once(tab):
    with Emulator(clock="manual", now=NOW, token="s3cret-token") as emu:
        t = tab(emu).open()
        page = t.page
        dialog = page.locator("#token-dialog")
        expect(dialog).to_be_visible()
        page.get_by_label("Token", exact=True).fill("wrong")
        page.get_by_role("button", name="Use token").click()
        expect(page.locator("#token-error")).to_be_visible()
        page.get_by_label("Token", exact=True).fill("s3cret-token")
        page.get_by_role("button", name="Use token").click()
        expect(dialog).to_be_hidden()
        expect(page.locator("#calls-table tbody tr[data-call-id]").first).to_be_visible()
        # Kept for the tab: other sections and a reload do not ask again.
        nav(page, "Journal").click()
        expect(page.locator("#journal-list")).to_be_visible()
        page.reload()
        expect(page.locator("#journal-list")).to_contain_text("request")
        expect(dialog).to_be_hidden()
        # The only console errors are the refused requests themselves.
        assert [e for e in t.errors if "401" not in e] == []


# -- screenshots for the README ----------------------------------------------


def test_screenshots_for_the_readme(tab, tmp_path):
    """docs/dashboard-calls.png and docs/dashboard-call.png, made here so
    they show the dashboard as it is. Written to docs/ only when asked for
    (CALL_EMULATOR_SCREENSHOTS=1): a test run leaves the checkout as it was."""
    out = DOCS if os.environ.get("CALL_EMULATOR_SCREENSHOTS") == "1" else tmp_path
    with Emulator(clock="scaled", speed=10, now=NOW, demo=True, seed=1) as emu:
        t = tab(emu, width=1280, height=760).open()
        page = t.page
        expect(page.locator("#calls-table tbody tr[data-status=active]").first).to_be_visible()
        page.screenshot(path=str(out / "dashboard-calls.png"))
        page.locator("#calls-table tbody tr[data-status=active] a").first.click()
        expect(page.locator("#transcript li.turn").first).to_be_visible()
        expect(page.locator("#vendor-json pre").first).to_be_visible()
        page.set_viewport_size({"width": 1280, "height": 1100})
        page.screenshot(path=str(out / "dashboard-call.png"))
        assert t.errors == []


def test_webhook_endpoint_added_from_the_page_and_its_deliveries_shown(tab):
    import http.server
    import threading

    received: list[bytes] = []

    class Receiver(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            received.append(self.rfile.read(int(self.headers.get("content-length", 0))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    hook = f"http://127.0.0.1:{server.server_address[1]}/hook"
    try:
        with Emulator(clock="manual", now=NOW) as emu:
            if "/_emulator/webhooks/deliveries" not in paths(emu).split():
                pytest.skip("this build delivers no webhooks yet")
            t = tab(emu).open("#/webhooks")
            page = t.page
            form = page.locator("#add-webhook")
            form.get_by_label("Tenant").select_option(ACME)
            form.get_by_label("URL").fill(hook)
            form.get_by_role("button", name="Add endpoint").click()
            expect(page.locator("#webhook-endpoints")).to_contain_text(hook)

            call = emu.control.create_call(ACME, contactPhone="+15005550001")  # completes after 67 s
            emu.control.advance("2m")
            deadline = time.monotonic() + 15
            while not received and time.monotonic() < deadline:
                time.sleep(0.1)
            assert received, "the receiver got nothing"
            page.get_by_role("button", name="Refresh").click()
            expect(page.locator("#webhook-deliveries")).to_contain_text(call.id)
            expect(page.locator("#webhook-deliveries")).to_contain_text("delivered")
            page.goto(f"{emu.url}/_emulator/ui/#/calls/{call.id}")
            expect(page.locator("#deliveries")).to_contain_text("delivered")
            assert t.errors == []
    finally:
        server.shutdown()
        server.server_close()
