#!/usr/bin/python3
"""Write the generated allowlist profiles in policy/allow from the real libraries.

    /usr/bin/python3 scripts/gen-profiles.py          (Debian's python3-sklearn,
                                                       -pandas, -torch, -torchvision,
                                                       -xgboost, -gensim installed)

A profile lists what a producer really writes: every global found by pickling
real objects of that library (fitted estimators, frames of every dtype, whole
torch modules), plus the library's public model classes.  Each line says why
the entry is harmless; entries that are not classes (functions) are listed in
REVIEWED with a reason of their own, and anything else the pickles reach stops
the script until it is reviewed.  Known gadgets are refused outright.

The hand-written profiles (python, joblib, torchscript) are not touched.
"""
import collections
import copyreg
import importlib
import inspect
import io
import os
import pickle
import pickletools
import signal
import sys
import warnings

warnings.filterwarnings("ignore")
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "policy", "allow")

# Never in any profile, whatever a library pickles (callables that run code,
# import, read or write files, or reach attributes).
REFUSED = {
    "builtins.getattr", "builtins.eval", "builtins.exec", "builtins.__import__",
    "functools.partial", "operator.attrgetter", "operator.methodcaller",
    "joblib.numpy_pickle_compat.NDArrayWrapper", "joblib.numpy_pickle_compat.ZNDArrayWrapper",
    "joblib.memory.Memory", "pandas.io.pytables.HDFStore",
}

# Functions (not classes) that real pickles of these libraries call, each
# reviewed: what it does with its arguments.
REVIEWED = {
    "sklearn": {
        "numpy.random._pickle.__randomstate_ctor":
            "RandomState from a bit generator name looked up in numpy's own table",
        "numpy.random._pickle.__bit_generator_ctor":
            "bit generator from a name looked up in numpy's own table",
        "numpy.random._pickle.__generator_ctor":
            "Generator from a bit generator name looked up in numpy's own table",
        "numpy.core.multiarray._reconstruct": "ndarray.__new__(subtype, shape, dtype)",
        "numpy.core.multiarray.scalar": "numpy scalar from dtype and bytes",
        "numpy.core.numeric._frombuffer": "frombuffer(...).reshape(...)",
        "copyreg._reconstructor": "protocol 0/1 rebuild; the scanner requires imports as cls and base",
        "copyreg.__newobj__": "cls.__new__(cls, *args); the class is an import checked on its own",
        "sklearn._loss._loss.__pyx_unpickle_CyHalfBinomialLoss":
            "Cython unpickle helper: cls.__new__(cls) then sets its fields",
        "sklearn._loss._loss.__pyx_unpickle_CyHalfGammaLoss":
            "Cython unpickle helper: cls.__new__(cls) then sets its fields",
        "sklearn._loss._loss.__pyx_unpickle_CyHalfPoissonLoss":
            "Cython unpickle helper: cls.__new__(cls) then sets its fields",
        "sklearn._loss._loss.__pyx_unpickle_CyHalfSquaredError":
            "Cython unpickle helper: cls.__new__(cls) then sets its fields",
        "sklearn._loss._loss.__pyx_unpickle_CyHalfTweedieLossIdentity":
            "Cython unpickle helper: cls.__new__(cls) then sets its fields",
        "sklearn.metrics._dist_metrics.newObj": "Cython helper: cls.__new__(cls)",
        "sklearn.neighbors._kd_tree.newObj": "Cython helper: cls.__new__(cls)",
        "sklearn.neighbors._ball_tree.newObj": "Cython helper: cls.__new__(cls)",
        "sklearn.cluster._kmeans._kmeans_single_lloyd":
            "k-means iteration over arrays, kept as a reference: numeric only",
        "sklearn.cluster._kmeans._kmeans_single_elkan":
            "k-means iteration over arrays, kept as a reference: numeric only",
        "sklearn.feature_selection._univariate_selection.f_classif":
            "ANOVA F-value of arrays, kept as the score function",
        "sklearn.feature_selection._univariate_selection.f_regression":
            "F-statistic of arrays, kept as the score function",
        "numpy.mean": "arithmetic mean of an array (kept as a reference)",
    },
    "pandas": {
        "pandas._libs.internals._unpickle_block": "Block from values and placement arrays",
        "pandas.core.indexes.base._new_Index": "Index subclass from its constructor data",
        "pandas.core.indexes.datetimes._new_DatetimeIndex": "DatetimeIndex from constructor data",
        "pandas.core.indexes.period._new_PeriodIndex": "PeriodIndex from constructor data",
        "pandas._libs.arrays.__pyx_unpickle_NDArrayBacked":
            "Cython unpickle helper: cls.__new__(cls) then sets its array fields",
        "pandas._libs.tslibs.timestamps._unpickle_timestamp": "Timestamp from its fields",
        "pandas._libs.tslibs.timedeltas._timedelta_unpickle": "Timedelta from nanoseconds",
        "pandas._libs.tslibs.nattype.__nat_unpickle": "the NaT singleton",
        "pandas._libs.sparse.BlockIndex": "sparse block index from arrays",
        "pandas._libs.sparse.IntIndex": "sparse int index from arrays",
        "pandas.core.arrays.interval.IntervalArray._simple_new": "interval array from two arrays",
        "numpy.core.multiarray._reconstruct": "ndarray.__new__(subtype, shape, dtype)",
        "numpy.core.numeric._frombuffer": "frombuffer(...).reshape(...)",
        "numpy.core.multiarray.scalar": "numpy scalar from dtype and bytes",
        "copyreg._reconstructor": "protocol 0/1 rebuild; the scanner requires imports as cls and base",
        "builtins.slice": "immutable slice value",
        "pandas._libs.interval.__pyx_unpickle_IntervalMixin":
            "Cython unpickle helper: cls.__new__(cls) then sets its fields",
        "pandas._libs.missing.NA": "the pd.NA singleton, a value",
        "pandas.core.indexes.interval._new_IntervalIndex": "IntervalIndex from constructor data",
        "pytz._UTC": "returns pytz's UTC singleton",
    },
    "torch-modules": {
        "torch._utils._rebuild_parameter": "Parameter(tensor, requires_grad)",
        "torch._utils._rebuild_tensor_v2": "tensor view over a storage",
        "torch.nn.functional.relu": "elementwise ReLU of a tensor (a layer's activation)",
        "torch.nn.functional.gelu": "elementwise GELU of a tensor (a layer's activation)",
    },
    "xgboost": {},
    "gensim": {
        "gensim.utils.call_on_class_only": "raises when called on an instance: no other effect",
        "builtins.hash": "hash of an allowed value (its own __hash__)",
        "numpy.random._pickle.__randomstate_ctor":
            "RandomState from a bit generator name looked up in numpy's own table",
        "numpy.random._pickle.__bit_generator_ctor":
            "bit generator from a name looked up in numpy's own table",
    },
}


