"""TLS and SASL settings reach every Kafka client sitrep opens, and secrets never leak.

Tansu 0.6.0 cannot terminate TLS and cannot provision SASL users on a fresh
in-memory broker (see secureproxy.py), so these tests run the real clients
against a TLS/SASL proxy in front of it: a test CA and certificates made with
``openssl``; PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512 checked by the proxy; the
broker advertises the proxy, so every connection of every client goes through
it and is recorded. Covered: the admin client (topic creation), the producer
(``sitrep produce``), the plain consumers (``sitrep alerts``, group offsets)
and a whole worker (Faust consumer, producer, table changelog, silences feed)
over SASL_SSL with a client certificate whose key is password-protected.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import ssl
import subprocess
import urllib.request
from pathlib import Path

import pytest
from faust.transport.drivers.aiokafka import credentials_to_aiokafka_auth

from faultkit import Fleet, make_articles, report, wait_all_out, wait_for, write_rules
from pipeline_kit import WorkerProcess, unique_settings
from secureproxy import SecureProxy
from stream.broker import broker_binary, free_port
from stream.clients import group_caught_up, produce_articles, read_topic
from stream.config import Secret, Settings
from stream.kafka import KafkaUnavailable, client_kwargs, ensure_topics, faust_credentials

pytestmark = [pytest.mark.integration]

KEY_PASSWORD = "key-" + secrets.token_hex(8)


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> dict[str, str]:
    """A CA, a server certificate for 127.0.0.1 and a client certificate with an encrypted key."""
    d = tmp_path_factory.mktemp("pki")
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
             "-subj", "/CN=sitrep test CA", cwd=d)
    (d / "server.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
             "-subj", "/CN=localhost", cwd=d)
    _openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
             "-out", "server.pem", "-days", "2", "-extfile", "server.ext", cwd=d)
    _openssl("req", "-newkey", "rsa:2048", "-keyout", "client.key", "-out", "client.csr",
             "-subj", "/CN=sitrep-worker", "-passout", f"pass:{KEY_PASSWORD}", cwd=d)
    _openssl("x509", "-req", "-in", "client.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
             "-out", "client.pem", "-days", "2", cwd=d)
    assert b"ENCRYPTED" in (d / "client.key").read_bytes()
    return {name: str(d / f"{name}") for name in ("ca.pem", "server.pem", "server.key", "client.pem", "client.key")}


def _server_context(pki: dict[str, str], client_cert: bool) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(pki["server.pem"], pki["server.key"])
    if client_cert:
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(pki["ca.pem"])
    return ctx


@pytest.fixture
def secured(tmp_path):
    """``secured(users, tls=None|ctx, sasl=True)``: a broker reachable only through a new proxy."""
    started: list[tuple[subprocess.Popen, SecureProxy]] = []

    def make(users: dict[str, str], tls: ssl.SSLContext | None = None, sasl: bool = True) -> SecureProxy:
        inner, outer = free_port(), free_port()
        log = open(tmp_path / f"broker-{inner}.log", "ab")
        broker = subprocess.Popen(
            [str(broker_binary()), "broker", "--listener-url", f"tcp://127.0.0.1:{inner}",
             "--advertised-listener-url", f"tcp://127.0.0.1:{outer}", "--storage-engine", "memory://tansu/",
             "--cluster-id", "secured"], stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True)
        log.close()
        proxy = SecureProxy(("127.0.0.1", inner), port=outer, users=users, ssl_context=tls, sasl=sasl).start()
        started.append((broker, proxy))
        import socket

        def up() -> bool:
            try:
                socket.create_connection(("127.0.0.1", inner), 0.2).close()
                return True
            except OSError:
                return False
        wait_for(up, 10, "broker listening")
        return proxy

    yield make
    for broker, proxy in started:
        proxy.stop()
        broker.terminate()
        try:
            broker.wait(5)
        except subprocess.TimeoutExpired:
            broker.kill()


def _round_trip(settings: Settings) -> int:
    """Admin (create topics), producer, consumer without and with a group: what the CLI tools use."""
    async def go() -> int:
        await ensure_topics(settings)
        await produce_articles(settings, make_articles("sec", 3))
        got = [r async for r in read_topic(settings, settings.articles_topic)]
        await group_caught_up(settings, settings.app_id, [settings.articles_topic])
        return len(got)
    return asyncio.run(go())


@pytest.mark.parametrize("mechanism", ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"])
def test_sasl_mechanisms_reach_admin_producer_and_consumers(secured, mechanism):
    password = secrets.token_hex(12)
    proxy = secured({"sitrep": password})
    base = unique_settings(f"127.0.0.1:{proxy.port}", security_protocol="SASL_PLAINTEXT",
                           sasl_mechanism=mechanism, sasl_username="sitrep")
    good = base.replace(sasl_password=Secret(password))
    assert _round_trip(good) == 3
    used = [c for c in proxy.connections if c.mechanism]
    assert used and all(c.mechanism == mechanism and c.user == "sitrep" and c.authenticated for c in used)
    assert not [c for c in proxy.connections if not c.authenticated], "no connection got in unauthenticated"

    before = len(proxy.connections)
    with pytest.raises(KafkaUnavailable):
        _round_trip(base.replace(sasl_password=Secret("wrong-" + password)))
    refused = proxy.connections[before:]
    assert refused and all(not c.authenticated for c in refused)
    plain = unique_settings(f"127.0.0.1:{proxy.port}")
    with pytest.raises(KafkaUnavailable):
        _round_trip(plain)
    report(f"sasl-{mechanism}", {"connections": len(used), "refused_wrong_password": len(refused),
                                 "refused_total": sum(not c.authenticated for c in proxy.connections)})


def test_tls_with_client_certificate_and_key_password(secured, pki):
    proxy = secured({}, tls=_server_context(pki, client_cert=True), sasl=False)
    settings = unique_settings(f"127.0.0.1:{proxy.port}", security_protocol="SSL", ssl_cafile=pki["ca.pem"],
                               ssl_certfile=pki["client.pem"], ssl_keyfile=pki["client.key"],
                               ssl_password=Secret(KEY_PASSWORD))
    assert _round_trip(settings) == 3
    subjects = {c.peer_cert_subject for c in proxy.connections}
    assert subjects == {"commonName=sitrep-worker"}, subjects
    # Without the client certificate the proxy refuses the handshake.
    with pytest.raises(KafkaUnavailable):
        _round_trip(unique_settings(f"127.0.0.1:{proxy.port}", security_protocol="SSL",
                                    ssl_cafile=pki["ca.pem"]))
    # And a client that does not trust the CA refuses the server.
    with pytest.raises(KafkaUnavailable):
        _round_trip(unique_settings(f"127.0.0.1:{proxy.port}", security_protocol="SSL"))


def test_faust_gets_the_same_credentials(pki):
    """What the worker's Faust app hands to aiokafka for its consumer, producer and admin."""
    settings = Settings(broker="127.0.0.1:9", security_protocol="SASL_SSL", sasl_mechanism="SCRAM-SHA-512",
                        sasl_username="sitrep", sasl_password=Secret("pw"), ssl_cafile=pki["ca.pem"],
                        ssl_certfile=pki["client.pem"], ssl_keyfile=pki["client.key"],
                        ssl_password=Secret(KEY_PASSWORD))
    auth = credentials_to_aiokafka_auth(faust_credentials(settings))
    assert auth["security_protocol"] == "SASL_SSL"
    assert auth["sasl_mechanism"] == "SCRAM-SHA-512"
    assert auth["sasl_plain_username"] == "sitrep" and auth["sasl_plain_password"] == "pw"
    assert isinstance(auth["ssl_context"], ssl.SSLContext)
    plain = client_kwargs(settings)
    assert {k: plain[k] for k in ("security_protocol", "sasl_mechanism", "sasl_plain_username")} == \
        {k: auth[k] for k in ("security_protocol", "sasl_mechanism", "sasl_plain_username")}
    assert "pw" not in repr(settings) and KEY_PASSWORD not in repr(settings)
    assert "pw" not in json.dumps(settings.public())


