"""``sitrep bench``: the whole pipeline through the broker, with the baselines on the same texts.

Modules: ``corpus`` (deterministic articles from templates kept as data),
``stats`` (percentiles, slopes), ``scrape`` (worker /metrics, CPU time),
``workers`` (worker processes), ``pipeline`` (one measured run through the
broker), ``follow`` (the alerts topic and the workers while a run runs),
``measure`` (a run's numbers), ``baselines`` (the naive full model and the
extractor alone, no Kafka), ``rules`` (10 vs 1,000 rules), ``profile``
(optional py-spy profiles), ``targets``, ``report`` (text and Markdown),
``runner`` (which runs, in which order).
"""
