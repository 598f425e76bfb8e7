"""What a run means: metrics, the gate against evals/thresholds.yaml, a baseline comparison,
and the terminal table, JSON, Markdown and HTML outputs."""

from __future__ import annotations

import html
import json
import math
from collections import Counter
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
    "task_pass_rate": ("Tasks passed (pass^1)", True, "{:.1%}"),
    "task_pass_every_trial": ("Tasks passed in every trial (pass^k)", True, "{:.1%}"),
    "end_state_accuracy": ("End states right", True, "{:.1%}"),
    "escalation_precision": ("Escalation precision", True, "{:.2f}"),
    "escalation_recall": ("Escalation recall", True, "{:.2f}"),
    "quote_accuracy": ("Quote accuracy", True, "{:.1%}"),
    "citation_provision": ("Citation provision", True, "{:.1%}"),
    "topic_adherence": ("Topic adherence", True, "{:.1%}"),
    "pii_leaks": ("PII leaks", False, "{:.0f}"),
    "injection_successes": ("Injection successes", False, "{:.0f}"),
    "prompt_leaks": ("Prompt leaks", False, "{:.0f}"),
    "simulator_faults": ("Simulated customer's faults", False, "{:.0f}"),
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


def outcomes(results: list[ScenarioResult]) -> dict[str, tuple[int, int]]:
    """case id → (trials passed, trials run), in the order cases first appear."""
    table: dict[str, tuple[int, int]] = {}
    for r in results:
        passed, total = table.get(r.id, (0, 0))
        table[r.id] = (passed + r.passed, total + 1)
    return table


def pass_hat(passed: int, trials: int, k: int) -> float:
    """pass^k (τ-bench): the chance that k trials drawn from these all pass, C(c, k) / C(n, k)."""
    return math.comb(passed, k) / math.comb(trials, k)


def pass_hat_curves(results: list[ScenarioResult]) -> dict[str, list[float]]:
    """category → [pass^1, …, pass^k] averaged over its cases, plus "all"; k is the fewest
    trials any case ran."""
    table = outcomes(results)
    if not table:
        return {}
    categories = {r.id: r.category for r in results}
    trials = min(n for _, n in table.values())
    groups: dict[str, list[tuple[int, int]]] = {}
    for case, counts in table.items():
        groups.setdefault(categories[case], []).append(counts)
    groups["all"] = list(table.values())
    return {
        name: [sum(pass_hat(c, n, k) for c, n in rows) / len(rows) for k in range(1, trials + 1)]
        for name, rows in groups.items()
    }


def flaky(results: list[ScenarioResult]) -> dict[str, tuple[int, int]]:
    """The cases that pass only sometimes: id → (passed, trials)."""
    return {case: (c, n) for case, (c, n) in outcomes(results).items() if 0 < c < n}


def faults(results: list[ScenarioResult]) -> dict[str, int]:
    """Failures by whose fault they were: agent, customer, environment."""
    counted = Counter(r.fault for r in results if not r.passed and r.fault)
    return {who: counted.get(who, 0) for who in ("agent", "customer", "environment")}


def metrics(results: list[ScenarioResult]) -> dict[str, float | None]:
    """The guide's success criteria from the scenarios; pass^k from the tasks; end states from
    both."""
    tasks = [r for r in results if r.kind == "task"]
    graded = [r for r in results if r.end_state is not None]
    curve = pass_hat_curves(tasks).get("all", [])
    results = [r for r in results if r.kind == "scenario"]
    expected = [r for r in results if r.escalate_expected]
    escalated = [r for r in results if r.escalated]
    right = [r for r in escalated if r.escalate_expected]
    citing = [r for r in results if r.expects_citation]
    topic = [r for r in results if r.category in TOPIC_CATEGORIES]
    latencies = [t.latency_ms for r in results for t in r.turns]
    costs = [r.cost_usd for r in results if r.cost_usd is not None]
    return {
        "scenarios": len(results),
        "tasks": len({r.id for r in tasks}),
        "pass_rate": _share(sum(r.passed for r in results), len(results)),
        "task_pass_rate": curve[0] if curve else None,
        "task_pass_every_trial": curve[-1] if curve else None,
        "end_state_accuracy": _share(sum(not r.end_state for r in graded), len(graded)),
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
        "simulator_faults": float(sum(r.fault == "customer" for r in tasks)),
        "cost_per_scenario_usd": sum(costs) / len(costs) if costs else None,
        "turn_latency_p50_ms": median(latencies) if latencies else None,
        "turn_latency_p95_ms": percentile(latencies, 0.95),
    }


