"""Reactions: what a rule does besides awarding points, each time it awards.

    "reactions": [{"badge": "bdg_early_bird"}, {"webhook": "we_3f9c…"}]

- `badge`: grant the badge to the member (a badge that is not repeatable is granted once: the
  rule still awards, and the trace says the member already had it);
- `reward`: issue that reward from the catalog, free (if it is available, in stock and within
  its per-member limit; otherwise the trace says why not);
- `webhook`: send a `rule.reacted` message to that endpoint (whatever kinds it subscribes to).

A rule needs points (`reward`), reactions, or both. The ids are checked against the badges and
endpoints that exist when the rule is saved (api/rules.py); here only the shape is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from earning_rules import validate as v

REACTION_KINDS = ("badge", "reward", "webhook")
MAX_REACTIONS = 20


@dataclass(frozen=True)
class Reaction:
    kind: Literal["badge", "reward", "webhook"]
    target: str  # the badge's, the reward's or the endpoint's id


def parse_reactions(data: Any, path: str = "reactions") -> tuple[Reaction, ...]:
    if data is None:
        return ()
    if not isinstance(data, list):
        v.fail(path, f'{v.show(data)} must be a list such as [{{"badge": "bdg_…"}}]')
    if len(data) > MAX_REACTIONS:
        v.fail(path, f"{len(data)} reactions is more than {MAX_REACTIONS}")
    found: list[Reaction] = []
    for i, item in enumerate(data):
        item_path = v.join(path, i)
        if not isinstance(item, dict):
            v.fail(item_path, f"{v.show(item)} must be an object with one of {', '.join(REACTION_KINDS)}")
        kind = v.one_of_keys(item, item_path, REACTION_KINDS)
        v.obj(item, item_path, (kind,))
        target = v.string(item[kind], v.join(item_path, kind), max_len=40)
        reaction = Reaction(kind, target)  # type: ignore[arg-type]  # one of REACTION_KINDS
        if reaction in found:
            v.fail(item_path, f"{v.show(item)} is listed twice")
        found.append(reaction)
    return tuple(found)


def reactions_to_json(reactions: tuple[Reaction, ...]) -> list[dict[str, str]]:
    return [{r.kind: r.target} for r in reactions]
