/** Runs async work with at most `concurrency` tasks in flight. */
export function createLimiter(concurrency: number): <T>(task: () => Promise<T>) => Promise<T> {
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new RangeError(`Invalid concurrency ${concurrency}: expected an integer of 1 or more`);
  }
  let active = 0;
  const waiting: (() => void)[] = [];
  const release = (): void => {
    active -= 1;
    const next = waiting.shift();
    if (next !== undefined) {
      active += 1;
      next();
    }
  };
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (active < concurrency) {
      active += 1;
    } else {
      await new Promise<void>((resolve) => waiting.push(resolve));
    }
    try {
      return await task();
    } finally {
      release();
    }
  };
}

/**
 * Runs async work while the bytes its tasks have in memory fit in
 * `maxBytes`. A task that needs more than `maxBytes` runs once no other task
 * has any, so one large file never waits forever. Tasks start in the order
 * of their calls: a task that fits still waits behind one that does not.
 */
export function createByteBudget(
  maxBytes: number,
): <T>(bytes: number, task: () => Promise<T>) => Promise<T> {
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) {
    throw new RangeError(`Invalid byte budget ${maxBytes}: expected an integer of 1 or more`);
  }
  let inUse = 0;
  const waiting: { bytes: number; start: () => void }[] = [];
  const fits = (bytes: number): boolean => inUse === 0 || inUse + bytes <= maxBytes;
  const startWaiting = (): void => {
    for (let next = waiting[0]; next !== undefined && fits(next.bytes); next = waiting[0]) {
      waiting.shift();
      inUse += next.bytes;
      next.start();
    }
  };
  return async <T>(bytes: number, task: () => Promise<T>): Promise<T> => {
    const size = Math.max(0, bytes);
    if (waiting.length === 0 && fits(size)) {
      inUse += size;
    } else {
      await new Promise<void>((start) => waiting.push({ bytes: size, start }));
    }
    try {
      return await task();
    } finally {
      inUse -= size;
      startWaiting();
    }
  };
}
