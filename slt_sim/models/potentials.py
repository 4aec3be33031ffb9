"""Potential models: a fixed loss landscape K(w), so L_n(w) = K(w) and n only scales it.

These are the landscapes on which SLT can be *seen*: normal crossings, regular quadratics,
user polynomials such as the cusp, and two crafted two-basin toys whose posterior jumps from one
basin to the other as n grows (a Bayesian phase change).
"""

from __future__ import annotations

import ast
from fractions import Fraction

import jax.numpy as jnp

from .. import _validate as v
from .. import theory
from ._deferred import deferred
from .base import Model, Region


def normal_crossing(k=(1, 1), h=None, half_width: float = 1.0) -> Model:
    r"""Normal crossing K(w) = Π_i w_i^{2 k_i} with prior φ(w) ∝ Π_i |w_i|^{h_i} on [−a, a]^d.

    λ = min_{i: k_i>0} (h_i + 1)/(2 k_i) and m = the number of coordinates attaining the min
    (Watanabe 2009, ch. 6). Any dimension d = len(k).

    Args:
      k: exponents k_i ≥ 0 (at least one positive), e.g. ``(1, 2)`` or ``"1,2"``.
      h: prior exponents h_i ≥ 0 (default zeros: uniform prior).
      half_width: a, the half-width of the prior's box.
    """
    k = v.int_tuple("k", k, lo=0)
    h = (0,) * len(k) if h is None else v.int_tuple("h", h, lo=0)
    if len(h) != len(k):
        raise ValueError(f"k and h must have the same length (k has {len(k)}, h has {len(h)})")
    a = v.as_float("half_width", half_width, lo=0.0, lo_open=True)
    lc = theory.normal_crossing(k, h)
    kk = jnp.asarray(k, dtype=jnp.result_type(float))

    def potential(w):
        # Π w_i^{2k_i} evaluated in log space would lose sign-free zeros; powers are fine here.
        return jnp.prod(w ** (2 * kk), axis=-1)

    d = len(k)
    box = ((-a, a),) * d
    origin = Region("origin", lambda w: jnp.asarray(True), loss=0.0, lam=lc.lam, m=lc.m,
                    centre=(0.0,) * d)
    return Model(
        name=f"normal_crossing(k={k}, h={h})", dim=d,
        prior=deferred("SymmetricPowerPrior", h, a), box=box, potential=potential,
        population_loss=potential, focus=((0.0,),) * d, regions=(origin,),
        lam=lc.lam, m=lc.m, param_names=_names(d),
        noise="potential: L_n(w) = K(w) = Π w_i^{2k_i} (no data)",
        extra={"k": k, "h": h, "half_width": a})


def quadratic(d: int = 2, half_width: float = 1.0) -> Model:
    """Regular potential K(w) = ‖w‖² with a uniform prior on [−a, a]^d: λ = d/2, m = 1."""
    d = v.as_int("d", d, lo=1, hi=64)
    a = v.as_float("half_width", half_width, lo=0.0, lo_open=True)
    lc = theory.regular(d)

    def potential(w):
        return jnp.sum(w ** 2, axis=-1)

    box = ((-a, a),) * d
    return Model(
        name=f"quadratic(d={d})", dim=d, prior=deferred("uniform_box", box), box=box,
        potential=potential,
        population_loss=potential, focus=((0.0,),) * d,
        regions=(Region("origin", lambda w: jnp.asarray(True), 0.0, lc.lam, 1, (0.0,) * d),),
        lam=lc.lam, m=1, param_names=_names(d), noise="potential: K(w) = ‖w‖²",
        extra={"d": d, "half_width": a})


# ------------------------------------------------------------------------- polynomials
#: λ and m of well-known potentials on a box around 0 with a uniform prior (Watanabe 2009;
#: Newton-polygon / blow-up computations). Keys are canonical strings (see _canonical).
KNOWN_POTENTIALS: dict[str, tuple[Fraction, int]] = {
    "a^2": (Fraction(1, 2), 1),
    "a^4": (Fraction(1, 4), 1),
    "a^2+b^2": (Fraction(1), 1),
    "a^2+b^4": (Fraction(3, 4), 1),
    "a^4+b^4": (Fraction(1, 2), 1),
    "(a^2+b^2)^2": (Fraction(1, 2), 1),
    "(a^2-b^3)^2": (Fraction(5, 12), 1),
    "(ab)^2": (Fraction(1, 2), 2),
    "a^2b^2": (Fraction(1, 2), 2),
    "a^2b^4": (Fraction(1, 4), 1),
    "(abc)^2": (Fraction(1, 2), 3),
    "a^2b^2c^2": (Fraction(1, 2), 3),
    "a^2+b^2+c^2": (Fraction(3, 2), 1),
    "a^2+b^4+c^4": (Fraction(1), 1),
}

