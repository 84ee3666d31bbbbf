/**
 * A small seeded pseudo-random generator (mulberry32), so every run of the
 * benchmark generates byte-for-byte the same skill libraries.
 */

export interface Random {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [min, max], both included. */
  integer(min: number, max: number): number;
  pick<T>(items: readonly T[]): T;
  bytes(length: number): Uint8Array;
}

export function createRandom(seed: number): Random {
  let state = seed >>> 0;
  const nextUint32 = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
  const next = (): number => nextUint32() / 0x1_0000_0000;
  return {
    next,
    integer: (min, max) => min + Math.floor(next() * (max - min + 1)),
    pick<T>(items: readonly T[]): T {
      const item = items[Math.floor(next() * items.length)];
      if (item === undefined) throw new RangeError("Cannot pick from an empty list");
      return item;
    },
    bytes(length) {
      const bytes = new Uint8Array(length);
      const view = new DataView(bytes.buffer);
      let offset = 0;
      for (; offset + 4 <= length; offset += 4) view.setUint32(offset, nextUint32());
      for (; offset < length; offset++) bytes[offset] = nextUint32() & 0xff;
      return bytes;
    },
  };
}