@pytest.mark.slow
def test_worker_over_sasl_ssl_end_to_end_without_leaking_secrets(secured, pki, tmp_path, templates_ok):
    password = "sasl-" + secrets.token_hex(10)
    proxy = secured({"sitrep": password}, tls=_server_context(pki, client_cert=True))
    settings = unique_settings(
        f"127.0.0.1:{proxy.port}", rules_path=str(write_rules(tmp_path / "rules")),
        security_protocol="SASL_SSL", sasl_mechanism="SCRAM-SHA-512", sasl_username="sitrep",
        sasl_password=Secret(password), ssl_cafile=pki["ca.pem"], ssl_certfile=pki["client.pem"],
        ssl_keyfile=pki["client.key"], ssl_password=Secret(KEY_PASSWORD))
    asyncio.run(ensure_topics(settings))

    # /metrics on another loopback address: SITREP_HTTP_HOST decides where it listens.
    worker = WorkerProcess(settings, tmp_path / "secure.log", "secure",
                           extra_env={"SITREP_HTTP_HOST": "127.0.0.2", "SITREP_LOG_LEVEL": "debug"})
    worker.start()
    worker_url = f"http://127.0.0.2:{worker.port}"
    worker.__dict__["get"] = lambda path: _get(worker_url + path)
    try:
        wait_for(lambda: worker.alive() and worker.get("/readyz")[0] == 200, 120,
                 f"worker ready over SASL_SSL\n{worker.log_tail()}")
        assert _get(f"http://127.0.0.1:{worker.port}/healthz")[0] == 0, "nothing listens on 127.0.0.1"
        articles = make_articles("secure", 30)
        asyncio.run(produce_articles(settings, articles))
        ledger = wait_all_out(settings, {a.id for a in articles}, timeout=120)
        ledger.assert_complete()
        metrics = worker.get("/metrics")[1]
    finally:
        worker.stop()
    log_text = worker.log_path.read_text(errors="replace")
    used = [c for c in proxy.connections if c.authenticated]
    report("worker-sasl-ssl", {**{k: v for k, v in ledger.counts(30).items() if k in ("sent", "processed", "alerts_seen")},
                               "connections": len(proxy.connections), "authenticated": len(used),
                               "log_bytes": len(log_text)})
    assert used and all(c.mechanism == "SCRAM-SHA-512" and c.user == "sitrep" and
                        c.peer_cert_subject == "commonName=sitrep-worker" for c in used)
    assert not [c for c in proxy.connections if not c.authenticated and c.mechanism]
    for secret in (password, KEY_PASSWORD):
        assert secret not in log_text, "a secret is in the worker log"
        assert secret not in metrics, "a secret is on /metrics"
    assert "Authenticated as sitrep via SCRAM-SHA-512" in log_text   # the worker says how it logged in


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()
    except OSError:
        return 0, ""
