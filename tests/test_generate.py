"""Seeded generation: same seed, same calls, byte for byte; realistic content."""

from __future__ import annotations

import random
import re
from dataclasses import asdict

from emulator.core.fixtures import default_dir
from emulator.core.generate import Generator, load_scripts
from emulator.core.tenants import Agent
from emulator.providers.heppu import STYLE as HEPPU_STYLE
from emulator.providers.trillet import STYLE as TRILLET_STYLE

SCRIPTS = load_scripts(default_dir() / "scripts")
AGENT = Agent("550e8400-e29b-41d4-a716-446655440000", "Customer Support Agent", phone_numbers=("+14155551234",))
E164 = re.compile(r"^\+[1-9]\d{1,14}$")


def make(seed=1, index=0, style=HEPPU_STYLE, **kw):
    return Generator(seed, SCRIPTS).plan(stream="t", index=index, tenant="t", agent=AGENT, style=style, created_at=1.7e9, **kw)


def test_same_seed_same_call():
    assert asdict(make()) == asdict(make())


def test_other_seed_other_call():
    assert make(seed=1).id != make(seed=2).id


def test_a_call_depends_only_on_its_own_index():
    g = Generator(1, SCRIPTS)
    first = [g.plan(stream="t", index=i, tenant="t", agent=AGENT, style=HEPPU_STYLE, created_at=1.7e9).id for i in range(5)]
    # Generating in another order, or with other calls in between, changes nothing.
    g2 = Generator(1, SCRIPTS)
    g2.plan(stream="other", index=0, tenant="t", agent=AGENT, style=HEPPU_STYLE, created_at=1.7e9)
    again = [g2.plan(stream="t", index=i, tenant="t", agent=AGENT, style=HEPPU_STYLE, created_at=1.7e9).id for i in reversed(range(5))]
    assert first == list(reversed(again))


def test_generated_calls_are_realistic():
    for i in range(60):
        p = make(index=i)
        assert E164.match(p.contact_phone)
        assert p.contact_name and " " in p.contact_name
        assert p.turns[0].role == "agent" and "{" not in "".join(t.text for t in p.turns)
        assert [t.at for t in p.turns] == sorted(t.at for t in p.turns)
        if p.answer_at is not None:
            assert 3.0 <= p.answer_at - p.ring_at <= 20.0
            assert p.outcome in ("completed", "failed")
            if p.outcome == "completed":
                assert 25.0 <= p.talk_for <= 420.0 and p.turns[-1].at < p.talk_for
        else:
            assert p.outcome in ("no_answer", "busy", "failed")


def test_outcomes_vary_across_calls():
    outcomes = {make(index=i).outcome for i in range(200)}
    assert outcomes == {"completed", "no_answer", "busy", "failed"}


def test_variables_fill_the_greeting():
    p = make(variables={"firstName": "Zelda"})
    assert "Zelda" in p.turns[0].text or "Zelda" in " ".join(t.text for t in p.turns)


def test_provider_styles_name_things_their_way():
    h, t = make(style=HEPPU_STYLE), make(style=TRILLET_STYLE)
    assert h.id.startswith("call_") and h.room.startswith("room_")
    assert re.fullmatch(r"[0-9a-f]{24}", t.id)
    assert re.fullmatch(AGENT.id + r"-[a-z0-9]{10}", t.room)
    assert [p.identity for p in t.participants][:2] == ["agent-001", "customer-001"]
    assert h.metadata["caller_id"] == "+14155551234"


