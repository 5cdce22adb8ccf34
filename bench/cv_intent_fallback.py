"""Would a learned intent classifier help the rules? Grouped k-fold cross-validation on dev.jsonl.

Usage: python bench/cv_intent_fallback.py [--folds 5] [--threshold 0.6]

A multinomial naive Bayes over character n-grams (1-3) and lower-cased words, trained on
the other folds' utterances and their labelled intents, is consulted only where the rules
give up: the help menu, or a refusal of a request that names nothing the engine knows.
Folds are whole batches (an utterance id without its language and number, e.g.
"r12b-val"), so phrasings written together stay on one side of a split. Prints, per fold
and in total, intent accuracy of the rules alone and of rules plus the fallback, and how
often the fallback fired. The rules were tuned on every line of dev.jsonl, so this says
whether the fallback costs anything on dev, not how either would do on unseen wording.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.dialogue.phrasing import Utterance, load_corpus, read_in_context  # noqa: E402
from engine.intents import IntentKind  # noqa: E402
from ontology import load_vocabulary  # noqa: E402
from ontology.phrases import load_phrases  # noqa: E402

DEV = ROOT / "tests" / "engine" / "phrasing" / "dev.jsonl"


def features(text: str) -> list[str]:
    lowered = f" {text.lower()} "
    grams = [lowered[i : i + n] for n in (1, 2, 3) for i in range(len(lowered) - n + 1)]
    return grams + [f"w:{w}" for w in re.findall(r"[a-z]+", lowered)]


class NaiveBayes:
    """Multinomial naive Bayes with add-one smoothing; deterministic, no dependencies."""

    def __init__(self, examples: list[tuple[str, str]]) -> None:
        self.counts: dict[str, Counter[str]] = defaultdict(Counter)
        self.priors: Counter[str] = Counter()
        for text, label in examples:
            self.priors[label] += 1
            self.counts[label].update(features(text))
        self.vocabulary = {f for c in self.counts.values() for f in c}
        self.totals = {k: sum(c.values()) for k, c in self.counts.items()}

    def predict(self, text: str) -> tuple[str, float]:
        """The most likely label and its posterior probability."""
        n = sum(self.priors.values())
        size = len(self.vocabulary)
        scores = {}
        for label, counts in self.counts.items():
            score = math.log(self.priors[label] / n)
            for f in features(text):
                score += math.log((counts[f] + 1) / (self.totals[label] + size))
            scores[label] = score
        best = max(sorted(scores), key=scores.__getitem__)
        top = scores[best]
        total = sum(math.exp(s - top) for s in scores.values())
        return best, 1.0 / total


def batch(item: Utterance) -> str:
    return re.sub(r"-(?:en|zh|mixed)?-?[a-z]?\d+$", "", item.id)


def gives_up(item: Utterance, vocabulary) -> bool:
    """Whether the rules answer with the help menu or refuse an unknown request."""
    query, _ = read_in_context(item, vocabulary)
    if query.intent is IntentKind.HELP:
        return True
    named = load_phrases().cue("scope_off_topic").find(query.text)
    return query.refusal == "scope_off_topic" and named is None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--threshold", type=float, default=0.6)
    args = parser.parse_args()
    vocabulary = load_vocabulary()
    items = [i for i in load_corpus(DEV) if "intent" in i.expect]
    batches = sorted({batch(i) for i in items})
    fold_of = {b: n % args.folds for n, b in enumerate(batches)}
    rules = {i.id: read_in_context(i, vocabulary)[0].intent.value for i in items}
    stuck = {i.id for i in items if gives_up(i, vocabulary)}
    totals = Counter()
    print(f"{'fold':<6}{'n':>6}{'rules':>9}{'rules+NB':>10}{'fired':>7}")
    for fold in range(args.folds):
        test = [i for i in items if fold_of[batch(i)] == fold]
        model = NaiveBayes(
            [(i.text, i.expect["intent"]) for i in items if fold_of[batch(i)] != fold]
        )
        ok_rules = ok_both = fired = 0
        for item in test:
            said = rules[item.id]
            if item.id in stuck:
                label, p = model.predict(item.text)
                if p >= args.threshold and label not in ("help", "out_of_scope"):
                    said, fired = label, fired + 1
            ok_rules += rules[item.id] == item.expect["intent"]
            ok_both += said == item.expect["intent"]
        totals.update(n=len(test), rules=ok_rules, both=ok_both, fired=fired)
        n = len(test)
        print(f"{fold:<6}{n:>6}{ok_rules / n:>9.1%}{ok_both / n:>10.1%}{fired:>7}")
    n = totals["n"]
    print(
        f"{'all':<6}{n:>6}{totals['rules'] / n:>9.1%}{totals['both'] / n:>10.1%}"
        f"{totals['fired']:>7}"
    )
    print(f"utterances where the rules give up: {len(stuck)}")


if __name__ == "__main__":
    main()
