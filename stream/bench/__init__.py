"""``sitrep bench``: the whole pipeline through the broker, with the baselines on the same texts.

Modules: ``corpus`` (deterministic articles from templates kept as data),
``stats`` (percentiles, slopes), ``scrape`` (worker /metrics), ``workers``
(worker processes), ``pipeline`` (one measured run through the broker),
``baselines`` (the naive full model and the extractor alone, no Kafka),
``rules`` (10 vs 1,000 rules), ``report`` (targets, table, JSON), ``runner``.
"""
