// A small seeded pseudo-random generator, so that activation maximisation is reproducible from
// one integer: the starting noise and every step's jitter come from here, not from Math.random
// or tfjs's own generators (whose streams depend on how many tensors were drawn before).

/** Mixes a 32-bit integer into a well-spread one (the finaliser of a splitmix-style hash). */
export function mix32(value: number): number {
  let z = (value + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** A seed for one stream derived from a base seed and a stream number (e.g. a channel index). */
export function deriveSeed(seed: number, stream: number): number {
  return mix32(mix32(seed) ^ Math.imul(stream + 1, 0x27d4eb2f));
}

export interface SeededRandom {
  /** uniform in [0, 1) */
  next(): number;
  /** uniform in [low, high) */
  uniform(low: number, high: number): number;
  /** standard normal (Box–Muller) */
  normal(): number;
}

/** Marsaglia's xorshift32 (13, 17, 5), its output mixed: fast, tiny, plenty for jitter and noise. */
export function seededRandom(seed: number): SeededRandom {
  let state = mix32(seed) || 1; // xorshift never leaves 0
  const next = (): number => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return mix32(state) / 4294967296;
  };
  return {
    next,
    uniform: (low, high) => low + (high - low) * next(),
    normal: () => {
      // 1 - next() is in (0, 1], so the logarithm is finite
      const radius = Math.sqrt(-2 * Math.log(1 - next()));
      return radius * Math.cos(2 * Math.PI * next());
    },
  };
}
