"""`make eval-determinism`: the offline suite under two numeric paths, compared outcome by outcome.

The same commit must give the same offline answers on any x86-64 machine, or a per-scenario
baseline means nothing. Two child processes each index kb/ from scratch and run every scenario:
one as this machine computes by default, one on another numeric path (a different OpenBLAS
kernel, one OpenMP thread, numpy's SIMD dispatch switched off). What software cannot switch,
the CPU maker's own approximations, is kept out of the e5 engine at build time
(knowledge.E5_FLAGS, checked in tests/test_knowledge.py). Exit 0 when every scenario's outcome is
identical (pass or fail, failures, tool calls with their inputs, sources, flags, handoffs and
the reply's words); 1, naming the scenarios, when any differs.

    python -m evals.determinism
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import settings

# Numbers and codes minted at random for each run (tickets, handoffs, refunds, new claims).
MINTED = re.compile(r"\b(?:TCK|H|R)-[A-Z2-9]{6}\b|\bCLM-\d{5}\b")


def numeric_paths() -> dict[str, dict[str, str]]:
    """The default path and one that differs from it in every way the machine allows."""
    from numpy._core._multiarray_umath import __cpu_dispatch__
    from threadpoolctl import threadpool_info

    kernels = {i.get("architecture") for i in threadpool_info() if i.get("user_api") == "blas"}
    # Sandybridge's kernels (AVX) run on every x86-64 machine of the last decade.
    other = "Haswell" if "Sandybridge" in kernels else "Sandybridge"
    return {
        "default": {},
        f"OpenBLAS {other}, 1 thread, no SIMD dispatch": {
            "OPENBLAS_CORETYPE": other,
            "OMP_NUM_THREADS": "1",
            "NPY_DISABLE_CPU_FEATURES": " ".join(__cpu_dispatch__),
        },
    }


def outcomes(index: Path) -> dict[str, Any]:
    """Every scenario's and task's outcome, from a fresh index of kb/ in `index`."""
    from evals import runner, suite
    from knowledge import KnowledgeBase

    kb = KnowledgeBase(index_dir=index)
    kb.sync()
    fixtures = (settings.PROJECT_DIR / "fixtures" / "customers.json").read_text()
    known = set(re.findall(r"CLM-\d{5}", fixtures))
    results = runner.run(suite.load_all(), kb)

    def unminted(text: str) -> str:
        return MINTED.sub(lambda m: m[0] if m[0] in known else "<minted>", text)

    return {
        r.id: {
            "passed": r.passed,
            "failures": [unminted(f) for f in r.failures],
            "writes": json.loads(unminted(json.dumps(r.writes, sort_keys=True))),
            "ended": r.ended,
            "turns": [
                {
                    "reply": unminted(t.reply),
                    "tools": [(c["name"], c["input"], c["is_error"]) for c in t.tools],
                    "sources": t.sources,
                    "flags": t.flags,
                    "handoff": t.handoff,
                }
                for t in r.turns
            ],
        }
        for r in results
    }


def main(argv: list[str]) -> int:
    if argv[:1] == ["--run"]:
        Path(argv[2]).write_text(json.dumps(outcomes(Path(argv[1]))))
        return 0
    with tempfile.TemporaryDirectory(prefix="acme-determinism-") as scratch:
        runs = {}
        for n, (name, env) in enumerate(numeric_paths().items()):
            out = Path(scratch) / f"{n}.json"
            command = [sys.executable, "-m", "evals.determinism", "--run"]
            command += [str(Path(scratch) / f"index-{n}"), str(out)]
            print(f"Indexing kb/ and running the suite: {name}", flush=True)
            subprocess.run(command, env={**os.environ, **env}, check=True)
            runs[name] = json.loads(out.read_text())
    (first, a), (second, b) = runs.items()
    differ = sorted(i for i in a if a[i] != b.get(i))
    passed = sum(o["passed"] for o in a.values())
    if differ:
        print(f"{len(differ)} of {len(a)} scenarios differ between {first!r} and {second!r}:")
        print("\n".join(f"  {i}" for i in differ))
        return 1
    print(f"All {len(a)} case outcomes identical ({passed} passed): {first!r}, {second!r}.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
