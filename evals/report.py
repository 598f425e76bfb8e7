"""What a run means: metrics, the gate against evals/thresholds.yaml, a baseline comparison,
and the terminal table, JSON, Markdown and HTML outputs."""

from __future__ import annotations

import html
import json
import math
from operator import attrgetter
from pathlib import Path
from statistics import median
from typing import Any

import yaml

from evals.runner import ScenarioResult

THRESHOLDS = Path(__file__).with_name("thresholds.yaml")
# Which scenarios passed in the last accepted offline run (`make eval-baseline` rewrites it).
# The offline run is deterministic, so any scenario that passed there and fails now is a real
# regression, named, even when the totals still clear their thresholds.
BASELINE = Path(__file__).with_name("baseline-offline.json")
NOT_GATED = "not gated (a subset of the suite, or no thresholds for this mode)."
TOPIC_CATEGORIES = ("off-topic", "out-of-scope", "competitors")

# name → (label, higher is better, format)
METRICS: dict[str, tuple[str, bool, str]] = {
    "pass_rate": ("Scenarios passed", True, "{:.1%}"),
    "escalation_precision": ("Escalation precision", True, "{:.2f}"),
    "escalation_recall": ("Escalation recall", True, "{:.2f}"),
    "quote_accuracy": ("Quote accuracy", True, "{:.1%}"),
    "citation_provision": ("Citation provision", True, "{:.1%}"),
    "topic_adherence": ("Topic adherence", True, "{:.1%}"),
    "pii_leaks": ("PII leaks", False, "{:.0f}"),
    "injection_successes": ("Injection successes", False, "{:.0f}"),
    "prompt_leaks": ("Prompt leaks", False, "{:.0f}"),
    "cost_per_scenario_usd": ("Cost per scenario", False, "${:.4f}"),
    "turn_latency_p50_ms": ("Turn latency p50", False, "{:.0f} ms"),
    "turn_latency_p95_ms": ("Turn latency p95", False, "{:.0f} ms"),
}


def _share(hits: int, total: int) -> float | None:
    return hits / total if total else None


def percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(share * len(ordered)) - 1)]


def metrics(results: list[ScenarioResult]) -> dict[str, float | None]:
    """The guide's success criteria, from the results."""
    expected = [r for r in results if r.escalate_expected]
    escalated = [r for r in results if r.escalated]
    right = [r for r in escalated if r.escalate_expected]
    citing = [r for r in results if r.expects_citation]
    topic = [r for r in results if r.category in TOPIC_CATEGORIES]
    latencies = [t.latency_ms for r in results for t in r.turns]
    costs = [r.cost_usd for r in results if r.cost_usd is not None]
    return {
        "scenarios": len(results),
        "pass_rate": _share(sum(r.passed for r in results), len(results)),
        "escalation_precision": _share(len(right), len(escalated)),
        "escalation_recall": _share(len(right), len(expected)),
        # Of the quotes get_quote made, in any scenario: the share that reached the customer
        # with the tool's own figure.
        "quote_accuracy": _share(
            sum(r.quotes_stated for r in results), sum(r.quotes for r in results)
        ),
        # Of the scenarios that ask for citations: the share where every one was given.
        "citation_provision": _share(sum(r.cited_all for r in citing), len(citing)),
        # Of the off-topic, out-of-scope and competitor scenarios: the share where Eva kept
        # within their limits (no forbidden phrase, tool or flag), whatever else they check.
        "topic_adherence": _share(sum(r.within_limits for r in topic), len(topic)),
        "pii_leaks": float(sum(len(r.pii_leaks) for r in results)),
        "injection_successes": float(sum(r.injection_success for r in results)),
        "prompt_leaks": float(sum(r.prompt_leak for r in results)),
        "cost_per_scenario_usd": sum(costs) / len(costs) if costs else None,
        "turn_latency_p50_ms": median(latencies) if latencies else None,
        "turn_latency_p95_ms": percentile(latencies, 0.95),
    }


def by_category(results: list[ScenarioResult]) -> dict[str, tuple[int, int]]:
    """category → (passed, total), in the order categories first appear."""
    table: dict[str, tuple[int, int]] = {}
    for r in results:
        passed, total = table.get(r.category, (0, 0))
        table[r.category] = (passed + r.passed, total + 1)
    return table


def load_thresholds(path: Path = THRESHOLDS, mode: str = "offline") -> dict[str, float]:
    if not path.exists():
        return {}
    return dict((yaml.safe_load(path.read_text()) or {}).get(mode) or {})


def gate(numbers: dict[str, float | None], thresholds: dict[str, float]) -> list[str]:
    """Each threshold the run misses, as a sentence."""
    missed = []
    for name, limit in thresholds.items():
        label, higher, form = METRICS[name]
        value = numbers.get(name)
        if value is None:
            continue
        if (value < limit) if higher else (value > limit):
            bound = "at least" if higher else "at most"
            missed.append(f"{label} {form.format(value)} (needs {bound} {form.format(limit)})")
    return missed


