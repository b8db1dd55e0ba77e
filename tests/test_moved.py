"""Old flat module paths still import, as the very modules now living in the layers."""

import importlib

import pytest

import simlib
from simlib._moved import MOVED


@pytest.mark.parametrize("old", sorted(MOVED))
def test_an_old_path_is_the_new_module(old):
    assert importlib.import_module(old) is importlib.import_module(MOVED[old])


def test_from_imports_of_old_paths_work():
    from simlib import decision_tree, matrix
    from simlib.recommend import Profile

    assert matrix.__name__ == "simlib.course.matrix" and decision_tree.walk
    assert Profile.__module__ == "simlib.course.profile"


def test_an_unknown_old_path_still_fails():
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("simlib.no_such_module")
    assert simlib.simulate
