"""Real HTTP against a local aiohttp server: retries, backoff, permanent failures, signatures, queueing."""

import asyncio
import json
import random
import time

from sinkkit import Receiver, deliveries, free_port, make_alert

from stream.sinks import RetryPolicy, SinkSet, WebhookSink, build_sinks, verify_signature
from stream.sinks.alertmanager import AlertmanagerSink

FAST = RetryPolicy(retries=3, initial=0.05, maximum=0.4, jitter=0.5)


def webhook_set(url, metrics, *, policy=FAST, timeout=2.0, secret=None, queue_size=100, stop_timeout=5.0):
    return SinkSet([WebhookSink(url, timeout=timeout, secret=secret)], policy=policy, queue_size=queue_size,
                   stop_timeout=stop_timeout, metrics=metrics, rng=random.Random(3))


def test_delivers_the_alert_as_json(alert, metrics):
    async def scenario():
        async with Receiver() as rx:
            async with webhook_set(rx.url(), metrics) as sinks:
                await sinks.deliver(alert)
                assert await sinks.flush(10)
            return rx.requests

    (req,) = asyncio.run(scenario())
    assert req.json() == json.loads(json.dumps(alert.to_dict()))
    assert req.headers["Content-Type"] == "application/json"
    assert req.headers["X-Sitrep-Alert-Id"] == alert.id
    assert req.headers["Idempotency-Key"] == f"{alert.id}:1"
    assert req.headers["User-Agent"].startswith("sitrep/")
    assert "X-Sitrep-Signature" not in req.headers
    assert deliveries(metrics, "webhook", "delivered") == 1
    assert deliveries(metrics, "webhook", "retried") == 0


def test_5xx_is_retried_with_growing_waits_until_it_succeeds(alert, metrics):
    async def scenario():
        async with Receiver(script=[503, 500, 502]) as rx:
            async with webhook_set(rx.url(), metrics) as sinks:
                await sinks.deliver(alert)
                assert await sinks.flush(10)
            return rx.requests

    reqs = asyncio.run(scenario())
    assert len(reqs) == 4
    assert len({r.headers["Idempotency-Key"] for r in reqs}) == 1
    gaps = [b.at - a.at for a, b in zip(reqs, reqs[1:])]
    # waits are 0.05, 0.1, 0.2 at most and never below half of that (jitter 0.5)
    for n, gap in enumerate(gaps):
        assert gap >= 0.05 * 2 ** n * 0.5 * 0.95, gaps
    assert deliveries(metrics, "webhook", "retried") == 3
    assert deliveries(metrics, "webhook", "delivered") == 1
    assert deliveries(metrics, "webhook", "failed") == 0


def test_4xx_is_permanent_and_not_retried(alert, metrics):
    async def scenario():
        async with Receiver(script=[400, 400]) as rx:
            async with webhook_set(rx.url(), metrics) as sinks:
                await sinks.deliver(alert)
                assert await sinks.flush(10)
            return rx.requests

    assert len(asyncio.run(scenario())) == 1
    assert deliveries(metrics, "webhook", "rejected") == 1
    assert deliveries(metrics, "webhook", "retried") == 0
    assert deliveries(metrics, "webhook", "delivered") == 0


def test_429_is_retried_after_the_servers_wait(alert, metrics):
    async def scenario():
        async with Receiver(script=[("status", 429, {"Retry-After": "0.3"})]) as rx:
            async with webhook_set(rx.url(), metrics) as sinks:
                await sinks.deliver(alert)
                assert await sinks.flush(10)
            return rx.requests

    first, second = asyncio.run(scenario())
    assert second.at - first.at >= 0.29
    assert deliveries(metrics, "webhook", "delivered") == 1


def test_retries_run_out_on_a_server_that_keeps_failing(alert, metrics):
    async def scenario():
        async with Receiver(script=[500] * 10) as rx:
            async with webhook_set(rx.url(), metrics) as sinks:
                await sinks.deliver(alert)
                assert await sinks.flush(10)
            return rx.requests

    assert len(asyncio.run(scenario())) == 4  # first attempt + 3 retries
    assert deliveries(metrics, "webhook", "failed") == 1
    assert deliveries(metrics, "webhook", "delivered") == 0


def test_connection_refused_is_retryable_and_never_raises(alert, metrics):
    url = f"http://127.0.0.1:{free_port()}/hook"  # nothing listens there

    async def scenario():
        async with webhook_set(url, metrics) as sinks:
            await sinks.deliver(alert)
            assert await sinks.flush(10)

    asyncio.run(scenario())
    assert deliveries(metrics, "webhook", "retried") == 3
    assert deliveries(metrics, "webhook", "failed") == 1


def test_a_slow_receiver_times_out_and_the_retry_succeeds(alert, metrics):
    async def scenario():
        async with Receiver(script=[("sleep", 2.0)]) as rx:
            async with webhook_set(rx.url(), metrics, timeout=0.3) as sinks:
                started = time.monotonic()
                await sinks.deliver(alert)
                assert await sinks.flush(10)
                return rx.requests, time.monotonic() - started

    reqs, took = asyncio.run(scenario())
    assert len(reqs) == 2 and took < 1.8
    assert deliveries(metrics, "webhook", "retried") == 1
    assert deliveries(metrics, "webhook", "delivered") == 1


