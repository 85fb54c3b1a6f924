"""10,000 hostile messages for the articles topic, generated from a fixed seed.

Each message is ``(key, value, kind)``; keys are ``h-<n>`` so every message
can be found again on the dead-letter topic. The big ones come first so the
worker meets them while the small ones queue up behind.
"""

from __future__ import annotations

import json
import random
from typing import Iterator

__all__ = ["hostile_messages", "BIG_TEXT_BYTES"]

BIG_TEXT_BYTES = 50 * 1024 * 1024
COUNTRIES = ["Russia", "Ukraine", "Belarus", "Kyiv", "Moscow", "Putin", "Zelenskyy", "NATO", "Poland",
             "the United States", "China", "Iran", "Israel", "Gaza", "Kharkiv", "Sumy", "Kursk"]


def _big() -> Iterator[tuple[str, bytes]]:
    yield "text_50mb", b'{"id": "big", "text": "' + b"troops massed " * (BIG_TEXT_BYTES // 14) + b'"}'
    yield "word_x150000", json.dumps({"text": "troops " * 150_000}).encode()
    yield "tokens_100000_no_punct", json.dumps({"text": " ".join(f"word{i}" for i in range(100_000))}).encode()
    # Under the default text limit (200,000 characters): these reach the extractor.
    yield "word_x28000", json.dumps({"text": "troops " * 28_000}).encode()
    yield "tokens_30000_no_punct", json.dumps({"text": " ".join(f"w{i}" for i in range(30_000))}).encode()
    yield "entities_x20000", json.dumps({"text": ", ".join(COUNTRIES * 600) + " massed troops."}).encode()
    yield "nested_100000", b'{"text": "t", "m": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    yield "metadata_keys_5000", json.dumps({"text": "Troops massed.", "metadata": {f"k{i}": i for i in range(5000)}}).encode()
    yield "long_title", json.dumps({"text": "Troops massed.", "title": "x" * 100_000}).encode()


def _small(rng: random.Random, i: int) -> tuple[str, bytes]:
    pick = rng.random()
    if pick < 0.45:
        return "random_bytes", rng.randbytes(rng.randint(0, 2000))
    if pick < 0.55:
        body = json.dumps({"text": "Troops massed near the border " + "x" * rng.randint(0, 50)}).encode()
        cut = rng.randint(0, len(body) - 1)
        return "invalid_utf8", body[:cut] + bytes([rng.choice([0x80, 0xC3, 0xE2, 0xF0, 0xFF])]) + body[cut:]
    if pick < 0.62:
        depth = rng.choice([65, 200, 1000, 20_000])
        opener, closer = rng.choice([("[", "]"), ('{"a":', "}")])
        inner = opener * depth + "1" + closer * depth
        return "deep_json", ('{"text": "t", "m": ' + inner + "}").encode()
    if pick < 0.70:
        controls = "".join(chr(rng.randint(1, 31)) for _ in range(rng.randint(20, 300)))
        return "control_chars", json.dumps({"text": "Troops " + controls + " massed."}).encode()
    if pick < 0.76:
        value = rng.choice([None, 1, -1.5, "text", [], [{"text": "x"}], True, 1e308, "\u0000"])
        return "not_an_object", json.dumps(value).encode()
    if pick < 0.82:
        article = {"text": rng.choice(["Troops massed.", "", "   ", 42, None, ["a"], {"t": 1}])}
        for name in rng.sample(["id", "url", "title", "published_at", "language", "metadata", "schema_version"],
                               rng.randint(0, 4)):
            article[name] = rng.choice([None, 7, "x" * rng.randint(0, 5000), "fr", "2025-99-99", [], {"k": "v"},
                                        True, 99, "en-GB"])
        return "odd_fields", json.dumps(article).encode()
    if pick < 0.84:
        return "lone_surrogate", ('{"id": "s%d", "text": "Troops \\ud800 massed."}' % i).encode()
    if pick < 0.86:
        return "nul_in_text", json.dumps({"text": "Troops\u0000massed."}).encode()
    if pick < 0.88:
        return "bom_utf16", "\ufeff{\"text\": \"Troops massed.\"}".encode("utf-16")
    if pick < 0.90:
        return "empty", b""
    if pick < 0.92:
        return "date_line", json.dumps({"text": "date 2025-13-45\nRussian forces massed troops."}).encode()
    if pick < 0.96:
        words = [rng.choice(COUNTRIES + ["troops", "missiles", "struck", "said", ",", ".", "\n\n", "denied"])
                 for _ in range(rng.randint(1, 300))]
        return "word_salad", json.dumps({"text": " ".join(words)}).encode()
    text = "".join(chr(rng.choice([rng.randint(0x20, 0x7E), rng.randint(0xA0, 0x2FFF), rng.randint(0x1F300, 0x1FAFF)]))
                   for _ in range(rng.randint(1, 500)))
    return "unicode_soup", json.dumps({"text": text}, ensure_ascii=False).encode()


def hostile_messages(n: int = 10_000, seed: int = 20250318) -> list[tuple[bytes, bytes, str]]:
    rng = random.Random(seed)
    out = [(kind, value) for kind, value in _big()]
    while len(out) < n:
        out.append(_small(rng, len(out)))
    return [(f"h-{i}".encode(), value, kind) for i, (kind, value) in enumerate(out[:n])]
