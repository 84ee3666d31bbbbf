import { describe, expect, it } from "vitest";
import { createByteBudget, createLimiter } from "../../../publisher/limiter.ts";
import { backoffDelay, type RetryPolicy, withRetry } from "../../../publisher/retry.ts";

const POLICY: RetryPolicy = { attempts: 4, baseDelayMs: 1, maxDelayMs: 3 };

describe("withRetry", () => {
  it("retries until success", async () => {
    const attempts: number[] = [];
    const retried: number[] = [];
    const result = await withRetry(
      POLICY,
      { isRetryable: () => true, onRetry: (_error, attempt) => retried.push(attempt) },
      async (attempt) => {
        attempts.push(attempt);
        if (attempt < 3) throw new Error("busy");
        return "done";
      },
    );
    expect(result).toBe("done");
    expect(attempts).toEqual([1, 2, 3]);
    expect(retried).toEqual([1, 2]);
  });

  it("stops on a non-retryable error", async () => {
    let calls = 0;
    const work = withRetry(POLICY, { isRetryable: () => false }, async () => {
      calls += 1;
      throw new Error("denied");
    });
    await expect(work).rejects.toThrow("denied");
    expect(calls).toBe(1);
  });

  it("stops waiting when the signal aborts", async () => {
    const controller = new AbortController();
    const slow: RetryPolicy = { attempts: 5, baseDelayMs: 60_000, maxDelayMs: 60_000 };
    let calls = 0;
    const work = withRetry(
      slow,
      { isRetryable: () => true, signal: controller.signal, onRetry: () => controller.abort() },
      async () => {
        calls += 1;
        throw new Error(`failure ${calls}`);
      },
    );
    await expect(work).rejects.toThrow("failure 1");
    expect(calls).toBe(1);
  });

  it("stops after the last attempt", async () => {
    let calls = 0;
    const work = withRetry(POLICY, { isRetryable: () => true }, async () => {
      calls += 1;
      throw new Error(`failure ${calls}`);
    });
    await expect(work).rejects.toThrow("failure 4");
    expect(calls).toBe(4);
  });
});

describe("backoffDelay", () => {
  it("stays under the capped exponential", () => {
    const policy: RetryPolicy = { attempts: 10, baseDelayMs: 100, maxDelayMs: 1000 };
    for (let attempt = 1; attempt <= 8; attempt++) {
      const ceiling = Math.min(1000, 100 * 2 ** (attempt - 1));
      for (let i = 0; i < 50; i++) {
        const delay = backoffDelay(policy, attempt);
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThan(ceiling);
      }
    }
  });
});

describe("createLimiter", () => {
  it("bounds tasks in flight", async () => {
    const limit = createLimiter(2);
    let active = 0;
    let maxActive = 0;
    const releases: (() => void)[] = [];
    const tasks = Array.from({ length: 6 }, (_, index) =>
      limit(async () => {
        active += 1;
        maxActive = Math.max(maxActive, active);
        await new Promise<void>((resolve) => releases.push(resolve));
        active -= 1;
        return index;
      }),
    );
    while (releases.length > 0 || active > 0) {
      await Promise.resolve();
      releases.shift()?.();
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(await Promise.all(tasks)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(maxActive).toBe(2);
  });

  it("releases a slot after a failure", async () => {
    const limit = createLimiter(1);
    await expect(limit(async () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    expect(await limit(async () => "next")).toBe("next");
  });

  it("rejects a concurrency below one", () => {
    expect(() => createLimiter(0)).toThrow("Invalid concurrency 0");
  });
});

describe("createByteBudget", () => {
  /** Starts one task per size that holds its bytes until released; returns the controls. */
  function holdAll(budget: ReturnType<typeof createByteBudget>, sizes: number[]) {
    let inUse = 0;
    let maxInUse = 0;
    const started: number[] = [];
    const releases = new Map<number, () => void>();
    const tasks = sizes.map((size, index) =>
      budget(size, async () => {
        started.push(index);
        inUse += size;
        maxInUse = Math.max(maxInUse, inUse);
        await new Promise<void>((resolve) => releases.set(index, resolve));
        inUse -= size;
        return index;
      }),
    );
    return {
      tasks,
      started,
      maxInUse: () => maxInUse,
      release: (index: number) => releases.get(index)?.(),
    };
  }
  const settle = () => new Promise((resolve) => setImmediate(resolve));

  it("keeps bytes in use within the budget", async () => {
    const run = holdAll(createByteBudget(100), [60, 30, 20, 50]);
    await settle();
    expect(run.started).toEqual([0, 1]);
    run.release(0);
    await settle();
    expect(run.started).toEqual([0, 1, 2, 3]);
    run.release(1);
    run.release(2);
    run.release(3);
    expect(await Promise.all(run.tasks)).toEqual([0, 1, 2, 3]);
    expect(run.maxInUse()).toBeLessThanOrEqual(100);
  });

  it("runs a task above the budget alone", async () => {
    const run = holdAll(createByteBudget(100), [10, 500, 10]);
    await settle();
    expect(run.started).toEqual([0]);
    run.release(0);
    await settle();
    expect(run.started).toEqual([0, 1]);
    run.release(1);
    await settle();
    expect(run.started).toEqual([0, 1, 2]);
    run.release(2);
    expect(await Promise.all(run.tasks)).toEqual([0, 1, 2]);
  });

  it("releases bytes after a failure", async () => {
    const budget = createByteBudget(10);
    await expect(budget(10, async () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    expect(await budget(10, async () => "next")).toBe("next");
  });

  it("rejects a budget below one byte", () => {
    expect(() => createByteBudget(0)).toThrow(/Invalid byte budget 0/);
  });
});