def test_signed_requests_verify_with_the_secret_only(alert, metrics):
    async def scenario():
        async with Receiver() as rx:
            async with webhook_set(rx.url(), metrics, secret="s3cret") as sinks:
                await sinks.deliver(alert)
                assert await sinks.flush(10)
            return rx.requests

    (req,) = asyncio.run(scenario())
    ts, sig = req.headers["X-Sitrep-Timestamp"], req.headers["X-Sitrep-Signature"]
    assert sig.startswith("sha256=")
    assert verify_signature("s3cret", req.body, ts, sig)
    assert not verify_signature("other", req.body, ts, sig)
    assert not verify_signature("s3cret", req.body + b" ", ts, sig)
    assert not verify_signature("s3cret", req.body, ts, sig, now=float(ts) + 3600)  # replayed later


def test_deliver_returns_at_once_while_the_receiver_is_slow(metrics):
    async def scenario():
        async with Receiver(script=[("sleep", 0.5)]) as rx:
            async with webhook_set(rx.url(), metrics) as sinks:
                started = time.monotonic()
                for i in range(5):
                    await sinks.deliver(make_alert(alert_id=f"al-{i}"))
                queued_in = time.monotonic() - started
                assert await sinks.flush(10)
            return queued_in, rx.requests

    queued_in, reqs = asyncio.run(scenario())
    assert queued_in < 0.1
    assert [r.headers["X-Sitrep-Alert-Id"] for r in reqs] == [f"al-{i}" for i in range(5)]  # in order
    assert deliveries(metrics, "webhook", "delivered") == 5


def test_a_full_queue_drops_and_counts(metrics):
    async def scenario():
        async with Receiver(script=[("sleep", 0.5)]) as rx:
            async with webhook_set(rx.url(), metrics, queue_size=2) as sinks:
                for i in range(6):
                    await sinks.deliver(make_alert(alert_id=f"al-{i}"))
                assert await sinks.flush(10)
            return rx.requests

    reqs = asyncio.run(scenario())
    # the first is taken off the queue at once; two more fit; the rest are dropped
    delivered = deliveries(metrics, "webhook", "delivered")
    dropped = deliveries(metrics, "webhook", "dropped")
    assert delivered + dropped == 6 and dropped >= 2 and delivered == len(reqs) >= 2


def test_deliver_before_start_counts_a_drop_and_does_not_raise(alert, metrics):
    async def scenario():
        sinks = webhook_set("http://127.0.0.1:9/hook", metrics)
        await sinks.deliver(alert)
        await sinks.stop()  # stop without start is harmless

    asyncio.run(scenario())
    assert deliveries(metrics, "webhook", "dropped") == 1


def test_stop_gives_up_after_its_timeout_and_counts_what_was_left(metrics):
    slow = RetryPolicy(retries=5, initial=1.0, maximum=1.0, jitter=0.0)
    url = f"http://127.0.0.1:{free_port()}/hook"

    async def scenario():
        sinks = webhook_set(url, metrics, policy=slow, stop_timeout=0.3)
        await sinks.start()
        for i in range(3):
            await sinks.deliver(make_alert(alert_id=f"al-{i}"))
        started = time.monotonic()
        await sinks.stop()
        return time.monotonic() - started

    assert asyncio.run(scenario()) < 2.0
    # every alert gets one final outcome: the one in flight was cancelled mid-backoff and the
    # two queued behind it never started: all three are counted as dropped
    assert deliveries(metrics, "webhook", "dropped") == 3
    assert deliveries(metrics, "webhook", "delivered") == 0


def test_every_alert_goes_to_every_sink_and_alertmanager_batches(metrics):
    async def scenario():
        async with Receiver(script=[("sleep", 0.3)]) as am, Receiver() as hook:
            sinks = build_sinks({"SITREP_ALERTMANAGER_URL": am.url(""), "SITREP_WEBHOOK_URL": hook.url()},
                                metrics=metrics)
            async with sinks:
                for i in range(4):
                    await sinks.deliver(make_alert(alert_id=f"al-{i}"))
                assert await sinks.flush(10)
            return am.requests, hook.requests

    am_reqs, hook_reqs = asyncio.run(scenario())
    assert all(r.path == "/api/v2/alerts" for r in am_reqs)
    posted = [a["labels"]["alert_id"] for r in am_reqs for a in r.json()]
    assert posted == [f"al-{i}" for i in range(4)]
    assert len(am_reqs) < 4  # alerts that queued up while the first POST was held went in one batch
    assert len(hook_reqs) == 4
    assert deliveries(metrics, "alertmanager", "delivered") == 4
    assert deliveries(metrics, "webhook", "delivered") == 4


def test_a_bug_in_a_sink_is_counted_not_raised(alert, metrics):
    class Broken(AlertmanagerSink):
        async def send(self, session, alerts):
            raise KeyError("bug")

    async def scenario():
        async with SinkSet([Broken("http://127.0.0.1:9")], policy=FAST, metrics=metrics) as sinks:
            await sinks.deliver(alert)
            await sinks.deliver(alert)
            assert await sinks.flush(10)

    asyncio.run(scenario())
    assert deliveries(metrics, "alertmanager", "failed") == 2
