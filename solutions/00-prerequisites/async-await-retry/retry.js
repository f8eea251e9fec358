// Retry with exponential backoff, full jitter and cancellation through an AbortSignal.

export async function retry(
  fn,
  {
    retries = 3,
    baseMs = 100,
    factor = 2,
    maxMs = 10_000,
    jitter = true,
    random = Math.random,
    signal,
    shouldRetry = () => true,
  } = {},
) {
  signal?.throwIfAborted();
  for (let attempt = 1; ; attempt += 1) {
    try {
      // new Promise turns a synchronous throw of fn into a rejection.
      return await untilAborted(new Promise((resolve) => resolve(fn(attempt))), signal);
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      if (attempt > retries || !shouldRetry(error, attempt)) throw error;
      const capped = Math.min(maxMs, baseMs * factor ** (attempt - 1));
      // Full jitter: clients that failed together spread out over [0, capped).
      await sleep(jitter ? Math.floor(capped * random()) : capped, signal);
    }
  }
}

// Settles like `promise`, or rejects with the signal's reason as soon as it aborts.
function untilAborted(promise, signal) {
  if (!signal) return promise;
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    // Still subscribed after an abort, so a late rejection of fn is not unhandled.
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer); // a forgotten timer keeps the process alive for up to maxMs
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
