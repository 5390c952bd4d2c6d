// Where the front end's time goes, as User Timing measures named convlens:<step> (deserialise,
// mosaic, plotly, render): the bench reads them from the page to say what a seed run or a layer
// switch spent on what. A few entries per drawing; nothing else reads them.

/** Runs `work` and records how long it took as the measure convlens:<name>. */
export function timed<T>(name: string, work: () => T): T {
  const start = performance.now();
  try {
    return work();
  } finally {
    measureSince(name, start);
  }
}

/** The page keeps every measure until cleared: a long session's are dropped now and then. */
const KEEP_AT_MOST = 2000;
const names = new Set<string>();
let recorded = 0;

/** Records the time from `start` (a performance.now() value) until now as convlens:<name>. */
export function measureSince(name: string, start: number): void {
  try {
    if (++recorded > KEEP_AT_MOST) {
      for (const old of names) performance.clearMeasures(old);
      recorded = 1;
    }
    names.add(`convlens:${name}`);
    performance.measure(`convlens:${name}`, { start, end: performance.now() });
  } catch {
    // a browser without User Timing level 3 options: no measure, nothing else changes
  }
}