def mapped(m, n, proto):
    import _compat_pickle
    if proto < 3:
        if (m, n) in _compat_pickle.NAME_MAPPING:
            return _compat_pickle.NAME_MAPPING[(m, n)]
        m = _compat_pickle.IMPORT_MAPPING.get(m, m)
    return m, n


# Why a helper class the library pickles is harmless, by profile.
CLASS_WHY = {
    "sklearn": "scikit-learn helper type: arrays and parameters; its state sets fields only",
    "pandas": "pandas data type: arrays and metadata; its state sets fields only",
    "torch-modules": "torch type held by modules: tensors and settings only",
    "xgboost": "xgboost type: parameters and model bytes",
    "gensim": "gensim type: arrays and vocabularies",
}


def globals_of(data, proto=4, unpickler=pickle.Unpickler, *args):
    """(module, name) pairs the real unpickler asks find_class for."""
    seen = set()

    class Recorder(unpickler):
        def find_class(self, m, n):
            seen.add(mapped(m, n, proto))
            return super().find_class(m, n)
    Recorder(*args, io.BytesIO(data)).load()
    return seen


def pickled(obj):
    found = set()
    for proto in (2, 4, 5):
        found |= globals_of(pickle.dumps(obj, protocol=proto), proto)
    return found


class Timeout(Exception):
    pass


def with_timeout(seconds, fn):
    def alarm(*_):
        raise Timeout()
    old = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(seconds)
    try:
        return fn()
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def qualname(cls):
    return (cls.__module__, cls.__qualname__)


