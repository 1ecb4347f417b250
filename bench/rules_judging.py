"""Earning-rule judging alone, in process: the cost per event of the ten bench rules.

    .venv/bin/python bench/rules_judging.py [--events 2000] [--reps 7]

Builds the ten rules of the batch benchmark (bench/ingest.rules), 2000 of its events as the
pipeline hands them to the rules, and times what the group writer does per event with them:
which rules need their limits counted, those windows, and the judging itself with the usage
read. Prints the median (min–max) µs per event of the repetitions. The goal (issue 7) is under
30 µs per event with ten rules.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.ingest import event, rules
from earning_rules import Rule, RuleEvent, Usage, evaluate, limit_windows, parse_rule, rules_needing_usage

CONNECTOR = "con_bench"


def rule_events(count: int) -> list[RuleEvent]:
    out = []
    for n in range(count):
        raw = event(n)
        out.append(
            RuleEvent(
                connector_id=CONNECTOR,
                event_type="custom.basic",
                timestamp=datetime(2026, 11, 20, 10, 15, tzinfo=UTC),
                tags=[("channel", str(raw["channel"]))],
                counters=[("amount", raw["amount"])],  # type: ignore[list-item]
            )
        )
    return out


def judge_all(parsed: list[Rule], events: list[RuleEvent], tz: ZoneInfo) -> int:
    awarded = 0
    for rule_event in events:
        candidates = rules_needing_usage(parsed, rule_event)
        windows = [w for rule in candidates for w in limit_windows(rule, rule_event.timestamp, tz)]
        usage = {(w.rule_id, w.key): Usage(1, 10) for w in windows}
        awarded += len(evaluate(parsed, rule_event, usage, tz).awards)
    return awarded


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--reps", type=int, default=7)
    args = parser.parse_args()
    parsed = [Rule(f"rul_{i}", 1, parse_rule(body)) for i, body in enumerate(rules(CONNECTOR))]
    tz = ZoneInfo("Europe/Brussels")
    runs = []
    awarded = 0
    for _ in range(args.reps):
        events = rule_events(args.events)  # fresh events: nothing cached on them from a run before
        started = time.perf_counter()
        awarded = judge_all(parsed, events, tz)
        runs.append((time.perf_counter() - started) / args.events * 1e6)
    print(
        f"{len(parsed)} rules, {args.events} events: {statistics.median(runs):.1f} µs per event "
        f"({min(runs):.1f}–{max(runs):.1f}), {awarded / args.events:.2f} awards per event"
    )


if __name__ == "__main__":
    main()
