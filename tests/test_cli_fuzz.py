"""The CLI's readers on random files: a fit equal to the library's, or a one-line error and exit 2.

Hypothesis writes CSV, svmlight and ``.npy`` files with random shapes and contents:
ragged rows, empty fields, words, NaN, infinities, values that overflow float64,
non-UTF-8 bytes, truncation.  Whatever the file, ``ridgejit fit`` must either fit (and then
the model equals ``ridgejit.Ridge`` on the values parsed here independently) or print one
line naming the file and return 2, leaving no model file behind; never a traceback.
"""

import io
import math

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, event, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from ridgejit import Ridge  # noqa: E402
from ridgejit.cli import main  # noqa: E402

FUZZ = settings(max_examples=40, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture])

NUMBER = st.one_of(st.floats(-1e3, 1e3, allow_nan=False).map(repr), st.integers(-50, 50).map(str))
ODD = st.sampled_from(["", "nan", "inf", "-inf", "1e400", "abc", " ", "1,5", "\"q\"", "0x1p3"])
FIELD = st.one_of(NUMBER, NUMBER, NUMBER, ODD)


def _run(capsys, args):
    rc = main(args)
    captured = capsys.readouterr()
    return rc, captured.out, captured.err


def _assert_clean_error(rc, err, path, out_file):
    event("one-line error")
    assert rc == 2, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in err, err
    assert path.name in lines[0], err
    assert not out_file.exists()


CLEAN_ROWS = st.lists(st.lists(NUMBER, min_size=4, max_size=4), min_size=1, max_size=12)
ANY_ROWS = st.lists(st.lists(FIELD, min_size=1, max_size=5), min_size=0, max_size=12)


@FUZZ
@given(rows=st.one_of(CLEAN_ROWS, ANY_ROWS), prefix=st.sampled_from([b"", b"", b"\xff\xfe", b"\x00"]),
       cut=st.sampled_from([0, 0, 1, 3]))
def test_random_csv_fits_or_fails_in_one_line(tmp_path, capsys, rows, prefix, cut):
    header = "a,b,c,target"
    text = "\n".join([header] + [",".join(r) for r in rows]) + "\n"
    data = prefix + text.encode()
    data = data[: len(data) - cut] if cut else data
    path, out_file = tmp_path / "data.csv", tmp_path / "model.npz"
    path.write_bytes(data)
    out_file.unlink(missing_ok=True)
    rc, _, err = _run(capsys, ["fit", str(path), "--target", "target", "--out", str(out_file), "--quiet"])
    if rc != 0:
        _assert_clean_error(rc, err, path, out_file)
        return
    event("fitted")  # it fitted: the rows must have been a clean numeric table, parsed here
    import pandas as pd

    frame = pd.read_csv(io.BytesIO(data))
    values = frame.to_numpy(dtype=np.float64)
    assert np.isfinite(values).all()
    ref = Ridge().fit(values[:, :-1], values[:, -1])
    with np.load(out_file) as model:
        np.testing.assert_allclose(np.ravel(model["coef"]), np.ravel(ref.coef_), rtol=1e-10, atol=1e-12)


SVM_VALUE = st.one_of(st.floats(-100, 100, allow_nan=False).map(repr), st.sampled_from(["x", "nan", "", "1e999"]))


@FUZZ
@given(rows=st.lists(st.tuples(SVM_VALUE, st.lists(st.tuples(st.integers(-1, 6), SVM_VALUE), max_size=4)),
                     min_size=0, max_size=10))
def test_random_svmlight_fits_or_fails_in_one_line(tmp_path, capsys, rows):
    text = "".join(f"{label} " + " ".join(f"{j}:{v}" for j, v in feats) + "\n" for label, feats in rows)
    path, out_file = tmp_path / "data.svm", tmp_path / "model.npz"
    path.write_text(text)
    out_file.unlink(missing_ok=True)
    rc, _, err = _run(capsys, ["fit", str(path), "--out", str(out_file), "--quiet"])
    if rc != 0:
        _assert_clean_error(rc, err, path, out_file)
        return
    event("fitted")
    from sklearn.datasets import load_svmlight_file

    X, y = load_svmlight_file(str(path))
    assert all(math.isfinite(v) for v in np.concatenate([X.data, y]))
    ref = Ridge().fit(X, y)
    with np.load(out_file) as model:
        np.testing.assert_allclose(np.ravel(model["coef"])[: X.shape[1]], np.ravel(ref.coef_),
                                   rtol=1e-8, atol=1e-10)


@FUZZ
@given(n=st.integers(0, 30), p=st.integers(0, 4), cut=st.sampled_from([0, 0, 0, 1, 50, 200]),
       poison=st.sampled_from([None, None, None, np.nan, np.inf, 1e308]))
def test_random_npy_fits_or_fails_in_one_line(tmp_path, capsys, n, p, cut, poison):
    rng = np.random.default_rng(n * 7 + p)
    X = rng.standard_normal((n, p))
    if poison is not None and X.size:
        X.flat[0] = poison
    y = rng.standard_normal(n)
    buf = io.BytesIO()
    np.save(buf, X)
    data = buf.getvalue()
    data = data[: max(0, len(data) - cut)] if cut else data
    path, ypath, out_file = tmp_path / "X.npy", tmp_path / "y.npy", tmp_path / "model.npz"
    path.write_bytes(data)
    np.save(ypath, y)
    out_file.unlink(missing_ok=True)
    rc, _, err = _run(capsys, ["fit", str(path), "--y", str(ypath), "--out", str(out_file), "--quiet"])
    if rc != 0:
        _assert_clean_error(rc, err, path, out_file)
        return
    event("fitted")
    assert cut == 0 and np.isfinite(X).all() and n >= 1 and p >= 1
    ref = Ridge().fit(X, y)
    with np.load(out_file) as model:
        np.testing.assert_allclose(np.ravel(model["coef"]), np.ravel(ref.coef_), rtol=1e-10, atol=1e-12)
