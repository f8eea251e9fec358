import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { importExercise, requireExport, tempDir } from './support.mjs';

const mod = await importExercise('du.js');
const walk = requireExport(mod, 'walk', 'function', 'du.js');
const diskUsage = requireExport(mod, 'diskUsage', 'function', 'du.js');

const isRoot = process.getuid?.() === 0;

/** Creates files ({ 'a/b.txt': 12 } → 12 bytes), empty dirs ('x/': null) and symlinks ({ link: { to } }). */
async function build(root, spec) {
  for (const [path, what] of Object.entries(spec)) {
    const full = join(root, path);
    if (what === null) {
      await mkdir(full, { recursive: true });
    } else if (typeof what === 'object') {
      await mkdir(join(full, '..'), { recursive: true });
      await symlink(what.to, full);
    } else {
      await mkdir(join(full, '..'), { recursive: true });
      await writeFile(full, typeof what === 'string' ? what : Buffer.alloc(what, 'x'));
    }
  }
}

// The shared tree, never changed by a test. `ext` links to a folder outside the root.
const base = await tempDir('fs-walk-');
const root = join(base, 'root');
await build(join(base, 'outside'), { 'extra.dat': 700 });
await build(root, {
  'a.txt': 100,
  'big.bin': 5000,
  'src/index.js': 300,
  'src/lib/util.js': 1200,
  'src/lib/empty/': null,
  'docs/readme.md': 'é'.repeat(50), // 50 characters, 100 bytes
  'link-to-src': { to: 'src' },
  'link-to-big': { to: 'big.bin' },
  ext: { to: '../outside' },
});

async function collect(iterable, limit = 2000) {
  const out = [];
  for await (const entry of iterable) {
    out.push(entry);
    if (out.length > limit) assert.fail(`walk yielded more than ${limit} entries for a small tree: it is probably going round a symlink cycle`);
  }
  return out;
}

const rel = (dir, entries) => entries.map((e) => ({ ...e, path: relative(dir, e.path) })).sort((a, b) => (a.path < b.path ? -1 : 1));
const byPath = (list) => [...list].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));

/** Fails with a teaching message when `promise` takes longer than `ms`. */
async function within(ms, promise, what) {
  const timer = sleep(ms, 'timeout', { ref: false });
  const result = await Promise.race([promise, timer]);
  if (result === 'timeout') assert.fail(what);
  return result;
}

test('walk yields every file, directory and symlink below root, with types and sizes', { timeout: 2000 }, async () => {
  const iterator = walk(root);
  assert.equal(typeof iterator?.[Symbol.asyncIterator], 'function', 'walk(root) must return an async iterator: declare it as `async function* walk`');
  const entries = rel(root, await collect(iterator));
  const shown = entries.map((e) => `${e.path}:${e.type}${e.size === undefined ? '' : `:${e.size}`}`);
  assert.deepEqual(
    shown,
    [
      'a.txt:file:100',
      'big.bin:file:5000',
      'docs:dir',
      'docs/readme.md:file:100',
      'ext:symlink',
      'link-to-big:symlink',
      'link-to-src:symlink',
      'src:dir',
      'src/index.js:file:300',
      'src/lib:dir',
      'src/lib/empty:dir',
      'src/lib/util.js:file:1200',
    ],
    'walk(root) must yield each entry below root once (root itself excluded), symlinks as type "symlink" without following them (lstat), ' +
      'and file sizes in bytes from stat (docs/readme.md is 50 characters but 100 bytes)',
  );
  assert.ok(entries.every((e) => e.type !== 'file' || Number.isInteger(e.size)), 'every file entry needs a numeric size');
});

test('walk yields a directory before reading it, so a file created meanwhile is found', { timeout: 2000 }, async () => {
  const dir = join(await tempDir('fs-walk-lazy-'), 'tree');
  await build(dir, { 'only/': null });
  const iterator = walk(dir);
  const first = await iterator.next();
  assert.equal(first.done, false, 'walk must yield the directory "only"');
  assert.deepEqual(
    { path: relative(dir, first.value.path), type: first.value.type },
    { path: 'only', type: 'dir' },
    'the first entry of a tree holding one empty directory must be that directory',
  );
  await writeFile(join(dir, 'only', 'late.txt'), 'hello');
  const rest = rel(dir, await collect({ [Symbol.asyncIterator]: () => iterator }));
  assert.deepEqual(
    rest.map((e) => `${e.path}:${e.type}`),
    ['only/late.txt:file'],
    'a file created after "only" was yielded must still be found: read a directory only when the consumer asks for the next entry, ' +
      'never collect the whole tree up front',
  );
});