def load_baseline(path: Path = BASELINE) -> dict[str, Any] | None:
    return json.loads(path.read_text()) if path.exists() else None


def write_baseline(results: list[ScenarioResult], path: Path = BASELINE) -> None:
    """Each scenario's outcome, one line each and sorted by id, so a change reads as a diff."""
    rows = [
        json.dumps({"id": r.id, "passed": r.passed}) for r in sorted(results, key=attrgetter("id"))
    ]
    about = "Offline scenario outcomes that `make eval` and `make test` hold the suite to."
    body = ",\n  ".join(rows)
    path.write_text(f'{{\n "about": "{about}",\n "scenarios": [\n  {body}\n ]\n}}\n')


def regressed(diff: dict[str, list[str]] | None) -> list[str]:
    """The baseline's part of the gate, as sentences: scenarios that passed there and fail now,
    and, in a run of the whole suite, ones that passed there and did not run at all."""
    if not diff:
        return []
    out = []
    for key, what in (("regressions", "fail now"), ("not_run", "did not run")):
        if ids := diff.get(key):
            out.append(f"{len(ids)} scenario(s) pass in the baseline but {what}: {', '.join(ids)}")
    return out


def compare(
    results: list[ScenarioResult], baseline: dict[str, Any], whole: bool = True
) -> dict[str, list[str]]:
    """Scenarios that went from pass to fail (regressions) and back (improvements); for a run
    of the whole suite, also the baseline's passes that are gone (deleted or renamed)."""
    before = {s["id"]: s["passed"] for s in baseline.get("scenarios", [])}
    ran = {r.id for r in results}
    return {
        "regressions": [r.id for r in results if before.get(r.id) is True and not r.passed],
        "improvements": [r.id for r in results if before.get(r.id) is False and r.passed],
        "new": [r.id for r in results if r.id not in before],
        "not_run": [i for i, p in before.items() if p and i not in ran] if whole else [],
    }


def gate_lines(missed: list[str], diff: dict[str, list[str]] | None, gated: bool) -> list[str]:
    """The gate as every report shows it: the thresholds' verdict, then each miss."""
    thresholds = [m for m in missed if m not in regressed(diff)]
    verdict = NOT_GATED if not gated else "MISSED" if thresholds else "all met"
    return [f"Thresholds: {verdict}", *(f"✗ {m}" for m in missed)]


def document(
    results: list[ScenarioResult],
    numbers: dict[str, float | None],
    run: dict[str, Any],
    diff: dict[str, list[str]] | None,
) -> dict[str, Any]:
    return {
        "run": run,
        "metrics": numbers,
        "by_category": {k: {"passed": p, "total": t} for k, (p, t) in by_category(results).items()},
        "baseline": diff,
        "scenarios": [r.as_dict() for r in results],
    }


def fmt(name: str, value: float | None) -> str:
    return "–" if value is None else METRICS[name][2].format(value)


def terminal(
    results: list[ScenarioResult],
    numbers: dict[str, float | None],
    missed: list[str],
    diff: dict[str, list[str]] | None,
    failures_shown: int = 25,
    gated: bool = True,
) -> str:
    lines = [f"{'category':<14} {'passed':>8}   rate"]
    for category, (passed, total) in by_category(results).items():
        lines.append(f"{category:<14} {passed:>3} / {total:<3} {passed / total:>6.0%}")
    lines.append("")
    for name, (label, _, _) in METRICS.items():
        lines.append(f"{label:<24} {fmt(name, numbers.get(name)):>12}")
    failed = [r for r in results if not r.passed]
    if failed:
        lines += ["", f"Failed ({len(failed)}):"]
        for r in failed[:failures_shown]:
            lines.append(f"  {r.id}: {r.failures[0]}")
        if len(failed) > failures_shown:
            lines.append(f"  … and {len(failed) - failures_shown} more (see the JSON results)")
    if diff is not None:
        lines += ["", "Against the baseline:"]
        for key in ("regressions", "improvements"):
            lines.append(f"  {key}: {', '.join(diff[key]) or 'none'}")
        if diff["improvements"]:
            lines.append("  (`make eval-baseline` records the improvements)")
    verdict, *misses = gate_lines(missed, diff, gated)
    lines += ["", verdict, *(f"  {m}" for m in misses)]
    return "\n".join(lines)


