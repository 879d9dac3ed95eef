"""Train the local router from ``nodes/router_data/`` and write the model it ships with.

    python -m nodes.router_train          # or: make router-model

Training sees ``train.jsonl`` only. The regularisation strength is chosen by
cross-validation on that split; the threshold is then chosen on ``heldout.jsonl``, and
the held-out scores at that threshold are recorded in ``model.json`` so a test can check
that the shipped model still reproduces them. The label set is ``nodes.agents.INTENTS``:
a new intent needs examples in both splits before a model can be trained.
"""

from __future__ import annotations

import json
import platform
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .agents import INTENTS
from .router import (
    DATA_DIR,
    META_FILE,
    MODEL_FILE,
    Guess,
    LocalRouter,
    RouterSettings,
    decide,
    file_digest,
    follow_up_reason,
)

TRAIN_FILE = DATA_DIR / "train.jsonl"
HELDOUT_FILE = DATA_DIR / "heldout.jsonl"
FOLLOWUPS_FILE = DATA_DIR / "followups.txt"

MAX_MISROUTES = 0.03
"""The most misroutes the threshold may allow among the held-out messages decided locally."""
MARGIN = 0.015
"""How far under MAX_MISROUTES the threshold aims, because the held-out split was written
by the same hands as the training data and real messages will be harder."""
C_GRID = (3.0, 10.0, 30.0, 100.0, 300.0, 1000.0)
PROBES = 6


class DataError(ValueError):
    """The labelled data cannot be used; the message is one line."""


@dataclass(frozen=True)
class Example:
    text: str
    intent: str


