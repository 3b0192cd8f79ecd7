"""The state-space marginal in dense (covariance) form: one batched Cholesky per territory.

For the structural model of :mod:`channelsim.model._statespace` the observed time state
``x[m] = level[m] + delta[m]`` of a territory is, over the book's ``N`` steps, a Gaussian
vector whose mean and covariance have a closed form (:func:`structural_moments`):

.. math::

    \\ell_m &= \\ell_0 + m \\bar b + c_m (b_0 - \\bar b)
        + \\sigma_b \\sum_k c_{m-1-k} \\xi_k + \\sigma_\\ell \\sum_{k<m} \\zeta_k,
        \\qquad c_n = \\sum_{i<n} \\phi^i \\\\
    \\delta_m &= p_{m \\bmod S} + \\sigma_\\delta \\sum_{k<m} \\psi_{m-1-k} \\omega_k,
        \\qquad \\psi_j = [j \\equiv 0] - [j \\equiv 1] \\pmod S

(``p`` the zero-sum pattern of the first cycle, ``psi`` the impulse response of the dummy
seasonal, ``1 / (1 + L + ... + L^{S-1}) = (1 - L) / (1 - L^S)``), so

``Sigma = level0_sd^2 11' + trend0_sd^2 c c' + sigma_b^2 C C' + sigma_l^2 min(m, m')
+ season0_sd^2 ([m = m' mod S] - 1/S) + sigma_s^2 Psi Psi'``.

With cell means ``ybar`` and precisions ``W`` (:func:`channelsim.model._statespace.
cell_statistics`), ``D = diag(sqrt W)`` and ``B = I + D Sigma D``, the *reduced* marginal
log density (the Kalman filter's value, :func:`~channelsim.model._statespace.
kalman_loglik_np`) is ``-1/2 log det B - 1/2 (D r)' B^-1 (D r)``, ``r = ybar - mu``: exact,
no division by ``W`` (a cell without sales has a zero row in ``D``), one Cholesky of an
``N x N`` matrix per territory. It costs ``N^3 / 3`` per territory against the filter's ``N
k^3``. In the fit it is one PyTensor Op (:func:`dense_loglik_op`) whose value and gradient
are computed together in numpy (:func:`dense_loglik_grad`, batched LAPACK over territories):
PyTensor's own graph of the same maths (Cholesky, triangular solve and their gradients, one
territory at a time) cost about 40 times more per gradient (docs/model.md section 8 has the
timings).

Works on numpy arrays (``xp=np``) and PyTensor tensors (``xp=pt``); depends on numpy (and
PyTensor only when given tensors).
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "dense_loglik",
    "dense_loglik_grad",
    "dense_loglik_op",
    "season_matrices",
    "structural_moments",
]


def season_matrices(n_steps: int, n_season: int) -> tuple[np.ndarray, np.ndarray]:
    """Constant covariance shapes of the seasonal deviation over ``n_steps`` steps.

    Returns ``E`` (initial pattern: ``[m = m' mod S] - 1/S``) and ``PsiPsi'`` (disturbances),
    both ``(n_steps, n_steps)``; zeros when ``n_season <= 1``.

    Examples
    --------
    >>> E, G = season_matrices(3, 2)
    >>> E.tolist()
    [[0.5, -0.5, 0.5], [-0.5, 0.5, -0.5], [0.5, -0.5, 0.5]]
    """
    m = np.arange(n_steps)
    if not n_season or n_season <= 1:
        z = np.zeros((n_steps, n_steps))
        return z, z
    S = int(n_season)
    E = (m[:, None] % S == m[None, :] % S) - 1.0 / S
    lag = m[:, None] - 1 - m[None, :]
    psi = np.where(lag < 0, 0.0, (lag % S == 0) * 1.0 - (lag % S == 1) * 1.0)
    return E, psi @ psi.T


def structural_moments(
    phi,
    sigma_level,
    sigma_trend,
    sigma_season,
    n_season: int,
    n_steps: int,
    *,
    trend_mean=0.0,
    level0_mean=0.0,
    level0_sd=0.0,
    trend0_sd=0.05,
    season0_sd=0.2,
    xp=np,
):
    """Mean ``(n_steps,)`` and covariance ``(n_steps, n_steps)`` of the observed time state.

    The same model and arguments as :func:`channelsim.model._statespace.structural_model`
    (scalar parameters; ``xp=pytensor.tensor`` for symbolic ones). ``level0_sd = 0`` pins the
    level at step 0 (the fit's choice: the territory level there is ``a_terr``).

    Examples
    --------
    >>> mu, cov = structural_moments(1.0, 0.1, 0.0, 0.0, 0, 3, trend0_sd=0.0)
    >>> cov.round(3).tolist()
    [[0.0, 0.0, 0.0], [0.0, 0.01, 0.01], [0.0, 0.01, 0.02]]
    """
    N = int(n_steps)
    m = np.arange(N, dtype=np.float64)
    powers = phi ** np.arange(N, dtype=np.float64)
    c = xp.concatenate([xp.zeros(1), xp.cumsum(powers)[: N - 1]]) if N > 1 else xp.zeros(1)
    lag = np.clip(np.arange(N)[:, None] - 1 - np.arange(N)[None, :], 0, None)
    C = c[lag]
    cov = (
        level0_sd**2 * np.ones((N, N))
        + trend0_sd**2 * (c[:, None] * c[None, :])
        + sigma_trend**2 * (C @ C.T)
        + sigma_level**2 * np.minimum(m[:, None], m[None, :])
    )
    if n_season and n_season > 1:
        E, G = season_matrices(N, n_season)
        cov = cov + season0_sd**2 * E + sigma_season**2 * G
    mu = level0_mean + trend_mean * m
    return mu, cov


def dense_loglik(ybar, W, mu, cov, *, observed=None, xp=np):
    """Reduced marginal log density per territory, states integrated out (covariance form).

    Parameters
    ----------
    ybar, W : array, shape (n_terr, n_steps)
        Cell means and precisions (``ybar`` is ignored where ``W = 0``).
    mu : array, shape (n_steps,) or (n_terr, n_steps)
    cov : array, shape (n_steps, n_steps) or (n_terr, n_steps, n_steps)
    observed : bool array, shape (n_terr, n_steps), optional
        Which cells have rows (``W > 0``); required for symbolic ``W`` (it keeps the square
        root away from zero, where its gradient is infinite).
    xp : module
        ``numpy`` or ``pytensor.tensor``.

    Returns
    -------
    array, shape (n_terr,)
        Equal to :func:`channelsim.model._statespace.kalman_loglik_np` of the same model.

    Examples
    --------
    >>> mu, cov = structural_moments(0.9, 0.05, 0.01, 0.0, 0, 4, level0_sd=1.0)
    >>> abs(float(dense_loglik(np.zeros((1, 4)), np.zeros((1, 4)), mu, cov)[0]))
    0.0
    """
    if observed is None:
        observed = np.asarray(W) > 0
    obs = np.asarray(observed, dtype=np.float64)
    d = xp.sqrt(W * obs + (1.0 - obs)) * obs  # sqrt(W), exactly 0 where no rows
    r = (ybar - mu) * d
    n = obs.shape[-1]
    B = np.eye(n) + d[:, :, None] * cov * d[:, None, :]
    if xp is np:
        L = np.linalg.cholesky(B)
        z = np.linalg.solve(L, r[..., None])[..., 0]
        logdet = 2.0 * np.log(np.diagonal(L, axis1=-2, axis2=-1)).sum(-1)
    else:
        import pytensor.tensor as pt

        L = pt.linalg.cholesky(B)
        z = pt.linalg.solve_triangular(L, r[..., None], lower=True)[..., 0]
        logdet = 2.0 * pt.log(pt.diagonal(L, axis1=-2, axis2=-1)).sum(-1)
    return -0.5 * logdet - 0.5 * (z * z).sum(-1)


def dense_loglik_grad(ybar, W, mu, cov, observed):
    """:func:`dense_loglik` summed over territories, and its gradient (numpy).

    With ``B = I + D Sigma D``, ``A = B^-1``, ``v = D r``, ``u = A v``:
    ``d/dr = -D u``, ``d/dSigma = 1/2 sum_t [(D u)(D u)' - D A D]``, and per observed cell
    ``d/dd_i = -(Sigma D A)_ii - u_i r_i + u_i (Sigma D u)_i``, ``d/dW_i = d/dd_i / (2 d_i)``
    (zero for cells without rows).

    Returns
    -------
    ll : float
    g_ybar, g_W : (n_terr, n_steps)
    g_mu : (n_steps,) or (n_terr, n_steps), as ``mu``
    g_cov : (n_steps, n_steps) or (n_terr, n_steps, n_steps), as ``cov``
    """
    ybar = np.asarray(ybar, dtype=np.float64)
    W = np.asarray(W, dtype=np.float64)
    mu = np.asarray(mu, dtype=np.float64)
    cov = np.asarray(cov, dtype=np.float64)
    obs = np.asarray(observed, dtype=bool)
    d = np.where(obs, np.sqrt(np.where(obs, W, 1.0)), 0.0)
    r = np.where(obs, ybar - mu, 0.0)
    n = d.shape[-1]
    B = np.eye(n) + d[:, :, None] * cov * d[:, None, :]
    L = np.linalg.cholesky(B)
    Li = np.linalg.inv(L)
    A = np.swapaxes(Li, -1, -2) @ Li
    v = d * r
    u = (A @ v[..., None])[..., 0]
    ll = float(-np.log(np.diagonal(L, axis1=-2, axis2=-1)).sum() - 0.5 * (v * u).sum())
    du = d * u
    g_r = -du
    covb = np.broadcast_to(cov, B.shape)
    # diag(Sigma D A)_i = sum_k Sigma_ik d_k A_ki (A symmetric): elementwise, no product
    sda = (covb * A * d[:, None, :]).sum(-1)
    Sdu = (covb @ du[..., None])[..., 0]
    g_d = -sda - u * r + u * Sdu
    g_W = np.where(obs, 0.5 * g_d / np.where(obs, d, 1.0), 0.0)
    g_cov_t = 0.5 * (du[:, :, None] * du[:, None, :] - d[:, :, None] * A * d[:, None, :])
    g_cov = g_cov_t if cov.ndim == 3 else g_cov_t.sum(0)
    g_mu = -g_r if mu.ndim == 2 else -g_r.sum(0)
    return ll, g_r, g_W, g_mu, g_cov


def dense_loglik_op(ybar, W, mu, cov, observed):
    """:func:`dense_loglik` summed over territories as one differentiable PyTensor Op.

    ``observed`` (n_terr, n_steps) bool is fixed data; ``ybar, W, mu, cov`` may be symbolic.
    The Op returns the value and the four gradients of :func:`dense_loglik_grad` in one
    call; its ``L_op`` scales the stored gradients by the output gradient (a second
    derivative is not available).
    """
    import pytensor.tensor as pt
    from pytensor.graph.basic import Apply
    from pytensor.graph.op import Op

    obs = np.asarray(observed, dtype=bool)

    class _DenseMarginal(Op):
        __props__ = ("key",)

        def __init__(self, key):
            self.key = key

        def make_node(self, y, w, m, c):
            ins = [pt.as_tensor_variable(x).astype("float64") for x in (y, w, m, c)]
            outs = [pt.dscalar(), *(x.type() for x in ins)]
            return Apply(self, ins, outs)

        def perform(self, node, inputs, outputs):
            res = dense_loglik_grad(*inputs, obs)
            outputs[0][0] = np.asarray(res[0])
            for k in range(4):
                outputs[k + 1][0] = np.asarray(res[k + 1], dtype=np.float64)

        def L_op(self, inputs, outputs, output_grads):
            g = output_grads[0]
            return [g * outputs[k + 1] for k in range(4)]

    return _DenseMarginal((obs.shape, obs.tobytes()))(ybar, W, mu, cov)[0]
