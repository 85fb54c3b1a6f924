"""The stall report against the real broker: the consumer's view, a fresh client's read, the stacks."""

from __future__ import annotations

import asyncio
import logging
from types import SimpleNamespace

from faust.types import TP

from pipeline_kit import run
from stream.clients import end_offsets, produce_raw
from stream.kafka import client_kwargs
from stream.stall import StallWatch


def test_a_stalled_partition_is_reported_with_what_the_broker_holds_there(pipeline_settings, caplog):
    s = pipeline_settings
    run(produce_raw(s, s.articles_topic, [(b"k", b"record %d" % i) for i in range(5)]))
    [partition] = [tp.partition for tp, end in run(end_offsets(s, s.articles_topic)).items() if end]
    tp = TP(s.articles_topic, partition)
    consumer = SimpleNamespace(_active_partitions={tp}, _paused_partitions=set(), _read_offset={tp: 2},
                               _committed_offset={tp: 2}, flow_active=True)
    app = SimpleNamespace(consumer=consumer, sitrep_client_kwargs=client_kwargs(s))

    watch = StallWatch(seconds=30)
    watch.observe(tp, position=2, end=5, now=0.0)
    assert not watch.due(29.0)
    caplog.set_level(logging.WARNING, logger="stream.stall")
    asyncio.run(watch.report(app, now=31.0))

    text = caplog.text
    assert f"{tp.topic}[{partition}] has not moved from offset 2 for 31 s" in text
    assert "read offset 2, committed 2, flow active True" in text
    assert f"{tp.topic}[{partition}]@2': [2, 3, 4]" in text       # the records the worker is not getting
    assert "stacks of a stalled worker" in text and "test_stall_report.py" in text
    assert not watch.due(40.0)                                  # reported: quiet for another period
