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

import os

# Scores that do not depend on how many threads computed them: MKL's strict conditional
# numerical reproducibility makes its matrix products sum in the same order whatever the
# thread count (at no measurable cost here), so a Ray worker with one CPU and a local job
# with all of them write the same digits. It must be set before MKL's first product; a
# value the user set wins.
os.environ.setdefault("MKL_CBWR", "AUTO,STRICT")

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
