"""The people a generated call talks about: names, e-mail, company and city
drawn from Faker's en_US tables (the same names at the same frequencies, the
same company and town patterns), with the weights accumulated once.

Faker itself re-weights its thousand-name tables on every draw and parses a
pattern per value, most of the cost of creating a call; here a name is one
bisection. The tables load with the first generated call, not at start-up."""

from __future__ import annotations

import random
import re
from bisect import bisect
from datetime import date, datetime, timezone
from functools import cache, lru_cache
from itertools import accumulate

_TOKEN = re.compile(r"\{\{(\w+)\}\}")


class _Weighted:
    """One weighted table, drawn as random.choices draws it."""

    def __init__(self, weights: dict[str, float]) -> None:
        self.values = tuple(weights)
        self.cum = list(accumulate(weights.values()))
        self.total = self.cum[-1]
        self.hi = len(self.values) - 1

    def __call__(self, rng: random.Random) -> str:
        return self.values[bisect(self.cum, rng.random() * self.total, 0, self.hi)]


def _uniform(values) -> callable:
    values = tuple(values)
    return lambda rng: rng.choice(values)


def _patterns(formats, draw: dict) -> callable:
    """Faker-style patterns ("{{last_name}}-{{last_name}}"), compiled once:
    one pattern drawn uniformly, each token drawn from its table."""
    compiled = []
    for fmt in formats:
        parts = _TOKEN.split(fmt)  # literal, token, literal, ...
        compiled.append(tuple(p if i % 2 == 0 else draw[p] for i, p in enumerate(parts)))

    def pattern(rng: random.Random) -> str:
        return "".join(p if isinstance(p, str) else p(rng) for p in rng.choice(compiled))

    return pattern


class People:
    def __init__(self) -> None:
        from faker.providers.address.en_US import Provider as Address
        from faker.providers.company.en_US import Provider as Company
        from faker.providers.internet.en_US import Provider as Internet
        from faker.providers.person.en_US import Provider as Person

        draw = {
            "first_name": _Weighted(Person.first_names),
            "last_name": _Weighted(Person.last_names),
            "company_suffix": _uniform(Company.company_suffixes),
            "city_prefix": _uniform(Address.city_prefixes),
            "city_suffix": _uniform(Address.city_suffixes),
        }
        self.first_name, self.last_name = draw["first_name"], draw["last_name"]
        self.company = _patterns(Company.formats, draw)
        self.city = _patterns(Address.city_formats, draw)
        self.email_domain = _uniform(Internet.free_email_domains)

    def draw(self, rng: random.Random, created_at: float) -> dict[str, str]:
        """A person and the dates their conversation mentions (days after the
        call's own day, so the same call always names the same dates)."""
        first, last = self.first_name(rng), self.last_name(rng)
        day = datetime.fromtimestamp(created_at, timezone.utc).toordinal()
        delivery = _delivery_date(day + rng.randint(1, 10))
        appointment = _appointment_date(day + rng.randint(1, 14))
        return {
            "firstName": first,
            "lastName": last,
            "email": f"{first}.{last}@{self.email_domain(rng)}".lower(),
            "company": self.company(rng),
            "city": self.city(rng),
            "deliveryDate": delivery,
            "appointmentDate": appointment,
        }


# Dates as a conversation says them, per day (strftime costs more than the
# rest of a person): "December 3", "Wednesday, December 3".
@lru_cache(maxsize=1024)
def _delivery_date(ordinal: int) -> str:
    d = date.fromordinal(ordinal)
    return f"{d:%B} {d.day}"


@lru_cache(maxsize=1024)
def _appointment_date(ordinal: int) -> str:
    d = date.fromordinal(ordinal)
    return f"{d:%A, %B} {d.day}"


@cache
def people() -> People:
    return People()
