"""The notation table: every symbol the report names, as LaTeX, in one place.

A course can match its own notes by choosing (or adding) a preset; the SymPy
objects of the derivation are named from the table, and the printer prints
those names verbatim, so a preset changes every formula at once.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path

from .errors import ConfigError

_GREEK = (
    "alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu xi pi varpi rho varrho "
    "sigma varsigma tau upsilon phi varphi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega"
).split()
#: The LaTeX commands a notation string may use (amsmath and amssymb provide them all): Greek letters, \ell, fonts and accents.
COMMANDS = frozenset(_GREEK) | {"ell", "mathrm", "mathbf", "mathit", "mathsf", "mathcal", "mathbb", "boldsymbol", "operatorname", "tilde", "hat", "bar", "vec"}
_TOKEN = re.compile(r"\\(?P<command>[A-Za-z]+)|(?P<plain>[A-Za-z0-9_^'{}(),.+\- ])")


def check_latex(field: str, value: object) -> str:
    """``value`` if it is a notation string gradproof can print safely: letters, digits, sub- and superscripts, primes,
    balanced braces, and the commands in COMMANDS only (no \\input, \\write18, \\def, $, %, #, &, ...); ConfigError otherwise."""
    commands = ", \\".join(sorted(COMMANDS - set(_GREEK)))
    allowed = f"letters, digits, _ ^ ' ( ) , . + - and balanced braces, with the commands \\{commands} and Greek letters"
    if isinstance(value, str) and "^^" in value:  # TeX reads ^^5c as a backslash: a way around the command whitelist
        raise ConfigError(f"notation.{field}", value, "no ^^ (TeX's character code notation): " + allowed)
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"notation.{field}", value, "a non-empty LaTeX string: " + allowed)
    position, depth = 0, 0
    while position < len(value):
        token = _TOKEN.match(value, position)
        if token is None or (token["command"] is not None and token["command"] not in COMMANDS):
            raise ConfigError(f"notation.{field}", value, allowed)
        depth += {"{": 1, "}": -1}.get(token["plain"] or "", 0)
        if depth < 0:
            raise ConfigError(f"notation.{field}", value, "balanced braces: " + allowed)
        position = token.end()
    if depth:
        raise ConfigError(f"notation.{field}", value, "balanced braces: " + allowed)
    return value


@dataclass(frozen=True)
class Notation:
    """LaTeX for each role in s_j = phi(a_j), a_j = W s_{j-1} + U x_j + b, loss L_t."""

    state: str = "s"
    preactivation: str = "a"
    recurrent_weight: str = "W"
    input_weight: str = "U"
    bias: str = "b"
    input: str = "x"
    activation: str = r"\varphi"
    loss: str = "L"
    dim: str = "d"
    input_dim: str = "m"
    gamma: str = r"\gamma"
    lam: str = r"\lambda"
    variable: str = "z"

    def __post_init__(self) -> None:
        for field in fields(self):
            check_latex(field.name, getattr(self, field.name))

    def indexed(self, role: str, index: object) -> str:
        """The LaTeX name of a role with a subscript, e.g. ``indexed("state", "t-1")`` is ``s_{t-1}``."""
        return subscripted(getattr(self, role), index)

    @property
    def activation_prime(self) -> str:
        """The name of the activation's derivative, e.g. ``\\sigma'``."""
        return self.activation + "'"


def subscripted(base: str, index: object) -> str:
    """``base`` with the subscript ``index``; a base that carries its own sub- or superscript (W_{hh}) is braced first,
    so W_{hh} with pq is {W_{hh}}_{pq}, never the double subscript W_{hh}_{pq} that TeX and KaTeX refuse."""
    return f"{{{base}}}_{{{index}}}" if "_" in base or "^" in base else f"{base}_{{{index}}}"


#: The notations of common courses and texts; phi is the generic activation in all of them (sigma is the sigmoid).
PRESETS: dict[str, Notation] = {
    "default": Notation(),  # the seeds: s_j = phi(a_j), a_j = W s_{j-1} + U x_j + b
    "hidden": Notation(state="h", recurrent_weight="W_{hh}", input_weight="W_{xh}", bias="b_{h}"),  # h_t, W_hh, W_xh, b_h
    "pascanu": Notation(state="x", recurrent_weight=r"W_{\mathrm{rec}}", input_weight=r"W_{\mathrm{in}}", input="u", loss=r"\mathcal{E}"),
    "d2l": Notation(state="h", recurrent_weight="W_{hh}", input_weight="W_{hx}", bias="b_{h}"),  # Dive into Deep Learning
}


def notation(preset: str | Notation) -> Notation:
    """The notation preset called ``preset`` (a Notation, such as one read by ``from_toml``, is itself)."""
    if isinstance(preset, Notation):
        return preset
    try:
        return PRESETS[preset]
    except KeyError:
        raise ConfigError("--notation", preset, sorted(PRESETS)) from None


def from_toml(path: Path) -> Notation:
    """A course's own notation from a TOML file: an optional ``preset = "NAME"`` to start from, then any of the roles.

    Each error is one line naming the file and the key: an unknown key, a value that is not a LaTeX string gradproof
    can print safely, a file that is missing or not TOML.
    """
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigError("--notation", str(path), f"a readable TOML file ({error.strerror or error})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError("--notation", str(path), f"a TOML file ({str(error).splitlines()[0]})") from None
    base = table.pop("preset", "default")
    if not isinstance(base, str) or base not in PRESETS:
        raise ConfigError(f"{path}: preset", base, sorted(PRESETS))
    roles = {field.name for field in fields(Notation)}
    for key, value in table.items():
        if key not in roles:
            raise ConfigError(f"{path}: {key}", value, "a notation key: preset, " + ", ".join(sorted(roles)))
        try:
            check_latex(key, value)
        except ConfigError as error:
            raise ConfigError(f"{path}: {key}", value, error.allowed) from None
    return replace(PRESETS[base], **table)
