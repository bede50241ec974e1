"""Fit the small linear heads with numpy alone: deterministic, no scikit-learn needed."""

from __future__ import annotations

import numpy as np

from monitor.classify.features import DIM, Sparse


def sigmoid(z: np.ndarray) -> np.ndarray:
    """Logistic function, safe for large |z|."""
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def fit_sparse_logreg(x: Sparse, y: np.ndarray, weight: np.ndarray, l2: float = 1e-6,
                      epochs: int = 60, lr: float = 0.05) -> tuple[np.ndarray, float]:
    """Logistic regression over hashed n-grams, full-batch Adam with L2."""
    w = np.zeros(DIM, dtype=np.float64)
    b = 0.0
    m = np.zeros(DIM)
    v = np.zeros(DIM)
    mb = vb = 0.0
    total = float(weight.sum())
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    for t in range(1, epochs + 1):
        residual = (sigmoid(x.dot(w) + b) - y) * weight / total
        g = x.tdot(residual) + l2 * w
        gb = float(residual.sum())
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        mb = beta1 * mb + (1 - beta1) * gb
        vb = beta2 * vb + (1 - beta2) * gb * gb
        corr1, corr2 = 1 - beta1**t, 1 - beta2**t
        w -= lr * (m / corr1) / (np.sqrt(v / corr2) + eps)
        b -= lr * (mb / corr1) / (np.sqrt(vb / corr2) + eps)
    return w.astype(np.float32), float(b)


def fit_dense_logreg(x: np.ndarray, y: np.ndarray, weight: np.ndarray | None = None,
                     l2: float = 1.0, iters: int = 25) -> tuple[np.ndarray, float]:
    """Logistic regression by Newton's method (IRLS); the bias is not penalised."""
    n, d = x.shape
    weight = np.ones(n) if weight is None else weight
    weight = weight * (n / weight.sum())
    xa = np.hstack([x.astype(np.float64), np.ones((n, 1))])
    beta = np.zeros(d + 1)
    penalty = np.full(d + 1, l2)
    penalty[-1] = 0.0
    for _ in range(iters):
        p = sigmoid(xa @ beta)
        grad = xa.T @ ((p - y) * weight) + penalty * beta
        s = p * (1 - p) * weight + 1e-9
        hess = (xa * s[:, None]).T @ xa + np.diag(penalty + 1e-8)
        step = np.linalg.solve(hess, grad)
        beta -= step
        if float(np.abs(step).max()) < 1e-6:
            break
    return beta[:-1].astype(np.float32), float(beta[-1])