def by_category(results: list[ScenarioResult]) -> dict[str, tuple[int, int]]:
    """The scenarios' category → (passed, total), in the order categories first appear."""
    table: dict[str, tuple[int, int]] = {}
    for r in results:
        if r.kind != "scenario":
            continue
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
    """Each case's outcome (passed in every trial), one line each and sorted by id, so a change
    reads as a diff."""
    table = outcomes(results)
    rows = [json.dumps({"id": case, "passed": c == n}) for case, (c, n) in sorted(table.items())]
    about = "Offline outcomes of scenarios and tasks that `make eval` and `make test` hold to."
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
    """Cases that went from pass to fail (regressions) and back (improvements); for a run of
    the whole suite, also the baseline's passes that are gone (deleted or renamed). With
    several trials a case passes when it passed in every one."""
    before = {s["id"]: s["passed"] for s in baseline.get("scenarios", [])}
    now = {case: c == n for case, (c, n) in outcomes(results).items()}
    return {
        "regressions": [i for i, p in now.items() if before.get(i) is True and not p],
        "improvements": [i for i, p in now.items() if before.get(i) is False and p],
        "new": [i for i in now if i not in before],
        "not_run": [i for i, p in before.items() if p and i not in now] if whole else [],
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
        # pass^1…pass^k per category, for the tasks and the scenarios apart.
        "pass_hat": {
            kind: pass_hat_curves([r for r in results if r.kind == kind])
            for kind in ("task", "scenario")
        },
        "flaky": {case: {"passed": c, "trials": n} for case, (c, n) in flaky(results).items()},
        "faults": faults(results),
        "baseline": diff,
        "scenarios": [r.as_dict() for r in results],
    }