_VARS = ("a", "b", "c")
_ALLOWED_NODES = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Name, ast.Constant, ast.Load,
                  ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow, ast.USub, ast.UAdd)


def _canonical(expr: str) -> str:
    return expr.replace(" ", "").replace("**", "^").replace("*", "")


def _parse_polynomial(expr: str):
    """Parse 'a^2+b^4' style text (variables a, b, c; ^ or ** for powers) into a JAX function."""
    text = expr.replace("^", "**")
    # allow implicit products such as "ab" or "2a" only through explicit '*': be strict
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as err:
        raise ValueError(f"potential {expr!r} is not a valid polynomial in a, b, c: {err.msg}") \
            from None
    names = set()
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED_NODES):
            raise ValueError(f"potential {expr!r} may only use numbers, a, b, c, + - * / and ^ "
                             f"(found {type(node).__name__})")
        if isinstance(node, ast.Name):
            if node.id not in _VARS:
                raise ValueError(f"potential {expr!r} uses unknown variable {node.id!r}; "
                                 f"use a, b, c (write products as a*b)")
            names.add(node.id)
        if isinstance(node, ast.Constant) and not isinstance(node.value, (int, float)):
            raise ValueError(f"potential {expr!r} contains a non-numeric constant")
    if not names:
        raise ValueError(f"potential {expr!r} has no variables (use a, b, c)")
    dim = max(_VARS.index(n) for n in names) + 1
    code = compile(tree, "<potential>", "eval")

    def potential(w):
        env = {name: w[..., i] for i, name in enumerate(_VARS[:dim])}
        return eval(code, {"__builtins__": {}}, env)  # noqa: S307 - AST checked above

    return potential, dim


def polynomial(potential, dim: int | None = None, half_width: float = 1.0, lam=None, m=None,
               name: str | None = None, regions=None) -> Model:
    """A user potential K(w) in 1–3 variables with a uniform prior on [−a, a]^d.

    Args:
      potential: text such as ``"a^2+b^4"``, ``"(a^2+b^2)^2"``, ``"(a^2-b^3)^2"``, ``"(a*b)^2"``
        (variables a, b, c; write products with ``*``), or a JAX function ``w -> K(w)`` of a
        vector ``w`` of length ``dim``. K should be ≥ 0 with minimum 0 at the origin for the
        theory (λ, m) to apply.
      dim: parameter count; required for a callable, read from the text otherwise.
      half_width: a, the half-width of the uniform prior's box.
      lam, m: the known λ and m, if you know them. For the well-known potentials in
        ``KNOWN_POTENTIALS`` (a²+b⁴ → 3/4, (a²+b²)² → 1/2, cusp (a²−b³)² → 5/12, …) they are
        filled in automatically.
      name: a label (default from the expression).
      regions: named basins for region masses, phase sweeps and ``compare``: a sequence of
        :class:`~slt_sim.models.Region`, or a mapping ``{name: indicator}`` with JAX-traceable
        indicators ``w -> bool`` (the first region containing a point owns it). Default: one
        region ``"origin"`` covering the whole box, carrying λ and m.

    Example::

        models.polynomial("(a^2+b^2-1)^2*((a-2)^2+b^2)", half_width=3,
                          regions={"ring": lambda w: w[0] < 1.5, "point": lambda w: w[0] >= 1.5})
    """
    a = v.as_float("half_width", half_width, lo=0.0, lo_open=True)
    if isinstance(potential, str):
        fn, parsed_dim = _parse_polynomial(potential)
        if dim is not None and v.as_int("dim", dim, lo=1) != parsed_dim:
            raise ValueError(f"dim={dim} does not match the {parsed_dim} variables of "
                             f"potential {potential!r}")
        dim = parsed_dim
        known = KNOWN_POTENTIALS.get(_canonical(potential))
        if known is not None and lam is None:
            lam, m = known
        label = name or f"polynomial({_canonical(potential)})"
    elif callable(potential):
        if dim is None:
            raise ValueError("dim is required when potential is a function")
        fn = potential
        dim = v.as_int("dim", dim, lo=1, hi=3)
        label = name or f"polynomial({getattr(potential, '__name__', 'K')})"
    else:
        raise TypeError(f"potential must be a string like 'a^2+b^4' or a function, "
                        f"got {type(potential).__name__}")
    if dim > 3:
        raise ValueError(f"polynomial potentials take 1 to 3 variables, got {dim}")
    if lam is not None:
        lam = Fraction(lam).limit_denominator(10_000) if not isinstance(lam, Fraction) else lam
        m = 1 if m is None else v.as_int("m", m, lo=1)
    box = ((-a, a),) * dim
    regions = (Region("origin", lambda w: jnp.asarray(True), 0.0, lam, m, (0.0,) * dim),) \
        if regions is None else _regions("regions", regions)
    return Model(name=label, dim=dim, prior=deferred("uniform_box", box), box=box, potential=fn,
                 population_loss=fn, focus=((0.0,),) * dim, regions=regions, lam=lam, m=m,
                 param_names=_names(dim), noise="potential: L_n(w) = K(w) (no data)",
                 extra={"expression": potential if isinstance(potential, str) else None,
                        "half_width": a})