def fit_softmax(x: np.ndarray, y: np.ndarray, classes: int, weight: np.ndarray | None = None,
                l2: float = 1e-3, iters: int = 400, lr: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """Multinomial logistic regression, full-batch Adam; returns (W classes×d, b)."""
    n, d = x.shape
    weight = np.ones(n) if weight is None else weight
    weight = weight / weight.sum()
    onehot = np.eye(classes)[y]
    w = np.zeros((classes, d))
    b = np.zeros(classes)
    m = np.zeros_like(w)
    v = np.zeros_like(w)
    mb = np.zeros_like(b)
    vb = np.zeros_like(b)
    for t in range(1, iters + 1):
        z = x @ w.T + b
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        r = (p - onehot) * weight[:, None]
        g = r.T @ x + l2 * w
        gb = r.sum(axis=0)
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        mb = 0.9 * mb + 0.1 * gb
        vb = 0.999 * vb + 0.001 * gb * gb
        c1, c2 = 1 - 0.9**t, 1 - 0.999**t
        w -= lr * (m / c1) / (np.sqrt(v / c2) + 1e-8)
        b -= lr * (mb / c1) / (np.sqrt(vb / c2) + 1e-8)
    return w.astype(np.float32), b.astype(np.float32)


def adam_step(params: list[np.ndarray], grads: list[np.ndarray], m: list[np.ndarray],
              v: list[np.ndarray], step: int, lr: float) -> None:
    """One Adam update of `params` in place, with its moment estimates `m` and `v`."""
    for i, g in enumerate(grads):
        m[i] = 0.9 * m[i] + 0.1 * g
        v[i] = 0.999 * v[i] + 0.001 * g * g
        params[i] -= lr * (m[i] / (1 - 0.9**step)) / (np.sqrt(v[i] / (1 - 0.999**step)) + 1e-8)


def fit_mlp(x: np.ndarray, y: np.ndarray, weight: np.ndarray, hidden: int = 192,
            epochs: int = 20, batch: int = 256, lr: float = 2e-3, decay: float = 1e-4,
            seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """One hidden ReLU layer, logistic output, mini-batch Adam; returns (W1, b1, w2, b2)."""
    rng = np.random.default_rng(seed)
    n, d = x.shape
    params = [rng.normal(0.0, 1.0 / np.sqrt(d), (d, hidden)), np.zeros(hidden),
              rng.normal(0.0, 1.0 / np.sqrt(hidden), hidden), np.zeros(1)]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    scaled = weight / weight.mean()
    step = 0
    for _ in range(epochs):
        order = rng.permutation(n)
        for start in range(0, n, batch):
            idx = order[start:start + batch]
            xb = x[idx]
            h = np.maximum(xb @ params[0] + params[1], 0.0)
            r = (sigmoid(h @ params[2] + params[3][0]) - y[idx]) * scaled[idx] / len(idx)
            gh = np.outer(r, params[2]) * (h > 0)
            grads = [xb.T @ gh + decay * params[0], gh.sum(axis=0),
                     h.T @ r + decay * params[2], np.array([r.sum()])]
            step += 1
            adam_step(params, grads, m, v, step, lr)
    return (params[0].astype(np.float32), params[1].astype(np.float32),
            params[2].astype(np.float32), float(params[3][0]))


def mlp_logits(params: tuple[np.ndarray, np.ndarray, np.ndarray, float],
               x: np.ndarray) -> np.ndarray:
    """Output logits of a network from `fit_mlp`."""
    w1, b1, w2, b2 = params
    return np.maximum(x @ w1 + b1, 0.0) @ w2 + b2


def fit_mlp_softmax(x: np.ndarray, y: np.ndarray, classes: int, weight: np.ndarray | None = None,
                    hidden: int = 128, epochs: int = 40, batch: int = 128, lr: float = 2e-3,
                    decay: float = 1e-3, seed: int = 0
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One hidden ReLU layer, softmax output, mini-batch Adam; returns (W1, b1, W2, b2)."""
    rng = np.random.default_rng(seed)
    n, d = x.shape
    weight = np.ones(n) if weight is None else weight
    scaled = weight / weight.mean()
    onehot = np.eye(classes)[y]
    # float32 throughout: twice as fast as float64 and no less accurate for a head this small
    params = [rng.normal(0.0, 1.0 / np.sqrt(d), (d, hidden)).astype(np.float32),
              np.zeros(hidden, np.float32),
              rng.normal(0.0, 1.0 / np.sqrt(hidden), (hidden, classes)).astype(np.float32),
              np.zeros(classes, np.float32)]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    x = x.astype(np.float32)
    onehot = onehot.astype(np.float32)
    scaled = scaled.astype(np.float32)
    step = 0
    for _ in range(epochs):
        order = rng.permutation(n)
        for start in range(0, n, batch):
            idx = order[start:start + batch]
            xb = x[idx]
            h = np.maximum(xb @ params[0] + params[1], 0.0)
            r = (softmax(h @ params[2] + params[3]) - onehot[idx]) * (scaled[idx] / len(idx))[:, None]
            gh = (r @ params[2].T) * (h > 0)
            grads = [xb.T @ gh + decay * params[0], gh.sum(axis=0),
                     h.T @ r + decay * params[2], r.sum(axis=0)]
            step += 1
            adam_step(params, grads, m, v, step, lr)
    w1, b1, w2, b2 = (p.astype(np.float32) for p in params)
    return w1, b1, w2, b2


def softmax(z: np.ndarray) -> np.ndarray:
    """Row-wise softmax, safe for large logits."""
    z = z - z.max(axis=-1, keepdims=True)
    p = np.exp(z)
    return p / p.sum(axis=-1, keepdims=True)


def mlp_softmax(params: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
                x: np.ndarray) -> np.ndarray:
    """Class probabilities of a network from `fit_mlp_softmax`."""
    w1, b1, w2, b2 = params
    return softmax(np.maximum(x @ w1 + b1, 0.0) @ w2 + b2)