test('a directory that vanishes mid-walk becomes an ENOENT error entry and the walk goes on', { timeout: 2000 }, async () => {
  const dir = join(await tempDir('fs-walk-vanish-'), 'tree');
  await build(dir, { 'gone/x.txt': 10, 'keep/y.txt': 20 });
  const seen = [];
  try {
    for await (const entry of walk(dir)) {
      seen.push(entry);
      if (entry.type === 'dir' && relative(dir, entry.path) === 'gone') await rm(entry.path, { recursive: true });
    }
  } catch (error) {
    assert.fail(`walk threw ${error.code ?? error.message} when a directory disappeared; yield { path, type: 'error', code } and carry on`);
  }
  const entries = rel(dir, seen);
  const error = entries.find((e) => e.type === 'error');
  assert.deepEqual(
    error && { path: error.path, type: error.type, code: error.code },
    { path: 'gone', type: 'error', code: 'ENOENT' },
    `the vanished directory must be reported as { path: '…/gone', type: 'error', code: 'ENOENT' }, got ${JSON.stringify(entries)}`,
  );
  assert.ok(
    entries.some((e) => e.path === 'keep/y.txt' && e.type === 'file'),
    `the walk must go on after the error and still find keep/y.txt, got ${JSON.stringify(entries)}`,
  );
});

test('diskUsage totals bytes and files without following symlinks by default', { timeout: 2000 }, async () => {
  const report = await diskUsage(root);
  assert.equal(
    report.totalBytes,
    6700,
    `the files below root hold 100 + 5000 + 300 + 1200 + 100 = 6700 bytes, got ${report.totalBytes}. ` +
      'Symlinks are not followed by default (ext points to 700 bytes outside the root)',
  );
  assert.equal(report.fileCount, 5, `there are 5 regular files below root, got ${report.fileCount}`);
  assert.deepEqual(report.errors, [], `nothing in this tree is unreadable, got errors ${JSON.stringify(report.errors)}`);
});

test('diskUsage gives each directory the bytes of all files below it, empty ones 0', { timeout: 2000 }, async () => {
  const { dirs } = await diskUsage(root);
  assert.deepEqual(
    dirs,
    { '.': 6700, docs: 100, src: 1500, 'src/lib': 1200, 'src/lib/empty': 0 },
    'dirs maps each directory (relative to root, "." for root) to the bytes of every file below it at any depth, like `du`; ' +
      'a file adds its size to its own directory and to every one above it',
  );
});

test('largest lists the biggest files first, ties by path, and honours top', { timeout: 2000 }, async () => {
  const byDefault = await diskUsage(root);
  assert.deepEqual(
    byDefault.largest,
    [
      { path: 'big.bin', size: 5000 },
      { path: 'src/lib/util.js', size: 1200 },
      { path: 'src/index.js', size: 300 },
    ],
    'without `top`, largest holds the 3 biggest files as { path, size }, biggest first, paths relative to root',
  );
  // Equal sizes, created out of order, so the order readdir happens to return is not the answer.
  const dir = join(await tempDir('fs-walk-ties-'), 'tree');
  const names = ['m.txt', 'b/c.txt', 'z.txt', 'a.txt', 'q/r.txt', 'e.txt', 'b.txt', 'k.txt'];
  for (const name of names) await build(dir, { [name]: 64 });
  await build(dir, { 'huge.bin': 999 });
  const ties = await diskUsage(dir, { top: 6 });
  assert.deepEqual(
    ties.largest,
    [
      { path: 'huge.bin', size: 999 },
      ...['a.txt', 'b.txt', 'b/c.txt', 'e.txt', 'k.txt'].map((path) => ({ path, size: 64 })),
    ],
    `files of equal size must be ordered by path (a.txt, b.txt, b/c.txt, …), got ${JSON.stringify(ties.largest)}. ` +
      'Sort by size descending, then by path: (a, b) => b.size - a.size || (a.path < b.path ? -1 : 1)',
  );
  const one = await diskUsage(root, { top: 1 });
  assert.deepEqual(one.largest, [{ path: 'big.bin', size: 5000 }], `with top: 1, largest holds only the biggest file, got ${JSON.stringify(one.largest)}`);
});