def load_examples(path: Path) -> list[Example]:
    rows: list[Example] = []
    for n, line in enumerate(path.read_text("utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            text, intent = str(data["text"]).strip(), str(data["intent"])
        except (ValueError, KeyError, TypeError):
            raise DataError(f"{path.name}:{n}: expected {{'text': ..., 'intent': ...}}") from None
        if intent not in INTENTS:
            raise DataError(f"{path.name}:{n}: unknown intent {intent!r}")
        if not text:
            raise DataError(f"{path.name}:{n}: empty text")
        rows.append(Example(text, intent))
    missing = [i for i in INTENTS if not any(r.intent == i for r in rows)]
    if missing:
        raise DataError(f"{path.name} has no examples of {', '.join(missing)}")
    return rows


def load_followups(path: Path = FOLLOWUPS_FILE) -> list[str]:
    return [line.strip() for line in path.read_text("utf-8").splitlines() if line.strip()]


def normalise(text: str) -> str:
    return " ".join(text.lower().split())


def build_pipeline(c: float) -> Any:
    """Word 1-2 grams carry the topic words; character 2-5 grams within words survive the
    typos, missing spaces and part numbers ("ds18b20", "wich pin") that forums are full of."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, Pipeline

    return Pipeline(
        [
            (
                "features",
                FeatureUnion(
                    [
                        (
                            "words",
                            TfidfVectorizer(
                                ngram_range=(1, 2),
                                sublinear_tf=True,
                                token_pattern=r"(?u)\b\w+\b",
                            ),
                        ),
                        (
                            "chars",
                            TfidfVectorizer(
                                analyzer="char_wb",
                                ngram_range=(2, 5),
                                sublinear_tf=True,
                                min_df=2,
                            ),
                        ),
                    ]
                ),
            ),
            ("model", LogisticRegression(C=c, max_iter=5000)),
        ]
    )


def choose_c(train: list[Example]) -> float:
    """The strongest regularisation whose cross-validated accuracy on the training split is
    within one standard error of the best (the usual one-standard-error rule).

    Log-loss picks the weakest regularisation, whose probabilities are near 1 even for
    two-word fragments like "the display", and so can plain best accuracy when the grid's
    top scores differ by less than the folds' noise; the threshold then has nothing to
    work with."""
    from sklearn.model_selection import GridSearchCV, StratifiedKFold

    search = GridSearchCV(
        build_pipeline(1.0),
        {"model__C": list(C_GRID)},
        scoring="accuracy",
        cv=StratifiedKFold(5, shuffle=True, random_state=0),
    )
    search.fit([e.text for e in train], [e.intent for e in train])
    res = search.cv_results_
    means = [float(m) for m in res["mean_test_score"]]
    errors = [float(s) / (search.n_splits_**0.5) for s in res["std_test_score"]]
    best = max(range(len(means)), key=lambda i: means[i])
    floor = means[best] - errors[best]
    grid = [float(p["model__C"]) for p in res["params"]]
    for c, m in zip(grid, means, strict=True):
        print(f"C={c:g}: cross-validated accuracy {m:.4f}")
    return min(c for c, m in zip(grid, means, strict=True) if m >= floor)


@dataclass(frozen=True)
class Scores:
    """How the router does on a labelled split at one threshold (follow-up rule included)."""

    messages: int
    accuracy: float
    """Share of all messages whose best guess is right, whatever its confidence."""
    decided_locally: int
    misroutes: int
    """Messages decided locally with the wrong intent."""

    @property
    def share_local(self) -> float:
        return self.decided_locally / self.messages if self.messages else 0.0

    @property
    def misroute_rate(self) -> float:
        return self.misroutes / self.decided_locally if self.decided_locally else 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {
            "share_local": round(self.share_local, 4),
            "misroute_rate": round(self.misroute_rate, 4),
        }


Outcome = tuple[bool, Guess, str]
"""Per message: held back as a follow-up, the router's guess, the true intent."""


def outcomes(router: LocalRouter, rows: list[Example]) -> list[Outcome]:
    guesses = router.predict_many([r.text for r in rows])
    return [
        (follow_up_reason(r.text) is not None, g, r.intent)
        for r, g in zip(rows, guesses, strict=True)
    ]


def score(results: list[Outcome], threshold: float) -> Scores:
    """The scores ``decide`` would give at ``threshold`` under ``OHM_ROUTER=local``."""
    correct = sum(g.intent == truth for _, g, truth in results)
    local = [(g, truth) for held, g, truth in results if not held and g.confidence >= threshold]
    wrong = sum(g.intent != truth for g, truth in local)
    return Scores(len(results), round(correct / len(results), 4), len(local), wrong)


def evaluate(router: LocalRouter, rows: list[Example], threshold: float) -> Scores:
    return score(outcomes(router, rows), threshold)


def choose_threshold(router: LocalRouter, heldout: list[Example]) -> float:
    """The lowest threshold (in steps of 0.01) at which held-out misroutes among the
    messages decided locally are at most MAX_MISROUTES - MARGIN; 1.0 when none is."""
    target = MAX_MISROUTES - MARGIN
    results = outcomes(router, heldout)
    for t in (round(0.3 + 0.01 * i, 2) for i in range(70)):
        if score(results, t).misroute_rate <= target:
            return t
    return 1.0


def train(out_model: Path = MODEL_FILE, out_meta: Path = META_FILE) -> dict[str, Any]:
    import joblib
    import sklearn

    train_rows = load_examples(TRAIN_FILE)
    heldout = load_examples(HELDOUT_FILE)
    overlap = {normalise(e.text) for e in train_rows} & {normalise(e.text) for e in heldout}
    if overlap:
        raise DataError(f"{len(overlap)} message(s) are in both splits, e.g. {min(overlap)!r}")
    c = choose_c(train_rows)
    pipeline = build_pipeline(c)
    pipeline.fit([e.text for e in train_rows], [e.intent for e in train_rows])
    labels = tuple(str(x) for x in pipeline.classes_)
    router = LocalRouter(pipeline, labels)
    threshold = choose_threshold(router, heldout)
    scores = evaluate(router, heldout, threshold)
    followups = load_followups()
    probe_texts = [e.text for e in heldout[:: max(1, len(heldout) // PROBES)]][:PROBES]
    meta = {
        "sklearn_version": sklearn.__version__,
        "python": platform.python_version(),
        "labels": list(labels),
        "C": c,
        "threshold": threshold,
        "max_misroutes": MAX_MISROUTES,
        "margin": MARGIN,
        "train": {"file": TRAIN_FILE.name, "messages": len(train_rows)},
        "heldout": {
            "file": HELDOUT_FILE.name,
            "sha256": file_digest(HELDOUT_FILE),
            **scores.as_dict(),
        },
        "train_sha256": file_digest(TRAIN_FILE),
        "followups_decided_locally": sum(
            decide(t, RouterSettings("local", threshold), router).decided_by == "local"
            for t in followups
        ),
        "probes": [
            {"text": t, "probabilities": {k: round(v, 9) for k, v in p.items()}}
            for t, p in zip(probe_texts, router.probabilities(probe_texts), strict=True)
        ],
    }
    joblib.dump(pipeline, out_model, compress=3)
    out_meta.write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", "utf-8")
    return meta


def main() -> int:
    try:
        meta = train()
    except (DataError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    h = meta["heldout"]
    print(
        f"C={meta['C']} threshold={meta['threshold']}: held-out {h['messages']} messages, "
        f"accuracy {h['accuracy']:.1%}, decided locally {h['share_local']:.1%}, "
        f"misroutes among them {h['misroute_rate']:.1%} ({h['misroutes']}); "
        f"follow-ups decided locally: {meta['followups_decided_locally']}"
    )
    print(f"wrote {MODEL_FILE} and {META_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
