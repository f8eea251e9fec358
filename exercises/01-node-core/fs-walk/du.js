import { lstat, readdir, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';

/**
 * Yields { path, type: 'file' | 'dir' | 'symlink' | 'error', size?, code? } for every
 * entry below `root`, lazily, a directory before its contents.
 */
export async function* walk(root, { followSymlinks = false } = {}) {
  // TODO: readdir each directory, lstat (or stat when following) each entry, yield it,
  // recurse into directories. Report errors as entries; visit each real directory once.
  throw new Error('TODO: implement walk');
}

/**
 * Resolves to { totalBytes, fileCount, dirs, largest, errors } with paths relative to root.
 */
export async function diskUsage(root, { followSymlinks = false, top = 3 } = {}) {
  // TODO: consume walk() and add every file's size to each directory above it.
  throw new Error('TODO: implement diskUsage');
}
