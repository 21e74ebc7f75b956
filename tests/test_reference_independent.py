"""The reference is independent of the library: from the rest of the package it imports only
the argument-normalisation module (_args) and the DogPyramid result container, never a
table builder, plan, kernel or op (DESIGN.md; issue 17)."""
import ast
import pathlib

import pyramidkit.reference

ALLOWED = {("_args", None), ("dog", "DogPyramid")}


def test_reference_imports_only_argument_parsing():
    root = pathlib.Path(pyramidkit.reference.__file__).parent
    offending = []
    for path in sorted(root.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level >= 2:  # from ..x import y
                module = node.module or ""
                for alias in node.names:
                    if (module, None) not in ALLOWED and (module, alias.name) not in ALLOWED:
                        offending.append(f"{path.name}: from {'.' * node.level}{module} import {alias.name}")
            if isinstance(node, ast.Import) and any(a.name.startswith("pyramidkit") for a in node.names):
                offending.append(f"{path.name}: import {[a.name for a in node.names]}")
    assert not offending, offending