def _regions(name: str, value) -> tuple[Region, ...]:
    """Regions from Region objects or a mapping {name: indicator}."""
    items = list(value.items()) if hasattr(value, "items") else list(value)
    out = []
    for i, item in enumerate(items):
        if isinstance(item, Region):
            out.append(item)
        elif isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str) \
                and callable(item[1]):
            out.append(Region(item[0], item[1]))
        else:
            raise TypeError(f"{name}[{i}] must be a Region or a (name, indicator) pair, got "
                            f"{type(item).__name__}")
    if not out:
        raise ValueError(f"{name} must name at least one region, got none")
    return tuple(out)


# ------------------------------------------------------------------------- two basins
def two_basins_1d(prior_scale: float = 1.0, wide_centre: float = 0.0, wide_width: float = 1.0,
                  narrow_centre: float = 11.0, narrow_width: float = 0.02,
                  depth_gap: float = 0.006135) -> Model:
    r"""The classic 1-D Bayesian phase change: a wide shallow basin and a narrow deeper one.

    Prior N(0, s²) with s = ``prior_scale``. Loss (a fixed potential)

        L(w) = −exp(−(w − c_w)² / (2 σ_w²)) − (1 + δ) exp(−(w − c_n)² / (2 σ_n²)),

    a wide basin of depth 1 at c_w near the prior's centre and a narrow basin of depth 1 + δ at
    c_n far out in the prior's tail. Both basins are regular (λ = 1/2, m = 1), so the free
    energies differ by n·δ against O(1) terms: the prior's log-density gap c_n²/(2s²) and the
    log-curvature gap ½ log(σ_w²(1 + δ)/σ_n²). The posterior sits in the wide basin until

        n δ ≈ (c_n² − c_w²)/(2 s²) + ½ log((1 + δ) σ_w² / σ_n²),

    then jumps. With the defaults the jump happens between n = 10,000 and n = 11,000 (about
    10,500 by exact quadrature; 95.6% of the mass is in the wide basin at n = 10,000 and 95.6%
    in the narrow one at n = 11,000): the picture of the SLT primers.
    """
    s = v.as_float("prior_scale", prior_scale, lo=0.0, lo_open=True)
    cw = v.as_float("wide_centre", wide_centre)
    sw = v.as_float("wide_width", wide_width, lo=0.0, lo_open=True)
    cn = v.as_float("narrow_centre", narrow_centre)
    sn = v.as_float("narrow_width", narrow_width, lo=0.0, lo_open=True)
    gap = v.as_float("depth_gap", depth_gap, lo=0.0, lo_open=True)
    if abs(cn - cw) < 4 * (sw + sn):
        raise ValueError(f"narrow_centre must be at least 4·(wide_width + narrow_width) = "
                         f"{4 * (sw + sn):g} from wide_centre so that the basins are separate, "
                         f"got |{cn:g} − {cw:g}| = {abs(cn - cw):g}")

    def potential(w):
        x = w[..., 0]
        return (-jnp.exp(-0.5 * ((x - cw) / sw) ** 2)
                - (1.0 + gap) * jnp.exp(-0.5 * ((x - cn) / sn) ** 2))

    # boundary between the basins: where the narrow well has decayed, 8 widths from its centre
    boundary = cn - jnp.sign(cn - cw) * 8.0 * sn
    toward = 1.0 if cn > cw else -1.0

    def in_narrow(w):
        return toward * (w[..., 0] - boundary) > 0

    regions = (
        Region("wide", lambda w: ~in_narrow(w), -1.0, Fraction(1, 2), 1, (cw,)),
        Region("narrow", in_narrow, -(1.0 + gap), Fraction(1, 2), 1, (cn,)),
    )
    lo = min(cw - 10 * sw, cn - 10 * sn, -10 * s)
    hi = max(cw + 10 * sw, cn + 10 * sn, 10 * s)
    return Model(
        name="two_basins_1d", dim=1, prior=deferred("gaussian", 1, s), box=((lo, hi),),
        potential=potential,
        population_loss=potential, focus=((cw, cn),), regions=regions,
        lam=Fraction(1, 2), m=1, param_names=("w",),
        noise="potential: L_n(w) = L(w), a deterministic loss (no data)",
        extra=dict(prior_scale=s, wide_centre=cw, wide_width=sw, narrow_centre=cn,
                   narrow_width=sn, depth_gap=gap))


