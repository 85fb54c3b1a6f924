import pytest

from stream.alerting.errors import Problems
from stream.alerting.fields import EventView
from stream.alerting.predicates import Compiler, MacroDef

from alerting_helpers import make_event, problems_of


def compile_cond(cond, lists=None, macros=None):
    p = Problems("r.yaml")
    c = Compiler(lists or {}, {k: MacroDef(k, v, None) for k, v in (macros or {}).items()}, p)
    node = c.compile(cond, None)
    return node, p


def holds(cond, event, **kw):
    node, p = compile_cond(cond, **kw)
    assert node is not None, [str(x) for x in p.items]
    return node.test(EventView(event))


EV = make_event("ASSAULT", actor="RUS", recipient="UKR", mode="missile", confidence=0.8,
                text="Russian missiles struck Kyiv overnight", context={"reported": True})


@pytest.mark.parametrize("cond,expected", [
    ({"type": "ASSAULT"}, True),
    ({"type": "MOBILIZE"}, False),
    ({"type": {"eq": "ASSAULT"}}, True),
    ({"actor.country": ["BLR", "RUS"]}, True),
    ({"actor.country": {"in": ["BLR"]}}, False),
    ({"actor.country": {"not_in": ["BLR"]}}, True),
    ({"actor.country": {"not_in": ["RUS"]}}, False),
    ({"text": {"contains": "MISSILES"}}, True),
    ({"text": {"contains": ["drone", "struck kyiv"]}}, True),
    ({"text": {"contains": "drone"}}, False),
    ({"text": {"matches": "^Russian .* Kyiv"}}, True),
    ({"text": {"matches": "(?i)^russian"}}, True),
    ({"text": {"matches": "^russian"}}, False),
    ({"confidence": {"gt": 0.7}}, True),
    ({"confidence": {"gte": 0.8}}, True),
    ({"confidence": {"lt": 0.8}}, False),
    ({"confidence": {"lte": 0.8, "gt": 0.5}}, True),
    ({"location.country": {"exists": False}}, True),
    ({"recipient.country": {"exists": True}}, True),
    ({"context.reported": True}, True),
    ({"context.negated": True}, False),
    ({"article.source": "reuters"}, True),
    ({"source": "reuters"}, True),
    ({"dyad": "RUS-UKR"}, True),
    ({"evidence.0.sentence": {"exists": True}}, False),
])
def test_operators(cond, expected):
    assert holds(cond, EV) is expected


def test_missing_fields_fail_positive_tests_and_pass_not_in():
    ev = make_event("ASSAULT", actor=None)
    assert holds({"actor.country": "RUS"}, ev) is False
    assert holds({"actor.country": {"contains": "R"}}, ev) is False
    assert holds({"actor.country": {"gt": 1}}, ev) is False
    assert holds({"actor.country": {"not_in": ["RUS"]}}, ev) is True
    assert holds({"actor.country": {"eq": None}}, ev) is True


def test_booleans_do_not_equal_numbers():
    assert holds({"context.negated": 0}, make_event()) is False


def test_all_any_not_and_lists_of_conditions():
    cond = {"all": [{"type": "ASSAULT"}, {"any": [{"mode": "drone"}, {"mode": "missile"}]}],
            "not": {"actor.country": "UKR"}}
    assert holds(cond, EV) is True
    assert holds([{"type": "ASSAULT"}, {"not": {"mode": "missile"}}], EV) is False


def test_macros_and_lists():
    macros = {"real": {"context.negated": False, "context.hypothetical": False},
              "real_assault": [{"type": "ASSAULT"}, "real"]}
    lists = {"hostile": ("RUS", "BLR")}
    assert holds({"macro": "real_assault", "actor.country": {"in": {"list": "hostile"}}}, EV,
                 macros=macros, lists=lists)
    assert holds("real_assault", EV, macros=macros)
    assert holds({"macro": ["real", "real_assault"]}, EV, macros=macros)
    assert holds({"actor.country": {"in": ["UKR", {"list": "hostile"}]}}, EV, lists=lists)
    assert holds({"actor.country": {"list": "hostile"}}, EV, lists=lists)
    assert not holds("real", make_event(context={"negated": True}), macros=macros)


@pytest.mark.parametrize("cond,fragment", [
    ({"actor.country": {"equals": "RUS"}}, "unknown operator 'equals'"),
    ({"actor.country": {"inn": ["RUS"]}}, "did you mean 'in'"),
    ({"text": {"matches": "(a"}}, "invalid regular expression"),
    ({"text": {"matches": r"(a)\1"}}, "invalid regular expression"),
    ({"text": {"matches": "(?=x)"}}, "invalid regular expression"),
    ({"confidence": {"gt": "high"}}, "expects a number"),
    ({"actor.country": {"in": "RUS"}}, "expects a list"),
    ({"actor.country": {"exists": "yes"}}, "exists expects true or false"),
    ({"macro": "nope"}, "unknown macro 'nope'"),
    ({"actor.country": {"in": {"list": "nope"}}}, "unknown list 'nope'"),
    ({"any": []}, "non-empty list"),
    ({}, "empty condition"),
    (42, "a condition must be a mapping"),
    ({"eq": "x"}, "is an operator"),
    ({"actor..country": "x"}, "is not a field path"),
])
def test_errors(cond, fragment):
    node, p = compile_cond(cond)
    assert node is None
    assert any(fragment in x.message for x in p.errors), [str(x) for x in p.items]


def test_macro_cycles_are_errors():
    node, p = compile_cond("a", macros={"a": "b", "b": {"macro": "a"}})
    assert node is None and any("uses itself" in x.message for x in p.errors)


def test_pattern_length_is_limited():
    node, p = compile_cond({"text": {"matches": "a" * 2000}})
    assert node is None and any(x.code == "limit" for x in p.errors)


def test_regexes_run_in_linear_time():
    # A catastrophic pattern for a backtracking engine returns at once under RE2.
    ev = make_event(text="a" * 5000 + "!")
    assert holds({"text": {"matches": "^(a+)+$"}}, ev) is False


def test_warnings_for_unknown_fields_types_and_yaml_booleans():
    node, p = compile_cond({"type": "MOBILISE", "actor.contry": "RUS", "actor.country": False})
    assert node is not None
    codes = sorted(x.code for x in p.items)
    assert codes == ["type-mismatch", "unknown-field", "unknown-type"]
    assert any("did you mean MOBILIZE" in x.message for x in p.items)
    assert any("quote the word" in x.message for x in p.items)


def test_anchors_follow_and_or_structure():
    node, _ = compile_cond({"type": ["A", "B"], "all": [{"type": "B"}], "actor.country": "RUS"})
    assert node.anchors() == {"type": frozenset({"B"}), "actor.country": frozenset({"RUS"})}
    node, _ = compile_cond({"any": [{"type": "A", "mode": "x"}, {"type": "C"}]})
    assert node.anchors() == {"type": frozenset({"A", "C"})}
    node, _ = compile_cond({"not": {"type": "A"}})
    assert node.anchors() == {}


def test_problems_from_rule_files_carry_locations():
    problems = problems_of("rules:\n  - id: r\n    when:\n      actor.country: {in: RUS}\n")
    err = [p for p in problems if p.is_error][0]
    assert (err.file, err.line, err.column, err.rule_id) == ("rules.yaml", 4, 27, "r")
