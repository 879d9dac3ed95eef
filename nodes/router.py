"""The local router: a small trained text classifier in front of the orchestrator model.

Most messages say plainly what they want ("what parts do I need", "it keeps rebooting"),
so asking a model to classify them costs a round trip and tokens for nothing. The router
decides those in-process when it is confident and leaves the rest (and every follow-up
whose meaning depends on the last exchange) to the orchestrator model, as before.

The model is a scikit-learn pipeline trained by ``nodes/router_train.py`` from the
messages in ``nodes/router_data/`` and shipped as ``model.joblib`` beside a metadata file
that records the library version, the threshold and the held-out scores. It is loaded on
first use only, so importing the CLI or the graph does not import scikit-learn.

Settings (read on every decision, so a test or a long-running server can change them):

- ``OHM_ROUTER=local`` (default): the router decides messages it is confident about;
  follow-ups and the rest go to the orchestrator model.
- ``OHM_ROUTER=model``: the orchestrator model decides every message; the router's guess
  is computed anyway and written into the route reason, to compare the two on real use.
- ``OHM_ROUTER=off``: the router is never loaded; the orchestrator model decides every
  message exactly as it did before the router existed.
- ``OHM_ROUTER_THRESHOLD``: the lowest confidence (0 to 1) at which the router decides
  alone; default: the threshold recorded with the shipped model.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import re
import threading
import warnings
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

from langchain_core.messages import AnyMessage

from .agents import INTENT_TO_AGENT, INTENTS, ConfigError

log = logging.getLogger(__name__)

DATA_DIR = Path(__file__).parent / "router_data"
MODEL_FILE = DATA_DIR / "model.joblib"
META_FILE = DATA_DIR / "model.json"

RouterMode = Literal["off", "local", "model"]
MODES: tuple[str, ...] = ("off", "local", "model")
DEFAULT_MODE: RouterMode = "local"
PROBE_TOLERANCE = 1e-6


@dataclass(frozen=True)
class RouterSettings:
    mode: RouterMode
    threshold: float


@dataclass(frozen=True)
class Guess:
    """The router's best intent for a message, with its probability."""

    intent: str
    confidence: float


@dataclass(frozen=True)
class Decision:
    """Who decides a message: ``intent`` is set only when the router decided alone."""

    decided_by: Literal["local", "model"]
    intent: str | None
    confidence: float | None
    reason: str
    guess: Guess | None = None
    shadow: bool = False
    """True under ``OHM_ROUTER=model``: the guess is only recorded beside the model's."""


# ------------------------------------------------------------------------ settings


def router_settings(
    mode: str | None = None, threshold: float | str | None = None
) -> RouterSettings:
    """The settings in force: arguments first, then the environment, then the defaults."""
    raw_mode = (mode if mode is not None else os.environ.get("OHM_ROUTER", "")).strip().lower()
    raw_mode = raw_mode or DEFAULT_MODE
    if raw_mode not in MODES:
        raise ConfigError(f"OHM_ROUTER must be one of {', '.join(MODES)}, got {raw_mode!r}")
    if threshold is None:
        threshold = os.environ.get("OHM_ROUTER_THRESHOLD") or None
    value = _threshold(threshold) if threshold is not None else recorded_threshold()
    return RouterSettings(mode=raw_mode, threshold=value)  # type: ignore[arg-type]


def _threshold(raw: float | str) -> float:
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise ConfigError(
            f"the router threshold (OHM_ROUTER_THRESHOLD, --threshold) must be a number between 0 "
            f"and 1, got {raw!r}"
        ) from None
    if not 0.0 <= value <= 1.0:
        raise ConfigError(
            f"the router threshold (OHM_ROUTER_THRESHOLD, --threshold) must be between 0 and 1, "
            f"got {value}"
        )
    return value


def recorded_threshold() -> float:
    """The threshold chosen on the held-out split when the shipped model was trained; 1.0
    when the metadata cannot be read (the model is not loaded then either)."""
    meta = shipped_metadata()
    try:
        return float(meta["threshold"]) if meta else 1.0
    except (KeyError, TypeError, ValueError):
        return 1.0


@cache
def shipped_metadata() -> dict[str, Any] | None:
    return read_metadata(META_FILE)


