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
  // TODO: pipeline(source, ...transforms, createWriteStream(tmp)) into a temporary file next
  // to `dest`, then rename it; on failure remove the temporary file and rethrow.
  throw new Error('TODO: implement saveStream in pipe.js');
}

/**
 * Writes every chunk of an (async) iterable to `writable`, honouring backpressure, then
 * ends it and waits for 'finish'.
 */
export async function writeAll(writable, chunks) {
  // TODO: for each chunk, `if (!writable.write(chunk))` wait for 'drain' (events.once rejects
  // if 'error' comes first); then end() and wait for 'finish'.
  throw new Error('TODO: implement writeAll in pipe.js');
}
