import { readFile as readFromDisk } from 'node:fs/promises';

/** The default reader: one file as UTF-8 text, cancellable through `signal`. */
function readText(path, { signal } = {}) {
  // TODO: read `path` as UTF-8 text with `readFromDisk` (fs/promises), passing `signal` on.
  throw new Error('TODO: implement readText in read-all.js');
}

/**
 * Reads every path with at most `concurrency` reads in flight and resolves to the
 * contents in input order.
 */
export async function readAll(paths, { concurrency = 8, readFile = readText } = {}) {
  // TODO: validate `concurrency`, then run a pool: start up to `concurrency` reads, and each
  // time one settles start the next path. Keep results in input order; on the first
  // failure abort the reads in flight and reject with that error.
  throw new Error('TODO: implement readAll in read-all.js');
}
