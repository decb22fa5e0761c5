"""A graded label is learnt as its log-loss: each row a positive weighted g and a negative 1 - g."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from driftflag.models.training import _graded_rows


def _reference(X, w, g, mask):
    """Row by row: the positive copy of each selected row, then the negative copies."""
    rows, ys, ws = [], [], []
    for label in (1, 0):
        for i in range(len(g)):
            if not mask[i]:
                continue
            weight = (g[i] if label else 1.0 - g[i]) * (1.0 if w is None else w[i])
            if weight > 0:
                rows.append(X.iloc[i].tolist())
                ys.append(label)
                ws.append(weight)
    return rows, ys, ws


@settings(max_examples=60, deadline=None)
@given(data=st.lists(st.tuples(st.floats(-5, 5), st.sampled_from([0.0, 0.25, 0.5, 1.0]),
                               st.floats(0.1, 3), st.booleans()), min_size=1, max_size=12),
       weighted=st.booleans())
def test_graded_rows_match_the_row_by_row_reference(data, weighted):
    X = pd.DataFrame({"x": [d[0] for d in data]})
    g = np.array([d[1] for d in data])
    w = np.array([d[2] for d in data]) if weighted else None
    mask = np.array([d[3] for d in data])
    y = (g > 0).astype(int)
    Xd, yd, wd = _graded_rows(X, y, w, g, mask)
    rows, ys, ws = _reference(X, w, g, mask)
    assert Xd.to_numpy().tolist() == rows
    assert yd.tolist() == ys
    assert np.allclose(wd, ws)


def test_without_a_grade_the_rows_are_left_as_they_are():
    X = pd.DataFrame({"x": [1.0, 2.0, 3.0]})
    y = np.array([1, 0, 1])
    Xd, yd, wd = _graded_rows(X, y, None, None, np.array([True, False, True]))
    assert Xd["x"].tolist() == [1.0, 3.0] and yd.tolist() == [1, 1] and wd is None