def markdown(doc: dict[str, Any], missed: list[str]) -> str:
    run, numbers = doc["run"], doc["metrics"]
    out = [
        f"# Eval report — {run['mode']} ({run['model']})",
        "",
        f"{run['started']} · {numbers['scenarios']} scenarios · {run['seconds']:.0f} s · "
        f"config {run['config_sha'][:10]}",
        "",
        "| Metric | Value |",
        "| --- | ---: |",
    ]
    out += [
        f"| {label} | {fmt(name, numbers.get(name))} |" for name, (label, _, _) in METRICS.items()
    ]
    out += ["", "| Category | Passed | Rate |", "| --- | ---: | ---: |"]
    for category, row in doc["by_category"].items():
        rate = row["passed"] / row["total"]
        out.append(f"| {category} | {row['passed']} / {row['total']} | {rate:.0%} |")
    verdict, *misses = gate_lines(missed, doc["baseline"], doc["run"].get("gated", True))
    out += ["", "## Gate", "", verdict, "", *(f"- {m}" for m in misses)]
    if doc["baseline"] is not None:
        out += ["", "## Against the baseline", ""]
        for key in ("regressions", "improvements", "new", "not_run"):
            out.append(f"- **{key}**: {', '.join(doc['baseline'].get(key, [])) or 'none'}")
    failed = [s for s in doc["scenarios"] if not s["passed"]]
    out += ["", f"## Failed scenarios ({len(failed)})", ""]
    for s in failed:
        out.append(f"- **{s['id']}** — " + "; ".join(s["failures"]))
    judged = [s for s in doc["scenarios"] if s.get("judge")]
    if judged:
        out += ["", "## Judge", "", "| Scenario | Accuracy | Relevance | Tone | Reason |"]
        out.append("| --- | ---: | ---: | ---: | --- |")
        for s in judged:
            j = s["judge"]
            out.append(
                f"| {s['id']} | {j.get('accuracy', '–')} | {j.get('relevance', '–')} | "
                f"{j.get('tone', '–')} | {j.get('reason', '')} |"
            )
    return "\n".join(out) + "\n"


def _bars(rows: list[tuple[str, float]], unit: str, width: int = 520) -> str:
    """A horizontal bar chart as inline SVG: the report opens anywhere, with no scripts."""
    top = max((value for _, value in rows), default=1.0) or 1.0
    height = 22 * len(rows) + 10
    parts = [f'<svg width="{width + 260}" height="{height}" role="img">']
    for index, (label, value) in enumerate(rows):
        y = 5 + 22 * index
        length = width * value / top
        parts.append(
            f'<text x="150" y="{y + 14}" text-anchor="end" font-size="12">'
            f"{html.escape(label)}</text>"
            f'<rect x="160" y="{y}" width="{length:.1f}" height="16" fill="#4c78a8"/>'
            f'<text x="{165 + length:.1f}" y="{y + 13}" font-size="11">{value:.0f}{unit}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def html_report(doc: dict[str, Any], missed: list[str]) -> str:
    categories = [(k, 100 * v["passed"] / v["total"]) for k, v in doc["by_category"].items()]
    latency = [
        (s["id"][:24], s["latency_ms"])
        for s in sorted(doc["scenarios"], key=lambda s: -s["latency_ms"])[:15]
    ]
    rows = "".join(
        f"<tr><td>{html.escape(label)}</td>"
        f"<td>{html.escape(fmt(name, doc['metrics'].get(name)))}</td></tr>"
        for name, (label, _, _) in METRICS.items()
    )
    failed = "".join(
        f"<li><b>{html.escape(s['id'])}</b>: {html.escape('; '.join(s['failures']))}</li>"
        for s in doc["scenarios"]
        if not s["passed"]
    )
    gate = gate_lines(missed, doc["baseline"], doc["run"].get("gated", True))
    gate_html = "<br>".join(html.escape(line) for line in gate)
    run = doc["run"]
    return f"""<!doctype html><meta charset="utf-8"><title>Eval report</title>
<style>body{{font-family:system-ui,sans-serif;max-width:980px;margin:2em auto}}
td{{padding:2px 12px}} li{{margin:4px 0}}</style>
<h1>Eval report — {html.escape(run["mode"])} ({html.escape(run["model"])})</h1>
<p>{html.escape(run["started"])} · {doc["metrics"]["scenarios"]} scenarios ·
{run["seconds"]:.0f} s</p>
<h2>Metrics</h2><table>{rows}</table>
<h2>Gate</h2><p>{gate_html}</p>
<h2>Pass rate by category</h2>{_bars(categories, "%")}
<h2>Slowest scenarios (ms)</h2>{_bars(latency, " ms")}
<h2>Failed scenarios</h2><ul>{failed}</ul>
"""


def write(doc: dict[str, Any], missed: list[str], folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = {
        "json": folder / f"results-{doc['run']['mode']}.json",
        "markdown": folder / f"report-{doc['run']['mode']}.md",
        "html": folder / f"report-{doc['run']['mode']}.html",
    }
    paths["json"].write_text(json.dumps(doc, indent=2, ensure_ascii=False, default=str))
    paths["markdown"].write_text(markdown(doc, missed))
    paths["html"].write_text(html_report(doc, missed))
    return paths
