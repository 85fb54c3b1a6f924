"""What governs what: governors, yields, and one event told twice in a sentence.

Governors ("urged", "threatened", "agreed to", "ready to") keep the events
they govern (context flags mark those hypothetical); ``inner_map`` can turn
the governor's type ("ready to attack" is a THREATEN) or make it yield to the
act ("agreed to extend sanctions" is the SANCTION). A participle or a noun
object of the same type retells its verb's event ("struck Kyiv, killing
three"; "endorsed the truce proposal"); a REQUEST that is another event's
purpose ("rallied to demand reforms") is that event's purpose, not a request.
"""

from __future__ import annotations

from spacy.tokens import Token

from . import arguments as args
from .candidates import Candidate, Rejection
from .gazetteer import Gazetteer
from .lexicon import Lexicon

__all__ = ["govern", "FRAMING_TYPES"]

FRAMING_TYPES = {"THREATEN", "REQUEST", "ACCUSE", "REJECT"}


def govern(cands: list[Candidate], rejected: list[Rejection], lexicon: Lexicon, gaz: Gazetteer) -> list[Candidate]:
    """Drop or convert candidates by what governs what; see the module docstring."""
    drop: set[int] = set()
    for gov in cands:
        if gov.trigger.frame not in {"governor", "must"} or id(gov) in drop:
            continue
        root = gov.governor if gov.trigger.frame == "must" else gov.span.root
        region = args.complement_region(root)
        if gov.trigger.frame == "must":
            region = {t.i for t in root.subtree} - {root.i}
            subj = next((c for c in root.children if c.dep_ in {"nsubj", "nsubjpass"}), None)
            if subj is not None:
                region -= {t.i for t in subj.subtree}
        inner = [c for c in cands if c.token.i != gov.token.i and c.span.root.i in region and id(c) not in drop
                 and c.trigger.frame != "must" and not _under_condition(c.span.root, root)]
        if not inner:
            if gov.trigger.need_complement == "inner":
                drop.add(id(gov))
                rejected.append(Rejection(gov.span.text, gov.trigger.id, "governs no event"))
            continue
        first = min(inner, key=lambda c: _distance(c.span.root, root))
        subj = next((c for c in gov.token.children if c.dep_ == "nsubj"), None)
        joint = subj is not None and any(c.dep_ == "conj" for c in subj.children)
        if gov.trigger.inner_map.get(first.type) == first.type and not joint:   # "Jordan and Britain agreed to..." stays
            drop.add(id(gov))
            first.notes.append(f"{gov.span.text!r} ({gov.type}) yields to this {first.type}")
            rejected.append(Rejection(gov.span.text, gov.trigger.id, f"yields to the {first.type} it governs"))
            continue
        gov.absorbed = inner   # governed events stay: the context flags mark them (hypothetical, negated)
        if gov.type == "ACCUSE":
            for c in inner:
                c.claimed_by = gov
        new_type = None if joint else gov.trigger.inner_map.get(first.type)   # a joint agreement stays one
        if new_type:
            gov.notes.append(f"governed {first.type} turns {gov.type} into {new_type}")
            gov.type = new_type
        if gov.type == "THREATEN" and not gov.mode:
            gov.mode = lexicon.modes.get("THREATEN", {}).get("inner", {}).get(first.type)
        if gov.type == first.type and not gov.mode:
            gov.mode = first.mode
    for a in cands:   # "staged rallies to demand reforms": the demand is the rally's purpose
        for b in cands:
            if b.type == "REQUEST" and a is not b and a.type != "REQUEST" and id(a) not in drop \
                    and b.token.dep_ in {"advcl", "xcomp", "acl"} and b.token.head.i in (a.token.i, a.span.root.i):
                drop.add(id(b))
                rejected.append(Rejection(b.span.text, b.trigger.id, f"purpose of {a.span.text!r} ({a.type})"))
    for a in cands:   # "struck Kyiv, killing three": the participle tells the same event
        for b in cands:
            if a is not b and a.type == b.type and id(a) not in drop and id(b) not in drop \
                    and b.token.dep_ in {"advcl", "acl", "xcomp"} and b.token.tag_ == "VBG" \
                    and b.token.head.i == a.token.i:
                drop.add(id(b))
                rejected.append(Rejection(b.span.text, b.trigger.id, f"same event as {a.span.text!r}"))
    for a in cands:   # "endorsed the truce proposal": one AGREE, not two
        for b in cands:
            if a is not b and a.type == b.type and id(a) not in drop and id(b) not in drop \
                    and b.token.pos_ in {"NOUN", "PROPN"} and _distance(b.token, a.token) <= 4:
                owner = next((c for c in b.token.children if c.dep_ in {"poss", "compound", "amod"}
                              and args.is_entity(c, gaz)), None)
                if owner is not None and a.recipient_hint is None:
                    a.recipient_hint = owner   # "accepted the U.S. proposal": the U.S. is the other party
                drop.add(id(b))
                rejected.append(Rejection(b.span.text, b.trigger.id, f"same event as {a.span.text!r}"))
    return [c for c in cands if id(c) not in drop]


def _distance(tok: Token, ancestor: Token) -> int:
    """Steps up from ``tok`` to ``ancestor``; 99 when it is not an ancestor."""
    n, cur = 0, tok
    while cur.i != ancestor.i and cur.head.i != cur.i and n < 20:
        cur, n = cur.head, n + 1
    return n if cur.i == ancestor.i else 99


def _under_condition(tok: Token, ancestor: Token) -> bool:
    """True if ``tok`` sits in an if/unless/because clause below ``ancestor`` ("help defend X if it is attacked")."""
    cur = tok
    while cur.i != ancestor.i and cur.head.i != cur.i:
        if cur.dep_ == "advcl" and any(c.dep_ == "mark" for c in cur.children):
            return True
        cur = cur.head
    return False
