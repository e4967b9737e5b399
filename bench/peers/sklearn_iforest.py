#!/usr/bin/python3
"""Peer for bench/iforest.bench.ts: scikit-learn IsolationForest (100 trees, psi 256) on a CSV matrix.
Usage: sklearn_iforest.py IN.csv OUT.txt; prints 'fit_s score_s' and writes one score per line (higher = more anomalous)."""
import sys, time, numpy as np
from sklearn.ensemble import IsolationForest
X = np.loadtxt(sys.argv[1], delimiter=",")
t = time.time()
m = IsolationForest(n_estimators=100, max_samples=256, random_state=0).fit(X)
fit = time.time() - t
t = time.time()
s = -m.score_samples(X)
score = time.time() - t
np.savetxt(sys.argv[2], s, fmt="%.8f")
print(f"{fit:.4f} {score:.4f}")
