import random

import pytest

from stream.sinks import PermanentError, RetryableError, RetryPolicy
from stream.sinks.base import classify_status


def test_backoff_doubles_up_to_the_cap_without_jitter():
    p = RetryPolicy(retries=6, initial=0.5, maximum=3.0, jitter=0.0)
    assert [p.delay(n) for n in range(6)] == [0.5, 1.0, 2.0, 3.0, 3.0, 3.0]


def test_jitter_takes_off_at_most_its_fraction_and_spreads_the_waits():
    p = RetryPolicy(initial=1.0, maximum=100.0, jitter=0.5)
    rng = random.Random(7)
    for n in range(5):
        waits = [p.delay(n, rng) for _ in range(200)]
        ceiling = 2.0 ** n
        assert all(0.5 * ceiling <= w <= ceiling for w in waits)
        assert max(waits) - min(waits) > 0.3 * ceiling  # really spread, not a constant
    assert RetryPolicy(jitter=0.5).delay(2, random.Random(1)) == RetryPolicy(jitter=0.5).delay(2, random.Random(1))


def test_retry_after_is_honoured_within_the_cap():
    p = RetryPolicy(initial=0.1, maximum=5.0, jitter=0.0)
    assert p.delay(0, retry_after=2.0) == 2.0
    assert p.delay(0, retry_after=60.0) == 5.0
    assert p.delay(3, retry_after=0.0) == 0.8


@pytest.mark.parametrize("status", [500, 502, 503, 504, 408, 425, 429])
def test_retryable_statuses(status):
    with pytest.raises(RetryableError):
        classify_status(status, "busy", "3")


@pytest.mark.parametrize("status", [301, 400, 401, 403, 404, 409, 413, 422])
def test_permanent_statuses(status):
    with pytest.raises(PermanentError):
        classify_status(status, "no")


@pytest.mark.parametrize("status", [200, 201, 202, 204])
def test_success_statuses(status):
    classify_status(status, "")


def test_retry_after_header_is_parsed():
    with pytest.raises(RetryableError) as info:
        classify_status(429, "", "7")
    assert info.value.retry_after == 7.0
    with pytest.raises(RetryableError) as info:
        classify_status(503, "", "Wed, 21 Oct 2015 07:28:00 GMT")
    assert info.value.retry_after is None
