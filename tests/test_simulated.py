"""End-state grading, simulated customers and pass^k: the evals that grade what happened."""

from __future__ import annotations

import dataclasses
import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

import config
import tools
from evals import customers, endstate, report, runner, suite
from evals.__main__ import main as eval_main
from store import Store
from store.tables import Claim, Policy, Vehicle

# A customer asks about their policy, is verified, then asks for a refund within the chat's
# limit: the offline model does all of it, so the harness, the end state and the report are
# exercised for real.
REFUND_TASK = """
category: billing
tasks:
  - id: t-premium-then-refund
    language: {language}
    persona: Jordan, 41, checks every statement.
    behaviour: {behaviour}
    goal: Learn the monthly premium, then get $40 back for a duplicate charge.
    opening: {opening}
    knows:
      policy_number: ACM-100231
      date_of_birth: 1985-03-14
    then:
      - Please refund $40, the roadside add-on was charged twice.
    end_state:
      refunds: [{{policy_number: ACM-100231, amount_usd: 40, kind: refund, approved_by: null}}]
    communicate: ['\\$40', 'R-[A-Z0-9]{{6}}']
"""
ENGLISH = {"language": "en", "behaviour": "polite", "opening": "What's my monthly premium?"}


def write_tasks(folder: Path, body: str, name: str = "billing.yaml") -> Path:
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(body)
    return folder


def refund_task(tmp_path: Path, **fields: str) -> suite.Task:
    (task,) = suite.load_tasks(write_tasks(tmp_path / "tasks", REFUND_TASK.format(**fields)))
    return task


# --- End states ------------------------------------------------------------------------------


def test_a_value_matches_as_a_yaml_expectation_writes_it():
    assert endstate.matches("ACM-100231", "acm-100231")
    assert endstate.matches(date(2026, 11, 18), "2026-11-18"), "YAML reads dates as dates"
    assert endstate.matches(128.4, 128.40) and not endstate.matches(128.4, 128.41)
    assert endstate.matches("/(?i)hail/", "Hail dented the roof")
    assert not endstate.matches("/(?i)hail/", "A deer ran out")
    assert endstate.matches("*", "anything") and not endstate.matches("*", None)
    assert endstate.matches(None, None) and not endstate.matches(None, "Dana")
    assert endstate.matches({"amount_usd": 600}, {"amount_usd": 600.0, "reason": "x"})
    assert not endstate.matches(1, True), "a flag is not a count"


def test_the_end_state_names_a_missing_row_the_nearest_one_and_every_unrequested_write():
    expected = endstate.parse(
        {"claims": [{"policy_number": "ACM-1", "incident_date": date(2026, 11, 18)}]}, "t"
    )
    assert expected is not None
    wrong_date = {"claims": [{"policy_number": "ACM-1", "incident_date": "2026-11-17"}]}
    (problem,) = endstate.grade(expected, wrong_date)
    assert "no claims row" in problem and "incident_date='2026-11-17'" in problem
    extra = {
        "claims": [{"policy_number": "ACM-1", "incident_date": "2026-11-18"}],
        "refunds": [{"policy_number": "ACM-1", "amount_usd": 40.0}],
    }
    (problem,) = endstate.grade(expected, extra)
    assert problem.startswith("end state: unrequested refunds write")
    nothing = endstate.parse("nothing", "t")
    assert nothing is not None and endstate.grade(nothing, {}) == []
    assert endstate.grade(expected, {"claims": extra["claims"]}) == []


def test_two_identical_writes_where_one_is_expected_fail():
    expected = endstate.parse({"refunds": [{"amount_usd": 40}]}, "t")
    assert expected is not None
    twice = {"refunds": [{"amount_usd": 40.0}, {"amount_usd": 40.0}]}
    assert endstate.grade(expected, twice) == [
        "end state: unrequested refunds write {amount_usd=40.0}"
    ]


