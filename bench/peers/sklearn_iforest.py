#!/usr/bin/python3
"""Peer for bench/iforest.bench.ts: scikit-learn IsolationForest (100 trees, psi 256) on a CSV matrix.
Usage: sklearn_iforest.py IN.csv OUT.txt; prints 'fit_s score_s fit_cpu_s score_cpu_s' (wall, then CPU) and writes one score per line (higher = more anomalous)."""
import sys, time, numpy as np
from sklearn.ensemble import IsolationForest
X = np.loadtxt(sys.argv[1], delimiter=",")
t, c = time.time(), time.process_time()
m = IsolationForest(n_estimators=100, max_samples=256, random_state=0).fit(X)
fit, fit_cpu = time.time() - t, time.process_time() - c
t, c = time.time(), time.process_time()
s = -m.score_samples(X)
score, score_cpu = time.time() - t, time.process_time() - c
np.savetxt(sys.argv[2], s, fmt="%.8f")
print(f"{fit:.4f} {score:.4f} {fit_cpu:.4f} {score_cpu:.4f}")
