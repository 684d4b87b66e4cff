"""stance: directed stance between the actors of news text.

Example:
    >>> from stance import StanceClassifier
    >>> clf = StanceClassifier.from_pretrained("runs/default/model")
    >>> graph = clf.analyze(article, actors={"Turkey": ["Ankara"], "Khalifa Haftar": []})
    >>> print(graph.to_pandas())
"""

from __future__ import annotations

from stance.classifier import StanceClassifier
from stance.schema import (
    DEFAULT_LABELS,
    ActorMentions,
    LabelSet,
    Passage,
    StanceExample,
    StancePrediction,
)

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_LABELS",
    "ActorMentions",
    "LabelSet",
    "Passage",
    "StanceClassifier",
    "StanceExample",
    "StancePrediction",
    "__version__",
]
