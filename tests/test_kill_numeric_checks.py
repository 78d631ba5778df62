"""The decision procedure of the numeric checks (statements 7-9): what counts as proved, as equal, and the values it reads.

These tests were added after a mutation run (docs/mutation.md): each asserts a property the checks rely on
and that a survivor showed was untested.
"""

from __future__ import annotations

import sympy as sp
from flint import arb, arb_mat

from verify.numeric_checks import EQUAL, Scope, Tally, decide, equal, evaluate, spectral_radius


def test_overlapping_balls_wider_than_the_width_are_not_equal() -> None:
    """Equality needs overlap AND a union narrower than width x size: 1 and 1 +- 0.1 overlap but are not equal to 1e-9."""
    assert not equal(arb(1), arb(1, 0.1), EQUAL)
    assert equal(arb(1), arb(1, 1e-12), EQUAL)
    assert equal(arb(0), arb(0), EQUAL)
    assert not equal(arb(1), arb(2), 10.0)  # disjoint balls are never equal, however wide the tolerance


def test_decide_separates_proved_equal_and_unproved() -> None:
    assert decide(arb(1), "<=", arb(2)) == "proved"
    assert decide(arb(2), ">=", arb(1)) == "proved"
    assert decide(arb(1), "<=", arb(1, 1e-12)) == "equal"
    assert decide(arb(2), "<=", arb(1)) is None
    assert decide(arb(1), "<", arb(1)) is None
    assert decide(arb(1), "=", arb(1, 0.1)) is None


def test_the_tally_total_counts_every_kind() -> None:
    assert Tally(proved=2, equal=3, attained=5).total == 10


def test_the_spectral_radius_of_a_nilpotent_and_a_diagonal_matrix() -> None:
    """rho of a Jordan block with eigenvalue 0 is 0 (the ball holds 0 and is small); rho of diag(1/2, -3/4) is 3/4."""
    nilpotent = spectral_radius(arb_mat([[0, 10], [0, 0]]))
    assert nilpotent.contains(0) and nilpotent.upper() < 1
    diagonal = spectral_radius(arb_mat([[arb(1) / 2, 0], [0, arb(-3) / 4]]))
    assert diagonal.contains(arb(3) / 4) and diagonal.rad() < 1e-10


def test_a_negative_power_of_a_number_is_its_reciprocal() -> None:
    scope = Scope("test", 1, scalars={"g": lambda: arb(4)})
    value = evaluate(sp.Symbol("g") ** -2, scope)
    assert isinstance(value, arb) and value.contains(arb(1) / 16) and value.rad() < 1e-30
