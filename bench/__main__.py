"""`python -m bench [retrieval]`: run benchmarks, print figures, exit 1 if a target is missed."""

from __future__ import annotations

import argparse
import sys

from bench import retrieval

BENCHMARKS = {"retrieval": retrieval.main}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("names", nargs="*", help=f"any of: {', '.join(BENCHMARKS)} (all if none)")
    args = parser.parse_args(argv)
    unknown = [name for name in args.names if name not in BENCHMARKS]
    if unknown:
        parser.error(f"no benchmark called {', '.join(unknown)}")
    failed = [name for name in args.names or BENCHMARKS if BENCHMARKS[name]() != 0]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
