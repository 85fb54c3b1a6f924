"""Who did it, to whom, where: arguments of a trigger from the dependency parse.

Subject or passive agent -> actor; object, "against X", "on X", "to X" ->
recipient; "in/near/at <place>" -> location. Nouns take their possessor or
national modifier ("Russia's strikes", "Russian strikes") as actor. When the
parse gives nothing, a few type-specific fallbacks look at the clause.
"""

from __future__ import annotations

from spacy.tokens import Token

from .context import clause_head

__all__ = ["find_actor", "find_recipient", "find_location", "fallback_recipient", "fallback_location", "other_party",
           "governing_verb", "is_entity", "complement_region", "ACT_ON_TYPES", "THEME_TYPES"]

# Types whose direct object is the one acted upon; for the others it is the thing moved or given.
ACT_ON_TYPES = {"ASSAULT", "REQUEST", "THREATEN", "ACCUSE", "REJECT", "COERCE", "SANCTION"}
THEME_TYPES = {"MOBILIZE", "AID", "AGREE", "CONCEDE", "RETREAT", "PROTEST"}
_RECIPIENT_PREPS = {"against", "on", "to", "toward", "towards", "at", "upon", "with", "into", "targeting"}
_PLACE_PREPS = {"in", "near", "at", "around", "outside", "inside", "across", "along", "into", "off", "within",
                "throughout", "nearby"}
_PLACE_LABELS = {"GPE", "LOC", "FAC"}
# Verbs whose subject undergoes or opposes a noun event: "they face an attack" (they are not attacking).
_UNDERGO = {"face", "suffer", "repel", "withstand", "endure", "survive", "fear", "condemn", "deny", "denounce",
            "report", "expect", "prevent", "deter", "escape", "counter", "thwart", "resist", "reject", "criticise",
            "criticize", "warn", "investigate", "mourn", "protest", "blame", "accuse"}
_BLAME = {"blame", "accuse", "suspect", "charge", "condemn", "criticise", "criticize", "denounce", "punish",
          "sanction", "thank", "praise", "credit", "convict", "fault"}
_AGENT_NOUNS = {"troops", "forces", "soldiers", "army", "military", "militants", "rebels", "fighters", "insurgents",
                "gunmen", "militia", "police", "government", "authorities", "officials", "country", "countries",
                "allies", "leaders", "president", "minister", "aircraft", "warplanes", "jets", "drones", "navy",
                "group", "guerrillas", "separatists", "units", "coalition", "alliance", "administration"}
_REL = {"who", "which", "that", "whom"}
_SUBJ = {"nsubj", "csubj"}
_COMPLEMENT_DEPS = {"xcomp", "ccomp", "dobj", "prep", "dative", "pobj", "acomp", "attr", "oprd", "pcomp", "acl",
                    "advcl", "relcl"}


def is_entity(tok: Token, gaz) -> bool:
    """A token that names an actor: a gazetteer name or a named entity of an actor-like label."""
    if tok.ent_type_ in {"GPE", "NORP", "ORG", "PERSON"}:
        return True
    return gaz.lookup(tok.text) is not None and tok.pos_ == "PROPN"


def governing_verb(tok: Token, steps: int = 3) -> Token | None:
    """The verb a noun trigger hangs from ("launched an attack" -> launched)."""
    cur = tok
    for _ in range(steps):
        if cur.head.i == cur.i:
            return None
        if cur.dep_ not in {"dobj", "pobj", "prep", "nsubjpass", "attr", "oprd", "conj", "compound", "appos", "dative", "npadvmod"}:
            return None
        cur = cur.head
        if cur.pos_ in {"VERB", "AUX"}:
            return cur
    return None


def _subject(verb: Token) -> Token | None:
    for c in verb.children:
        if c.dep_ in _SUBJ:
            if c.lower_ in _REL and verb.dep_ == "relcl":
                return verb.head
            return c
    return None


def _verb_actor(verb: Token, depth: int = 0) -> Token | None:
    for c in verb.children:
        if c.dep_ == "agent":
            obj = next((g for g in c.children if g.dep_ == "pobj"), None)
            if obj is not None:
                return obj
    subj = _subject(verb)
    if subj is not None:
        return subj
    if any(c.dep_ == "nsubjpass" for c in verb.children):
        return None
    if depth < 3 and verb.head.i != verb.i:
        if verb.dep_ == "xcomp":
            obj = next((c for c in verb.head.children if c.dep_ in {"dobj"}), None)
            if obj is None:   # "called on Russia to withdraw"
                prep = next((c for c in verb.head.children if c.dep_ == "prep" and c.lower_ in {"on", "upon"}), None)
                obj = _pobj(prep) if prep is not None else None
            if obj is not None and verb.head.lemma_ not in {"help"}:
                return obj   # object control: "urged Putin to sign" -> Putin signs
            return _verb_actor(verb.head, depth + 1)
        if verb.dep_ in {"advcl", "conj"} and verb.head.pos_ in {"VERB", "AUX"}:
            return _verb_actor(verb.head, depth + 1)
        if verb.dep_ in {"acl", "relcl"} and verb.head.pos_ in {"NOUN", "PROPN"} and (
                verb.head.ent_type_ or verb.head.lower_ in _AGENT_NOUNS):
            return verb.head
        if verb.dep_ == "pcomp" and verb.head.lower_ in {"into", "of", "for"}:
            # "pressure Russia into accepting", "accused Russia of bombing", "blamed Kyiv for attacking"
            obj = next((c for c in verb.head.head.children if c.dep_ == "dobj"), None)
            if obj is not None:
                return obj
        if verb.dep_ == "pcomp" and verb.head.head.pos_ in {"VERB", "AUX"}:
            return _verb_actor(verb.head.head, depth + 1)
    return None


