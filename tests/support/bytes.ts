/** Deterministic test data: xorshift32 bytes, the same for the same seed. */

/** Fills `out` with xorshift32 output starting from `state`; returns the state to continue from. */
export function fillPseudoRandom(out: Uint8Array, state: number): number {
  let x = state | 1;
  for (let i = 0; i < out.length; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x;
    out[i + 1] = x >>> 8;
    out[i + 2] = x >>> 16;
    out[i + 3] = x >>> 24;
  }
  return x;
}

/** `size` pseudo-random bytes for `seed`. */
export function pseudoRandomBytes(size: number, seed: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(size);
  fillPseudoRandom(out, seed);
  return out;
}
