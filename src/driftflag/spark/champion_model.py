"""The registered champion as an MLflow pyfunc model that returns scores (MLflow "models from
code": :func:`driftflag.spark.scoring.score_pool` saves this file with the champion beside it and
hands the folder to ``mlflow.pyfunc.spark_udf``).

Why not the registered ``models:/`` URI itself: its python_function flavour predicts the class
(0 or 1), not the score the worklist ranks by, and MLflow's loader trusts whatever skops types the
model's ``MLmodel`` file lists. Here each executor opens the champion's skops file trusting only
:data:`driftflag.tracking.TRUSTED_MODEL_TYPES` and scores exactly as the worklist does
(:func:`driftflag.worklist.caseload.score_caseload`: the model's own encoder, then
``predict_proba``), after giving each column back the pandas engine's type (``model_config``).
"""

from __future__ import annotations

import mlflow
import numpy as np
from mlflow.pyfunc import PythonModel


class ChampionScores(PythonModel):
    """``predict``: the champion's score (probability of the label it learnt) of each row."""

    def load_context(self, context) -> None:
        import skops.io as sio

        from driftflag.models.encoding import split_scoring_pipeline
        from driftflag.tracking import TRUSTED_MODEL_TYPES

        pipeline = sio.load(context.artifacts["pipeline"], trusted=list(TRUSTED_MODEL_TYPES))
        self._encoder, self._fitted = split_scoring_pipeline(pipeline)
        self._dtypes = dict((context.model_config or {}).get("dtypes", {}))

    def predict(self, context, model_input, params=None):
        frame = model_input.copy()
        for col, dtype in self._dtypes.items():
            if col in frame.columns:
                frame[col] = frame[col].astype(dtype)
        X = self._encoder.transform(frame)
        return np.asarray(self._fitted.predict_proba(X), dtype=float)[:, 1]


mlflow.models.set_model(ChampionScores())
