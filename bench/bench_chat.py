"""Live chat delivery: p50 time from a visitor sending a line in the showroom's chat widget
to the line appearing in the consultant's open chat page, two real browsers (Chromium through
Playwright, one context each) against a daphne server; in the same run, the floor: the same
two browsers relaying a line through a raw WebSocket relay (an ASGI app that only forwards
frames, no Django, no database, no channel layer).

Our path: the widget's POST (CSRF, form, rate limits, the INSERT and its commit), the channel
layer's group send, the consultant's WebSocket, the DOM insert. Times are taken in the
browsers (performance.timeOrigin + performance.now(), one machine clock)."""

import os
from functools import partial

from bench.common import Timing, report, staff_client

SAMPLES = int(os.environ.get("BENCH_CHAT_SAMPLES", "40"))
WARMUP = 3
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]

_peers: set = set()


async def relay_app(scope, receive, send):
    """The floor: every text frame from one socket goes to every other socket."""
    if scope["type"] != "websocket":
        return
    await receive()  # websocket.connect
    await send({"type": "websocket.accept"})
    _peers.add(send)
    try:
        while True:
            event = await receive()
            if event["type"] == "websocket.disconnect":
                break
            for peer in list(_peers):
                if peer is not send:
                    await peer({"type": "websocket.send", "text": event.get("text") or ""})
    finally:
        _peers.discard(send)


def _django_app():
    from channels.routing import get_default_application
    from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

    return ASGIStaticFilesHandler(get_default_application())


def _server(get_application):
    from daphne.testing import DaphneProcess

    process = DaphneProcess("127.0.0.1", get_application)
    process.start()
    if not process.ready.wait(30):
        process.terminate()
        raise RuntimeError("daphne did not start")
    return process, process.port.value


WATCH_ARRIVALS = """() => {
  window.__seen = {};
  const log = document.getElementById("chat-log");
  new MutationObserver((records) => {
    const now = performance.timeOrigin + performance.now();
    for (const record of records) for (const node of record.addedNodes) {
      const match = /ping-(\\d+)/.exec(node.textContent || "");
      if (match && !window.__seen[match[1]]) window.__seen[match[1]] = now;
    }
  }).observe(log, { childList: true });
}"""

SEND_IN_WIDGET = """(n) => {
  const input = document.getElementById("chat-send-body");
  input.value = "ping-" + n;
  const t0 = performance.timeOrigin + performance.now();
  document.getElementById("chat-send-form").requestSubmit();
  return t0;
}"""

RELAY_OPEN = """async (url) => {
  window.__seen = {};
  window.__socket = new WebSocket(url);
  window.__socket.onmessage = (event) => {
    const now = performance.timeOrigin + performance.now();
    const match = /ping-(\\d+)/.exec(event.data);
    if (match) window.__seen[match[1]] = now;
  };
  await new Promise((resolve) => { window.__socket.onopen = resolve; });
}"""

RELAY_SEND = """(n) => {
  const t0 = performance.timeOrigin + performance.now();
  window.__socket.send("ping-" + n);
  return t0;
}"""


def _deliveries(sender, receiver, send_script, count) -> list[float]:
    samples = []
    for n in range(count):
        t0 = sender.evaluate(send_script, n)
        receiver.wait_for_function("(n) => window.__seen && window.__seen[n]", arg=str(n))
        arrived = receiver.evaluate("(n) => window.__seen[n]", str(n))
        samples.append((arrived - t0) / 1000)
    return samples[WARMUP:]


def main() -> None:
    from django.conf import settings
    from django.db import connections
    from playwright.sync_api import sync_playwright

    from conversations.models import ChatSession
    from dealership.accounts.models import Location
    from dealership.accounts.roles import Role
    from tests.accounts.factories import LocationFactory, UserFactory
    from tests.conversations.chat_helpers import ALWAYS_OPEN

    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    settings.CHAT_MESSAGE_RATE_LIMIT = 10**6  # the benchmark writes fast on purpose
    settings.CHAT_START_RATE_LIMIT = 10**6
    location = Location.objects.filter(slug="bench-chat").first() or LocationFactory(
        slug="bench-chat", name="Bench chat", weekday_hours=ALWAYS_OPEN
    )
    consultant = UserFactory(role=Role.CONSULTANT, locations=[location])
    session_cookie = staff_client(consultant).cookies["sessionid"].value

    connections.close_all()  # the servers fork: no shared database socket
    django_server, port = _server(partial(_django_app))
    relay_server, relay_port = _server(lambda: relay_app)
    base = f"http://127.0.0.1:{port}"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
            visitor = browser.new_context(base_url=base, viewport={"width": 390, "height": 844})
            staff = browser.new_context(base_url=base)
            staff.add_cookies([{"name": "sessionid", "value": session_cookie, "url": base}])
            phone, desk = visitor.new_page(), staff.new_page()

            phone.goto("/")
            phone.get_by_role("button", name="Chat with us").click()
            phone.get_by_label("Your message").fill("Bench: hello")
            phone.locator("#chat-location").select_option(str(location.pk))
            phone.get_by_role("button", name="Start chat").click()
            phone.wait_for_selector("#chat-send-form:not([hidden])")
            chat = ChatSession.objects.filter(location=location).latest("pk")
            desk.goto(f"/staff/chats/{chat.pk}/")
            desk.get_by_role("button", name="Accept").click()
            desk.wait_for_selector("#chat-reply-form")
            desk.wait_for_selector("[data-watching='1']")
            desk.evaluate(WATCH_ARRIVALS)
            ours = Timing(
                "chat: visitor -> consultant browser",
                _deliveries(phone, desk, SEND_IN_WIDGET, SAMPLES + WARMUP),
            )

            relay_url = f"ws://127.0.0.1:{relay_port}/"
            blank_sender, blank_receiver = visitor.new_page(), staff.new_page()
            blank_receiver.evaluate(RELAY_OPEN, relay_url)
            blank_sender.evaluate(RELAY_OPEN, relay_url)
            floor = Timing(
                "floor: raw WebSocket relay, browser to browser",
                _deliveries(blank_sender, blank_receiver, RELAY_SEND, SAMPLES + WARMUP),
            )
            browser.close()
        report(floor)
        report(ours, floor)
    finally:
        for process in (django_server, relay_server):
            process.terminate()
            process.join(10)
        ChatSession.objects.filter(location=location).delete()
        consultant.delete()
