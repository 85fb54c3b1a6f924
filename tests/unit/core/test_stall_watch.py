"""The stall watch: a partition with records waiting that does not move is reported, nothing else."""

from stream.stall import StallWatch


def test_a_partition_that_stops_moving_with_records_waiting_is_a_stall():
    watch = StallWatch(seconds=30)
    watch.observe("articles-0", position=9, end=38, now=0)
    watch.observe("articles-0", position=9, end=38, now=20)
    assert not watch.due(20)
    watch.observe("articles-0", position=9, end=40, now=31)
    assert watch.due(31) and set(watch.stalled(31)) == {"articles-0"}


def test_progress_an_empty_backlog_or_losing_the_partition_clears_it():
    watch = StallWatch(seconds=30)
    for tp in ("a", "b", "c"):
        watch.observe(tp, position=5, end=10, now=0)
    watch.observe("a", position=6, end=10, now=40)     # moved
    watch.observe("b", position=10, end=10, now=40)    # caught up
    watch.keep({"a", "b"})                             # c revoked
    assert watch.stalled(40) == {}
    assert not watch.due(40)
