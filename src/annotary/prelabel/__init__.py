"""Pre-labelers: models that suggest regions for people to post-edit.

Each one follows the ``Prelabeler`` protocol of ``annotary.prelabel.base`` and
is registered under the entry-point group ``annotary.prelabelers`` with a
versioned name; ``load_prelabeler("opencv-faces")`` builds the newest one.
Heavy libraries (OpenCV, spaCy, scikit-learn) load on first use.
"""

from annotary.prelabel.base import (
    Prediction,
    Prelabeler,
    PrelabelInput,
    ProbabilisticPrelabeler,
    load_prelabeler,
)

__all__ = [
    "PrelabelInput",
    "Prediction",
    "Prelabeler",
    "ProbabilisticPrelabeler",
    "load_prelabeler",
]