def test_writes_are_the_rows_added_or_changed_without_references_or_clocks(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    before = endstate.snapshot(store)
    store.add_claim("ACM-100231", date(2026, 11, 18), "weather", "Hail on the roof", "Chicago")
    store.cancel_policy(
        "ACM-101377", date(2026, 11, 30), refund_usd=Decimal("250.10"), reason="Sold the bike"
    )
    written = endstate.writes(before, endstate.snapshot(store))
    assert set(written) == {"claims", "policies", "refunds"}
    (claim,) = written["claims"]
    assert claim["policy_number"] == "ACM-100231" and claim["incident_date"] == "2026-11-18"
    assert claim["incident_type"] == "weather" and "claim_number" not in claim
    assert written["policies"] == [
        {
            "policy_number": "ACM-101377",
            "cancelled_on": "2026-11-30",
            "status": "cancelled",
            "changed": ["cancelled_on", "status"],
        }
    ]
    (refund,) = written["refunds"]
    assert refund["amount_usd"] == 250.1 and refund["kind"] == "cancellation"
    assert "reference" not in refund and "created_at" not in refund
    store.engine.dispose()


def test_a_changed_or_removed_record_of_any_kind_is_a_write_and_must_be_named(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    before = endstate.snapshot(store)
    with store.engine.begin() as connection:
        connection.execute(Claim.__table__.update().values(status="denied"))
        connection.execute(Vehicle.__table__.delete().where(Vehicle.vin == "2T3W1RFV8MW100231"))
        connection.execute(
            Policy.__table__.update()
            .where(Policy.number == "ACM-100231")
            .values(status="cancelled", cancelled_on=date(2026, 11, 30), coverage_level="liability")
        )
    written = endstate.writes(before, endstate.snapshot(store))
    store.engine.dispose()
    assert {"claim_number": "CLM-31862", "policy_number": "ACM-100231", "status": "denied",
            "changed": ["status"]} in written["claims"]  # fmt: skip
    assert written["vehicles"] == [
        {"policy_number": "ACM-100231", "vin": "2T3W1RFV8MW100231", "deleted": True}
    ]
    cancelled = endstate.parse(
        {"policies": [{"policy_number": "ACM-100231", "status": "cancelled",
                       "cancelled_on": date(2026, 11, 30)}]}, "t"
    )  # fmt: skip
    assert cancelled is not None
    problems = endstate.grade(cancelled, {"policies": written["policies"]})
    assert problems == [
        "end state: no policies row with {policy_number='ACM-100231', status='cancelled', "
        "cancelled_on='2026-11-30'} (nearest has coverage_level (changed)='liability')"
    ], "a cancellation that also rewrote the cover is not the cancellation asked for"


def test_the_most_specific_expected_row_is_matched_first():
    expected = endstate.parse(
        {"refunds": [{"policy_number": "ACM-1"}, {"policy_number": "ACM-1", "amount_usd": 142.7}]},
        "t",
    )
    assert expected is not None
    written = {"refunds": [{"policy_number": "ACM-1", "amount_usd": a} for a in (142.7, 285.4)]}
    assert endstate.grade(expected, written) == []
    assert endstate.matches("428.90", 428.9), "an amount written in quotes"


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        ({"end_state": {"payments": []}}, "no such end_state kind ['payments']"),
        ({"end_state": {"claims": [{"description": "/(unclosed/"}]}}, "bad regex"),
        ({"end_state": {"approvals": [{"params": {"change": "/[a-/"}}]}}, "bad regex"),
        ({"knows": {"shoe_size": 9}}, "no such fact ['shoe_size']"),
        ({"behaviour": "sleepy"}, "behaviour is one of"),
        ({"end_state": None}, "end_state is required"),
    ],
)
def test_a_task_outside_the_format_is_named_not_skipped(tmp_path, change, complaint):
    raw = {
        "id": "t-x",
        "language": "en",
        "persona": "p",
        "behaviour": "polite",
        "goal": "g",
        "opening": "o",
        "end_state": "nothing",
        **change,
    }
    body = json.dumps({"category": "billing", "tasks": [raw]}, default=str)
    with pytest.raises(suite.ScenarioError, match=r"billing\.yaml: t-x") as raised:
        suite.load_tasks(write_tasks(tmp_path / "tasks", body))
    assert complaint in str(raised.value)


