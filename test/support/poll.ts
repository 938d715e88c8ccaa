/**
 * The one polling loop tests use to wait for something real servers do asynchronously. `accept`
 * decides when a probe's value means "done" (default: anything but undefined); `retryErrors` keeps
 * polling through probe errors (e.g. querying a workflow whose worker is still starting).
 */
export async function pollUntil<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  opts: { timeoutMs?: number; intervalMs?: number; retryErrors?: boolean; accept?: (value: T | undefined) => boolean } = {},
): Promise<T> {
  const { timeoutMs = 60_000, intervalMs = 200, retryErrors = false, accept = (v) => v !== undefined } = opts;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (accept(value)) return value as T;
    } catch (err) {
      if (!retryErrors) throw err;
      lastError = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${lastError ? `: ${(lastError as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
