"""The built-in room in real Chromium pages with fake camera and microphone.

The app runs under a real uvicorn server on loopback (HTTP and WebSockets, the
configured channel layer) in a thread of this process, on the test database. The
server's clock is the real one, so the bookings here start a few minutes from now and
the company's join window is widened to include the present.
"""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import UTC, datetime, timedelta
from datetime import time as clock

import pytest
import uvicorn
from channels.layers import channel_layers, get_channel_layer

from rendezvous.availability.models import WorkingHours
from rendezvous.bookings import domain as bookings
from rendezvous.meetings.domain import meeting_for
from rendezvous.meetings.models import Meeting, MeetingState
from rendezvous.rooms.presence import presence
from tests.conftest import book
from tests.factories import ClassSessionFactory
from tests.rooms.conftest import customer, host

from .conftest import ARGS, AXE, CHROMIUM, check_axe

pytestmark = [pytest.mark.e2e]

MEDIA_ARGS = [
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--autoplay-policy=no-user-gesture-required",
    # Plain loopback host candidates: no mDNS names to resolve.
    "--disable-features=WebRtcHideLocalIpsWithMdns",
]


@pytest.fixture(scope="module")
def media_browser(playwright):
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS + MEDIA_ARGS)
    yield browser
    browser.close()


class AsgiServer:
    """uvicorn serving rendezvous.asgi in a thread; `call` runs a coroutine in its loop."""

    def __init__(self):
        from rendezvous.asgi import application

        config = uvicorn.Config(
            application, host="127.0.0.1", port=0, lifespan="off", log_level="warning"
        )
        self.server = uvicorn.Server(config)
        self.loop: asyncio.AbstractEventLoop | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        self.loop = asyncio.new_event_loop()
        self.loop.run_until_complete(self.server.serve())

    def start(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.02)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    def call(self, coro):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(10)

    def stop(self):
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture
def server(transactional_db):
    # Each server runs its own event loop, and a Redis channel layer keeps locks bound
    # to the loop that first used it: every server starts with fresh layers.
    channel_layers.backends.clear()
    asgi = AsgiServer()
    base = asgi.start()
    yield asgi, base
    asgi.stop()
    channel_layers.backends.clear()


@pytest.fixture
def room_practice(practice):
    """The practice, its first staff member working around the clock, no notice, and
    a join window wide enough that a booking a few minutes ahead is open now."""
    ada = practice.staff[0]
    WorkingHours.objects.filter(staff=ada).delete()
    WorkingHours.objects.bulk_create(
        WorkingHours(staff=ada, weekday=day, start=clock(0), end=clock(0)) for day in range(7)
    )
    company = practice.company
    company.min_notice_minutes = 0
    company.join_window_minutes = 60
    company.save()
    return practice


def video_booking(practice, start: datetime, **extra):
    """A video consultation with the first staff member, booked now (the real clock)."""
    return book(
        practice,
        start,
        service=practice.video,
        staff=practice.staff[0],
        now=datetime.now(UTC),
        **extra,
    ).booking


def soon(minutes: int = 15) -> datetime:
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    return now + timedelta(minutes=minutes - now.minute % 15)


