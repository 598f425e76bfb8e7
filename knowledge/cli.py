"""`python -m knowledge reindex | search "question" | engine`."""

from __future__ import annotations

import logging

from knowledge.chunks import KnowledgeError
from knowledge.embedders import exact_engine
from knowledge.index import KnowledgeBase

# ---------------------------------------------------------------------------------------------
# Command line.
# ---------------------------------------------------------------------------------------------


def models(kb: KnowledgeBase) -> str:
    return " + ".join(e.name for e in kb.embedders)


def main(argv: list[str] | None = None) -> int:
    import argparse

    from tqdm import tqdm

    parser = argparse.ArgumentParser(prog="python -m knowledge", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("reindex", help="embed new or edited kb/ chunks, drop deleted ones")
    commands.add_parser("engine", help="compile the e5 engine for exact arithmetic (make does)")
    search = commands.add_parser("search", help="show what a question retrieves")
    search.add_argument("query")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    if args.command == "engine":
        import subprocess

        try:
            print(f"e5 engine: {exact_engine()}")
        except (OSError, subprocess.CalledProcessError) as problem:
            detail = getattr(problem, "stderr", "") or problem
            print(
                f"could not compile the e5 engine (is gcc installed?): {detail}\n"
                "The app will run on the wheel's engine, whose vectors differ a little between "
                "Intel and AMD CPUs."
            )
            return 1
        return 0
    try:
        kb = KnowledgeBase()
        if args.command == "reindex":
            bars: list[tqdm] = []

            def advance(done: int, total: int) -> None:
                if not bars:
                    bars.append(tqdm(desc="Embedding kb/", unit="chunk", total=total))
                bars[0].update(done - bars[0].n)

            report = kb.sync(progress=advance)
            for bar in bars:
                bar.close()
            print(
                f"{report.chunks} chunks with {models(kb)}: {report.embedded} embedded, "
                f"{report.removed} removed, in {report.seconds:.2f} s"
            )
            return 0
        for hit in kb.search(args.query).hits():
            c = hit.chunk
            print(f"{hit.similarity:.3f}  {c.id}  ({c.title} — {c.section})")
        return 0
    except KnowledgeError as problem:
        print(f"kb/ problem: {problem}")
        return 1