def test_the_tasks_cover_every_category_in_several_languages_and_behaviours():
    tasks = suite.load_tasks()
    assert len(tasks) >= 40
    per_category = {c: sum(t.category == c for t in tasks) for c in suite.TASK_CATEGORIES}
    assert min(per_category.values()) >= 5, per_category
    per_language = {lang: sum(t.language == lang for t in tasks) for lang in suite.LANGUAGES}
    assert sum(n >= 5 for n in per_language.values()) >= 3, per_language
    assert {t.behaviour for t in tasks} == set(suite.BEHAVIOURS)
    assert sum(t.end_state.rows == {} for t in tasks) >= 8, "tasks where nothing may be written"
    assert sum(bool(t.end_state.rows) for t in tasks) >= 15, "tasks that must write something"
    assert sum(t.tagged("quick") for t in tasks) >= 3, "the Prompt lab's quick eval runs some"


def test_a_scenario_can_state_an_end_state_and_an_id_cannot_be_both():
    every = suite.load_all()
    assert any(isinstance(c, suite.Scenario) and c.end_state is not None for c in every)
    assert len({c.id for c in every}) == len(every)


# --- The scripted customer -------------------------------------------------------------------


def test_the_scripted_customer_answers_what_eva_asks_in_its_own_language(tmp_path):
    task = refund_task(tmp_path, language="es", behaviour="polite", opening="¿Cuánto pago?")
    customer = customers.ScriptedCustomer(task)
    assert customer.opening().text == "¿Cuánto pago?"
    said = customer.answer(config.OFFLINE_IDENTITY_ASK["en"], handed_over=False)
    assert said.text == "Número de póliza: ACM-100231. Fecha de nacimiento: 1985-03-14."
    again = customers.ScriptedCustomer(task)
    for language, ask in config.OFFLINE_IDENTITY_ASK.items():
        assert again.asked_for(ask)[:2] == ["policy_number", "date_of_birth"], language
    quoted = "Here's what the help centre says:\n\n> Could you pay for the repair yourself?"
    assert again.asked_for(quoted) == [], "a quoted article is not Eva asking"


def test_the_scripted_customer_says_what_it_does_not_know_and_agrees_or_declines(tmp_path):
    task = dataclasses.replace(refund_task(tmp_path, **ENGLISH), unknowns=("location",))
    customer = customers.ScriptedCustomer(task)
    said = customer.answer("Where did it happen? And what's your policy number?", False)
    assert said.text == "Policy number: ACM-100231. Sorry, I don't know that (Where)."
    assert customer.answer("Shall I file it now?", False).text == customers.YES["en"]
    declining = customers.ScriptedCustomer(dataclasses.replace(task, agrees=False))
    assert declining.answer("Would you like me to go ahead?", False).text == customers.NO["en"]


def test_the_scripted_customer_brings_up_its_next_request_then_stops_or_is_transferred(tmp_path):
    customer = customers.ScriptedCustomer(refund_task(tmp_path, **ENGLISH))
    report_only = "Your premium is $128.40 a month, taken from your Visa on the 1st."
    assert customer.answer(report_only, False).text.startswith("Please refund $40")
    assert customer.answer("Done: refund R-ABC234 for $40.", False) == customers.Said(None, "stop")
    fresh = customers.ScriptedCustomer(refund_task(tmp_path, **ENGLISH))
    assert fresh.answer("A colleague will join you.", True) == customers.Said(None, "transfer")


def test_the_scripted_customer_gives_facts_before_agreeing_and_corrects_a_wrong_read_back(
    tmp_path,
):
    task = dataclasses.replace(
        refund_task(tmp_path, **ENGLISH),
        agrees=False,
        knows={"policy_number": "ACM-100231", "incident_date": "18/11/2026"},
    )
    customer = customers.ScriptedCustomer(task)
    asked = "Would you like me to look up your policy? Please send your policy number."
    assert customer.answer(asked, False).text == "Policy number: ACM-100231."
    wrong = "Here's the claim:\n- Date: 1985-03-14\n- Where: Elm St\n\nShall I file it?"
    assert customer.answer(wrong, False).text == "No, that's not right. It happened on: 18/11/2026."
    right = wrong.replace("1985-03-14", "2026-11-18")
    assert customer.answer(right, False).text == customers.NO["en"], "agrees: false"
    assert customer.asked_for("How old is the car?") == [], "the car's age is not the driver's"
    assert customer.asked_for("What date should the cancellation take effect?") == [
        "effective_date"
    ]