def sklearn_profile():
    import numpy as np
    import sklearn
    from sklearn.utils import all_estimators

    rng = np.random.RandomState(0)
    X = rng.rand(40, 4)
    y_cls = (X[:, 0] > 0.5).astype(int)
    y_reg = X[:, 1] * 3.0
    texts = ["the cat sat", "the dog ran", "a cat ran", "a dog sat"] * 10
    classes, found = {}, set()
    for name, cls in all_estimators():
        classes[qualname(cls)] = "scikit-learn estimator: stores parameters and fitted arrays; " \
                                 "BaseEstimator.__setstate__ restores __dict__"
        for y in (y_cls, y_reg, None):
            try:
                est = cls()
                with_timeout(10, lambda: est.fit(X, y) if y is not None else est.fit(X))
                found |= pickled(est)
                break
            except Exception:
                continue
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import make_pipeline
    from sklearn.svm import LinearSVC
    found |= pickled(make_pipeline(TfidfVectorizer(), LinearSVC()).fit(texts, [0, 1, 1, 0] * 10))
    import joblib
    from sklearn.linear_model import LogisticRegression
    buf = io.BytesIO()
    joblib.dump(LogisticRegression().fit(X, y_cls), buf)
    found |= globals_of_joblib(buf.getvalue())
    return "sklearn", f"scikit-learn {sklearn.__version__} models (pickle and joblib)", classes, found


def globals_of_joblib(data):
    import joblib
    return globals_of(data, 4, joblib.numpy_pickle.NumpyUnpickler, "x")


def pandas_profile():
    import numpy as np
    import pandas as pd
    df = pd.DataFrame({
        "i": [1, 2, 3], "f": [1.5, 2.5, np.nan], "s": ["a", "b", "c"],
        "b": [True, False, True], "dt": pd.date_range("2024-01-01", periods=3),
        "dttz": pd.date_range("2024-01-01", periods=3, tz="UTC"),
        "td": pd.to_timedelta([1, 2, 3], unit="s"), "cat": pd.Categorical(["x", "y", "x"]),
        "per": pd.period_range("2024-01", periods=3, freq="M"),
        "iv": pd.interval_range(0, 3), "I": pd.array([1, None, 3], dtype="Int64"),
        "B": pd.array([True, None, False], dtype="boolean"),
        "S": pd.array(["a", None, "c"], dtype="string"),
        "sp": pd.arrays.SparseArray([0, 0, 1]),
    })
    objs = [df, df.set_index("dt"), df.set_index(["s", "i"]), df["f"], df["cat"],
            pd.Series([1, 2], index=pd.RangeIndex(2)), pd.Timestamp("2024-01-01"),
            pd.Timedelta("1s"), pd.NaT, pd.Period("2024-01", "M"), pd.Interval(0, 1),
            pd.Series(range(3), index=pd.timedelta_range("1s", periods=3)),
            pd.Series(range(3), index=pd.period_range("2024", periods=3, freq="D")),
            pd.Series(range(3), index=pd.CategoricalIndex(["a", "b", "a"])),
            pd.Series(range(3), index=pd.IntervalIndex.from_breaks([0, 1, 2, 3])),
            pd.Series(range(3), index=pd.Index([1.5, 2.5, 3.5])),
            pd.date_range("2024", periods=3, freq="D").to_series()]
    found = set()
    for o in objs:
        found |= pickled(o)
    return "pandas", f"pandas {pd.__version__} DataFrame, Series, Index and scalar pickles", {}, found


def torch_modules_profile():
    import torch
    import torchvision
    classes = {}
    for name in dir(torch.nn):
        obj = getattr(torch.nn, name)
        if isinstance(obj, type) and issubclass(obj, torch.nn.Module):
            classes[qualname(obj)] = "torch.nn module: parameters, buffers and settings; " \
                                     "Module.__setstate__ restores __dict__"
    for name in dir(torchvision.models):
        obj = getattr(torchvision.models, name)
        if isinstance(obj, type) and issubclass(obj, torch.nn.Module):
            classes[qualname(obj)] = "torchvision model: torch.nn modules only"
    found = set()
    for m in (torch.nn.LSTM(4, 4), torch.nn.GRU(4, 4), torch.nn.TransformerEncoderLayer(8, 2),
              torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.BatchNorm2d(2),
                                  torch.nn.ReLU(), torch.nn.Flatten())):
        found |= pickled(m)
    for ctor in (torchvision.models.squeezenet1_1, torchvision.models.resnet18):
        found |= pickled(ctor())

    return "torch-modules", f"whole torch.nn modules (torch {torch.__version__}, torchvision " \
                            f"{torchvision.__version__} models) saved with torch.save(model)", \
        classes, found


