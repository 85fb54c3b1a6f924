"""Events -> alerts: the rule language, its loader, the engine and silences.

A pure library: no Kafka, no spaCy. The app routes each event with
``Engine.route``, re-keys matches by ``Route.key`` and keeps each group's
state (returned by ``Engine.apply``) in a table. See ``rules/README.md``.
"""

from __future__ import annotations

from .engine import Engine, Outcome, Route, state_expired
from .errors import RuleError, RuleProblem
from .limits import Limits
from .loader import RuleSet, check_rules, load_rules
from .rule import Rule
from .silences import Matcher, Silence, silenced_by
from .store import ReloadResult, RuleStore

__all__ = [
    "Engine", "Outcome", "Route", "state_expired", "RuleError", "RuleProblem", "Limits", "RuleSet",
    "check_rules", "load_rules", "Rule", "Matcher", "Silence", "silenced_by", "ReloadResult", "RuleStore",
]
