"""Forms of a question that decide its intent or attribute (issue #12, round 17).

Each rule is a form, shown on phrasings of its own: a size adjective after "how much"
or misspelt asks the size.
"""

import pytest

from engine.intents import IntentKind
from ontology import load_vocabulary
from tests.engine.conftest import read_after as read


@pytest.fixture(scope="module")
def vocabulary():
    return load_vocabulary()


@pytest.mark.parametrize(
    "turns",
    [
        ("A4 is how much big",),
        ("how much large is the mass on the right",),
        ("list the nodules", "third one how much wide?"),
        ("how lagre is A2",),
        ("how lrage is the biggest nodule",),
    ],
)
def test_a_size_adjective_after_how_much_or_misspelt_asks_the_size(vocabulary, turns):
    query = read(vocabulary, *turns)
    assert query.intent is IntentKind.MEASUREMENT
    assert query.attribute == "size"


def test_how_much_before_a_comparative_still_compares(vocabulary):
    query = read(vocabulary, "how much bigger is A2 than A1")
    assert query.intent is IntentKind.COMPARE
