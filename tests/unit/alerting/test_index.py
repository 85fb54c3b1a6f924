"""The index finds exactly the rules a brute-force scan finds, but tests far fewer predicates."""

import random

from hypothesis import given, settings, strategies as st

from stream.alerting import Engine
from stream.alerting.fields import EventView
from stream.alerting.loader import parse_sources

from alerting_helpers import make_event

TYPES = ["MOBILIZE", "ASSAULT", "THREATEN", "AGREE", "SANCTION"]
COUNTRIES = ["RUS", "UKR", "BLR", "USA", "CHN", None]
MODES = ["missile", "drone", "troops", None]


def _cond(rng: random.Random) -> str:
    parts = []
    shape = rng.randrange(6)
    if shape == 0:
        parts.append(f"type: {rng.choice(TYPES)}")
    elif shape == 1:
        parts.append(f"type: [{rng.choice(TYPES)}, {rng.choice(TYPES)}]")
    elif shape == 2:
        parts.append(f"any: [{{type: {rng.choice(TYPES)}, mode: drone}}, {{type: {rng.choice(TYPES)}}}]")
    elif shape == 3:
        parts.append(f"not: {{type: {rng.choice(TYPES)}}}")
    if rng.random() < 0.6:
        parts.append(f"actor.country: {rng.choice(COUNTRIES[:-1])}")
    if rng.random() < 0.3:
        parts.append(f"recipient.country: [{rng.choice(COUNTRIES[:-1])}, {rng.choice(COUNTRIES[:-1])}]")
    if rng.random() < 0.3:
        parts.append(f"mode: {{in: [{rng.choice(MODES[:-1])}]}}")
    if rng.random() < 0.2:
        parts.append("context.negated: false")
    if not parts:
        parts.append("confidence: {gte: 0.1}")
    return "{" + ", ".join(parts) + "}"


def ruleset_text(seed: int, n: int) -> str:
    rng = random.Random(seed)
    return "rules:\n" + "".join(f"  - id: r{i}\n    when: {_cond(rng)}\n" for i in range(n))


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), etype=st.sampled_from(TYPES), actor=st.sampled_from(COUNTRIES),
       recipient=st.sampled_from(COUNTRIES), mode=st.sampled_from(MODES), negated=st.booleans())
def test_index_agrees_with_a_full_scan(seed, etype, actor, recipient, mode, negated):
    ruleset, problems = parse_sources([("r.yaml", ruleset_text(seed, 60))])
    assert ruleset is not None, [str(p) for p in problems if p.is_error]
    engine = Engine(ruleset)
    ev = make_event(etype, actor=actor, recipient=recipient, mode=mode, context={"negated": negated})
    view = EventView(ev)
    expected = [r.id for r in engine.rules if r.predicate.test(view)]
    assert [route.rule_id for route in engine.route(ev)] == expected


def test_candidates_are_few_when_rules_are_about_other_types_and_countries():
    lines = ["rules:"]
    for i in range(1000):
        t = TYPES[i % len(TYPES)]
        c = ["RUS", "UKR", "BLR", "USA", "CHN", "IRN", "ISR", "SYR"][i % 8]
        lines.append(f"  - id: r{i}\n    when: {{type: {t}, actor.country: {c}}}")
    ruleset, _ = parse_sources([("r.yaml", "\n".join(lines) + "\n")])
    engine = Engine(ruleset)
    ev = make_event("MOBILIZE", actor="RUS")
    candidates = engine.index.candidates(EventView(ev))
    assert len(candidates) == 25  # 1000 rules / (5 types * 8 countries)
    assert all(r.predicate.test(EventView(ev)) for r in candidates)
