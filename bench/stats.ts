// Small statistics and timing helpers shared by the bench rows.

export interface Spread {
  median: number;
  min: number;
  max: number;
}

export function spread(samples: number[]): Spread {
  if (samples.length === 0) throw new Error("convlens bench: no samples to summarise");
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1] };
}

export function median(samples: number[]): number {
  return spread(samples).median;
}

/** Runs `work` `warmup` times untimed, then `runs` times timed; returns milliseconds per run. */
export async function timeRuns(work: () => unknown, runs: number, warmup: number): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await work();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await work();
    times.push(performance.now() - start);
  }
  return times;
}
