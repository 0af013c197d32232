"""The public namespace (peerbib.__all__): every documented name, callable, never shadowed."""
from __future__ import annotations

import importlib
import importlib.util
import subprocess
import sys

import peerbib as pb

CONTRACT = ["read_corpus", "fetch", "build", "load", "Tables", "publication_years", "cluster_abstracts",
            "plot_publication_years", "report"]


def test_contract_names_exist():
    for name in CONTRACT:
        assert callable(getattr(pb, name)), name
    assert set(CONTRACT) <= set(pb.__all__)


def test_no_public_name_is_also_a_submodule():
    # Importing a submodule sets it as an attribute of the package: a function
    # and a module of the same name would let `import peerbib.build` replace pb.build.
    for name in pb.__all__:
        assert importlib.util.find_spec(f"peerbib.{name}") is None, name


def test_functions_survive_importing_every_submodule():
    code = ("import peerbib as pb, pkgutil, importlib\n"
            "for m in pkgutil.iter_modules(pb.__path__):\n    if m.name != '__main__': importlib.import_module('peerbib.' + m.name)\n"
            "bad = [n for n in pb.__all__ if n != '__version__' and type(getattr(pb, n)).__name__ == 'module']\n"
            "assert not bad, bad\n")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_import_is_light():
    code = "import sys, peerbib; print(','.join(m for m in ('pandas', 'matplotlib', 'sklearn', 'nbclient') if m in sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout.strip()
    assert loaded == ""
