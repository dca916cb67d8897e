"""The room's WebSocket against both channel layers: who gets in, when, and who hears
what. Every connect goes through the real ASGI app (Origin check, URL routing,
consumer) and the real database; the clock is moved with time-machine."""

import asyncio
import base64
import hashlib
import hmac
import json
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from rendezvous.bookings import domain as bookings
from rendezvous.meetings.domain import meeting_for
from rendezvous.meetings.models import Meeting, MeetingAccount, MeetingState
from rendezvous.rooms.domain import ice_servers
from tests.conftest import NOW, TOMORROW_10, book

from .conftest import admitted, closed_with, connect, customer, host, refused

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("frozen_now")]

INSIDE = TOMORROW_10 - timedelta(minutes=2)  # the customer's window opens 5 minutes before


def video(practice, start=TOMORROW_10, staff=None):
    return book(practice, start, service=practice.video, staff=staff or practice.staff[0]).booking


def seat(practice):
    return book(practice, None, service=practice.yoga, session_id=practice.session.pk).booking


def run(at, scenario):
    with time_machine.travel(at, tick=True):
        asyncio.run(scenario())


def meeting_state(booking) -> str:
    return Meeting.objects.get(booking=booking).state


def test_customer_and_host_join_with_the_names_of_their_profiles(transactional_db, practice, layer):
    booking = video(practice)
    meeting = meeting_for(booking)
    customer_token, host_token = customer(booking), host(meeting)

    async def scenario():
        staff, hello = await admitted(host_token)
        assert (hello["you"]["name"], hello["you"]["host"]) == ("Ada", True)
        assert hello["peers"] == [] and hello["max"] == 6
        guest, welcome = await admitted(customer_token)
        me = welcome["you"]
        assert (me["name"], me["host"]) == (booking.first_name, False)
        assert welcome["peers"] == [hello["you"]]
        assert welcome["closes_at"] == int(booking.end.timestamp() * 1000)
        joined = await staff.receive_json_from(timeout=5)
        assert joined == {"type": "joined", "peer": me}
        # A name sent by the browser is ignored: there is no message that sets one.
        await guest.send_json_to({"type": "rename", "name": "Mallory"})
        await guest.send_json_to({"type": "signal", "to": hello["you"]["pid"], "data": {"a": 1}})
        relayed = await staff.receive_json_from(timeout=5)
        assert relayed == {"type": "signal", "from": me["pid"], "sid": me["sid"], "data": {"a": 1}}
        await guest.disconnect()
        assert await staff.receive_json_from(timeout=5) == {"type": "left", "pid": me["pid"]}
        await staff.disconnect()

    run(INSIDE, scenario)


def test_before_the_window_and_after_the_end_the_server_refuses(transactional_db, practice, layer):
    booking = video(practice)
    token, staff_token = customer(booking), host(meeting_for(booking))
    with time_machine.travel(TOMORROW_10 - timedelta(minutes=6), tick=False):
        assert asyncio.run(refused(token)) == ("early", 4425)
    with time_machine.travel(booking.end, tick=False):
        assert asyncio.run(refused(token)) == ("ended", 4410)
    # The host's window opens earlier (15 minutes), the customer's is still shut.
    with time_machine.travel(TOMORROW_10 - timedelta(minutes=10), tick=False):
        assert asyncio.run(refused(token)) == ("early", 4425)

        async def host_in():
            comm, _welcome = await admitted(staff_token)
            await comm.disconnect()

        asyncio.run(host_in())


def test_revoked_unknown_and_foreign_tokens_are_refused(transactional_db, practice, layer):
    cancelled = video(practice)
    token = customer(cancelled)
    bookings.booking_cancel(booking=cancelled, actor=bookings.STAFF, now=NOW)
    state = meeting_state(cancelled)

    async def scenario():
        assert await refused(token) == ("forbidden", 4403)
        assert await refused("A" * 43) == ("unknown", 4404)
        assert await refused("x" * 200) == ("unknown", 4404)

    run(INSIDE, scenario)
    assert meeting_state(cancelled) == state == MeetingState.REVOKED


