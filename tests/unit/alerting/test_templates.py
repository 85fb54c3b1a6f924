import pytest

from stream.alerting.templates import Template, TemplateError

VALUES = {("actor", "name"): None, ("actor", "text"): "the Kremlin", ("type",): "MOBILIZE",
          ("confidence",): 0.8765, ("alert", "sources"): ["ap", "bbc"], ("context", "negated"): False}


def render(source):
    return Template(source).render(lambda p: VALUES.get(p))


@pytest.mark.parametrize("source,expected", [
    ("plain text", "plain text"),
    ("{{ type }}", "MOBILIZE"),
    ("{{type}} by {{ actor.text }}", "MOBILIZE by the Kremlin"),
    ("{{ actor.name }}", ""),
    ("{{ actor.name | default('?') }}", "?"),
    ('{{ actor.name | default(actor.text) | upper }}', "THE KREMLIN"),
    ("{{ actor.text | title }}", "The Kremlin"),
    ("{{ type | lower }}", "mobilize"),
    ("{{ actor.text | truncate(6) }}", "the K…"),
    ("{{ confidence | round(2) }}", "0.88"),
    ("{{ confidence }}", "0.8765"),
    ("{{ alert.sources }}", "ap, bbc"),
    ("{{ alert.sources | join(' / ') }}", "ap / bbc"),
    ("{{ context.negated }}", "false"),
    ("{{ 'literal' }} {{ 3 }}", "literal 3"),
    ("{{ nothing.here | default(\"none\") }}", "none"),
])
def test_rendering(source, expected):
    assert render(source) == expected


@pytest.mark.parametrize("source,fragment", [
    ("{{ actor.name", "never closed"),
    ("actor }}", "without an opening"),
    ("{{ }}", "empty"),
    ("{{ actor.name | shout }}", "unknown filter 'shout'"),
    ("{{ actor.__class__.__mro__ }}", "unexpected"),
    ("{{ _private }}", "unexpected"),
    ("{{ actor.to_dict }}", None),
    ("{{ __import__('os').system('x') }}", "unexpected"),
    ("{{ actor.name('x') }}", "expected '|'"),
    ("{{ a + b }}", "unexpected"),
    ("{{ a[0] }}", "unexpected"),
    ("{{ a | default(1, 2) }}", "at most 1 argument"),
    ("{{ a | truncate('x') }}", "whole number"),
])
def test_errors_and_sandbox(source, fragment):
    if fragment is None:
        # Names that are not fields resolve against the event dict, never Python objects.
        assert render(source) == ""
        return
    with pytest.raises(TemplateError) as exc:
        Template(source)
    assert fragment in str(exc.value)


def test_length_limits():
    with pytest.raises(TemplateError):
        Template("x" * 100, max_length=50)
    t = Template("{{ actor.text }}" * 10)
    assert len(t.render(lambda p: "y" * 100, max_length=50)) == 50


def test_paths_and_unknown_paths():
    t = Template("{{ actor.nam | default(actor.text) }} {{ rule.title }} {{ evidence.0.sentence }}")
    assert t.paths == {"actor.nam", "actor.text", "rule.title", "evidence.0.sentence"}
    assert t.unknown_paths() == ["actor.nam"]