def find_actor(tok: Token, etype: str, gaz) -> Token | None:
    """Head token of the actor phrase, or None."""
    if tok.pos_ in {"NOUN", "PROPN"} and tok.dep_ not in {"ROOT"}:
        for c in tok.children:
            if c.dep_ == "poss":
                return c
        for c in tok.children:
            if c.dep_ == "prep" and c.lower_ == "by":
                obj = next((g for g in c.children if g.dep_ == "pobj"), None)
                if obj is not None:
                    return obj
        for c in tok.children:
            if c.dep_ in {"compound", "amod", "nmod"} and c.i < tok.i and is_entity(c, gaz):
                return c
        between = list(tok.children) + (list(tok.head.children) if tok.dep_ == "nsubj" else [])
        for c in between:   # "fighting between Sudan's army and the RSF"
            if c.dep_ == "prep" and c.lower_ == "between":
                obj = _pobj(c)
                if obj is not None:
                    return obj
        if etype in {"MOBILIZE", "RETREAT"}:
            for c in tok.children:
                if c.dep_ == "prep" and c.lower_ == "of":
                    obj = _pobj(c)
                    if obj is not None and gaz.resolve(obj).country:
                        return obj
        if tok.dep_ == "pobj" and tok.head.lower_ in {"for", "of"} and tok.head.head.pos_ == "VERB":
            obj = next((c for c in tok.head.head.children if c.dep_ == "dobj"), None)
            if obj is not None and tok.head.head.lemma_.lower() in _BLAME:
                return obj   # "blamed Israel for the bombing"
        verb = governing_verb(tok)
        if verb is not None and verb.lemma_.lower() not in _UNDERGO:
            return _verb_actor(verb)
        if tok.dep_ in {"nsubj", "nsubjpass"}:
            return None
        return None
    head = clause_head(tok) if tok.pos_ not in {"VERB"} else tok
    return _verb_actor(head)


def _pobj(prep: Token) -> Token | None:
    return next((g for g in prep.children if g.dep_ == "pobj"), None)


def _theme_owner(theme: Token, gaz) -> Token | None:
    """The national modifier of a theme ("two Russian diplomats" -> Russian)."""
    for c in theme.children:
        if c.dep_ in {"amod", "compound", "poss", "nmod"} and is_entity(c, gaz):
            return c
    for c in theme.children:
        if c.dep_ == "prep" and c.lower_ in {"of", "from"}:
            obj = _pobj(c)
            if obj is not None and is_entity(obj, gaz):
                return obj
    return None


def find_recipient(tok: Token, etype: str, gaz, military_words: frozenset[str]) -> Token | None:
    verbish = tok.pos_ in {"VERB", "AUX", "ADJ"} or tok.dep_ == "ROOT"
    head = clause_head(tok) if tok.pos_ != "VERB" else tok
    node = head if verbish else tok
    if verbish:
        for c in node.children:
            if c.dep_ == "nsubjpass" and etype in ACT_ON_TYPES and c.lower_ not in _REL:
                return c
        for c in node.children:
            if c.dep_ == "dative" or (c.dep_ == "dobj" and etype in {"AID"} and is_entity(c, gaz)):
                return c
        for c in node.children:
            if c.dep_ == "dobj":
                if c.lower_ in _REL and node.dep_ == "relcl":
                    return node.head
                if etype in {"CONCEDE"} and not is_entity(c, gaz):
                    owner = _theme_owner(c, gaz)   # "released three Israeli hostages" -> Israel
                    if owner is not None:
                        return owner
                if etype in ACT_ON_TYPES and c.lemma_.lower() not in military_words:
                    if etype == "SANCTION" and not is_entity(c, gaz):
                        owner = _theme_owner(c, gaz)
                        if owner is not None:
                            return owner
                        continue
                    return c
                if is_entity(c, gaz) and c.lemma_.lower() not in military_words:
                    return c
    for c in node.children:
        if c.dep_ == "prep" and c.lower_ in _RECIPIENT_PREPS:
            obj = _pobj(c)
            if obj is not None and (is_entity(obj, gaz) or etype in {"ASSAULT", "THREATEN", "ACCUSE"}
                                    and obj.pos_ in {"NOUN", "PROPN"}):
                if c.lower_ == "into" and etype in {"MOBILIZE", "ASSAULT"}:
                    continue
                return obj
    if not verbish:
        for c in tok.children:
            if c.dep_ == "prep" and c.lower_ == "between":
                obj = _pobj(c)
                conj = next((g for g in obj.children if g.dep_ == "conj"), None) if obj is not None else None
                if conj is not None:
                    return conj
    if not verbish and etype == "ASSAULT":
        for c in tok.children:
            if c.dep_ == "prep" and c.lower_ == "of":
                obj = _pobj(c)
                if obj is not None:
                    return obj
    if verbish and etype == "THREATEN":   # "threatened to ... if the United States imposed sanctions"
        for c in node.children:
            if c.dep_ in {"xcomp", "ccomp"}:
                for g in c.children:
                    if g.dep_ == "advcl" and any(m.lower_ in {"if", "unless"} for m in g.children):
                        subj = _subject(g)
                        if subj is not None and is_entity(subj, gaz):
                            return subj
    if verbish and etype in {"REQUEST", "THREATEN"}:
        for c in node.children:
            if c.dep_ in {"ccomp", "xcomp"}:
                subj = _subject(c)
                if subj is not None and subj.lower_ not in {"i", "we", "it"}:
                    return subj
    return None