def xgboost_profile():
    import numpy as np
    import xgboost
    classes = {}
    for name in ("XGBModel", "XGBClassifier", "XGBRegressor", "XGBRanker",
                 "XGBRFClassifier", "XGBRFRegressor"):
        classes[qualname(getattr(xgboost.sklearn, name))] = \
            "xgboost sklearn wrapper: parameters plus a Booster"
    classes[qualname(xgboost.core.Booster)] = \
        "xgboost Booster: __setstate__ hands the saved model bytes to libxgboost's parser"
    X = np.random.RandomState(0).rand(20, 3)
    m = xgboost.XGBClassifier(n_estimators=2).fit(X, (X[:, 0] > 0.5).astype(int))
    return "xgboost", f"xgboost {xgboost.__version__} models (pickle and joblib)", classes, \
        pickled(m) | pickled(m.get_booster())


def gensim_profile():
    import gensim
    from gensim.corpora import Dictionary
    from gensim.models import Word2Vec
    sentences = [["cat", "sat"], ["dog", "ran"]] * 5
    w2v = Word2Vec(sentences, vector_size=4, min_count=1, workers=1, epochs=1)
    classes = {}
    for cls in (Word2Vec, Dictionary, gensim.models.KeyedVectors, gensim.models.FastText,
                gensim.models.Doc2Vec, gensim.models.LdaModel, gensim.models.TfidfModel):
        classes[qualname(cls)] = "gensim model: numpy arrays and vocabularies; " \
                                 "SaveLoad restores __dict__"
    found = pickled(w2v) | pickled(Dictionary(sentences))
    return "gensim", f"gensim {gensim.__version__} models saved with .save()", classes, found


def resolve(pair):
    """The object find_class returns for (module, name), or None."""
    try:
        obj = importlib.import_module(pair[0])
        for p in pair[1].split("."):
            obj = getattr(obj, p)
        return obj
    except Exception:
        return None


def dotted(pair):
    return f"{pair[0]}.{pair[1]}"


def write(profile, doc, classes, found, default):
    lines = [f"# pickleguard profile '{profile}': {doc}.",
             "# Generated by scripts/gen-profiles.py from the installed libraries; each",
             "# entry says why it is harmless (reviewed: classes by kind, functions one",
             "# by one in the script's REVIEWED table).  Entries of the default list",
             "# are not repeated.", ""]
    entries = dict(classes)
    reviewed = REVIEWED.get(profile, {})
    unknown = []
    for g in sorted(found):
        if dotted(g) in default or g in entries:
            continue
        if dotted(g) in REFUSED:
            sys.exit(f"gen-profiles: {profile} pickles {dotted(g)}, which is refused")
        if dotted(g) in reviewed:
            entries[g] = reviewed[dotted(g)]
            continue
        if isinstance(resolve(g), type):
            entries[g] = CLASS_WHY[profile]
        else:
            unknown.append(dotted(g))
    if unknown:
        sys.exit(f"gen-profiles: {profile}: review these first: {unknown}")
    for g in sorted(entries):
        if dotted(g) in REFUSED or dotted(g) in default:
            continue
        entry = f"{g[0]}:{g[1]}" if "." in g[1] else dotted(g)
        lines.append(f"{entry:<60} # {entries[g]}")
    path = os.path.join(OUT, f"{profile}.allow")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"gen-profiles: {path}: {len(lines) - 6} entries")


def default_entries():
    out = set()
    for line in open(os.path.join(OUT, "default.allow")):
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("%"):
            m, sep, n = line.partition(":")
            out.add(f"{m}.{n}" if sep else line)
    return out


def main():
    default = default_entries()
    for gen in (sklearn_profile, pandas_profile, torch_modules_profile, xgboost_profile,
                gensim_profile):
        write(*gen(), default)


if __name__ == "__main__":
    main()
