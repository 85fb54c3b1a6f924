"""Per-event cost of routing with 10 rules versus 1,000 rules (target: at most +10%).

The benchmark lives in ``stream.bench.rules`` so that ``sitrep bench`` runs it
too (``sitrep bench --rules-only`` runs only it). Run: python benchmarks/rules_bench.py [--events N]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from stream.bench.rules import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