test('with followSymlinks, linked directories count and nothing counts twice', { timeout: 2000 }, async () => {
  const report = await within(
    1500,
    diskUsage(root, { followSymlinks: true }),
    'diskUsage(root, { followSymlinks: true }) did not finish within 1.5 s: track visited directories by dev+ino or realpath',
  );
  assert.equal(
    report.totalBytes,
    7400,
    `following links adds ext/extra.dat (700 bytes) to the 6700, but link-to-src and link-to-big lead to files already counted: expected 7400, got ${report.totalBytes}. ` +
      'Remember each visited file and directory by dev+ino (or realpath) and skip it the second time',
  );
  assert.equal(report.fileCount, 6, `6 distinct files are reachable when following links, got ${report.fileCount}`);
  assert.equal(report.dirs.ext, 700, `the linked directory is listed under the link's path: dirs.ext must be 700, got ${report.dirs.ext}`);
  assert.equal(report.dirs['.'], 7400, `dirs['.'] must equal totalBytes (7400), got ${report.dirs['.']}`);
});

test('a symlink cycle, back to the root included, finishes quickly and counts once', { timeout: 3000 }, async () => {
  const dir = join(await tempDir('fs-walk-cycle-'), 'tree');
  await build(dir, {
    'top.txt': 20,
    'd/f.txt': 10,
    'd/up': { to: '..' },
    'd/self': { to: '.' },
    'd/e/back': { to: '../..' },
  });
  const report = await within(
    1500,
    diskUsage(dir, { followSymlinks: true }),
    'with followSymlinks, a tree holding links to "..", "." and "../.." never finished (1.5 s): record every visited directory, the root included, and skip it when a link leads back',
  );
  assert.equal(report.totalBytes, 30, `top.txt (20) and d/f.txt (10) must be counted once each: expected 30, got ${report.totalBytes}`);
  assert.equal(report.fileCount, 2, `expected 2 files, got ${report.fileCount}. A link back to the root must be skipped too: add the root to the visited set first`);
  const entries = await within(1500, collect(walk(dir, { followSymlinks: true })), 'walk with followSymlinks did not finish on the cyclic tree');
  assert.equal(
    entries.filter((e) => e.type === 'dir').length,
    2,
    `only d and d/e are real directories below root, got dir entries ${JSON.stringify(rel(dir, entries).filter((e) => e.type === 'dir').map((e) => e.path))}`,
  );
});

test('dangling and looping links are errors only when following', { timeout: 2000 }, async () => {
  const dir = join(await tempDir('fs-walk-broken-'), 'tree');
  await build(dir, {
    'ok.txt': 5,
    dangling: { to: 'nowhere' },
    l1: { to: 'l2' },
    l2: { to: 'l1' },
  });
  const plain = await diskUsage(dir);
  assert.deepEqual(
    plain.errors,
    [],
    `without followSymlinks a link is just a link, even a broken one: use lstat, not stat. Got errors ${JSON.stringify(plain.errors)}`,
  );
  assert.equal(plain.totalBytes, 5, `only ok.txt (5 bytes) counts, got ${plain.totalBytes}`);

  const followed = await diskUsage(dir, { followSymlinks: true });
  assert.deepEqual(
    byPath(followed.errors ?? []),
    [
      { path: 'dangling', code: 'ENOENT' },
      { path: 'l1', code: 'ELOOP' },
      { path: 'l2', code: 'ELOOP' },
    ],
    `following links, a dangling link fails with ENOENT and a link loop with ELOOP; each must appear in errors as { path, code }, got ${JSON.stringify(followed.errors)}`,
  );
  assert.equal(followed.totalBytes, 5, `the broken links add nothing: expected 5 bytes, got ${followed.totalBytes}`);
});

test('an unreadable directory is reported as EACCES, not fatal', { timeout: 2000, skip: isRoot && 'running as root: file permissions do not stop root' }, async () => {
  const dir = join(await tempDir('fs-walk-locked-'), 'tree');
  await build(dir, { 'ok.txt': 7, 'locked/secret.txt': 50 });
  await chmod(join(dir, 'locked'), 0o000);
  try {
    let report;
    try {
      report = await diskUsage(dir);
    } catch (error) {
      assert.fail(`diskUsage threw ${error.code ?? error.message} on an unreadable directory; report it in errors and carry on`);
    }
    assert.deepEqual(report.errors, [{ path: 'locked', code: 'EACCES' }], `expected errors [{ path: 'locked', code: 'EACCES' }], got ${JSON.stringify(report.errors)}`);
    assert.equal(report.totalBytes, 7, `only ok.txt (7 bytes) is readable, got ${report.totalBytes}`);
  } finally {
    await chmod(join(dir, 'locked'), 0o755);
  }
});

test('a missing root rejects with ENOENT', { timeout: 2000 }, async () => {
  await assert.rejects(
    diskUsage(join(base, 'does-not-exist')),
    (error) => error?.code === 'ENOENT',
    'diskUsage on a root that does not exist must reject with the ENOENT error: that is the caller\'s mistake, not an empty tree',
  );
});