def test_a_meeting_of_another_provider_has_no_room(transactional_db, practice, layer):
    MeetingAccount.objects.create(
        company=practice.company, provider="static_link", url="https://rooms.example/a"
    )
    token = customer(video(practice))
    run(INSIDE, lambda: _expect(refused(token), ("forbidden", 4403)))


async def _expect(awaitable, expected):
    assert await awaitable == expected


def test_another_bookings_token_cannot_reach_this_room(transactional_db, practice, layer):
    mine = video(practice, staff=practice.staff[0])
    other = video(practice, staff=practice.staff[1])
    staff_token, guest_token, stranger_token = (
        host(meeting_for(mine)),
        customer(mine),
        customer(other),
    )

    async def scenario():
        staff, hello = await admitted(staff_token)
        guest, _ = await admitted(guest_token)
        await staff.receive_json_from(timeout=5)  # joined
        stranger, welcome = await admitted(stranger_token)
        # Its own room: nobody of this meeting in it, and this room hears nothing.
        assert welcome["peers"] == []
        await stranger.send_json_to(
            {"type": "signal", "to": hello["you"]["pid"], "data": {"sdp": "x"}}
        )
        assert await staff.receive_nothing(timeout=0.3)
        assert await guest.receive_nothing(timeout=0.1)
        for comm in (staff, guest, stranger):
            await comm.disconnect()

    run(INSIDE, scenario)


def test_class_participants_see_each_others_first_names_only(transactional_db, practice, layer):
    def reserve(first, last):
        return bookings.seat_reserve(
            company=practice.company,
            service=practice.yoga,
            session_id=practice.session.pk,
            start=None,
            details=bookings.CustomerDetails(first, last, f"{first.lower()}@example.com"),
            now=NOW,
        ).booking

    maria, tom = reserve("Maria", "Lindqvist"), reserve("Tom", "Okafor-Brandt")
    staff_token, maria_token, tom_token = host(meeting_for(maria)), customer(maria), customer(tom)
    heard: list[str] = []

    async def receive(comm):
        message = await comm.receive_json_from(timeout=5)
        heard.append(json.dumps(message))
        return message

    async def scenario():
        staff, hello = await admitted(staff_token)
        one, w1 = await admitted(maria_token)
        two, w2 = await admitted(tom_token)
        heard.extend(json.dumps(m) for m in (hello, w1, w2))
        assert (await receive(staff))["peer"]["name"] == "Maria"
        assert (await receive(staff))["peer"]["name"] == "Tom"
        assert (await receive(one))["peer"]["name"] == "Tom"
        assert w1["you"]["name"] == "Maria" and w2["you"]["name"] == "Tom"
        assert {p["name"] for p in w2["peers"]} == {"Ada", "Maria"}  # staff: the profile name
        for comm in (staff, one, two):
            await comm.disconnect()

    run(practice.session.start - timedelta(minutes=2), scenario)
    wire = "\n".join(heard)
    assert "Lindqvist" not in wire and "Okafor" not in wire and "@example.com" not in wire


def test_signals_reach_only_the_addressed_peer(transactional_db, practice, layer):
    first, second = seat(practice), seat(practice)
    staff_token, one_token, two_token = host(meeting_for(first)), customer(first), customer(second)

    async def scenario():
        staff, hello = await admitted(staff_token)
        one, w1 = await admitted(one_token)
        await staff.receive_json_from(timeout=5)
        two, w2 = await admitted(two_token)
        assert {p["pid"] for p in w2["peers"]} == {hello["you"]["pid"], w1["you"]["pid"]}
        await staff.receive_json_from(timeout=5)
        await one.receive_json_from(timeout=5)
        await one.send_json_to({"type": "signal", "to": hello["you"]["pid"], "data": {"n": 1}})
        got = await staff.receive_json_from(timeout=5)
        assert got == {
            "type": "signal",
            "from": w1["you"]["pid"],
            "sid": w1["you"]["sid"],
            "data": {"n": 1},
        }
        assert await two.receive_nothing(timeout=0.3)
        # Malformed, self-addressed and oversized messages are dropped, not relayed.
        await one.send_json_to({"type": "signal", "to": w1["you"]["pid"], "data": {}})
        await one.send_json_to({"type": "signal", "to": ["x"], "data": {}})
        await one.send_to(text_data="not json")
        big = {"type": "signal", "to": hello["you"]["pid"], "data": {"x": "a" * 70000}}
        await one.send_json_to(big)
        assert await staff.receive_nothing(timeout=0.3)
        assert await one.receive_nothing(timeout=0.1)
        for comm in (staff, one, two):
            await comm.disconnect()

    run(practice.session.start - timedelta(minutes=2), scenario)


