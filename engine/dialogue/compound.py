"""One question that asks two or three things of the same finding, answered part by part.

"Which lobe is it in, and how does it relate to the hilum and the pleura?", "A1多大，在
哪个叶?": each property asked (its size, its place, its relation to the hilum or the
pleura, its margin ...) is read as its own question, the words of the other properties
blanked, and answered in the order asked, each answer with its own first line. Only
properties with an answer of their own are split, only when every part reads as that
property of the same subject; anything else is read whole, as before.
"""

from __future__ import annotations

import re
from dataclasses import replace

from engine.dialogue.clauses import blank
from engine.dialogue.query_records import Query
from engine.intents import IntentKind
from ontology import RegionKind
from ontology.phrases import Phrases, load_phrases

# A property asked: the phrase table that names it, and the intent and attribute that
# answer it alone (None: the whole question's own, for a relation).
_PROPERTIES: dict[str, tuple[str, IntentKind, str | None]] = {
    "size": ("attribute_size", IntentKind.MEASUREMENT, "size"),
    "location": ("attribute_location", IntentKind.LOCATION, "location"),
    "hilum": ("hilum", IntentKind.RELATION, None),
    "pleura": ("relation_pleura", IntentKind.RELATION, None),
    "margin": ("attribute_margin", IntentKind.DESCRIBE, "margin"),
    "calcification": ("attribute_calcification", IntentKind.DESCRIBE, "calcification"),
    "density": ("attribute_density", IntentKind.DESCRIBE, "density"),
    "shape": ("attribute_shape", IntentKind.DESCRIBE, "shape"),
}
# The hilum or the pleura is a property asked only with a relation said ("how does it
# relate to", "how far from", "touching"); "the lesion near the right hilum" is a place.
_RELATION_WORDS = ("intent_relation", "attribute_distance", "attribute_connection")
# ... nor when a place is put around it ("右肺门附近那个结节", "the one near the hilum")
_AROUND = re.compile(
    r"附近|周围|旁边|周边|一带|(?<![a-z])(?:near|nearby|around|next to|beside)(?![a-z])",
    re.IGNORECASE,
)
_RELATIONS = ("hilum", "pleura")
# Clauses: split at punctuation; "the hilum and the pleura" stay one clause.
_CLAUSE = re.compile(r"[,，;；?？。!！:：]")
# Readings of the whole that are about one finding's properties: a question that asks
# for a list, a comparison, a screening or a refusal is read whole.
_OF_ONE = frozenset(
    {
        IntentKind.MEASUREMENT,
        IntentKind.LOCATION,
        IntentKind.RELATION,
        IntentKind.DESCRIBE,
    }
)


def asked_properties(text: str, phrases: Phrases) -> list[str]:
    """The properties a question names, in the order it names them.

    Read clause by clause: a clause that relates the finding to the hilum or the pleura
    asks that relation (its "cm" or "measure" is the distance's unit, "the mass
    abutting the pleura" a subject described); any other clause asks each property it
    names, a margin word beside a shape word being the shape's ("oval or lobulated").
    """
    asked: list[str] = []
    for clause in _CLAUSE.split(text):
        for name in _clause_properties(clause, phrases):
            if name not in asked:
                asked.append(name)
    return asked


def _clause_properties(clause: str, phrases: Phrases) -> list[str]:
    lowered = clause.lower()
    found = []
    for name, (table, _, _) in _PROPERTIES.items():
        said = phrases.cue(table).find(clause)
        if said is not None:
            at = lowered.find(said.lower())
            found.append((at if at >= 0 else len(clause), name))
    names = [name for _, name in sorted(found)]
    related = any(phrases.cue(t).find(clause) for t in _RELATION_WORDS)
    relations = [n for n in names if n in _RELATIONS]
    if relations and related and not _AROUND.search(clause):
        return relations
    names = [n for n in names if n not in _RELATIONS]
    if "size" in names and not phrases.cue("attribute_size").find(
        blank(clause, ("unit_mm", "unit_cm"), phrases)
    ):
        names.remove("size")  # "..., in mm": the unit of what else is asked
    if "shape" in names and "margin" in names:
        names.remove(max(("shape", "margin"), key=names.index))
    return names


def compound_parts(query: Query) -> list[Query]:
    """The parts of a question that asks several properties of one finding, in order.

    Each part is the question with its subject as read (anchors, place, "it") and one
    property asked, the words of the others blanked. Empty when the question asks one
    property, or is not about one finding's properties (it is then answered whole).
    """
    if query.intent not in _OF_ONE or query.instruction is not None:
        return []
    if len(query.anchors) > 1 or len(query.ordinals) > 1:
        return []  # two findings: read whole
    if query.intent is IntentKind.DESCRIBE and query.attribute is None:
        return []  # "describe A1 in full: size, margin ...": the description has each
    phrases = load_phrases()
    if query.superlative and phrases.cue(f"superlative_{query.superlative}").find(
        query.text
    ):
        return []  # a rank said ("where is the smaller one"): read whole
    # a rank only carried from the question before ("most suspicious spot?", then "how
    # big is it, and which lobe?") is the subject of "it": each property is asked of it
    asked = asked_properties(query.text, phrases)
    if len(asked) < 2:
        return []
    return [_part(query, name, asked, phrases) for name in asked]


def _part(query: Query, name: str, asked: list[str], phrases: Phrases) -> Query:
    table, intent, attribute = _PROPERTIES[name]
    others = tuple(_PROPERTIES[o][0] for o in asked if o != name)
    text = " ".join(blank(query.text, others, phrases).split())
    mentions = query.mentions
    hilum = query.hilum
    if name != "hilum":  # the hilum is no place to look in, for the other parts
        mentions = tuple(m for m in mentions if m.kind is not RegionKind.HILUM)
        hilum = None
    if attribute is None:  # a relation: the distance, if one was asked, else contact
        said = _clause_of(text, table, phrases)
        asked_distance = phrases.cue("attribute_distance").find(said) is not None
        attribute = "distance" if asked_distance else "connection"
    return replace(
        query,
        text=text,
        intent=intent,
        attribute=attribute,
        mentions=mentions,
        hilum=hilum,
    )


def _clause_of(text: str, table: str, phrases: Phrases) -> str:
    """The clause that names a property, when a relation is said in it, else the text.

    "A1 离肺门多远？贴着胸膜吗？": the pleura is asked its contact, not the distance that
    the clause before asks of the hilum.
    """
    cue = phrases.cue(table)
    for clause in re.split(r"[,，;；?？。!！]", text):
        if cue.find(clause) and any(
            phrases.cue(t).find(clause) for t in _RELATION_WORDS
        ):
            return clause
    return text


__all__ = ["asked_properties", "compound_parts"]
