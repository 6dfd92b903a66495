from __future__ import annotations

import subprocess
import sys

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
