// Errors a notebook user can act on: each names the problem and the fix.

/** Every error convlens throws on bad input; the message is meant to be read in a notebook. */
export class ConvlensError extends Error {
  constructor(message: string) {
    super(`convlens: ${message}`);
    this.name = "ConvlensError";
  }
}

/** Levenshtein distance (insert / delete / substitute), case-insensitive. */
export function editDistance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  let prev = Array.from({ length: t.length + 1 }, (_, j) => j);
  for (let i = 1; i <= s.length; i++) {
    const row = [i];
    for (let j = 1; j <= t.length; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + cost);
    }
    prev = row;
  }
  return prev[t.length];
}

/** The `count` names closest to `wanted`, best first (ties keep the given order). */
export function nearestNames(wanted: string, names: readonly string[], count = 3): string[] {
  return names
    .map((name, order) => ({ name, order, d: editDistance(wanted, name) }))
    .sort((x, y) => x.d - y.d || x.order - y.order)
    .slice(0, count)
    .map((x) => x.name);
}

export function describeValue(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === "object") return `a ${value.constructor?.name ?? "object"}`;
  return `${typeof value} ${String(value)}`;
}