def two_basins_2d(regular_centre=(1.0, 1.0), singular_centre=(-1.0, -1.0),
                  curvature: float = 1.0, loss_gap: float = 0.002,
                  half_width: float = 2.0) -> Model:
    r"""A regular basin at lower loss against a singular basin at higher loss, in 2-D.

    Uniform prior on [−a, a]². With u = w − c_s and r = w − c_r,

        L(w) = min( κ ‖r‖²,  δ + (u_1 u_2)² ),

    the regular basin (λ = 1, m = 1) has loss 0 and the singular basin — the cross
    {u_1 u_2 = 0}, a normal crossing with λ = 1/2, m = 2 at its centre — has loss δ > 0.
    The free energies differ by

        F_reg − F_sing ≈ −n δ + ½ log n + log log n + (c_reg − c_sing),

    so the simpler-but-worse singular basin holds the posterior at small n and the regular one
    takes it at large n. Regions: ``"singular"`` where the singular branch of the min is lower,
    ``"regular"`` elsewhere.
    """
    cr = tuple(v.as_float(f"regular_centre[{i}]", x) for i, x in enumerate(regular_centre))
    cs = tuple(v.as_float(f"singular_centre[{i}]", x) for i, x in enumerate(singular_centre))
    if len(cr) != 2 or len(cs) != 2:
        raise ValueError("regular_centre and singular_centre must each have 2 coordinates")
    kappa = v.as_float("curvature", curvature, lo=0.0, lo_open=True)
    gap = v.as_float("loss_gap", loss_gap, lo=0.0, lo_open=True)
    a = v.as_float("half_width", half_width, lo=0.0, lo_open=True)
    for name, c in (("regular_centre", cr), ("singular_centre", cs)):
        if max(abs(c[0]), abs(c[1])) >= a:
            raise ValueError(f"{name} {c} must lie inside the box [−{a:g}, {a:g}]²")
    if cr[0] == cs[0] or cr[1] == cs[1]:
        raise ValueError("regular_centre must not lie on the singular cross: its coordinates must"
                         f" both differ from singular_centre's, got {cr} and {cs}")
    cr_arr, cs_arr = jnp.asarray(cr), jnp.asarray(cs)

    def regular_branch(w):
        return kappa * jnp.sum((w - cr_arr) ** 2, axis=-1)

    def singular_branch(w):
        u = w - cs_arr
        return gap + (u[..., 0] * u[..., 1]) ** 2

    def potential(w):
        return jnp.minimum(regular_branch(w), singular_branch(w))

    def in_singular(w):
        return singular_branch(w) < regular_branch(w)

    regions = (
        Region("singular", in_singular, gap, Fraction(1, 2), 2, cs),
        Region("regular", lambda w: ~in_singular(w), 0.0, Fraction(1), 1, cr),
    )
    box = ((-a, a),) * 2
    return Model(
        name="two_basins_2d", dim=2, prior=deferred("uniform_box", box), box=box,
        potential=potential,
        population_loss=potential, focus=((cr[0], cs[0]), (cr[1], cs[1])), regions=regions,
        lam=Fraction(1), m=1, param_names=("w1", "w2"),
        noise="potential: L_n(w) = L(w), a deterministic loss (no data)",
        extra=dict(regular_centre=cr, singular_centre=cs, curvature=kappa, loss_gap=gap,
                   half_width=a))


def _names(d: int) -> tuple[str, ...]:
    return tuple(_VARS[:d]) if d <= 3 else tuple(f"w{i + 1}" for i in range(d))
