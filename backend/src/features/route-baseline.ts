/**
 * Per-route baselines of log1p(bytes) and log1p(response time in ms) that a few percent of anomalies in the training
 * data cannot move: the median as the centre, and as the spread the larger of 1.4826 x the median absolute deviation
 * and the interquartile range / 1.349 (both the standard deviation for normal data). A burst of 30 MB responses on a
 * route whose median is 5 KB inflates a mean/std baseline until the burst sits 3σ out; against these it sits at the
 * z-score cap. The interquartile range keeps a route with two common kinds of answer (an image: 82 KB with 200, 0
 * bytes with 304) from seeing its second kind as hundreds of σ out. Values are kept in histograms of BIN-wide bins
 * per route, so memory follows the number of distinct sizes, not the number of lines.
 */
const BIN = 0.02;
const MAD_TO_STD = 1.4826;
const IQR_TO_STD = 1 / 1.349;
/** The same floor as the mean/std baseline: sizes within a quarter of e (about 28%) of the median are not news. */
const MIN_SPREAD = 0.25;

/**
 * A route's baseline as saved in model files: `mean` holds the median and `std` the robust spread (the key names
 * stay for the model schema).
 */
export interface RouteStats {
  mean: number[];
  std: number[];
}

export class RobustRouteStats {
  private readonly histograms: Map<number, number>[] = [];

  add(route: number, x: number): void {
    while (this.histograms.length <= route) this.histograms.push(new Map());
    const h = this.histograms[route];
    const bin = Math.round(x / BIN);
    h.set(bin, (h.get(bin) ?? 0) + 1);
  }

  finish(): RouteStats {
    const mean: number[] = [];
    const std: number[] = [];
    for (const h of this.histograms) {
      const bins = [...h.keys()].sort((a, b) => a - b);
      const centre = weightedQuantile(bins, h, 0.5);
      const iqr = weightedQuantile(bins, h, 0.75) - weightedQuantile(bins, h, 0.25);
      const deviations = new Map<number, number>();
      for (const b of bins) {
        const d = Math.abs(b - centre);
        deviations.set(d, (deviations.get(d) ?? 0) + h.get(b)!);
      }
      const mad = weightedQuantile(
        [...deviations.keys()].sort((a, b) => a - b),
        deviations,
        0.5,
      );
      mean.push(round6(centre * BIN));
      std.push(round6(Math.max(MIN_SPREAD, MAD_TO_STD * mad * BIN, IQR_TO_STD * iqr * BIN)));
    }
    return { mean, std };
  }
}

/** The smallest key with at least share p of the counted weight at or below it; 0 when empty. */
function weightedQuantile(sortedKeys: readonly number[], counts: Map<number, number>, p: number): number {
  let total = 0;
  for (const k of sortedKeys) total += counts.get(k)!;
  let acc = 0;
  for (const k of sortedKeys) {
    acc += counts.get(k)!;
    if (acc >= p * total) return k;
  }
  return 0;
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
