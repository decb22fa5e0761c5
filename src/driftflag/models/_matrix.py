"""The encoded panel held once, each column in the narrowest float type that keeps every value.

Why: training held the model matrix of the labelled rows and of the whole panel (float64, 57
columns: 0.33 GB each at 150,000 children) next to a merged copy of the panel, and every fit
took its rows from them; at 400,000 children that alone passed 2 GB. Most encoded columns are
flags, one-hot columns and small counts (0, 1, NaN: exact in float16), a few are day counts
(exact in float32), the rest stay float64. :meth:`EncodedRows.take` gives the rows a fit or a
score needs as the float64 frame the encoding itself gives (one float64 block, columns in the
same order), bit for bit: a column is narrowed only when every value, NaN and signed zero
included, comes back with the same bits (``tests/models/test_model_training_memory.py``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["EncodedRows"]

_NARROW = (np.float16, np.float32)


def _narrowest(values: np.ndarray) -> np.ndarray:
    """``values`` (float64) in the first of float16, float32 whose round trip keeps every bit."""
    bits = values.view(np.uint64)
    for dtype in _NARROW:
        with np.errstate(over="ignore", invalid="ignore"):  # a value too large: not narrowed
            narrow = values.astype(dtype)
        if np.array_equal(narrow.astype(np.float64).view(np.uint64), bits):
            return narrow
    return values


class EncodedRows:
    """A float64 model matrix stored column by column in narrow exact types."""

    def __init__(self, frame: pd.DataFrame):
        self.columns = frame.columns
        self._cols = [_narrowest(np.ascontiguousarray(frame.iloc[:, j].to_numpy(np.float64)))
                      for j in range(frame.shape[1])]
        self.n_rows = len(frame)

    @property
    def nbytes(self) -> int:
        return sum(c.nbytes for c in self._cols)

    def take_array(self, rows: np.ndarray, order: str = "F") -> np.ndarray:
        """Rows ``rows`` (positions) as a new float64 array, column-major (Fortran order, the
        layout ``numpy.asarray`` gives of a one-block frame) or, with ``order="C"``, row-major
        (the layout lbfgs fits on); writeable and nobody else's."""
        rows = np.asarray(rows, dtype=np.intp)
        if order == "C":
            out = np.empty((len(rows), len(self._cols)), dtype=np.float64)
            for j, col in enumerate(self._cols):
                out[:, j] = col[rows]
            return out
        if order != "F":
            raise ValueError(f"order must be 'F' or 'C', not {order!r}")
        block = np.empty((len(self._cols), len(rows)), dtype=np.float64)
        for j, col in enumerate(self._cols):
            block[j] = col[rows]
        return block.T

    def take(self, rows: np.ndarray) -> pd.DataFrame:
        """Rows ``rows`` (positions) as a float64 frame with one block, as ``frame.iloc[rows]``
        of the encoded frame would give (index: 0..n-1)."""
        return pd.DataFrame(self.take_array(rows), columns=self.columns, copy=False)
