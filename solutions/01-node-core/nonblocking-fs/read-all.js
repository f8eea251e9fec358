import { readFile as readFromDisk } from 'node:fs/promises';

/** The default reader: one file as UTF-8 text, cancellable through `signal`. */
function readText(path, { signal } = {}) {
  return readFromDisk(path, { encoding: 'utf8', signal });
}

/**
 * Reads every path with at most `concurrency` reads in flight and resolves to the
 * contents in input order.
 */
export async function readAll(paths, { concurrency = 8, readFile = readText } = {}) {
  if (!(Number.isInteger(concurrency) && concurrency >= 1) && concurrency !== Infinity) {
    throw new RangeError(`concurrency must be a positive integer or Infinity, got ${concurrency}`);
  }
  const results = new Array(paths.length);
  const controller = new AbortController();
  let next = 0;

  // A pool of workers, each pulling the next index as soon as its own read is done,
  // keeps exactly `concurrency` reads busy — unlike batches, which wait for the slowest.
  async function worker() {
    while (next < paths.length && !controller.signal.aborted) {
      const index = next++;
      try {
        results[index] = await readFile(paths[index], { signal: controller.signal });
      } catch (error) {
        controller.abort(error);
        throw error;
      }
    }
  }

  // Promise.all rejects on the first failure and still handles the later ones.
  await Promise.all(Array.from({ length: Math.min(concurrency, paths.length) }, worker));
  return results;
}
