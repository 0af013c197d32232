"""Benchmark: topic clustering at 10,000 and 100,000 abstracts -- on SYNTHETIC data.

Every corpus here is SYNTHETIC: made by code (``tests/fixtures/synthetic_corpus.py``)
with planted topics, so that agreement with the truth (adjusted Rand index)
can be measured. No figure printed here describes real literature.

For each size the same corpus is clustered, each in a fresh subprocess so that
peak memories do not mix, by

* **peerbib**: ``cluster_abstracts(works, k_range=range(2, 21))``;
* **naive baseline**: default ``TfidfVectorizer()`` on the same texts,
  ``KMeans(n_init=10)`` fitted for every k in the same range, silhouette on all
  documents (``silhouette_score``), best silhouette wins.

Wall time is the clustering call only (imports and reading the corpus
excluded, for both). Peak memory is the subprocess's peak resident set
(``ru_maxrss``), printed with the resident set just before the call, so the
increment is visible. The baseline can be capped (``--baseline-max-seconds``):
if it is stopped, the k values it finished are reported as measured and its
total is EXTRAPOLATED from them (k-means time grows linearly with k, silhouette
time is the same for every k), and labelled so.

Usage::

    python benchmarks/cluster_scale.py --sizes 10000 100000
    python benchmarks/cluster_scale.py --sizes 10000 --baseline-max-seconds 0   # no baseline
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the SYNTHETIC corpus generator lives with the test fixtures

K_RANGE = range(2, 21)
TOPICS = 12


def make_corpus(n: int, seed: int, folder: Path) -> Path:
    """Write a SYNTHETIC corpus (works + planted topics) to ``folder``."""
    import numpy as np

    from fixtures.synthetic_corpus import synthetic_works

    works, topics = synthetic_works(
        n, TOPICS, seed=seed, words_per_text=220, topic_share=0.1, function_share=0.45, balanced=False
    )
    path = folder / f"synthetic_{n}.parquet"
    works.to_parquet(path, index=False)
    np.save(folder / f"synthetic_{n}_topics.npy", topics)
    return path


def rss_now_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3  # kB on Linux


def emit(record: dict) -> None:
    print(json.dumps(record), flush=True)


def run_peerbib(path: Path) -> None:
    import numpy as np
    import pandas as pd
    import sklearn.cluster  # noqa: F401  (imported before timing, as for the baseline)
    import sklearn.decomposition  # noqa: F401
    from sklearn.metrics import adjusted_rand_score

    from peerbib.analysis.clusters import cluster_abstracts

    works = pd.read_parquet(path)
    topics = np.load(str(path).replace(".parquet", "_topics.npy"))
    before = rss_now_mb()
    start = time.perf_counter()
    clustering = cluster_abstracts(works, k_range=K_RANGE)
    seconds = time.perf_counter() - start
    labels = clustering.labels.reindex(works["work_id"]).to_numpy()
    emit({
        "kind": "result", "seconds": seconds, "rss_before_mb": before, "peak_rss_mb": peak_rss_mb(),
        "k": clustering.k, "ari": adjusted_rand_score(topics, labels), "path": clustering.path,
        "silhouette": clustering.silhouette, "n_features": clustering.settings["n_features"],
    })


def run_baseline(path: Path) -> None:
    import numpy as np
    import pandas as pd
    from sklearn.cluster import KMeans
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics import adjusted_rand_score, silhouette_score

    works = pd.read_parquet(path)
    topics = np.load(str(path).replace(".parquet", "_topics.npy"))
    texts = (works["title"] + ". " + works["abstract"]).tolist()  # the same text peerbib clusters
    before = rss_now_mb()
    start = time.perf_counter()
    X = TfidfVectorizer().fit_transform(texts)
    emit({"kind": "vectorized", "seconds": time.perf_counter() - start, "rss_before_mb": before,
          "n_features": X.shape[1], "peak_rss_mb": peak_rss_mb()})
    best = None
    for k in K_RANGE:
        t0 = time.perf_counter()
        labels = KMeans(n_clusters=k, n_init=10, random_state=0).fit(X).labels_
        t1 = time.perf_counter()
        score = silhouette_score(X, labels)
        t2 = time.perf_counter()
        if best is None or score > best[0]:
            best = (score, k, labels)
        emit({"kind": "k", "k": k, "fit_seconds": t1 - t0, "silhouette_seconds": t2 - t1, "silhouette": score,
              "best_k": best[1], "best_ari": adjusted_rand_score(topics, best[2]), "peak_rss_mb": peak_rss_mb(),
              "elapsed": t2 - start})
    emit({"kind": "result", "seconds": time.perf_counter() - start, "rss_before_mb": before,
          "peak_rss_mb": peak_rss_mb(), "k": best[1], "ari": adjusted_rand_score(topics, best[2])})


def in_subprocess(method: str, path: Path, timeout: float | None) -> tuple[list[dict], bool]:
    """Run one method in a fresh interpreter; return its records and whether it was stopped."""
    command = [sys.executable, __file__, "--_run", method, "--_data", str(path)]
    with tempfile.TemporaryFile("w+") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.PIPE, text=True)
        stopped = False
        try:
            _, err = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            _, err = process.communicate()
            stopped = True
        if process.returncode not in (0, None) and not stopped:
            raise RuntimeError(f"{method} failed:\n{err}")
        out.seek(0)
        return [json.loads(line) for line in out if line.startswith("{")], stopped


def summarise_baseline(records: list[dict], stopped: bool) -> dict:
    result = next((r for r in records if r["kind"] == "result"), None)
    if result is not None:
        return {**result, "measured": True, "k_done": len(list(K_RANGE))}
    vectorized = next((r for r in records if r["kind"] == "vectorized"), None)
    done = [r for r in records if r["kind"] == "k"]
    summary = {"measured": False, "k_done": len(done), "stopped": stopped}
    if vectorized is None or not done:
        return summary
    # EXTRAPOLATED: k-means time proportional to k, silhouette time constant.
    fit_per_k = sum(r["fit_seconds"] for r in done) / sum(r["k"] for r in done)
    silhouette_each = sum(r["silhouette_seconds"] for r in done) / len(done)
    remaining = [k for k in K_RANGE if k > done[-1]["k"]]
    estimate = done[-1]["elapsed"] + sum(fit_per_k * k + silhouette_each for k in remaining)
    summary.update({
        "seconds": estimate, "measured_seconds": done[-1]["elapsed"], "peak_rss_mb": done[-1]["peak_rss_mb"],
        "rss_before_mb": vectorized["rss_before_mb"], "k": done[-1]["best_k"], "ari": done[-1]["best_ari"],
        "k_range_done": f"{done[0]['k']}..{done[-1]['k']}",
    })
    return summary


def baseline_steps(records: list[dict]) -> str:
    """The baseline's measured steps, one line, so an extrapolation can be checked."""
    parts = [f"vectorize {r['seconds']:.1f} s" for r in records if r["kind"] == "vectorized"]
    parts += [f"k={r['k']}: KMeans {r['fit_seconds']:.1f} s + silhouette {r['silhouette_seconds']:.1f} s"
              for r in records if r["kind"] == "k"]
    return "; ".join(parts)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--baseline-max-seconds", type=float, default=900.0,
                        help="stop the naive baseline after this long and extrapolate (0: no baseline)")
    parser.add_argument("--_run", choices=["peerbib", "baseline"], help=argparse.SUPPRESS)
    parser.add_argument("--_data", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args._run == "peerbib":
        run_peerbib(args._data)
        return 0
    if args._run == "baseline":
        run_baseline(args._data)
        return 0

    print(f"SYNTHETIC corpora ({TOPICS} planted topics, unequal sizes; ~220 words per abstract) -- "
          f"k chosen over {K_RANGE.start}..{K_RANGE.stop - 1}; {os.cpu_count()} CPUs; "
          f"load average at start {os.getloadavg()[0]:.2f} (other work on the machine slows both methods)")
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for n in args.sizes:
            path = make_corpus(n, args.seed, Path(folder))
            records, _ = in_subprocess("peerbib", path, None)
            ours = next(r for r in records if r["kind"] == "result")
            print(f"\n[SYNTHETIC n={n:,}] peerbib ({ours['path']} path): {ours['seconds']:.1f} s, "
                  f"peak RSS {ours['peak_rss_mb']:,.0f} MB (before call {ours['rss_before_mb']:,.0f} MB), "
                  f"k={ours['k']}, ARI={ours['ari']:.3f}, silhouette={ours['silhouette']:.3f}, "
                  f"{ours['n_features']:,} terms", flush=True)
            base = None
            if args.baseline_max_seconds > 0:
                records, stopped = in_subprocess("baseline", path, args.baseline_max_seconds)
                base = summarise_baseline(records, stopped)
                print(f"[SYNTHETIC n={n:,}] baseline steps measured: {baseline_steps(records)}", flush=True)
                if base.get("measured"):
                    print(f"[SYNTHETIC n={n:,}] baseline: {base['seconds']:.1f} s (measured), "
                          f"peak RSS {base['peak_rss_mb']:,.0f} MB (before call {base['rss_before_mb']:,.0f} MB), "
                          f"k={base['k']}, ARI={base['ari']:.3f}", flush=True)
                elif "seconds" in base:
                    print(f"[SYNTHETIC n={n:,}] baseline: STOPPED after {base['measured_seconds']:.0f} s with k "
                          f"{base['k_range_done']} done; EXTRAPOLATED total {base['seconds']:.0f} s "
                          "(KMeans time taken as proportional to k, silhouette time as the same for every k); "
                          f"peak RSS so far {base['peak_rss_mb']:,.0f} MB; best k so far={base['k']}, "
                          f"ARI so far={base['ari']:.3f} (of the k done only)", flush=True)
                else:
                    print(f"[SYNTHETIC n={n:,}] baseline: STOPPED after {args.baseline_max_seconds:.0f} s "
                          "before finishing one k; no estimate", flush=True)
            rows.append((n, ours, base))

    print(f"\nSummary (SYNTHETIC data; both methods measured in this run; "
          f"load average at end {os.getloadavg()[0]:.2f})")
    print(f"{'n':>8} {'peerbib s':>10} {'peak MB':>8} {'ARI':>6} {'baseline s':>12} {'peak MB':>8} {'ARI':>6}"
          f"  time ratio (baseline / peerbib)")
    for n, ours, base in rows:
        if base and "seconds" in base:
            ratio = f"{base['seconds'] / ours['seconds']:.1f}x"
            if not base["measured"]:
                ratio += (f" (EXTRAPOLATED; measured time alone: "
                          f">= {base['measured_seconds'] / ours['seconds']:.0f}x)")
            base_cells = f"{base['seconds']:>12.1f} {base['peak_rss_mb']:>8,.0f} {base['ari']:>6.3f}"
        elif base:
            ratio = f">{args.baseline_max_seconds / ours['seconds']:.0f}x (lower bound)"
            base_cells = f"{'>' + str(int(args.baseline_max_seconds)):>12} {'?':>8} {'?':>6}"
        else:
            ratio, base_cells = "-", f"{'-':>12} {'-':>8} {'-':>6}"
        print(f"{n:>8,} {ours['seconds']:>10.1f} {ours['peak_rss_mb']:>8,.0f} {ours['ari']:>6.3f} {base_cells}"
              f"  {ratio}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
