"""An independent client (librdkafka, via confluent-kafka) produces articles and reads alerts."""

from __future__ import annotations

import json
import time

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition

from pipeline_kit import REPO, wait_for
from stream.extract.inputs import read_articles

pytestmark = pytest.mark.integration

SEED = REPO / "seeds" / "000_5b594cfd5d1b3531.txt"


def test_librdkafka_producer_and_consumer(pipeline_settings, start_worker):
    settings = pipeline_settings
    worker = start_worker(settings)
    [seed] = list(read_articles(str(SEED)))
    article = {"id": "interop-1", "url": "https://example.org/news/1", "source": "example.org",
               "title": seed.title, "text": seed.text, "published_at": "2025-03-15T12:00:00Z", "language": "en"}

    producer = Producer({"bootstrap.servers": settings.broker, "acks": "all"})
    delivered = []
    producer.produce(settings.articles_topic, key=b"interop-1", value=json.dumps(article).encode(),
                     on_delivery=lambda err, msg: delivered.append(err))
    assert producer.flush(30) == 0
    assert delivered == [None]

    consumer = Consumer({"bootstrap.servers": settings.broker, "group.id": f"{settings.app_id}-reader",
                         "auto.offset.reset": "earliest", "enable.auto.commit": False})
    metadata = consumer.list_topics(settings.alerts_topic, timeout=10)
    partitions = list(metadata.topics[settings.alerts_topic].partitions)
    consumer.assign([TopicPartition(settings.alerts_topic, p, 0) for p in partitions])
    rules: dict[str, dict] = {}
    deadline = time.monotonic() + 60
    try:
        while not {"troop-buildup", "sanctions"} <= set(rules):
            assert time.monotonic() < deadline, f"alerts via librdkafka, got {sorted(rules)}\n{worker.log_tail()}"
            msg = consumer.poll(0.5)
            if msg is None or msg.error():
                continue
            alert = json.loads(msg.value())
            assert msg.key().decode() == alert["id"]
            rules[alert["rule_id"]] = alert
    finally:
        consumer.close()
    assert rules["troop-buildup"]["article"]["url"] == "https://example.org/news/1"
    assert rules["troop-buildup"]["article"]["source"] == "example.org"
    wait_for(lambda: worker.metric("sitrep_articles_consumed_total") == 1, 10, "one article consumed")