def test_the_scripted_customer_says_what_it_wants_again_once_when_asked(tmp_path):
    task = dataclasses.replace(refund_task(tmp_path, **ENGLISH), then=())
    customer = customers.ScriptedCustomer(task)
    open_question = "You're verified. What would you like to know about it?"
    assert customer.answer(open_question, False).text == task.opening
    assert customer.answer(open_question, False) == customers.Said(None, "stop")


@pytest.mark.parametrize(
    ("message", "fault"),
    [
        ("My policy is ACM 999999.", "invented 'ACM 999999'"),
        ("It was on 2026-11-19.", "invented the date 2026-11-19"),
        ("How can I help you today?", "wrote Eva's part"),
        ("Hi, I'm Eva Martin and my number is ACM-100231.", None),
        ("It happened on 2026-11-18, as I said.", None),
        ("Le 18/11/2026, c'était le 2026-11-18 exactement.", None),
        ("Ma Mercedes A-Klasse a été rayée. Thanks!", None),
        ("Sure, CLM-88197 is the number you gave me.", None),
    ],
)
def test_the_live_customer_is_faulted_for_inventing_facts_not_for_rewriting_them(
    tmp_path, message, fault
):
    task = dataclasses.replace(
        refund_task(tmp_path, **ENGLISH),
        knows={"policy_number": "ACM-100231", "incident_date": "18/11/2026"},
    )
    found = customers.simulator_faults(task, message, ["Your claim CLM-88197 is filed."])
    assert (found == []) if fault is None else any(fault in f for f in found), found


# --- Tasks on the offline model --------------------------------------------------------------


def test_a_task_runs_to_its_end_state_the_same_way_in_every_trial(tmp_path, kb):
    task = refund_task(tmp_path, **ENGLISH)
    results = runner.run([task], kb, runner.Settings(trials=3))
    assert [r.trial for r in results] == [1, 2, 3]
    first = results[0]
    assert first.passed, first.failures
    assert first.ended == "stop" and first.end_state == [] and first.fault is None
    assert first.writes["refunds"][0]["amount_usd"] == 40.0
    said = [t.say for t in first.turns]
    assert said[0] == "What's my monthly premium?" and "ACM-100231" in said[1]

    def outcome(r: runner.ScenarioResult) -> tuple:
        return (
            r.passed,
            r.failures,
            r.writes,
            [(t.say, [c["name"] for c in t.tools]) for t in r.turns],
        )

    assert outcome(results[1]) == outcome(first) == outcome(results[2])


def test_a_refund_tool_that_records_twice_fails_the_end_state_and_is_the_agents_fault(
    tmp_path, kb, monkeypatch
):
    original = tools.BY_NAME["request_refund"]

    def twice(args, ctx):
        original.handler(args, ctx)
        return original.handler(args, ctx)

    broken = dataclasses.replace(original, handler=twice)
    monkeypatch.setitem(tools.BY_NAME, "request_refund", broken)
    (result,) = runner.run([refund_task(tmp_path, **ENGLISH)], kb)
    assert not result.passed
    (problem,) = result.end_state or ["the end state was not checked"]
    assert problem.startswith("end state: unrequested refunds write {policy_number='ACM-100231'")
    assert "amount_usd=40.0" in problem
    assert result.fault == "agent" and result.fault_reason == problem


CLAIM_TASK = """
category: claims
tasks:
  - id: t-hail-claim
    language: en
    persona: Ada, 64, retired teacher.
    behaviour: polite
    goal: Report the hail damage of 2026-11-18 and get a claim number.
    opening: A hailstorm dented my car last week and I'd like to file a claim.
    knows:
      policy_number: ACM-102964
      date_of_birth: 1962-11-05
      incident_date: 2026-11-18
      description: Hail dented the roof and the bonnet while the car was parked outside.
      location: Our driveway on Elm Street, Cambridge MA
    end_state:
      claims:
        - {policy_number: ACM-102964, incident_date: 2026-11-18, incident_type: weather,
           location: /(?i)elm street/}
    communicate: ['CLM-\\d{5}']
"""


