// The tests' one way to wait: a sleep, and a poll until a condition holds that fails naming what it
// waited for. Conditions may be async (an HTTP call) and may return the value they found.
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `cond` every `everyMs` until it returns a truthy value (returned); fails naming `what` after `timeoutMs`. */
export async function waitUntil<T>(what: string, cond: () => T | undefined | false | null | Promise<T | undefined | false | null>, timeoutMs = 60_000, everyMs = 5): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await cond();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}