def test_the_cap_is_enforced_on_the_server(transactional_db, practice, layer, settings):
    settings.ROOM_MAX_PARTICIPANTS = 3  # the host and two customers
    seats = [seat(practice) for _ in range(3)]
    staff_token = host(meeting_for(seats[0]))
    tokens = [customer(b) for b in seats]

    async def scenario():
        staff, _ = await admitted(staff_token)
        one, _ = await admitted(tokens[0])
        two, _ = await admitted(tokens[1])
        assert await refused(tokens[2]) == ("full", 4429)
        # A place freed is a place taken again.
        await two.disconnect()
        three, _ = await admitted(tokens[2])
        for comm in (staff, one, three):
            await comm.disconnect()

    run(practice.session.start - timedelta(minutes=2), scenario)


def test_the_cap_holds_when_participants_race_for_the_last_place(
    transactional_db, practice, layer, settings
):
    settings.ROOM_MAX_PARTICIPANTS = 3
    tokens = [customer(seat(practice)) for _ in range(6)]

    async def attempt(token):
        comm = await connect(token)
        first = await comm.receive_json_from(timeout=5)
        return comm, first["type"]

    async def scenario():
        results = await asyncio.gather(*(attempt(t) for t in tokens))
        assert sorted(kind for _c, kind in results) == ["refused"] * 3 + ["welcome"] * 3
        for comm, _kind in results:
            await comm.disconnect()

    run(practice.session.start - timedelta(minutes=2), scenario)


def test_the_host_ends_the_meeting_for_everyone(transactional_db, practice, layer):
    booking = video(practice)
    meeting = meeting_for(booking)
    staff_token, guest_token = host(meeting), customer(booking)

    async def scenario():
        staff, _ = await admitted(staff_token)
        guest, _ = await admitted(guest_token)
        await staff.receive_json_from(timeout=5)
        # Only the host may end it.
        await guest.send_json_to({"type": "end"})
        assert await staff.receive_nothing(timeout=0.3)
        await staff.send_json_to({"type": "end"})
        for comm in (guest, staff):
            assert await comm.receive_json_from(timeout=5) == {"type": "ended", "reason": "host"}
            assert await closed_with(comm) == 4410
        assert await refused(guest_token) == ("ended", 4410)
        assert await refused(staff_token) == ("ended", 4410)

    assert meeting_state(booking) == MeetingState.READY
    run(INSIDE, scenario)
    assert meeting_state(booking) == MeetingState.ENDED


def test_the_window_closing_closes_every_socket(transactional_db, practice, layer):
    booking = video(practice)
    token = customer(booking)

    async def scenario():
        guest, _ = await admitted(token)
        message = await guest.receive_json_from(timeout=5)
        assert message == {"type": "ended", "reason": "time"}
        assert await closed_with(guest) == 4410
        assert timezone.now() >= booking.end

    run(booking.end - timedelta(seconds=1), scenario)


def test_a_token_revoked_while_connected_is_put_out(transactional_db, practice, layer, monkeypatch):
    from rendezvous.rooms import consumers

    monkeypatch.setattr(consumers, "RECHECK", 0.2)  # how often the server checks again
    booking = video(practice)
    token = customer(booking)

    async def scenario():
        guest, _ = await admitted(token)
        assert await guest.receive_nothing(timeout=0.5)  # re-checked, still fine
        from channels.db import database_sync_to_async

        await database_sync_to_async(bookings.booking_cancel)(
            booking=booking, actor=bookings.STAFF, now=NOW
        )
        assert await guest.receive_json_from(timeout=5) == {
            "type": "refused",
            "reason": "forbidden",
        }
        assert await closed_with(guest) == 4403

    run(INSIDE, scenario)