def test_a_claim_tool_that_drops_the_incident_date_fails_the_end_state_as_the_agents_fault(
    tmp_path, kb, monkeypatch
):
    (task,) = suite.load_tasks(write_tasks(tmp_path / "tasks", CLAIM_TASK, "claims.yaml"))
    (filed,) = runner.run([task], kb)
    assert filed.passed, filed.failures
    original = tools.BY_NAME["file_claim"]

    def undated(args, ctx):
        """Files the claim on the day it was reported: the incident date is lost."""
        return original.handler({**args, "incident_date": ctx.clock().date().isoformat()}, ctx)

    monkeypatch.setitem(tools.BY_NAME, "file_claim", dataclasses.replace(original, handler=undated))
    (result,) = runner.run([task], kb)
    assert not result.passed and result.fault == "agent"
    (problem,) = result.end_state or ["the end state was not checked"]
    assert problem.startswith("end state: no claims row with {policy_number='ACM-102964'")
    assert problem.endswith("(nearest has incident_date='2026-11-23')")
    assert result.fault_reason == problem


def test_pass_hat_k_falls_with_k_for_a_task_that_passes_only_sometimes():
    assert report.pass_hat(3, 3, 3) == 1.0 and report.pass_hat(0, 3, 1) == 0.0
    assert report.pass_hat(2, 3, 1) == pytest.approx(2 / 3)
    assert report.pass_hat(2, 3, 2) == pytest.approx(1 / 3)
    assert report.pass_hat(2, 3, 3) == 0.0

    def result(case: str, passed: bool, trial: int) -> runner.ScenarioResult:
        fault = None if passed else "agent"
        return runner.ScenarioResult(
            case, "claims", [], passed, [] if passed else ["x"], [], False, False, [], False,
            False, 0.0, 0.0, kind="task", trial=trial, fault=fault,
        )  # fmt: skip

    runs = [result("a", True, 1), result("a", False, 2), result("a", True, 3)]
    runs += [result("b", True, t) for t in (1, 2, 3)]
    curves = report.pass_hat_curves(runs)
    assert curves["claims"] == pytest.approx([5 / 6, 4 / 6, 3 / 6])
    assert report.flaky(runs) == {"a": (2, 3)}
    assert report.faults(runs) == {"agent": 1, "customer": 0, "environment": 0}
    assert report.compare(runs, {"scenarios": [{"id": "a", "passed": True}]})["regressions"] == [
        "a"
    ], "a case passes only when it passes in every trial"