def test_people_are_drawn_from_fakers_tables_at_its_frequencies():
    from collections import Counter

    from faker.providers.address.en_US import Provider as Address
    from faker.providers.person.en_US import Provider as Person

    g = Generator(1, SCRIPTS)
    drawn = [g._people(random.Random(i), 1.7e9) for i in range(3000)]
    for p in drawn:
        assert p["firstName"] in Person.first_names and p["lastName"] in Person.last_names
        assert p["email"] == f"{p['firstName']}.{p['lastName']}@".lower() + p["email"].split("@")[1]
        assert p["company"] and "{" not in p["company"] + p["city"]
    # Common names come up as often as they do in Faker's tables (Smith: about 2.2 %).
    smiths = Counter(p["lastName"] for p in drawn)["Smith"] / len(drawn)
    assert 0.01 < smiths < 0.035
    assert any(p["city"].split()[0] in Address.city_prefixes for p in drawn)
    assert len({p["firstName"] for p in drawn}) > 300


def test_dates_a_call_mentions_follow_the_call_not_the_day_it_was_generated():
    # 1.7e9 is 2023-11-14 (UTC): deliveries 1 to 10 days later, appointments
    # 1 to 14 days later, whatever day the call is generated on.
    g = Generator(1, SCRIPTS)
    for i in range(200):
        p = g._people(random.Random(i), 1.7e9)
        month, day = p["deliveryDate"].split()
        assert (month, 15 <= int(day) <= 24) == ("November", True), p["deliveryDate"]
        weekday, rest = p["appointmentDate"].split(", ")
        month, day = rest.split()
        assert weekday in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
        assert (month, 15 <= int(day) <= 28) == ("November", True), rest
    assert asdict(make(index=3)) == asdict(make(index=3))


def test_make_turn_is_the_dataclass_built_field_by_field():
    from emulator.core.plan import Turn, make_turn

    args = (1.5, "customer", "Hi {firstName}", "positive", ("billing",), "a note", None)
    made, built = make_turn(*args), Turn(*args)
    assert type(made) is Turn and made == built and hash(made) == hash(built) and repr(made) == repr(built)
    import orjson

    assert orjson.dumps(made) == orjson.dumps(built)


def test_calls_share_their_cast():
    # A live call's objects are walked by every full garbage collection: the
    # participants (frozen) are shared between calls that have the same ones.
    g = Generator(1, SCRIPTS)
    a, b = (g.plan(stream="t", index=i, tenant="t", agent=AGENT, style=HEPPU_STYLE, created_at=1.7e9, contact_phone="+14155550100") for i in (0, 1))
    c = g.plan(stream="t", index=2, tenant="t", agent=AGENT, style=HEPPU_STYLE, created_at=1.7e9, contact_phone="+14155550111")
    assert a.participants is b.participants
    assert c.participants != a.participants and c.participants[0] is a.participants[0] and c.participants[2] is a.participants[2]
    assert [p.name for p in c.participants] == ["Customer Support Agent", "+14155550111", "Human agent"]


def test_people_name_the_dates_as_datetime_formats_them():
    from datetime import datetime, timedelta, timezone

    from emulator.core.people import people

    for i in range(300):
        created = random.Random(i).uniform(0, 4e9)
        found = people().draw(random.Random(i), created)
        rng = random.Random(i)
        rng.random(), rng.random()  # first and last name, then the days
        day = datetime.fromtimestamp(created, timezone.utc)
        delivery, appointment = day + timedelta(days=rng.randint(1, 10)), day + timedelta(days=rng.randint(1, 14))
        assert found["deliveryDate"] == f"{delivery:%B} {delivery.day}"
        assert found["appointmentDate"] == f"{appointment:%A, %B} {appointment.day}"


def test_random_token_draws_as_choice_draws():
    """random_token draws a whole block of outputs at once: the characters
    and the generator's state after them are rng.choice's, per character."""
    from emulator.core.generate import random_token

    for alphabet in ("abcdefghijklmnopqrstuvwxyz0123456789", "0123456789abcdef", "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", "a", "ab", "abcde"):
        for seed in range(300):
            a, b = random.Random(seed), random.Random(seed)
            for n in (0, 1, 2, 10, 12, 16, 24, 40):
                assert random_token(a, n, alphabet) == "".join(b.choice(alphabet) for _ in range(n))
            assert a.getstate() == b.getstate()