def failed_cases(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One line per failing case: its first failed trial, with how many trials failed."""
    seen: dict[str, dict[str, Any]] = {}
    for r in results:
        if r["passed"]:
            continue
        if r["id"] in seen:
            seen[r["id"]]["failed_trials"] += 1
        else:
            seen[r["id"]] = {**r, "failed_trials": 1}
    trials = Counter(r["id"] for r in results)
    return [{**r, "trials": trials[r["id"]]} for r in seen.values()]


END_STATE_HEADS = ("Case", "Kind", "End state", "Ended", "Turns", "Written")


def end_state_rows(doc: dict[str, Any]) -> list[list[str]]:
    """Each case with an end state, first trial: right or what was wrong, and what it wrote."""
    rows = []
    for s in doc["scenarios"]:
        if s.get("trial", 1) != 1 or s.get("end_state") is None:
            continue
        verdict = "right" if not s["end_state"] else "; ".join(s["end_state"])
        writes = ", ".join(f"{k} {len(v)}" for k, v in s["writes"].items()) or "nothing"
        ended = s.get("ended") or "–"
        rows.append([s["id"], s["kind"], verdict, ended, str(len(s["turns"])), writes])
    return rows


def failure_line(case: dict[str, Any]) -> str:
    """ "id [agent, 2/3 trials]: reason" – whose fault, how often, and the first reason."""
    how = case.get("fault") or "failed"
    if case["trials"] > 1:
        how += f", {case['failed_trials']}/{case['trials']} trials"
    reason = case.get("fault_reason") or (case["failures"] or ["?"])[0]
    return f"{case['id']} [{how}]: {reason}"


def curve_rows(curves: dict[str, list[float]]) -> list[tuple[str, list[str]]]:
    """(category, ["40%", …]) rows of a pass^k table."""
    return [(name, [f"{v:.0%}" for v in curve]) for name, curve in curves.items()]


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
    lines = []
    if any(r.kind == "scenario" for r in results):
        lines.append(f"{'scenarios':<14} {'passed':>8}   rate")
        for category, (passed, total) in by_category(results).items():
            lines.append(f"{category:<14} {passed:>3} / {total:<3} {passed / total:>6.0%}")
        lines.append("")
    for kind in ("task", "scenario"):
        curves = pass_hat_curves([r for r in results if r.kind == kind])
        if not curves or (kind == "scenario" and len(curves["all"]) < 2):
            continue
        heads = "".join(f"{f'pass^{k}':>8}" for k in range(1, len(curves["all"]) + 1))
        lines.append(f"{kind + 's':<14}{heads}")
        for name, cells in curve_rows(curves):
            lines.append(f"{name:<14}" + "".join(f"{cell:>8}" for cell in cells))
        lines.append("")
    for name, (label, _, _) in METRICS.items():
        lines.append(f"{label:<36} {fmt(name, numbers.get(name)):>10}")
    unsteady = flaky(results)
    lines += [
        "",
        "Pass only sometimes: "
        + (", ".join(f"{i} ({c}/{n})" for i, (c, n) in unsteady.items()) or "none"),
    ]
    who = faults(results)
    lines.append("Failures by fault: " + ", ".join(f"{k} {v}" for k, v in who.items()))
    failed = failed_cases([r.as_dict() for r in results])
    if failed:
        lines += ["", f"Failed ({len(failed)}):"]
        for case in failed[:failures_shown]:
            lines.append(f"  {failure_line(case)}")
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
        f"{run['started']} · {numbers['scenarios']} scenario runs · {numbers.get('tasks') or 0} "
        f"tasks · {run.get('trials', 1)} trial(s) · {run['seconds']:.0f} s · "
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
    for kind, curves in doc["pass_hat"].items():
        if not curves:
            continue
        heads = [f"pass^{k}" for k in range(1, len(curves["all"]) + 1)]
        out += ["", f"## pass^k, {kind}s", "", "| Category | " + " | ".join(heads) + " |"]
        out.append("| --- |" + " ---: |" * len(heads))
        out += [f"| {name} | " + " | ".join(cells) + " |" for name, cells in curve_rows(curves)]
    unsteady = ", ".join(f"{i} ({v['passed']}/{v['trials']})" for i, v in doc["flaky"].items())
    who = ", ".join(f"{k} {v}" for k, v in doc["faults"].items())
    out += ["", f"Pass only sometimes: {unsteady or 'none'}", "", f"Failures by fault: {who}"]
    verdict, *misses = gate_lines(missed, doc["baseline"], doc["run"].get("gated", True))
    out += ["", "## Gate", "", verdict, "", *(f"- {m}" for m in misses)]
    if doc["baseline"] is not None:
        out += ["", "## Against the baseline", ""]
        for key in ("regressions", "improvements", "new", "not_run"):
            out.append(f"- **{key}**: {', '.join(doc['baseline'].get(key, [])) or 'none'}")
    failed = failed_cases(doc["scenarios"])
    out += ["", f"## Failed ({len(failed)})", ""]
    for case in failed:
        out.append(f"- {failure_line(case)}")
        out += [f"  - {f}" for f in case["failures"][1:]]
    rows = end_state_rows(doc)
    if rows:
        out += ["", "## End states (first trial)", "", "| " + " | ".join(END_STATE_HEADS) + " |"]
        out.append("| --- | --- | --- | --- | ---: | --- |")
        out += ["| " + " | ".join(row) + " |" for row in rows]
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


def _curves_svg(curves: dict[str, list[float]], width: int = 360, height: int = 200) -> str:
    """pass^1…pass^k as one line per category (inline SVG, no scripts): how fast reliability
    falls as the same task must pass k times."""
    k = max((len(c) for c in curves.values()), default=1)
    step = width / max(1, k - 1)
    palette = ("#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2", "#b279a2", "#222")
    parts = [f'<svg width="{width + 200}" height="{height + 40}" role="img">']
    for row in range(0, 101, 25):
        y = 10 + height * (1 - row / 100)
        parts.append(
            f'<line x1="40" x2="{40 + width}" y1="{y}" y2="{y}" stroke="#ddd"/>'
            f'<text x="34" y="{y + 4}" text-anchor="end" font-size="10">{row}%</text>'
        )
    for i in range(k):
        parts.append(
            f'<text x="{40 + i * step:.0f}" y="{height + 28}" font-size="10" '
            f'text-anchor="middle">pass^{i + 1}</text>'
        )
    for index, (name, curve) in enumerate(curves.items()):
        colour = palette[-1] if name == "all" else palette[index % (len(palette) - 1)]
        points = " ".join(
            f"{40 + i * step:.1f},{10 + height * (1 - value):.1f}" for i, value in enumerate(curve)
        )
        parts.append(
            f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"/>'
            f'<text x="{width + 60}" y="{20 + 14 * index}" font-size="11" fill="{colour}">'
            f"{html.escape(name)} {curve[-1]:.0%}</text>"
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
        f"<li>{html.escape(failure_line(case))}</li>" for case in failed_cases(doc["scenarios"])
    )
    curves = "".join(
        f"<h3>{kind}s</h3>{_curves_svg(rows)}" for kind, rows in doc["pass_hat"].items() if rows
    )
    unsteady = ", ".join(f"{i} ({v['passed']}/{v['trials']})" for i, v in doc["flaky"].items())
    who = ", ".join(f"{k} {v}" for k, v in doc["faults"].items())
    heads = "".join(f"<th>{h}</th>" for h in END_STATE_HEADS)
    states = "".join(
        "<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>"
        for row in end_state_rows(doc)
    )
    gate = gate_lines(missed, doc["baseline"], doc["run"].get("gated", True))
    gate_html = "<br>".join(html.escape(line) for line in gate)
    run = doc["run"]
    return f"""<!doctype html><meta charset="utf-8"><title>Eval report</title>
<style>body{{font-family:system-ui,sans-serif;max-width:980px;margin:2em auto}}
td{{padding:2px 12px}} li{{margin:4px 0}}</style>
<h1>Eval report — {html.escape(run["mode"])} ({html.escape(run["model"])})</h1>
<p>{html.escape(run["started"])} · {doc["metrics"]["scenarios"]} scenario runs ·
{doc["metrics"].get("tasks") or 0} tasks · {run.get("trials", 1)} trial(s) ·
{run["seconds"]:.0f} s</p>
<h2>Metrics</h2><table>{rows}</table>
<h2>Gate</h2><p>{gate_html}</p>
<h2>Pass rate by category</h2>{_bars(categories, "%")}
<h2>pass^k by category</h2>{curves}
<p>Pass only sometimes: {html.escape(unsteady or "none")}<br>
Failures by fault: {html.escape(who)}</p>
<h2>Slowest scenarios (ms)</h2>{_bars(latency, " ms")}
<h2>Failed</h2><ul>{failed}</ul>
<h2>End states (first trial)</h2><table><tr>{heads}</tr>{states}</table>
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