def test_a_recheck_after_the_hosts_end_tells_it_as_the_hosts_end(
    transactional_db, practice, layer, monkeypatch
):
    from channels.db import database_sync_to_async

    from rendezvous.rooms import consumers, domain

    monkeypatch.setattr(consumers, "RECHECK", 0.2)
    booking = video(practice)
    staff_token, token = host(meeting_for(booking)), customer(booking)

    async def scenario():
        guest, _ = await admitted(token)
        # The meeting ends (as the host's "end" does) without the group's message
        # reaching the guest first: the guest's next re-check is what tells it.
        assert await database_sync_to_async(domain.room_end)(token=staff_token) is not None
        assert await guest.receive_json_from(timeout=5) == {"type": "ended", "reason": "host"}
        assert await closed_with(guest) == 4410

    run(INSIDE, scenario)


def test_the_same_participant_again_replaces_the_old_socket(transactional_db, practice, layer):
    booking = video(practice)
    staff_token, token = host(meeting_for(booking)), customer(booking)

    async def scenario():
        staff, _ = await admitted(staff_token)
        old, first = await admitted(token)
        await staff.receive_json_from(timeout=5)
        new, again = await admitted(token)
        assert again["you"]["pid"] == first["you"]["pid"]
        assert again["you"]["sid"] != first["you"]["sid"]  # a new connection
        assert await closed_with(old) == 4409
        # The others see the participant return, never a "left" for the replaced socket.
        assert await staff.receive_json_from(timeout=5) == {"type": "joined", "peer": again["you"]}
        assert await staff.receive_nothing(timeout=0.3)
        await new.disconnect()
        assert await staff.receive_json_from(timeout=5) == {
            "type": "left",
            "pid": first["you"]["pid"],
        }
        await staff.disconnect()

    run(INSIDE, scenario)


def test_a_foreign_origin_is_refused_at_the_handshake(transactional_db, practice, layer):
    from .conftest import WebsocketCommunicator, application

    token = customer(video(practice))

    async def scenario():
        comm = WebsocketCommunicator(
            application(), f"/ws/join/{token}/", headers=[(b"origin", b"https://evil.example")]
        )
        connected, _ = await comm.connect(timeout=5)
        assert not connected

    run(INSIDE, scenario)


@pytest.mark.unit
def test_turn_credentials_follow_coturns_rest_convention(settings):
    settings.ROOM_STUN_URLS = ["stun:turn.example:3478"]
    settings.ROOM_TURN_URLS = ["turn:turn.example:3478?transport=udp", "turns:turn.example:5349"]
    settings.ROOM_TURN_SECRET = "s3cret"
    settings.ROOM_TURN_TTL = 600
    now = NOW
    stun, turn = ice_servers(pid="c7", closes_at=now + timedelta(hours=2), now=now)
    assert stun == {"urls": ["stun:turn.example:3478"]}
    expiry = int((now + timedelta(hours=2)).timestamp())  # the meeting's end is later
    assert turn["username"] == f"{expiry}:c7"
    expected = hmac.new(b"s3cret", turn["username"].encode(), hashlib.sha1).digest()
    assert base64.b64decode(turn["credential"]) == expected
    assert turn["urls"] == settings.ROOM_TURN_URLS
    short = ice_servers(pid="c7", closes_at=now, now=now)[1]
    assert short["username"] == f"{int((now + timedelta(seconds=600)).timestamp())}:c7"
    settings.ROOM_TURN_SECRET = ""
    assert ice_servers(pid="c7", closes_at=now, now=now) == [stun]


def test_a_meeting_ended_early_opens_again_when_the_booking_moves(
    transactional_db, practice, layer
):
    booking = video(practice)
    meeting = meeting_for(booking)
    staff_token, guest_token = host(meeting), customer(booking)

    async def end_it():
        staff, _ = await admitted(staff_token)
        await staff.send_json_to({"type": "end"})
        assert await staff.receive_json_from(timeout=5) == {"type": "ended", "reason": "host"}

    run(INSIDE, end_it)
    assert meeting_state(booking) == MeetingState.ENDED
    later = TOMORROW_10 + timedelta(days=1)
    bookings.booking_reschedule(booking=booking, start=later, actor=bookings.STAFF, now=NOW)
    assert meeting_state(booking) == MeetingState.READY

    async def join_again():
        guest, _ = await admitted(guest_token)
        await guest.disconnect()

    run(later - timedelta(minutes=2), join_again)
