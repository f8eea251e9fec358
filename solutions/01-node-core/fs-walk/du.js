import { lstat, readdir, stat } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';

export async function* walk(root, { followSymlinks = false } = {}) {
  // A missing root is the caller's mistake, not an entry to report: let stat reject.
  const rootInfo = await stat(root);
  // dev + ino name a file whatever path or link leads to it; the root counts as visited.
  const seen = new Set([`${rootInfo.dev}:${rootInfo.ino}`]);
  yield* walkDir(root, followSymlinks, seen);
}

async function* walkDir(dir, followSymlinks, seen) {
  let names;
  try {
    names = await readdir(dir);
  } catch (error) {
    yield { path: dir, type: 'error', code: error.code };
    return;
  }
  for (const name of names) {
    const path = join(dir, name);
    let info;
    try {
      info = followSymlinks ? await stat(path) : await lstat(path);
    } catch (error) {
      yield { path, type: 'error', code: error.code };
      continue;
    }
    if (followSymlinks) {
      const id = `${info.dev}:${info.ino}`;
      if (seen.has(id)) continue;
      seen.add(id);
    }
    if (info.isSymbolicLink()) {
      yield { path, type: 'symlink' };
    } else if (info.isDirectory()) {
      yield { path, type: 'dir' };
      yield* walkDir(path, followSymlinks, seen);
    } else if (info.isFile()) {
      yield { path, type: 'file', size: info.size };
    }
  }
}

export async function diskUsage(root, { followSymlinks = false, top = 3 } = {}) {
  const report = { totalBytes: 0, fileCount: 0, dirs: { '.': 0 }, largest: [], errors: [] };
  const files = [];
  for await (const entry of walk(root, { followSymlinks })) {
    const path = relative(root, entry.path);
    if (entry.type === 'dir') {
      report.dirs[path] ??= 0;
    } else if (entry.type === 'error') {
      report.errors.push({ path, code: entry.code });
    } else if (entry.type === 'file') {
      report.totalBytes += entry.size;
      report.fileCount += 1;
      files.push({ path, size: entry.size });
      // A directory is yielded before its files, so every ancestor already has a slot.
      for (let dir = dirname(path); ; dir = dirname(dir)) {
        report.dirs[dir] += entry.size;
        if (dir === '.') break;
      }
    }
  }
  files.sort((a, b) => b.size - a.size || (a.path < b.path ? -1 : 1));
  report.largest = files.slice(0, top);
  return report;
}