def test_the_cli_reports_pass_hat_k_end_states_and_faults_in_every_format(tmp_path, kb, capsys):
    folder = write_tasks(tmp_path / "tasks", REFUND_TASK.format(**ENGLISH))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(suite, "TASKS_DIR", folder)
        code = eval_main(["--only", "task", "--trials", "3", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "pass^3" in out and "Tasks passed in every trial (pass^k)" in out
    assert "Pass only sometimes: none" in out and "Failures by fault: agent 0" in out
    doc = json.loads((tmp_path / "results-offline.json").read_text())
    assert doc["pass_hat"]["task"]["billing"] == [1.0, 1.0, 1.0]
    assert doc["metrics"]["end_state_accuracy"] == 1.0 and doc["run"]["trials"] == 3
    assert "| billing | 100% | 100% | 100% |" in (tmp_path / "report-offline.md").read_text()
    assert "<polyline" in (tmp_path / "report-offline.html").read_text()


# --- Live: the side model plays the customer ---------------------------------------------------

# The simulated customer's lines, by how many times Eva has spoken (its user turns).
CUSTOMER_LINES = [
    "ACM-100231, and I was born 1985-03-14.",
    "Please refund $40, the roadside add-on was charged twice.",
    "Perfect, thank you! ###STOP###",
]


def live_api(scripts: list[list[str]] | None = None):
    """A scripted Messages API on loopback: Eva's streamed calls are answered by the offline
    model (deterministic, with tool use); the simulated customer's by a script of lines, picked
    by how many times Eva has spoken in the request itself, so trials may run at once. Each new
    conversation takes the next script (the last one stays)."""
    import httpx2

    from offline import OfflineModel
    from scripted import CONFIDENT, ScriptedAPI, message_json

    eva = OfflineModel(pace_seconds=0.0)
    queue = list(scripts or [CUSTOMER_LINES])
    current = {"lines": queue[0]}

    def side(request: httpx2.Request) -> httpx2.Response:
        body = json.loads(request.content)
        if "playing a customer of Acme" not in str(body.get("system")):
            return message_json(CONFIDENT)
        spoken = sum(m["role"] == "user" for m in body["messages"]) - 1
        if spoken == 1:
            current["lines"] = queue.pop(0) if len(queue) > 1 else queue[0]
        lines = current["lines"]
        return message_json(lines[min(spoken, len(lines)) - 1], model=config.SIDE_MODEL)

    return ScriptedAPI(*[eva.handle] * 200, side=[side] * 200)


def test_a_live_run_has_the_side_model_play_the_customer_through_the_sdk_for_k_trials(
    tmp_path, kb, monkeypatch, capsys
):
    from scripted import served

    folder = write_tasks(tmp_path / "tasks", REFUND_TASK.format(**ENGLISH))
    monkeypatch.setattr(suite, "TASKS_DIR", folder)
    api = live_api()
    with served(api) as url:
        monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
        monkeypatch.setenv("ANTHROPIC_BASE_URL", url)
        code = eval_main(["--live", "--only", "task", "--trials", "3", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert api.problems == [] and code == 0, out
    doc = json.loads((tmp_path / "results-live.json").read_text())
    assert doc["run"]["mode"] == "live" and doc["run"]["trials"] == 3
    assert doc["pass_hat"]["task"]["all"] == [1.0, 1.0, 1.0]
    runs = doc["scenarios"]
    assert [r["trial"] for r in runs] == [1, 2, 3] and all(r["ended"] == "stop" for r in runs)
    assert [t["say"] for t in runs[0]["turns"]] == [
        "What's my monthly premium?",
        *CUSTOMER_LINES[:2],
    ]
    simulated = [r for r in api.side_requests if "playing a customer" in str(r["system"])]
    assert len(simulated) == 3 * 3, "three customer lines in each of three trials"
    prompt = simulated[0]["system"]
    assert (
        "ACM-100231" in prompt and "reveal" not in prompt.lower()
    ) or "Give a fact only" in prompt
    # The customer's view swaps the roles: Eva's replies are its user turns.
    assert simulated[0]["messages"][1] == {
        "role": "assistant",
        "content": "What's my monthly premium?",
    }
    assert "confirm it's you" in simulated[0]["messages"][2]["content"]
    assert len(api.messages_requests) >= 3 * 4, "Eva's calls, tool rounds included"


def test_the_live_customer_is_faulted_for_agreeing_where_the_task_declines(tmp_path):
    task = refund_task(tmp_path, **ENGLISH)
    declining = dataclasses.replace(task, agrees=False)
    ask = "Here is the refund I'll request: $40. Shall I go ahead?"
    assert customers.wrong_answer_to_go_ahead(declining, ask, "Yes please, go ahead.") == [
        "the simulated customer agreed where the task declines"
    ]
    assert customers.wrong_answer_to_go_ahead(declining, ask, "No, leave it.") == []
    assert customers.wrong_answer_to_go_ahead(task, ask, "Nein, danke.") == [
        "the simulated customer declined where the task agrees"
    ]
    assert customers.wrong_answer_to_go_ahead(task, "Your premium is $128.40.", "No.") == []
    anything_else = "Done. Would you like me to check anything else?"
    assert customers.wrong_answer_to_go_ahead(task, anything_else, "No, that's all.") == []


def test_a_simulated_customer_that_invents_a_fact_is_rerun_then_blamed_not_eva(
    tmp_path, kb, monkeypatch
):
    from scripted import served

    task = refund_task(tmp_path, **ENGLISH)
    inventing = ["ACM-999999, born 1985-03-14.", *CUSTOMER_LINES[1:]]
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
    with served(live_api([inventing, CUSTOMER_LINES])) as url:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", url)
        (rerun,) = runner.run([task], kb, runner.Settings(live=True))
    assert rerun.passed and rerun.reruns == 1, rerun.failures
    with served(live_api([inventing])) as url:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", url)
        (blamed,) = runner.run([task], kb, runner.Settings(live=True))
    assert not blamed.passed and blamed.reruns == 1
    assert blamed.fault == "customer"
    assert "invented 'ACM-999999'" in blamed.fault_reason
