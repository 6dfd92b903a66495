from __future__ import annotations

import subprocess
import sys

import pytest

import hepsym

#: the public API, pinned: a name added or removed here is a decision, not an accident
PUBLIC = [
    "AnalysisResult",
    "Beams",
    "ConstraintError",
    "ConstraintResult",
    "ConstraintSpec",
    "Events",
    "FeatureError",
    "FeatureMatrix",
    "GeneratorError",
    "HepsymError",
    "InputFileError",
    "InputSpec",
    "LearnError",
    "LearnResult",
    "LearnSpec",
    "OptionError",
    "Prepared",
    "Selection",
    "SelectionError",
    "StudySpec",
    "SymmetryResult",
    "Thresholds",
    "VAEConfig",
    "Verdict",
    "__version__",
    "analyze",
    "analyze_constraints",
    "build_features",
    "compare",
    "discover",
    "learn",
    "prepare",
    "read",
    "select",
    "symmetries",
    "write_report",
]


def test_public_names_are_pinned():
    assert dir(hepsym) == PUBLIC
    assert hepsym.__version__


def test_every_public_name_resolves():
    for name in PUBLIC:
        assert getattr(hepsym, name) is not None, name
    # the stage functions, not the modules of the same stage
    assert callable(hepsym.learn)
    assert callable(hepsym.compare)
    assert callable(hepsym.analyze)
    assert issubclass(hepsym.OptionError, hepsym.HepsymError)


def test_stage_functions_survive_their_modules_being_imported():
    import hepsym.analysis
    import hepsym.learning
    import hepsym.verdict

    assert callable(hepsym.learn)
    assert callable(hepsym.compare)
    assert callable(hepsym.prepare)


def test_import_leaves_torch_unloaded():
    # nor awkward and vector: the command line starts its worker processes before them
    heavy = ("torch", "matplotlib", "awkward", "vector")
    code = (
        f"import sys, hepsym, hepsym.spec, hepsym.cli; print([m in sys.modules for m in {heavy}])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == str([False] * len(heavy))
    # and every lazy name still resolves
    assert hepsym.Beams is hepsym.events.Beams
    assert hepsym.InputSpec().path is None


def test_py_typed_is_shipped():
    from importlib.resources import files

    assert files("hepsym").joinpath("py.typed").is_file()


def test_python_m_and_console_script_are_the_same_cli():
    out = subprocess.run(
        [sys.executable, "-m", "hepsym", "--version"], capture_output=True, text=True, check=True
    )
    assert hepsym.__version__ in out.stdout


def _run(code: str) -> str:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return out.stdout.strip()


def test_reading_leaves_vector_unloaded_until_its_behaviour_is_used():
    # vector imports sympy (a quarter of a second); reading needs neither
    code = (
        "import sys\n"
        "from hepsym.io import read\n"
        "for path in ('data/external/uproot-HZZ.root', 'data/ee_mumu_80GeV.lhe.gz'):\n"
        "    p = read(path).particles\n"
        "    print('vector' in sys.modules, 'sympy' in sys.modules, len(p.pid) > 0)\n"
        "pt = p.pt\n"
        "print(type(p).__name__, 'vector' in sys.modules)\n"
    )
    assert _run(code).splitlines() == [
        "False False True",
        "False False True",
        "MomentumArray4D True",
    ]


@pytest.mark.parametrize(
    ("first_use", "expected"),
    [
        ("(p[:, 0] + p[:, 1]).mass", "[91.2, 91.2]"),  # a ufunc overload of vector
        ("abs(p[0])", "[91.2, 0]"),
        ("p[0, 0].E", "91.2"),  # a record, not an array
        ("p.deltaR(p)", "[[0, 0], [0, 0]]"),  # a method
    ],
)
def test_vector_behaviour_loads_on_any_first_use(first_use, expected):
    code = (
        "import numpy as np\n"
        "from hepsym.events import make_particles\n"
        "m = 91.2\n"
        "p = make_particles({'px': np.zeros(4), 'py': np.zeros(4), 'pz': np.zeros(4),\n"
        "    'E': np.array([m, 0, m, 0]), 'pid': np.array([23, 22, 23, 22])}, np.array([2, 2]))\n"
        "print(type(p).__name__)\n"
        f"print(np.round({first_use}, 6).tolist())\n"
        "print(type(p[:, :1]).__name__)\n"
    )
    lines = _run(code).splitlines()
    assert lines[0] == "LazyMomentumArray"
    assert lines[1].replace(".0", "") == expected.replace(".0", "")
    assert lines[2] == "MomentumArray4D"


def test_vector_registered_first_gives_its_classes_at_once():
    code = (
        "import vector, numpy as np\n"
        "vector.register_awkward()\n"
        "from hepsym.events import make_particles\n"
        "p = make_particles({'pt': np.ones(3), 'eta': np.zeros(3), 'phi': np.zeros(3),\n"
        "    'mass': np.zeros(3)}, np.array([1, 2]))\n"
        "print(type(p).__name__, p.fields, p.px.tolist())\n"
    )
    assert _run(code) == "MomentumArray4D ['rho', 'eta', 'phi', 'tau'] [[1.0], [1.0, 1.0]]"


def test_arrays_made_before_the_user_registers_vector_still_load_it():
    code = (
        "import numpy as np\n"
        "from hepsym.events import make_particles\n"
        "p = make_particles({'px': np.ones(2), 'py': np.zeros(2), 'pz': np.zeros(2),\n"
        "    'E': np.full(2, 2.0)}, np.array([2]))\n"
        "import vector\n"
        "vector.register_awkward()\n"
        "print(p.pt.tolist(), type(p).__name__)\n"
        "try:\n"
        "    p.no_such_thing\n"
        "except AttributeError:\n"
        "    print('AttributeError')\n"
    )
    assert _run(code).splitlines() == ["[[1.0, 1.0]] MomentumArray4D", "AttributeError"]


def test_make_particles_matches_vector_zip():
    import awkward as ak
    import numpy as np
    import vector

    from hepsym.events import make_particles

    rng = np.random.default_rng(1)
    counts = np.array([2, 0, 3])
    cols = {k: rng.normal(size=5) for k in ("px", "py", "pz", "E")} | {"pid": np.arange(5)}
    ours = make_particles(cols, counts)
    theirs = vector.zip({k: ak.unflatten(v, counts) for k, v in cols.items()})
    assert ours.fields == theirs.fields
    assert ak.to_list(ours) == ak.to_list(theirs)
    assert ak.all(ours.mass == theirs.mass)
    # a coordinate set the readers never give still goes through vector.zip
    odd = make_particles({"x": np.ones(2), "y": np.ones(2), "z": np.ones(2), "t": np.ones(2)},
                         np.array([2]))  # fmt: skip
    assert odd.fields == ["x", "y", "z", "t"]
