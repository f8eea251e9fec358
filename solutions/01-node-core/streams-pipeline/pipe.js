import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';

/**
 * Streams `source` through `transforms` into the file `dest`, atomically: `dest` appears
 * only once everything was written, and nothing is left behind on failure.
 */
export async function saveStream(source, dest, ...transforms) {
  // Same folder as `dest`, so the final rename stays on one file system and is atomic.
  const tmp = join(dirname(dest), `.${basename(dest)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await pipeline(source, ...transforms, createWriteStream(tmp));
    await rename(tmp, dest);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
}

/**
 * Writes every chunk of an (async) iterable to `writable`, honouring backpressure, then
 * ends it and waits for 'finish'.
 */
export async function writeAll(writable, chunks) {
  try {
    for await (const chunk of chunks) {
      if (writable.errored) throw writable.errored;
      // events.once rejects when 'error' fires first, so a failing writable cannot leave
      // us waiting for a 'drain' that will never come.
      if (!writable.write(chunk)) await once(writable, 'drain');
    }
  } catch (error) {
    writable.destroy(error);
    throw error;
  }
  writable.end();
  await once(writable, 'finish');
}