def fallback_recipient(tok: Token, actor_code: str | None, gaz) -> Token | None:
    """First named actor after the trigger in its clause that is not the actor itself."""
    head = clause_head(tok)
    for t in sorted(head.subtree, key=lambda x: x.i):
        if t.i <= tok.i or not is_entity(t, gaz):
            continue
        entry = gaz.lookup(t.text)
        if entry is not None and entry.code and entry.code != actor_code:
            return t
    return None


def find_location(tok: Token, gaz) -> Token | None:
    """A place governed by in/near/at... on the trigger or its clause verb."""
    head = clause_head(tok)
    for node in (tok, head):
        for c in node.children:
            if c.dep_ == "prep" and c.lower_ in _PLACE_PREPS:
                obj = _pobj(c)
                if obj is None:
                    continue
                for t in [obj, *(g for g in obj.children if g.dep_ in {"compound", "poss", "amod", "nmod"})]:
                    if t.ent_type_ in _PLACE_LABELS:
                        entry = gaz.lookup(t.text)
                        if entry is None or entry.kind in {"place", "capital", "state"}:
                            return obj
    return None


def fallback_location(tok: Token, gaz, exclude: set[int]) -> Token | None:
    """For fighting and buildups: the nearest place after in/near/at anywhere in the sentence."""
    best = None
    for t in tok.sent:
        if t.i in exclude or t.ent_type_ not in _PLACE_LABELS:
            continue
        entry = gaz.lookup(t.text)
        if entry is not None and entry.kind not in {"place", "capital", "state"}:
            continue
        prev = t.doc[t.i - 1] if t.i > t.sent.start else None
        governed = t.head.lower_ in _PLACE_PREPS or (prev is not None and prev.lower_ in _PLACE_PREPS) or \
            t.head.head.lower_ in _PLACE_PREPS
        if governed and (best is None or abs(t.i - tok.i) < abs(best.i - tok.i)):
            best = t
    while best is not None and best.dep_ in {"poss", "compound"} and best.head.pos_ in {"NOUN", "PROPN"}:
        best = best.head   # "Russia's Kursk region" -> the region phrase
    return best


def complement_region(tok: Token) -> set[int]:
    """Token indices a governor ("urged", "threatened", "agreed to") rules over: its complements."""
    region: set[int] = set()
    head = tok
    if tok.pos_ == "ADJ" and tok.dep_ == "acomp":
        head = tok
    for c in head.children:
        if c.dep_ in _COMPLEMENT_DEPS:
            region.update(t.i for t in c.subtree)
    region.discard(tok.i)
    return region


def other_party(tok: Token, actor: Token | None, gaz, joint: bool = False) -> Token | None:
    """A recipient the object slots miss: for a two-sided act (``joint``), the second of two
    coordinated actors ("Israel and Hamas agreed"; but "the US and the EU imposed sanctions" are
    two actors, not actor and target); or the neighbour in "the border with Ukraine"."""
    if joint and actor is not None:
        conj = next((c for c in actor.children if c.dep_ == "conj" and is_entity(c, gaz)), None)
        if conj is not None:
            return conj
    head = clause_head(tok)
    for t in (*tok.subtree, *head.subtree):
        if t.lemma_.lower() in {"border", "frontier", "boundary"}:
            for c in t.children:
                if c.dep_ == "prep" and c.lower_ in {"with", "of"}:
                    obj = _pobj(c)
                    if obj is not None and is_entity(obj, gaz):
                        return obj
    return None
