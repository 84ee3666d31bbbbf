/**
 * Retries with exponential backoff and full jitter: the wait before attempt
 * n+1 is a random time between 0 and min(maxDelayMs, baseDelayMs * 2^(n-1)).
 */

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  attempts: 5,
  baseDelayMs: 200,
  maxDelayMs: 10_000,
};

/** Returns the jittered wait after failed attempt `attempt` (1-based). */
export function backoffDelay(policy: RetryPolicy, attempt: number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.floor(Math.random() * ceiling);
}

/** Waits `ms` milliseconds, or less when `signal` aborts first. */
export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

export interface RetryHooks {
  /** Whether the error is worth another attempt. */
  isRetryable(error: unknown): boolean;
  /** Called before each wait, for logging. */
  onRetry?(error: unknown, attempt: number, waitMs: number): void;
  /** Stops the retries: no attempt starts once it aborts, and a wait ends at once. */
  signal?: AbortSignal;
}

/** Runs `work` until it succeeds, fails with a non-retryable error, or runs out of attempts. */
export async function withRetry<T>(
  policy: RetryPolicy,
  hooks: RetryHooks,
  work: (attempt: number) => Promise<T>,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work(attempt);
    } catch (error: unknown) {
      if (attempt >= policy.attempts || !hooks.isRetryable(error)) throw error;
      if (hooks.signal?.aborted) throw error;
      const waitMs = backoffDelay(policy, attempt);
      hooks.onRetry?.(error, attempt, waitMs);
      await delay(waitMs, hooks.signal);
      if (hooks.signal?.aborted) throw error;
    }
  }
}
