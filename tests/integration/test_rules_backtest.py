"""``sitrep rules backtest`` against the real broker: known record times in, a known report out.

No worker runs: the backtest reads the topics itself, evaluates with
in-memory state and publishes nothing.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from pipeline_kit import REPO, run
from rules_kit import cli, event, records, rules_pipeline
from stream.kafka import client_kwargs
from stream.models import to_json

pytestmark = pytest.mark.integration

RULES = """
rules:
  - id: bt-buildup
    title: Buildup
    description: every buildup, one alert per story
    when: {type: MOBILIZE}
    group_by: [actor.country, location.country]
  - id: bt-corroborated
    description: three outlets within six hours
    kind: threshold
    when: {type: ASSAULT}
    group_by: [actor.country, recipient.country]
    count: 3
    distinct: source
    window: 6h
  - id: bt-quiet
    description: never matches here
    when: {type: SANCTION}
"""
DAY = datetime(2025, 3, 15, tzinfo=timezone.utc)


async def produce_at(settings, topic: str, items: list[tuple[datetime, bytes, bytes]]) -> None:
    """Produce (record time, key, value) in one go, so the broker gets multi-record batches."""
    from aiokafka import AIOKafkaProducer

    producer = AIOKafkaProducer(**client_kwargs(settings), acks="all", linger_ms=20)
    await producer.start()
    try:
        futures = [await producer.send(topic, key=key, value=value, timestamp_ms=int(t.timestamp() * 1000))
                   for t, key, value in items]
        for f in futures:
            await f
    finally:
        await producer.stop()


@pytest.fixture
def bt_settings(broker, tmp_path: Path):
    settings, _ = rules_pipeline(broker.address, tmp_path, {"bt.yaml": RULES})
    return settings


def backtest(settings, *args: str) -> dict:
    result = cli(settings, "rules", "backtest", *args, "--json", timeout=180)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_backtest_events_in_a_time_range(bt_settings):
    settings = bt_settings
    at = lambda h: DAY + timedelta(hours=h)  # noqa: E731

    def ev(type_, hour, **kw):
        return at(hour), event(type_, at=at(hour), **kw)

    timeline = [
        ev("MOBILIZE", -2, actor="RUS", location="UKR", source="reuters"),      # the day before: out
        ev("MOBILIZE", 1, actor="RUS", location="UKR", source="reuters"),       # alert
        ev("MOBILIZE", 2, actor="RUS", location="UKR", source="apnews"),        # revision 2
        ev("MOBILIZE", 3, actor="RUS", location="UKR", source="reuters"),       # known outlet: nothing
        ev("MOBILIZE", 4, actor="RUS", location="BLR", source="tass"),          # a second group
        ev("ASSAULT", 5, actor="RUS", recipient="UKR", source="reuters"),
        ev("ASSAULT", 6, actor="RUS", recipient="UKR", source="reuters"),
        ev("ASSAULT", 7, actor="RUS", recipient="UKR", source="bbc"),
        ev("ASSAULT", 9, actor="RUS", recipient="UKR", source="kyivindependent"),  # third outlet: alert
        ev("MOBILIZE", 23.5, actor="CHN", location="TWN", source="reuters"),    # last minutes of the day
        ev("MOBILIZE", 24, actor="CHN", location="PHL", source="reuters"),      # the --to time: out
        ev("MOBILIZE", 30, actor="CHN", location="VNM", source="reuters"),      # the day after: out
    ]
    timeline.append((at(10), timeline[1][1]))  # the 01:00 event redelivered at 10:00: a duplicate
    items = [(t, e.article.id.encode(), to_json(e)) for t, e in timeline] + [(at(12), b"junk", b"not an event")]
    # Keys spread the records over partitions; every partition receives them in time order.
    run(produce_at(settings, settings.events_topic, sorted(items, key=lambda x: x[0])))

    report = backtest(settings, "--from", "2025-03-15T00:00:00Z", "--to", "2025-03-16")
    assert (report["from"], report["to"]) == ("2025-03-15T00:00:00.000Z", "2025-03-16T00:00:00.000Z")
    assert report["input"] == "events" and report["topic"] == settings.events_topic
    assert report["records"] == 11 and report["events"] == 10 and report["rejected"] == {"invalid_event": 1}
    assert sum(p["records"] for p in report["partitions"].values()) == 11 and len(report["partitions"]) >= 2
    rules = {r["id"]: r for r in report["rules"]}

    buildup = rules["bt-buildup"]
    assert (buildup["matched"], buildup["alerts"], buildup["notifications"], buildup["revisions"]) == (6, 3, 4, 1)
    assert buildup["first_at"] == "2025-03-15T01:00:00.000Z" and buildup["last_at"] == "2025-03-15T23:30:00.000Z"
    assert buildup["top_groups"] == [{"group_key": "CHN|TWN", "alerts": 1}, {"group_key": "RUS|BLR", "alerts": 1},
                                     {"group_key": "RUS|UKR", "alerts": 1}]
    assert buildup["reasons"] == {"duplicate": 1, "no_new_source": 1}

    corroborated = rules["bt-corroborated"]
    assert (corroborated["alerts"], corroborated["revisions"], corroborated["first_at"]) == (
        1, 0, "2025-03-15T09:00:00.000Z")
    assert corroborated["top_groups"] == [{"group_key": "RUS|UKR", "alerts": 1}]
    assert corroborated["reasons"] == {"below_threshold": 3}
    assert rules["bt-quiet"]["matched"] == 0 and rules["bt-quiet"]["alerts"] == 0
    assert report["alerts"] == 4 and report["notifications"] == 5

    # A narrower window in which the RUS|UKR story starts with its second outlet.
    narrow = backtest(settings, "--from", "2025-03-15T01:30:00Z", "--to", "2025-03-15T04:00:00Z", "--show")
    assert narrow["records"] == 2
    assert [(a["revision"], a["sources"]) for a in narrow["alert_records"]] == [(1, ["apnews"]),
                                                                                (2, ["apnews", "reuters"])]

    # Nothing was published, no group was joined.
    assert records(settings, settings.alerts_topic) == []
    assert records(settings, settings.matches_topic) == []

    text = cli(settings, "rules", "backtest", "--from", "2025-03-15", "--to", "2025-03-16", "--show")
    assert text.returncode == 0, text.stderr
    assert "[MEDIUM] bt-buildup  Buildup" in text.stdout
    assert "4 alerts (5 notifications with revisions) from 2 of 3 rules" in text.stdout
    assert "nothing was published" in text.stdout


def test_backtest_relative_times_and_articles_through_the_extractor(bt_settings):
    settings = bt_settings
    from stream.alerting import Engine, load_rules
    from stream.backtest import Input, evaluate
    from stream.decode import decode_article
    from stream.extract import Extractor
    from stream.extract.inputs import read_articles

    now = datetime.now(timezone.utc).replace(microsecond=0)
    [seed] = list(read_articles(str(REPO / "seeds" / "000_5b594cfd5d1b3531.txt")))
    old = seed.__class__.from_dict({**seed.to_dict(), "id": "old-copy"})
    record_time = now - timedelta(hours=2)
    run(produce_at(settings, settings.articles_topic, [
        (now - timedelta(hours=30), old.id.encode(), to_json(old)),        # before -24h: out
        (record_time, seed.id.encode(), to_json(seed)),
        (now - timedelta(hours=1), b"bad", b'{"text": 42}'),                  # rejected like the worker does
    ]))
    report = backtest(settings, "--from", "-24h", "--to", "now", "--input", "articles", "--rules", str(REPO / "rules"))
    assert report["input"] == "articles" and report["records"] == 2
    assert report["rejected"] == {"invalid_field": 1}

    # The same as extracting and evaluating here, with the record time as the processing time.
    extractor = Extractor.load(settings.model)
    article = decode_article(to_json(seed), max_bytes=settings.max_message_bytes,
                             max_text_chars=settings.max_text_chars, ingested_at=record_time)
    events = extractor.extract(article)
    assert events and report["events"] == len(events)
    expected = evaluate(Engine(load_rules(REPO / "rules")), [Input(record_time, 0, i, e) for i, e in enumerate(events)])
    got = {r["id"]: (r["matched"], r["alerts"], r["notifications"]) for r in report["rules"]}
    assert got == {r.id: (r.matched, r.alerts, r.notifications) for r in expected.rules}
    assert sum(r.alerts for r in expected.rules) >= 1


def test_exact_end_offsets_count_every_record_of_the_last_batch(bt_settings):
    """The end offsets the backtest (and these tests) stop at include the whole last record batch.

    The bundled broker reports one past the first record of a partition's last batch
    (2 instead of 6 after a batch of 5 following one record); stream.offsets corrects it.
    """
    from aiokafka import TopicPartition

    from stream.offsets import exact_end_offsets

    settings = bt_settings
    t = datetime(2025, 3, 15, tzinfo=timezone.utc)
    run(produce_at(settings, settings.events_topic, [(t, b"same-key", b"first")]))
    run(produce_at(settings, settings.events_topic, [(t, b"same-key", b"batch %d" % i) for i in range(5)]))
    [partition] = {r.partition for r in records(settings, settings.events_topic)}
    tp = TopicPartition(settings.events_topic, partition)
    assert run(exact_end_offsets(client_kwargs(settings), [tp])) == {tp: 6}
    assert len(records(settings, settings.events_topic)) == 6