@pytest.fixture
def pages(media_browser, server):
    _asgi, base = server
    contexts = []

    def make(locale="en-GB", axe=False):
        # Only a page that gets axe-core injected skips the CSP; the others run the room
        # under the policy the server sends.
        context = media_browser.new_context(
            locale=locale, timezone_id="Europe/Berlin", base_url=base, bypass_csp=axe
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def enter(page, token: str) -> None:
    page.goto(f"/join/{token}/")
    page.get_by_role("button", name=JOIN_LABELS).first.click()
    page.wait_for_function("() => window.rdvRoom && window.rdvRoom.open()")


JOIN_LABELS = __import__("re").compile("^(Join the meeting|Deltag i mødet)$")


def wait_media(page, peers: int) -> None:
    """Every peer connection `connected`, a video track from each, frames decoding."""
    try:
        page.wait_for_function(
            """n => {
                const ps = window.rdvRoom.peers();
                return ps.length === n && ps.every(p => p.state === 'connected' && p.videoTracks > 0);
            }""",
            arg=peers,
            # ICE and the first decoded frames of a three-way mesh take longer on a
            # loaded two-core machine than the page's default 15 s.
            timeout=45_000,
        )
    except Exception:
        seen = page.evaluate("() => [window.rdvRoom.me(), window.rdvRoom.peers()]")
        raise AssertionError(f"media did not flow: {seen}") from None
    first = page.evaluate("window.rdvRoom.framesDecoded()")
    wait_stats(
        page,
        "framesDecoded",
        "Object.keys(arg).length > 0 && Object.keys(arg).every(k => (now[k] || 0) > arg[k])",
        first,
    )


def wait_stats(page, helper: str, condition: str, arg=None) -> None:
    """Wait until `condition` (JS on `now`, the answer of window.rdvRoom.<helper>(), and
    `arg`) holds. wait_for_function does not await a promise: a pending one is truthy
    and the wait ends at once. So each poll asks for fresh stats and judges the answer
    to the one before."""
    page.evaluate("() => { window.rdvStats = undefined; }")
    page.wait_for_function(
        f"""arg => {{
            window.rdvRoom.{helper}().then(s => {{ window.rdvStats = s; }});
            const now = window.rdvStats;
            return now !== undefined && ({condition});
        }}""",
        arg=arg,
        polling=200,
    )


def raw_socket(page, token: str) -> dict:
    """Open the room's WebSocket by hand from the page: what the server answers."""
    return page.evaluate(
        """token => new Promise(resolve => {
            const ws = new WebSocket(`ws://${location.host}/ws/join/${token}/`);
            let first = null;
            ws.onmessage = e => { first = first || JSON.parse(e.data); };
            ws.onclose = e => resolve({code: e.code, message: first});
        })""",
        token,
    )


def test_two_pages_see_each_other_reconnect_and_the_host_ends_it(room_practice, server, pages):
    asgi, _base = server
    start = soon()
    booking = video_booking(room_practice, start, language="da")
    later = video_booking(room_practice, start + timedelta(hours=3))
    cancelled = video_booking(room_practice, start + timedelta(minutes=30))
    meeting = meeting_for(booking)
    staff_token, guest_token = host(meeting), customer(booking)
    later_token, cancelled_token = customer(later), customer(cancelled)
    bookings.booking_cancel(booking=cancelled, actor=bookings.STAFF, now=datetime.now(UTC))

    staff, guest = pages(axe=True), pages(locale="da-DK")
    enter(staff, staff_token)
    enter(guest, guest_token)
    # The customer's page is in the booking's language, with its controls labelled.
    guest.get_by_role("button", name="Slå mikrofonen fra").wait_for()
    assert guest.locator("[data-room-lobby]").is_hidden()
    wait_media(staff, 1)
    wait_media(guest, 1)
    names = guest.evaluate("window.rdvRoom.peers().map(p => p.name)")
    assert names == ["Ada"]
    # Customers appear by their first name only (rooms.domain).
    assert staff.evaluate("window.rdvRoom.peers().map(p => p.name)") == [booking.first_name]
    if AXE.exists():
        check_axe(staff, "room (host)")

    # The server refuses, whatever the page shows: too early, cancelled.
    early = raw_socket(guest, later_token)
    assert (early["code"], early["message"]["reason"]) == (4425, "early")
    gone = raw_socket(guest, cancelled_token)
    assert (gone["code"], gone["message"]["reason"]) == (4403, "forbidden")
    # Another booking's page is its own room: this one still holds exactly two.
    assert guest.evaluate("window.rdvRoom.peers().length") == 1

    # A third page joins with another booking's link, its window open now: it is alone,
    # and the first two still see only each other.
    other = video_booking(room_practice, start + timedelta(minutes=45))
    third = pages()
    enter(third, customer(other))
    third.wait_for_function("() => window.rdvRoom.welcomes() >= 1")
    assert third.evaluate("window.rdvRoom.me().name") == other.first_name
    assert third.evaluate("window.rdvRoom.peers().length") == 0
    third.get_by_text("Waiting for the others to join.").wait_for()
    assert staff.evaluate("window.rdvRoom.peers().length") == 1
    assert guest.evaluate("window.rdvRoom.peers().length") == 1

    # The server drops the guest's socket: the page comes back, media flows again.
    room = meeting.pk.hex

    async def drop_guest():
        [entry] = [m for m in await presence().members(room) if not m["host"]]
        await get_channel_layer().send(entry["channel"], {"type": "room.drop"})

    asgi.call(drop_guest())
    guest.wait_for_function("() => window.rdvRoom.welcomes() >= 2")
    wait_media(guest, 1)
    wait_media(staff, 1)

    # Ending asks first, inside the toolbar, focused on the harmless choice; Escape and
    # Cancel go back to the button, and the meeting goes on for both.
    end = staff.get_by_role("button", name="End meeting for all")
    confirm = staff.get_by_role("group", name="End the meeting for everyone?")
    focused = "sel => document.activeElement === document.querySelector(sel)"
    end.click()
    confirm.wait_for()
    assert end.is_hidden()
    assert staff.evaluate(focused, "[data-room-end-no]")
    if AXE.exists():
        check_axe(staff, "room (host, confirming the end)")
    staff.keyboard.press("Escape")
    confirm.wait_for(state="hidden")
    assert staff.evaluate(focused, "[data-room-end]")
    staff.keyboard.press("Enter")
    confirm.wait_for()
    confirm.get_by_role("button", name="Cancel").click()
    confirm.wait_for(state="hidden")
    assert staff.evaluate(focused, "[data-room-end]")
    for page in (staff, guest):
        assert page.evaluate("window.rdvRoom.open()")
        wait_media(page, 1)
    assert Meeting.objects.get(pk=meeting.pk).state != MeetingState.ENDED

    end.click()
    confirm.get_by_role("button", name="Yes, end it").click()
    staff.get_by_text("The host ended this meeting.").wait_for()
    guest.get_by_text("Værten afsluttede dette møde.").wait_for()
    # Ended by the host: nothing to join again.
    assert guest.get_by_role("button", name="Deltag igen").is_hidden()
    refused = raw_socket(guest, guest_token)
    assert refused["code"] == 4410
    staff.reload()
    assert staff.get_by_text("This meeting has ended.").is_visible()


def test_a_class_of_three_meets_in_one_mesh(room_practice, server, pages):
    start = soon()
    session = ClassSessionFactory(
        service=room_practice.yoga,
        staff=room_practice.staff[0],
        start=start,
        end=start + timedelta(minutes=60),
        capacity=10,
        online=True,
    )
    seats = [
        book(
            room_practice,
            None,
            service=room_practice.yoga,
            session_id=session.pk,
            now=datetime.now(UTC),
        ).booking
        for _ in range(2)
    ]
    tokens = [host(meeting_for(seats[0]))] + [customer(b) for b in seats]
    trio = [pages() for _ in tokens]
    for page, token in zip(trio, tokens, strict=True):
        enter(page, token)
    for page in trio:
        wait_media(page, 2)


LUMA = """() => {
    const video = document.querySelector('[data-peer] video');
    if (!video || !video.videoWidth) return -1;
    const canvas = document.createElement('canvas');
    canvas.width = 64;
    canvas.height = 48;
    const g = canvas.getContext('2d');
    g.drawImage(video, 0, 0, 64, 48);
    const px = g.getImageData(0, 0, 64, 48).data;
    let sum = 0;
    for (let i = 0; i < px.length; i += 4) sum += 0.2126 * px[i] + 0.7152 * px[i + 1] + 0.0722 * px[i + 2];
    return sum / (px.length / 4);
}"""


def wait_luma(page, condition: str) -> None:
    """The mean luminance (0-255) of the one remote video on `page`, drawn into a
    canvas, meets `condition` (a JS expression on `luma`)."""
    page.wait_for_function(
        f"() => {{ const luma = ({LUMA})(); return luma >= 0 && ({condition}); }}", polling=100
    )


def wait_sound(page) -> None:
    """The sound from the one peer carries energy: Chrome's fake microphone beeps
    every half second, so its energy grows by well over 0.05 within a few seconds."""
    before = page.evaluate("async () => Object.values(await window.rdvRoom.audioIn())[0]")
    wait_stats(page, "audioIn", "Object.values(now)[0].energy > arg.energy + 0.05", before)


def wait_silence(page) -> None:
    """1.5 seconds of sound received from the one peer (packets keep coming) without
    its energy growing: three beeps' worth, had the microphone been on."""
    page.evaluate("() => { window.quietSince = null; }")
    quiet = """(audio => {
        const since = window.quietSince;
        if (!since || audio.energy - since.energy > 1e-3) { window.quietSince = audio; return false; }
        return audio.seconds - since.seconds >= 1.5;
    })(Object.values(now)[0])"""
    wait_stats(page, "audioIn", quiet)


ASPECT = """() => {
    const video = document.querySelector('[data-peer] video');
    return video && video.videoHeight ? video.videoWidth / video.videoHeight : 0;
}"""


def test_muting_the_camera_and_sharing_the_screen_reach_the_other_page(
    room_practice, server, pages
):
    booking = video_booking(room_practice, soon(), language="da")
    staff, guest = pages(), pages(locale="da-DK")
    enter(staff, host(meeting_for(booking)))
    enter(guest, customer(booking))
    wait_media(staff, 1)
    wait_media(guest, 1)
    # Chrome's fake camera is a bright moving picture, its microphone a beep.
    wait_luma(staff, "luma > 40")
    wait_sound(staff)

    # The guest mutes: the host hears silence, still receiving the (silent) stream.
    guest.get_by_role("button", name="Slå mikrofonen fra").click()
    guest.get_by_role("button", name="Slå mikrofonen til").wait_for()
    wait_silence(staff)
    wait_luma(staff, "luma > 40")  # the picture is not affected
    guest.get_by_role("button", name="Slå mikrofonen til").click()
    guest.get_by_role("button", name="Slå mikrofonen fra").wait_for()
    wait_sound(staff)

    # Camera off: the host's picture of the guest turns black, and comes back.
    guest.get_by_role("button", name="Slå kameraet fra").click()
    guest.get_by_role("button", name="Slå kameraet til").wait_for()
    wait_luma(staff, "luma < 5")
    wait_sound(staff)  # the sound is not affected
    guest.get_by_role("button", name="Slå kameraet til").click()
    guest.get_by_role("button", name="Slå kameraet fra").wait_for()
    wait_luma(staff, "luma > 40")

    # Screen sharing (Chrome's fake capture, 16:9) replaces the camera (4:3) for the
    # host, frames keep coming, and stopping brings the camera back.
    assert abs(staff.evaluate(ASPECT) - 4 / 3) < 0.05
    guest.get_by_role("button", name="Del skærm").click()
    guest.get_by_role("button", name="Stop deling").wait_for()
    staff.wait_for_function(f"() => Math.abs(({ASPECT})() - 16 / 9) < 0.05")
    wait_media(staff, 1)
    guest.get_by_role("button", name="Stop deling").click()
    guest.get_by_role("button", name="Del skærm").wait_for()
    staff.wait_for_function(f"() => Math.abs(({ASPECT})() - 4 / 3) < 0.05")
    wait_media(staff, 1)
    wait_luma(staff, "luma > 40")
