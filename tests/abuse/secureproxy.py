"""A TLS- and SASL-terminating proxy in front of the bundled broker, for the security tests.

The bundled broker (Tansu 0.6.0) cannot terminate TLS (``--cert`` is
accepted and ignored: the port keeps speaking plaintext) and its SASL mode
offers SCRAM only, with users that can only be created over an
authenticated connection, which a fresh in-memory broker cannot give. So
the tests put this proxy in front of it, as a Kafka cluster with TLS and
SASL would behave:

* TLS on the listening socket (server certificate from a test CA; a client
  certificate is required when ``require_client_cert``);
* the SASL handshake done here, before anything reaches the broker:
  ``SaslHandshake`` (v0/v1) and ``SaslAuthenticate`` (v0/v1) with PLAIN,
  SCRAM-SHA-256 and SCRAM-SHA-512 (RFC 5802 server side); any other request
  before authentication closes the connection, as Kafka does;
* after that, bytes are piped both ways to the broker, which advertises the
  proxy's address so clients come back through it.

``connections`` records, per accepted connection, the mechanism, user and
client certificate subject, and whether it authenticated.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import os
import ssl
import struct
import threading
from dataclasses import dataclass, field
from typing import Any

__all__ = ["SecureProxy", "Connection"]

HANDSHAKE, AUTHENTICATE, API_VERSIONS = 17, 36, 18
UNSUPPORTED_SASL_MECHANISM, ILLEGAL_SASL_STATE, SASL_AUTHENTICATION_FAILED = 33, 34, 58
MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")
HASHES = {"SCRAM-SHA-256": hashlib.sha256, "SCRAM-SHA-512": hashlib.sha512}


@dataclass
class Connection:
    peer_cert_subject: str | None = None
    mechanism: str | None = None
    user: str | None = None
    authenticated: bool = False
    refused: str | None = None
    requests_before_auth: list[int] = field(default_factory=list)


class _Scram:
    """Server side of one SCRAM exchange."""

    def __init__(self, mechanism: str, users: dict[str, str]):
        self.hash = HASHES[mechanism]
        self.users = users
        self.step = 0
        self.user: str | None = None

    def hmac(self, key: bytes, msg: bytes) -> bytes:
        return hmac.new(key, msg, self.hash).digest()

    def respond(self, data: bytes) -> tuple[bytes, bool]:
        """(bytes to send, done); raises ValueError when authentication fails."""
        text = data.decode("utf-8")
        if self.step == 0:
            if not text.startswith("n,,"):
                raise ValueError("unsupported GS2 header")
            self.client_first_bare = text[3:]
            attrs = dict(p.split("=", 1) for p in self.client_first_bare.split(","))
            self.user = attrs["n"].replace("=2C", ",").replace("=3D", "=")
            if self.user not in self.users:
                raise ValueError(f"unknown user {self.user!r}")
            self.nonce = attrs["r"] + base64.b64encode(os.urandom(18)).decode()
            self.salt = os.urandom(16)
            self.iterations = 4096
            self.server_first = f"r={self.nonce},s={base64.b64encode(self.salt).decode()},i={self.iterations}"
            self.step = 1
            return self.server_first.encode(), False
        attrs = dict(p.split("=", 1) for p in text.split(","))
        if attrs.get("r") != self.nonce:
            raise ValueError("nonce mismatch")
        without_proof = text[: text.rindex(",p=")]
        auth_message = f"{self.client_first_bare},{self.server_first},{without_proof}".encode()
        salted = hashlib.pbkdf2_hmac(self.hash().name, self.users[self.user].encode(), self.salt, self.iterations)
        client_key = self.hmac(salted, b"Client Key")
        stored_key = self.hash(client_key).digest()
        signature = self.hmac(stored_key, auth_message)
        proof = base64.b64decode(attrs["p"])
        recovered = bytes(a ^ b for a, b in zip(proof, signature))
        if self.hash(recovered).digest() != stored_key:
            raise ValueError("wrong password")
        server_signature = self.hmac(self.hmac(salted, b"Server Key"), auth_message)
        return f"v={base64.b64encode(server_signature).decode()}".encode(), True


def _string(data: bytes, pos: int) -> tuple[str | None, int]:
    (n,) = struct.unpack_from(">h", data, pos)
    pos += 2
    if n < 0:
        return None, pos
    return data[pos:pos + n].decode("utf-8"), pos + n


def _bytes(data: bytes, pos: int) -> tuple[bytes, int]:
    (n,) = struct.unpack_from(">i", data, pos)
    pos += 4
    return data[pos:pos + max(n, 0)], pos + max(n, 0)


def _enc_string(value: str | None) -> bytes:
    if value is None:
        return struct.pack(">h", -1)
    raw = value.encode("utf-8")
    return struct.pack(">h", len(raw)) + raw


class SecureProxy:
    """Runs on its own thread and event loop; ``start()`` returns once it listens."""

    def __init__(self, upstream: tuple[str, int], *, port: int, users: dict[str, str] | None = None,
                 ssl_context: ssl.SSLContext | None = None, sasl: bool = True):
        self.upstream = upstream
        self.port = port
        self.users = dict(users or {})
        self.ssl_context = ssl_context
        self.sasl = sasl
        self.connections: list[Connection] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.base_events.Server | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="secure-proxy")

    # -------------------------------------------------------------- lifecycle
    def start(self) -> "SecureProxy":
        self._thread.start()
        assert self._ready.wait(10), "proxy did not start"
        return self

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)

    def _run(self) -> None:
        self._loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(
            asyncio.start_server(self._handle, "127.0.0.1", self.port, ssl=self.ssl_context))
        self._ready.set()
        try:
            self._loop.run_forever()
        finally:
            self._server.close()
            self._loop.close()

    # -------------------------------------------------------------- one client
    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = Connection()
        self.connections.append(conn)
        sslobj = writer.get_extra_info("ssl_object")
        if sslobj is not None:
            cert = sslobj.getpeercert()
            if cert:
                conn.peer_cert_subject = ",".join(f"{k}={v}" for rdn in cert.get("subject", ()) for k, v in rdn)
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            writer.close()
            return
        try:
            if self.sasl and not await self._authenticate(conn, reader, writer, up_reader, up_writer):
                return
            conn.authenticated = True
            await asyncio.gather(self._pump(reader, up_writer), self._pump(up_reader, writer))
        except (OSError, asyncio.IncompleteReadError, ssl.SSLError):
            pass
        finally:
            for w in (writer, up_writer):
                try:
                    w.close()
                except Exception:  # noqa: BLE001
                    pass

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        finally:
            try:
                writer.close()
            except Exception:  # noqa: BLE001
                pass

    async def _authenticate(self, conn: Connection, reader, writer, up_reader, up_writer) -> bool:
        mechanism = None
        scram: _Scram | None = None
        while True:
            frame = await _read_frame(reader)
            api_key, version, correlation = struct.unpack_from(">hhi", frame, 0)
            _, pos = _string(frame, 8)  # client id
            if api_key == API_VERSIONS:  # allowed before authentication: ask the broker
                up_writer.write(struct.pack(">i", len(frame)) + frame)
                await up_writer.drain()
                writer.write(_frame(await _read_frame(up_reader)))
                await writer.drain()
                continue
            if api_key == HANDSHAKE:
                mechanism, _ = _string(frame, pos)
                conn.mechanism = mechanism
                ok = mechanism in MECHANISMS
                body = struct.pack(">h", 0 if ok else UNSUPPORTED_SASL_MECHANISM)
                body += struct.pack(">i", len(MECHANISMS)) + b"".join(_enc_string(m) for m in MECHANISMS)
                writer.write(_frame(struct.pack(">i", correlation) + body))
                await writer.drain()
                if not ok:
                    conn.refused = f"mechanism {mechanism}"
                    return False
                scram = _Scram(mechanism, self.users) if mechanism in HASHES else None
                continue
            if api_key == AUTHENTICATE and mechanism is not None:
                token, _ = _bytes(frame, pos)
                try:
                    if scram is None:  # PLAIN: authzid \0 user \0 password
                        _, user, password = token.decode("utf-8").split("\x00")
                        conn.user = user
                        if self.users.get(user) != password:
                            raise ValueError("wrong user or password")
                        reply, done = b"", True
                    else:
                        reply, done = scram.respond(token)
                        conn.user = scram.user
                except (ValueError, KeyError, UnicodeDecodeError) as exc:
                    conn.refused = str(exc)
                    await _auth_reply(writer, correlation, version, SASL_AUTHENTICATION_FAILED,
                                      f"Authentication failed: {exc}", b"")
                    return False
                await _auth_reply(writer, correlation, version, 0, None, reply)
                if done:
                    return True
                continue
            conn.requests_before_auth.append(api_key)
            conn.refused = f"api {api_key} before authentication"
            return False


async def _read_frame(reader: asyncio.StreamReader) -> bytes:
    (size,) = struct.unpack(">i", await reader.readexactly(4))
    return await reader.readexactly(size)


def _frame(payload: bytes) -> bytes:
    return struct.pack(">i", len(payload)) + payload


async def _auth_reply(writer: Any, correlation: int, version: int, error: int, message: str | None,
                      token: bytes) -> None:
    body = struct.pack(">h", error) + _enc_string(message) + struct.pack(">i", len(token)) + token
    if version >= 1:
        body += struct.pack(">q", 0)  # session lifetime: none
    writer.write(_frame(struct.pack(">i", correlation) + body))
    await writer.drain()
