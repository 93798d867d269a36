"""The implicit library's ALS on the split `promo evaluate recommend --export-split` wrote, with the
same metrics (precision divides by min(k, held-out)), for a side-by-side line. Benchmark only."""
import sys
import time

import numpy as np
import scipy.sparse as sp
from implicit.als import AlternatingLeastSquares

split, k = sys.argv[1], 10
train = np.loadtxt(split + "/train.csv", delimiter=",", skiprows=1, dtype=np.int64)
test = np.loadtxt(split + "/test.csv", delimiter=",", skiprows=1, dtype=np.int64)
users, items = max(train[:, 0].max(), test[:, 0].max()) + 1, max(train[:, 1].max(), test[:, 1].max()) + 1
# Confidence 1 + alpha x count with alpha 1, as promo's ALS.
m = sp.csr_matrix((np.full(len(train), 2.0, dtype=np.float32), (train[:, 0], train[:, 1])), shape=(users, items))
model = AlternatingLeastSquares(factors=64, iterations=15, regularization=0.01, random_state=42,
                                calculate_training_loss=False)
began = time.perf_counter()
model.fit(m, show_progress=False)
fit = time.perf_counter() - began
held = {}
for u, i in test:
    held.setdefault(u, set()).add(i)
discount = [1 / np.log2(p + 2) for p in range(k)]
hits_total = denominator = recall = ndcg = 0.0
for u, s in held.items():
    ids, _ = model.recommend(u, m[u], N=k, filter_already_liked_items=True)
    hits = [i in s for i in ids]
    hits_total += sum(hits)
    denominator += min(k, len(s))
    recall += sum(hits) / len(s)
    ndcg += sum(d for d, h in zip(discount, hits) if h) / sum(discount[: min(k, len(s))])
n = len(held)
print("implicit als  %.4f        %.4f      %.4f    %.2f s" % (hits_total / denominator, recall / n, ndcg / n, fit))
