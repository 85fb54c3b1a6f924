"""sitrep: streaming ingest and alerting for news.

Articles arrive on Kafka; PLOVER events are extracted with spaCy; YAML rules
turn events into alerts. See README.md.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
