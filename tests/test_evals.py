"""The eval suite: its format, its scoring, the offline gate, and that a broken prompt shows."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import config
from evals import report, runner, suite
from evals.__main__ import main as eval_main
from evals.runner import TurnResult
from test_offline import without_rule

MIN_PER_CATEGORY = 8


@pytest.fixture(scope="module")
def scenarios() -> list[suite.Scenario]:
    return suite.load()


@pytest.fixture(scope="module")
def offline_run(kb) -> list[runner.ScenarioResult]:
    """The whole suite (scenarios and simulated-customer tasks) on the offline model, once for
    this module."""
    return runner.run(suite.load_all(), kb)


def write(folder: Path, body: str, name: str = "coverage.yaml") -> Path:
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(body)
    return folder


# --- The suite -------------------------------------------------------------------------------


def test_the_suite_covers_every_category_with_enough_scenarios(scenarios):
    assert len(scenarios) >= 100
    counts = {c: sum(s.category == c for s in scenarios) for c in suite.CATEGORIES}
    assert all(n >= MIN_PER_CATEGORY for n in counts.values()), counts
    assert sum(len(s.turns) > 1 for s in scenarios) >= len(scenarios) / 4, "multi-turn"
    assert sum(s.tagged("realistic") for s in scenarios) >= 20, "real customer phrasing"
    assert sum(s.escalate for s in scenarios) >= 10, "enough positives for recall"


@pytest.mark.parametrize(
    ("body", "complaint"),
    [
        ("category: nope\nscenarios: []", "unknown category"),
        (
            "category: coverage\nscenarios:\n- id: a\n  escalate: false\n  turns: [hi]\n"
            "  expect: {toolz: [get_quote]}",
            "unknown keys ['toolz']",
        ),
        (
            "category: coverage\nscenarios:\n- id: a\n  escalate: false\n  turns: [hi]\n"
            "  expect: {tools: [get_price]}",
            "no such tool ['get_price']",
        ),
        (
            "category: coverage\nscenarios:\n- id: a\n  escalate: false\n  turns:\n"
            "  - say: hi\n    expect: {contains: ['(unclosed']}",
            "bad regex",
        ),
        ("category: coverage\nscenarios:\n- id: a\n  turns: [hi]", "missing 'escalate'"),
    ],
)
def test_a_scenario_outside_the_format_is_named_not_skipped(tmp_path, body, complaint):
    with pytest.raises(suite.ScenarioError, match=re.escape(complaint)) as raised:
        suite.load(write(tmp_path / "s", body))
    assert "coverage.yaml" in str(raised.value) or "unknown category" in str(raised.value)


# --- Scoring ---------------------------------------------------------------------------------


def turn(**fields) -> TurnResult:
    return TurnResult(say=fields.pop("say", "hello"), **fields)


def checks(**fields) -> suite.Checks:
    return suite._checks(fields, "test")


def test_each_check_names_what_went_wrong():
    result = turn(
        reply="Towing is covered up to 15 miles.",
        tools=[{"name": "get_quote", "input": {"make": "Honda", "year": 2021}, "is_error": False}],
        sources=["Roadside assistance"],
        flags=["competitor"],
    )
    assert runner.check(checks(contains=["(?i)towing", r"\b15 miles"]), [result]) == []
    problems = runner.check(
        checks(
            contains=["(?i)rental car"],
            not_contains=["(?i)15 miles"],
            tools=["lookup_policy"],
            no_tools=["get_quote"],
            tool_args={"get_quote": {"make": "toyota"}},
            cites=["Deductibles"],
            language="es",
            handoff=True,
            flags=["trigger:legal"],
            no_flags=["competitor"],
        ),
        [result],
    )
    assert len(problems) == 10, problems
    assert runner.check(checks(tool_args={"get_quote": {"make": "HONDA"}}), [result]) == []
    assert runner.check(checks(no_tools=["*"]), [turn(reply="Hi")]) == []
    assert runner.check(checks(no_tools=["*"]), [result])


def test_a_card_number_anywhere_it_must_not_be_is_a_leak():
    said = turn(say="my card is 4111 1111 1111 1111", reply="Thanks")
    assert runner.pii_leaks([said], [], "") == []
    assert runner.pii_leaks([said], [b'{"text": "4111111111111111"}'], "") == [
        "card in a request to the model"
    ]
    assert runner.pii_leaks([said], [], "... 4111 1111 1111 1111 ...") == ["card in the database"]
    rewritten = turn(say=said.say, reply="Your card 4111-1111-1111-1111 is on file.")
    assert runner.pii_leaks([rewritten], [], "") == ["card in a reply"]


def test_repeating_the_prompt_is_a_leak_and_quoting_an_article_is_not():
    line = next(line for line in config.ADDITIONAL_GUARDRAILS.splitlines() if len(line) > 80)
    assert runner.prompt_leaked(f"Sure! {line.strip(' -')}")
    assert not runner.prompt_leaked("Roadside assistance covers towing to the nearest garage.")


def test_a_tool_quote_must_reach_the_customer_with_its_figure():
    data = {"monthly_premium": 96.5}
    quoted = {"name": "get_quote", "input": {}, "is_error": False, "data": data}
    assert runner.quote_figures(turn(reply="That's $96.50 a month.", tools=[quoted])) == []
    assert runner.quote_figures(turn(reply="Son 96,50 $ al mes.", tools=[quoted])) == []
    assert runner.quote_figures(turn(reply="About $90 a month.", tools=[quoted]))


def test_escalation_precision_and_recall_count_what_they_should():
    def result(expected: bool, escalated: bool) -> runner.ScenarioResult:
        return runner.ScenarioResult(
            id=f"s{expected}{escalated}",
            category="escalation",
            tags=[],
            passed=expected == escalated,
            failures=[],
            turns=[],
            escalate_expected=expected,
            escalated=escalated,
            pii_leaks=[],
            prompt_leak=False,
            injection_success=False,
            cost_usd=0.0,
            latency_ms=1.0,
        )

    numbers = report.metrics([result(True, True), result(True, False), result(False, True)])
    assert numbers["escalation_precision"] == 0.5
    assert numbers["escalation_recall"] == 0.5


# --- The offline run -------------------------------------------------------------------------


def test_the_offline_run_meets_the_thresholds_and_keeps_every_pass_of_the_baseline(offline_run):
    numbers = report.metrics(offline_run)
    thresholds = report.load_thresholds(mode="offline")
    assert set(thresholds) >= {"pass_rate", "pii_leaks", "injection_successes"}
    assert thresholds["pii_leaks"] == 0 and thresholds["injection_successes"] == 0
    baseline = report.load_baseline()
    assert baseline is not None, f"{report.BASELINE} is missing: run make eval-baseline"
    diff = report.compare(offline_run, baseline)
    missed = report.gate(numbers, thresholds) + report.regressed(diff)
    assert missed == [], report.terminal(offline_run, numbers, missed, diff)
    assert diff["new"] == [], "scenarios missing from the baseline: run make eval-baseline"


def test_a_missed_gate_is_reported_as_missed(offline_run):
    numbers = report.metrics(offline_run)
    missed = report.gate(numbers, {"pass_rate": 1.01})
    shown = report.terminal(offline_run, numbers, missed, None)
    assert "Thresholds: MISSED" in shown and "all met" not in shown
    assert f"✗ {missed[0]}" in shown


def test_the_baseline_file_round_trips_one_line_per_scenario(offline_run, tmp_path):
    path = tmp_path / "baseline.json"
    report.write_baseline(offline_run, path)
    lines = path.read_text().splitlines()
    assert sum('"id": ' in line for line in lines) == len(offline_run)
    written = report.load_baseline(path)
    assert written is not None
    diff = report.compare(offline_run, written)
    assert diff == {"regressions": [], "improvements": [], "new": [], "not_run": []}


def test_a_passing_scenario_gone_from_the_suite_fails_the_gate(offline_run):
    """Deleting or renaming a scenario that passes must not slip past the baseline."""
    baseline = {"scenarios": [{"id": r.id, "passed": r.passed} for r in offline_run]}
    gone = next(r for r in offline_run if r.passed)
    rest = [r for r in offline_run if r is not gone]
    diff = report.compare(rest, baseline)
    assert diff["not_run"] == [gone.id]
    assert report.regressed(diff) == [
        f"1 scenario(s) pass in the baseline but did not run: {gone.id}"
    ]
    shown = report.terminal(rest, report.metrics(rest), report.regressed(diff), diff)
    assert "Thresholds: all met" in shown and f"did not run: {gone.id}" in shown
    # A run of a subset (--only) leaves the others out on purpose.
    assert report.compare(rest, baseline, whole=False)["not_run"] == []


def test_removing_the_competitor_rule_fails_the_competitor_scenarios(
    scenarios, offline_run, kb, monkeypatch
):
    rivals = [s for s in scenarios if s.category == "competitors"]
    before = {r.id: r.passed for r in offline_run if r.category == "competitors"}
    monkeypatch.setattr(config, "ADDITIONAL_GUARDRAILS", without_rule("No competitors."))
    after = runner.run(rivals, kb)
    broken = [r for r in after if before[r.id] and not r.passed]
    assert len(broken) >= len(rivals) / 2, [(r.id, r.failures) for r in after]
    assert all(any("competitor" in f for f in r.failures) for r in broken)
    diff = report.compare(after, {"scenarios": [{"id": k, "passed": v} for k, v in before.items()]})
    assert set(diff["regressions"]) == {r.id for r in broken}


# One scenario that passes offline and one that does not (see evals/baseline-offline.json).
PASSES, FAILS = "escalation-asks-for-person", "coverage-roadside-tow-distance"
BOTH = ["--only", PASSES, "--only", FAILS]


def test_the_cli_writes_results_and_reports_and_gates(tmp_path, kb, capsys):
    assert eval_main([*BOTH, "--out", str(tmp_path)]) == 0, "as in the committed baseline"
    out = capsys.readouterr().out
    assert "Scenarios passed" in out and "Thresholds: not gated" in out, "a subset is not gated"
    assert "regressions: none" in out
    doc = json.loads((tmp_path / "results-offline.json").read_text())
    assert doc["metrics"]["scenarios"] == len(doc["scenarios"]) == 2
    assert {s["id"]: s["passed"] for s in doc["scenarios"]} == {PASSES: True, FAILS: False}
    assert all(s["passed"] or s["failures"] for s in doc["scenarios"])
    assert "<svg" in (tmp_path / "report-offline.html").read_text()
    assert "| Scenarios passed |" in (tmp_path / "report-offline.md").read_text()
    # A baseline in which both passed: the failure now is a regression, and it fails the run.
    everything = {"scenarios": [{"id": s["id"], "passed": True} for s in doc["scenarios"]]}
    baseline = tmp_path / "baseline.json"
    baseline.write_text(json.dumps(everything))
    assert eval_main([*BOTH, "--out", str(tmp_path), "--baseline", str(baseline)]) == 1
    assert f"pass in the baseline but fail now: {FAILS}" in capsys.readouterr().out
    again = json.loads((tmp_path / "results-offline.json").read_text())
    assert again["baseline"]["regressions"] == [FAILS]


def test_the_cli_exits_1_when_a_threshold_is_missed(tmp_path, kb, capsys):
    strict = tmp_path / "strict.yaml"
    strict.write_text("offline:\n  pass_rate: 1.01\n")
    only = ["--only", PASSES, "--out", str(tmp_path), "--thresholds", str(strict)]
    assert eval_main(only) == 1
    assert "MISSED" in capsys.readouterr().out


def test_only_a_whole_offline_run_can_become_the_baseline(capsys):
    assert eval_main(["--write-baseline", "--only", PASSES]) == 2
    assert "whole suite" in capsys.readouterr().err


def test_a_live_run_goes_through_the_sdk_and_keeps_each_judgement_with_its_reason(
    tmp_path, kb, monkeypatch
):
    """Claude and the judge are scripted over loopback: the same client path as a real run."""
    import httpx2

    from scripted import ScriptedAPI, message_json, served, text

    def side(request: httpx2.Request) -> httpx2.Response:
        body = json.loads(request.content)
        if "You grade one conversation" in str(body["system"]):
            return message_json(
                "<accuracy>4</accuracy><relevance>5</relevance><tone>5</tone>"
                "<reason>Supported by the roadside article; one figure unsourced.</reason>"
            )
        return message_json("<score>0.95</score><reason>Fine.</reason>")

    api = ScriptedAPI(*[text("Towing is included (see *Roadside assistance*).")] * 5)
    api.side = [side] * 10
    with served(api) as url:
        monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
        monkeypatch.setenv("ANTHROPIC_BASE_URL", url)
        one = next(s.id for s in suite.load() if len(s.turns) == 1 and s.category == "coverage")
        eval_main(["--live", "--only", one, "--out", str(tmp_path), "--model", config.MODEL])
    assert api.problems == []
    doc = json.loads((tmp_path / "results-live.json").read_text())
    assert doc["run"]["mode"] == "live" and doc["run"]["judge"] == config.SIDE_MODEL
    (result,) = doc["scenarios"]
    assert result["judge"]["accuracy"] == 4 and "roadside" in result["judge"]["reason"]
    assert result["turns"][0]["reply"].startswith("Towing is included")
    judged = [r for r in api.side_requests if "You grade" in str(r["system"])]
    assert "Towing is included" in judged[0]["messages"][0]["content"]


def test_a_scenario_whose_turns_all_fail_is_a_failed_result_not_a_crash(tmp_path, kb, monkeypatch):
    from scripted import ScriptedAPI, error, served

    api = ScriptedAPI(*[error(400, "invalid_request_error")] * 10)
    with served(api) as url:
        monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
        monkeypatch.setenv("ANTHROPIC_BASE_URL", url)
        one = next(s for s in suite.load() if s.category == "coverage")
        (result,) = runner.run([one], kb, runner.Settings(live=True))
    assert not result.passed
    assert any("the turn failed" in f for f in result.failures), result.failures
