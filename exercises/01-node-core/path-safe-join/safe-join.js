import { realpath } from 'node:fs/promises';
import path from 'node:path';

/**
 * The absolute path of `userPath` (from a URL) inside `root`, or an Error with
 * code 'ERR_UNSAFE_PATH'.
 */
export function safeJoin(root, userPath) {
  // TODO: type check, decode once, reject NUL / backslash / absolute, resolve, then
  // check that the result is root itself or below it.
  throw new Error('TODO: implement safeJoin()');
}

/** Like safeJoin, then follows symlinks and resolves to the real path inside the real root. */
export async function safeResolveReal(root, userPath) {
  // TODO: safeJoin first, then compare realpath() of the result with realpath() of root.
  throw new Error('TODO: implement safeResolveReal()');
}
