"""Median imputation with sklearn's ``SimpleImputer`` semantics, fitted column by column.

Why: ``SimpleImputer(strategy="median")`` fits through ``numpy.ma.median``, which sorts a masked
copy of the whole matrix; on a training panel (700,000 rows x 40 features) that was 8.6% of a
training run, paid at every fold, the final fit and calibration. The medians here are the same
numbers computed the same way (the two middle order statistics of the non-missing values, found
with ``numpy.partition``, summed and halved as ``numpy.ma.median`` does), so a model fits and
scores exactly as before; ``tests/models/test_model_impute.py`` compares with ``SimpleImputer``.
``transform`` fills the missing cells with one masked copy instead of sklearn's coordinate lists
(3x faster on a panel whose plan and placement columns are mostly missing), on the same validated
copy (same values, same memory layout).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.impute import SimpleImputer
from sklearn.utils.validation import check_is_fitted

__all__ = ["MedianImputer", "column_medians"]


def column_medians(X: np.ndarray) -> np.ndarray:
    """Median of the non-NaN values of each column (NaN for a column with none)."""
    out = np.full(X.shape[1], np.nan, dtype=X.dtype)
    for j in range(X.shape[1]):
        col = X[:, j]
        values = col[~np.isnan(col)]
        m = len(values)
        if m == 0:
            continue
        h = m // 2
        lo = h if m % 2 else h - 1
        part = np.partition(values, (lo, h))
        s = np.add(part[lo], part[h], dtype=X.dtype)
        out[j] = np.true_divide(s, 2.0, dtype=X.dtype)
    return out


class MedianImputer(SimpleImputer):
    """``SimpleImputer`` whose median strategy on float data with NaN as missing skips the masked sort."""

    def _dense_fit(self, X, strategy, missing_values, fill_value):
        fast = (strategy == "median" and isinstance(missing_values, float) and np.isnan(missing_values)
                and getattr(X, "dtype", None) is not None and X.dtype.kind == "f")
        if not fast:
            return super()._dense_fit(X, strategy, missing_values, fill_value)
        self._fit_indicator(np.isnan(X))
        median = column_medians(X)
        empty = np.isnan(X).all(axis=0)  # (a median of inf and -inf is NaN too, and stays NaN)
        median[empty] = 0 if self.keep_empty_features else np.nan
        return median

    def transform(self, X):
        """sklearn's ``transform`` for dense float data with NaN as missing and every statistic
        kept (``keep_empty_features`` or no empty column); anything else is sklearn's own."""
        check_is_fitted(self)
        stats = self.statistics_
        missing = self.missing_values
        if sp.issparse(X) or not (isinstance(missing, float) and np.isnan(missing)
                                  and stats.dtype.kind == "f"
                                  and (self.keep_empty_features or not np.isnan(stats).any())):
            return super().transform(X)
        X = self._validate_input(X, in_fit=False)
        if X.shape[1] != stats.shape[0]:
            raise ValueError(f"X has {X.shape[1]} features per sample, expected {stats.shape[0]}")
        mask = np.isnan(X)
        np.copyto(X, stats.astype(self._fill_dtype, copy=False)[None, :], where=mask)
        return self._concatenate_indicator(X, self._transform_indicator(mask))