def read_metadata(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


# ---------------------------------------------------------------------- follow-ups


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
# Words that carry no topic of their own: agreement, pointers back to the last exchange,
# generic verbs and glue. A message made only of these means whatever the last one meant.
_AFFIRM = _words(
    "yes yeah yep yup ya yea sure ok okay k kk alright fine great cool nice perfect good "
    "awesome agreed correct exactly right no nope nah thanks thank thx ty"
)
_POINTERS = _words(
    "it its it's that that's this these those them they one ones other others same instead "
    "too also again both either previous last above before said suggested mentioned option "
    "options first second third way version"
)
_GLUE = _words(
    "do does did done doing go goes going ahead let lets let's continue proceed next more "
    "then now please pls plz can could would will should you u we i me my your what about "
    "how why so and but or the a an to for of with in on at up all just really like as well "
    "is are be was were not sounds sound think works work if there here for yours thing "
    "stuff hmm hm um uh oh wow kind what's whats how's there's tell say show give explain "
    "elaborate expand detail details example examples another else anything something much "
    "bit little lot"
)
_FILLER = _AFFIRM | _POINTERS | _GLUE
_STRONG_POINTERS = _words(
    "it that this them those these one ones other same instead again both too"
)
_EDIT_VERBS = _words(
    "change make use switch swap replace redo add remove move put set try do fix update undo "
    "revert keep drop apply rename"
)
_OPENERS = (
    "and ",
    "also ",
    "what about",
    "how about",
    "same ",
    "then ",
    "but ",
    "or ",
    "instead",
    "the other",
    "the second",
    "the first",
    "the last",
    "that one",
    "this one",
    "do the same",
    "both",
)
_SHORT = 8


def follow_up_reason(text: str) -> str | None:
    """Why ``text`` depends on the previous exchange (so only the model, which sees that
    exchange, may route it), or None when it stands on its own."""
    low = " ".join(text.lower().split())
    words = _WORD.findall(low)
    content = [w for w in words if w not in _FILLER and not w.isdigit()]
    if not content:
        return "names no topic of its own, so it continues the previous exchange"
    lead = 0
    while lead < len(words) and words[lead] in _AFFIRM:
        lead += 1
    tail = words[lead:]
    if len(words) <= _SHORT and (
        low.startswith(_OPENERS) or f"{' '.join(tail)} ".startswith(_OPENERS)
    ):
        return "opens as a continuation of the previous exchange"
    # "do" edits only when it points back ("do it again"), not as in "what parts do I need".
    edits = [
        w
        for i, w in enumerate(tail)
        if w in _EDIT_VERBS
        and (w != "do" or (i + 1 < len(tail) and tail[i + 1] in _STRONG_POINTERS | {"the"}))
    ]
    if (
        len(words) <= _SHORT
        and any(w in _STRONG_POINTERS for w in tail)
        and edits
        and len([w for w in content if w not in _EDIT_VERBS]) <= 2
    ):
        return "asks to change something from the previous exchange"
    return None


# -------------------------------------------------------------------------- model


class LocalRouter:
    """A loaded classifier; ``predict`` returns the best intent and its probability."""

    def __init__(self, pipeline: Any, labels: tuple[str, ...]) -> None:
        self._pipeline = pipeline
        self.labels = labels

    def probabilities(self, texts: list[str]) -> list[dict[str, float]]:
        rows = self._pipeline.predict_proba(texts)
        return [
            {label: float(p) for label, p in zip(self.labels, row, strict=True)} for row in rows
        ]

    def predict_many(self, texts: list[str]) -> list[Guess]:
        out = []
        for probs in self.probabilities(texts):
            best = max(probs, key=lambda k: probs[k])
            out.append(Guess(best, probs[best]))
        return out

    def predict(self, text: str) -> Guess:
        return self.predict_many([text])[0]


class RouterUnavailable(Exception):
    """The shipped model cannot be used here; the message says why, in one line."""


def load_router_from(model_file: Path, meta_file: Path) -> LocalRouter:
    """Load and verify a serialized router, or raise RouterUnavailable.

    The model is refused when it was saved by another scikit-learn minor version (their
    pickles are not meant to load across versions) or when it does not reproduce the
    probabilities recorded for the probe messages at training time, which also catches a
    patch release or a numpy that changes what the same file computes.
    """
    meta = read_metadata(meta_file)
    if meta is None:
        raise RouterUnavailable(f"cannot read {meta_file.name}")
    try:
        import joblib
        import sklearn
    except ImportError:
        raise RouterUnavailable("scikit-learn is not installed") from None
    wanted = str(meta.get("sklearn_version"))
    if wanted.split(".")[:2] != sklearn.__version__.split(".")[:2]:
        raise RouterUnavailable(
            f"the model was trained with scikit-learn {wanted}, this is "
            f"{sklearn.__version__}; retrain it with `make router-model`"
        )
    labels = tuple(meta.get("labels") or ())
    unknown = [label for label in labels if label not in INTENTS]
    if unknown or not labels:
        raise RouterUnavailable(f"the model's labels {list(labels)} do not match the intents")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pipeline = joblib.load(model_file)
    except Exception as exc:  # any unpickling failure means the same thing: unusable
        raise RouterUnavailable(f"cannot load {model_file.name} ({type(exc).__name__})") from None
    if tuple(str(c) for c in getattr(pipeline, "classes_", ())) != labels:
        raise RouterUnavailable("the model's classes differ from its recorded labels")
    router = LocalRouter(pipeline, labels)
    probes = meta.get("probes") or []
    try:
        got = router.probabilities([p["text"] for p in probes]) if probes else []
    except Exception as exc:
        raise RouterUnavailable(f"the model fails on its probes ({type(exc).__name__})") from None
    for probe, probs in zip(probes, got, strict=True):
        for label, expected in probe["probabilities"].items():
            if abs(probs.get(label, -1.0) - float(expected)) > PROBE_TOLERANCE:
                raise RouterUnavailable("the model does not reproduce its recorded probabilities")
    return router


_load_lock = threading.Lock()
_loaded: dict[str, LocalRouter | None] = {}


def load_router() -> LocalRouter | None:
    """The shipped router, loaded once; None (after one warning) when it cannot be used."""
    with _load_lock:
        if "shipped" not in _loaded:
            try:
                _loaded["shipped"] = load_router_from(MODEL_FILE, META_FILE)
            except RouterUnavailable as exc:
                log.warning(
                    "local router off, the orchestrator model routes every message: %s", exc
                )
                _loaded["shipped"] = None
        return _loaded["shipped"]


def reset_router() -> None:
    """Forget the loaded router (tests swap the model files)."""
    with _load_lock:
        _loaded.clear()
    shipped_metadata.cache_clear()


# ----------------------------------------------------------------------- decisions


def decide(
    text: str, settings: RouterSettings | None = None, router: LocalRouter | None = None
) -> Decision:
    """Whether the router decides ``text`` alone, and if so its intent and confidence."""
    settings = settings or router_settings()
    if settings.mode == "off":
        return Decision("model", None, None, "the local router is off (OHM_ROUTER=off)")
    why = follow_up_reason(text)
    if why is not None:
        return Decision("model", None, None, f"follow-up: {why}")
    router = router or load_router()
    if router is None:
        return Decision("model", None, None, "the local router is unavailable")
    guess = router.predict(text)
    if settings.mode == "model":
        return Decision(
            "model", None, guess.confidence, "OHM_ROUTER=model: the model decides", guess, True
        )
    if guess.confidence >= settings.threshold:
        return Decision(
            "local",
            guess.intent,
            guess.confidence,
            f"local router: {guess.intent} at confidence {guess.confidence:.2f} "
            f"(threshold {settings.threshold:.2f})",
            guess,
        )
    return Decision(
        "model",
        None,
        guess.confidence,
        f"local router unsure ({guess.intent} at {guess.confidence:.2f}, "
        f"threshold {settings.threshold:.2f})",
        guess,
    )


def local_update(decision: Decision) -> dict[str, Any]:
    """The graph state update for a message the router decided."""
    assert decision.intent is not None
    return {
        "intent": decision.intent,
        "agent": INTENT_TO_AGENT[decision.intent],
        "route": "local",
        "route_reason": decision.reason,
        "route_confidence": round(decision.confidence or 0.0, 3),
    }


def with_shadow_guess(update: dict[str, Any], decision: Decision) -> dict[str, Any]:
    """Under ``OHM_ROUTER=model``, add the router's guess to the model's route reason."""
    guess = decision.guess
    if guess is None or not decision.shadow:
        return update
    note = f"local router said {guess.intent} at {guess.confidence:.2f}"
    reason = update.get("route_reason")
    return {**update, "route_reason": f"{reason}; {note}" if reason else note}


async def route_intent(
    models: Any,
    messages: list[AnyMessage],
    previous_agent: str | None,
    model_overrides: dict[str, str] | None = None,
    temperature_overrides: dict[str, float] | None = None,
) -> dict[str, Any]:
    """The classify node's decision: the router's when it is confident, else the model's."""
    from .classifier import classify_intent, message_text

    text = message_text(messages[-1]) if messages else ""
    settings = router_settings()
    if settings.mode == "off":  # nothing to compute: no hop to a worker thread
        decision = decide(text, settings)
    else:  # loading the model and predicting (a few ms) stay off the event loop
        decision = await asyncio.to_thread(decide, text, settings)
    if decision.decided_by == "local":
        return local_update(decision)
    update = await classify_intent(
        models, messages, previous_agent, model_overrides, temperature_overrides
    )
    return with_shadow_guess(update, decision)


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
