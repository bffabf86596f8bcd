"""The span-ranking weights and the abstainer: the hand-set ones, and reading the fitted ones
(`python -m qa fit`, qa.learning.fit, writes settings.weights_file)."""
from __future__ import annotations

import json
import math
from pathlib import Path

# The features a candidate span is ranked by (qa.answering.features), with the hand-set weights they
# had before issue 13 (swept one at a time on dev): used only when no fitted weights match the model.
HAND_WEIGHTS = {
    "overlap": 1.0, "context": 0.35, "inverse_rank": 0.25, "novelty": 0.25, "length": -0.002,
    "restates_lead": -0.4, "figure_asked": 0.3, "figure_other": 0.1, "figure_none": -0.2,
    "unit_figures": 0.2, "figure_overlap": 0.4, "when_time": 0.25, "list_cue": 0.15,
    "list_items": 0.05,      # per extra 、-separated item, up to 5 items (swept 0.03, 0.05, 0.08 on dev)
    "wh_head": 0.15,         # swept 0.1, 0.2, 0.3 on dev
    "result_in_review": 0.3, "result_elsewhere": -0.2, "target_in_targets": 0.15, "target_elsewhere": -0.3,
}
FEATURES = tuple(HAND_WEIGHTS) + ("cosine",)

# What the fitted abstainer reads of a question's chosen span (qa.answering.decide.abstain_row).
ABSTAIN_FEATURES = ("rank_score", "cosine", "best_dense", "known_share", "overlap",
                    "figure_overlap", "wants_figure", "figure_cosine", "unknown_words", "unknown_surprisal",
                    "knows_none")
# A closer match never argues for abstaining: the fit keeps these weights at zero or above.
MATCH_FEATURES = ("rank_score", "cosine", "best_dense", "known_share", "overlap", "figure_overlap", "figure_cosine")


def hand_weights(cosine_weight: float) -> dict:
    """HAND_WEIGHTS in FEATURES order, with the span cosine weighted by `cosine_weight`."""
    return {name: HAND_WEIGHTS.get(name, cosine_weight) for name in FEATURES}


def score(weights: dict, features: dict) -> float:
    """A span's ranking score: its features weighted, summed in FEATURES order."""
    return sum(weights[name] * features[name] for name in FEATURES)


def answer_probability(abstainer: dict, x: list) -> float:
    """The fitted chance that the chosen span answers the question (logistic over ABSTAIN_FEATURES)."""
    z = abstainer["bias"] + sum(w * v for w, v in zip(abstainer["weights"], x))
    return 1 / (1 + math.exp(-max(-50.0, min(50.0, z))))


def load_fitted(path: Path, fingerprint: str) -> tuple:
    """(span weights by name, abstainer) when the file was fitted for this model and these features,
    else (None, None): the hand-set weights and floors then apply."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None, None
    if (data.get("model_fingerprint") != fingerprint or data.get("features") != list(FEATURES)
            or data.get("abstainer", {}).get("features") != list(ABSTAIN_FEATURES)):
        return None, None
    return dict(zip(FEATURES, data["weights"])), data["abstainer"]
