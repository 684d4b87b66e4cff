"""stance: directed stance between the actors of news text.

Example:
    >>> from stance import StanceClassifier
    >>> clf = StanceClassifier.from_pretrained("runs/default/model")
    >>> graph = clf.analyze(article, actors={"Turkey": ["Ankara"], "Khalifa Haftar": []})
    >>> print(graph.to_pandas())

What a user needs is importable from here: the classifier, the graph it returns, actor
dictionaries and their discovery, mention finding, and the batch job. Training types live
in the ``training`` package.
"""

from __future__ import annotations

from stance.actors import Actor, Actors
from stance.batch import predict_file
from stance.classifier import StanceClassifier
from stance.discovery import discover_actors
from stance.graph import Evidence, StanceEdge, StanceGraph
from stance.mentions import find_mentions
from stance.schema import DEFAULT_LABELS, StanceExample, StancePrediction

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_LABELS",
    "Actor",
    "Actors",
    "Evidence",
    "StanceClassifier",
    "StanceEdge",
    "StanceExample",
    "StanceGraph",
    "StancePrediction",
    "__version__",
    "discover_actors",
    "find_mentions",
    "predict_file",
]
