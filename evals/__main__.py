"""`python -m evals`: run the scenarios and simulated-customer tasks and report; `make eval` is
the offline gate.

    python -m evals                      offline model, whole suite, gate on evals/thresholds.yaml
    python -m evals --only quick         a tag, category or id (repeatable)
    python -m evals --live --model claude-sonnet-5-5 --concurrency 4
    python -m evals --trials 3           every case three times: pass^1, pass^2, pass^3
    python -m evals --only task          the simulated-customer tasks only (or `scenario`)
    python -m evals --baseline evals/results/results-offline.json
    python -m evals --write-baseline     record the offline run as evals/baseline-offline.json

Writes evals/results/results-<mode>.json, report-<mode>.md and report-<mode>.html. Exits 1 when
a threshold is missed (offline always; live only for thresholds listed under `live:`) or, offline,
when a scenario that passes in the baseline (evals/baseline-offline.json unless --baseline is
given) fails; 2 when it cannot run at all.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from tqdm import tqdm

import config
import llm
import settings
from evals import report, runner, suite
from evals.judge import judge_with
from knowledge import KnowledgeBase, KnowledgeError

RESULTS = Path(__file__).with_name("results")


def open_knowledge(scratch: Path) -> KnowledgeBase:
    """The knowledge base in a scratch folder, caught up with kb/. It starts from a copy of the
    app's index when there is one (so nothing is embedded twice), never opens the app's own
    folder (the running app holds it) and never syncs into a shared Chroma server."""
    if settings.INDEX_DIR.exists() and not settings.CHROMA_HOST:
        shutil.copytree(
            settings.INDEX_DIR, scratch, dirs_exist_ok=True, ignore=shutil.ignore_patterns("*.lock")
        )
    kb = KnowledgeBase(index_dir=scratch)
    bar: tqdm | None = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        bar = bar or tqdm(total=total, desc="Indexing kb/", unit="chunk", leave=False)
        bar.n = done
        bar.refresh()

    kb.refresh(progress=progress)
    if bar is not None:
        bar.close()
    return kb


def config_sha() -> str:
    return hashlib.sha256(Path(config.__file__).read_bytes()).hexdigest()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m evals", description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--live", action="store_true", help="Claude (needs ANTHROPIC_API_KEY)")
    parser.add_argument("--model", help=f"the model Eva runs on (default {config.MODEL})")
    parser.add_argument("--judge-model", help=f"the judge (default {config.SIDE_MODEL})")
    parser.add_argument("--no-judge", action="store_true", help="live run without the judge")
    parser.add_argument(
        "--customer-model",
        help=f"the side model that plays the tasks' customers live (default {config.SIDE_MODEL})",
    )
    parser.add_argument("--concurrency", type=int, default=None, help="scenarios at once")
    parser.add_argument("--only", action="append", default=[], metavar="TAG")
    parser.add_argument(
        "--trials", type=int, default=1, metavar="K", help="runs of each case, for pass^1…pass^K"
    )
    parser.add_argument(
        "--baseline",
        type=Path,
        help=f"a results JSON to compare against (offline default: {report.BASELINE.name})",
    )
    parser.add_argument(
        "--write-baseline",
        action="store_true",
        help=f"record this offline run of the whole suite as {report.BASELINE.name}",
    )
    parser.add_argument("--out", type=Path, default=RESULTS, help="where results go")
    parser.add_argument(
        "--thresholds",
        type=Path,
        help="gate on this file instead of evals/thresholds.yaml (also gates an --only run)",
    )
    args = parser.parse_args(argv)

    if args.live and (not llm.api_key() or llm.connect().offline):
        print(
            "--live needs ANTHROPIC_API_KEY (in the environment or .env) and SUPPORT_MODE "
            "other than offline.",
            file=sys.stderr,
        )
        return 2
    if args.write_baseline and (args.live or args.only):
        print("--write-baseline records an offline run of the whole suite.", file=sys.stderr)
        return 2
    if args.model:
        config.MODEL = args.model
    try:
        scenarios = runner.selected(suite.load_all(), args.only)
    except suite.ScenarioError as problem:
        print(f"Scenario error: {problem}", file=sys.stderr)
        return 2
    if not scenarios:
        print(f"No scenario is tagged {', '.join(args.only)}.", file=sys.stderr)
        return 2
    if args.baseline:
        baseline = json.loads(args.baseline.read_text())
    else:
        baseline = None if args.live else report.load_baseline()
    with tempfile.TemporaryDirectory(prefix="acme-eval-index-") as scratch:
        try:
            kb = open_knowledge(Path(scratch))
        except KnowledgeError as problem:
            print(f"Knowledge base problem: {problem}", file=sys.stderr)
            return 2
        return evaluate(args, scenarios, kb, baseline)


def evaluate(
    args: argparse.Namespace,
    scenarios: list[runner.Case],
    kb: KnowledgeBase,
    baseline: dict | None,
) -> int:
    """Run, report and gate: the part of main after the set-up."""
    mode = "live" if args.live else "offline"
    judge = None
    if args.live and not args.no_judge:
        judge = judge_with(llm.connect().client, args.judge_model or config.SIDE_MODEL)
    # Offline turns are CPU work on one shared index; live ones mostly wait on the network.
    concurrency = args.concurrency or (4 if args.live else 1)
    settings = runner.Settings(
        live=args.live,
        concurrency=concurrency,
        judge=judge,
        trials=max(1, args.trials),
        simulator_model=args.customer_model or config.SIDE_MODEL,
    )
    started, clock = datetime.now(UTC), time.perf_counter()
    runs = len(scenarios) * settings.trials
    with tqdm(total=runs, desc=f"Cases ({mode})", unit="run") as bar:
        failed = 0

        def progress(result: runner.ScenarioResult) -> None:
            nonlocal failed
            failed += not result.passed
            bar.set_postfix(failed=failed, refresh=False)
            bar.update(1)

        results = runner.run(scenarios, kb, settings, progress)
    numbers = report.metrics(results)
    thresholds = report.load_thresholds(args.thresholds or report.THRESHOLDS, mode=mode)
    # A subset is not the suite the thresholds were set on: report it, gate it only on request.
    gated = bool(thresholds) and bool(args.thresholds or not args.only)
    missed = report.gate(numbers, thresholds) if gated else []
    diff = report.compare(results, baseline, whole=not args.only) if baseline else None
    # A live model varies from run to run: its regressions are reported, not gated.
    if not args.live and not args.write_baseline:
        missed += report.regressed(diff)
    if args.write_baseline and missed:
        print("Baseline not written: the run misses a threshold.", file=sys.stderr)
    elif args.write_baseline:
        report.write_baseline(results)
        print(f"Baseline written: {report.BASELINE}")
    run = {
        "mode": mode,
        "model": config.MODEL if args.live else "offline demo model",
        "judge": (args.judge_model or config.SIDE_MODEL) if judge else None,
        "customer": settings.simulator_model if args.live else "scripted (offline)",
        "started": started.isoformat(timespec="seconds"),
        "seconds": time.perf_counter() - clock,
        "only": args.only,
        "trials": settings.trials,
        "config_sha": config_sha(),
        "gated": gated,
    }
    doc = report.document(results, numbers, run, diff)
    paths = report.write(doc, missed, args.out)
    print(report.terminal(results, numbers, missed, diff, gated=gated))
    print(f"\nResults: {paths['json']}\nReport:  {paths['markdown']}, {paths['html']}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
