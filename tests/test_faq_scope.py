"""The scope regression's fit (bench/faq_scope.py): partners' questions against the rest."""

from __future__ import annotations

import numpy as np
import pytest

from bench import faq_scope

pytestmark = pytest.mark.no_database  # run once: not again on PostgreSQL + Redis


def test_the_fit_tells_the_two_apart_and_leaves_the_bias_unpenalised() -> None:
    rng = np.random.default_rng(7)
    inside = rng.normal(0.0, 0.1, (60, 512)) + np.eye(512)[0]
    outside = rng.normal(0.0, 0.1, (20, 512)) - np.eye(512)[0]
    data = [
        (np.vstack([inside[:30], outside[:10]]), np.r_[np.ones(30), np.zeros(10)]),
        (np.vstack([inside[30:], outside[10:]]), np.r_[np.ones(30), np.zeros(10)]),
    ]
    weights = faq_scope.fit(data)
    assert weights.shape == (513,)
    assert weights.dtype == np.float32
    logits = np.vstack([inside, outside]) @ weights[:-1] + weights[-1]
    assert (logits[:60] > 0).all()
    assert (logits[60:] < 0).all()
    # three in-scope questions to one: with nothing to tell them apart, the bias says so
    flat = faq_scope.fit([(np.zeros((8, 512)), np.r_[np.ones(6), np.zeros(2)])])
    assert abs(float(flat[-1]) - np.log(3)) < 1e-3
    assert np.abs(flat[:-1]).max() < 1e-6
