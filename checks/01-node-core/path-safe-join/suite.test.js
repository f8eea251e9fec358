import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, realpath, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { importExercise, requireExport, tempDir } from './support.mjs';

const mod = await importExercise('safe-join.js');
const safeJoin = requireExport(mod, 'safeJoin', 'function', 'safe-join.js');
const safeResolveReal = requireExport(mod, 'safeResolveReal', 'function', 'safe-join.js');

const ROOT = '/srv/app';
const show = (value) => (typeof value === 'string' ? JSON.stringify(value) : String(value));

/** What safeJoin did with one input, as text for messages. */
function outcome(root, input) {
  try {
    return { value: safeJoin(root, input) };
  } catch (error) {
    return { error };
  }
}

const describeOutcome = ({ value, error }) =>
  error ? `threw ${error.name}${error.code ? ` (code ${error.code})` : ''}: ${error.message}` : `returned ${show(value)}`;

function expectJoins(root, cases, nudge) {
  const wrong = cases
    .map(([input, want]) => ({ input, want, got: outcome(root, input) }))
    .filter(({ want, got }) => got.error || got.value !== want)
    .map(({ input, want, got }) => `safeJoin(${show(root)}, ${show(input)}) should return ${show(want)}, ${describeOutcome(got)}`);
  if (wrong.length) assert.fail(`${wrong.join('\n')}\n${nudge}`);
}

function expectUnsafe(root, inputs, nudge) {
  const wrong = inputs
    .map((input) => ({ input, got: outcome(root, input) }))
    .filter(({ got }) => got.error?.code !== 'ERR_UNSAFE_PATH')
    .map(({ input, got }) => `safeJoin(${show(root)}, ${show(input)}) must throw code ERR_UNSAFE_PATH, ${describeOutcome(got)}`);
  if (wrong.length) assert.fail(`${wrong.join('\n')}\n${nudge}`);
}

// A real tree for safeResolveReal, built at the top level so it lives for the whole suite.
const base = await realpath(await tempDir('roadmap-safejoin-'));
const app = join(base, 'app');
await mkdir(join(app, 'public'), { recursive: true });
await mkdir(join(app, 'docs'), { recursive: true });
await mkdir(join(base, 'app-evil'), { recursive: true });
await mkdir(join(base, 'outside'), { recursive: true });
await writeFile(join(app, 'public', 'index.html'), '<h1>hi</h1>');
await writeFile(join(app, 'docs', 'readme.md'), '# docs');
await writeFile(join(base, 'app-evil', 'secret.txt'), 'sibling secret');
await writeFile(join(base, 'outside', 'secret.txt'), 'outside secret');
await symlink('public/index.html', join(app, 'home.html'));
await symlink(join(app, 'public'), join(app, 'static'), 'dir');
await symlink('../outside/secret.txt', join(app, 'relative-escape.txt'));
await symlink(join(base, 'outside', 'secret.txt'), join(app, 'absolute-escape.txt'));
await symlink(join(base, 'outside'), join(app, 'outside-dir'), 'dir');
await symlink(join(base, 'app-evil', 'secret.txt'), join(app, 'sibling-escape.txt'));
await symlink(app, join(base, 'app-link'), 'dir');

/** Runs safeResolveReal and captures a synchronous throw as a failure of its own. */
async function settle(root, input) {
  let promise;
  try {
    promise = safeResolveReal(root, input);
  } catch (error) {
    assert.fail(`safeResolveReal(${show(root)}, ${show(input)}) threw synchronously (${error.code ?? error.name}: ${error.message}); make it an async function so every failure is a rejected promise`);
  }
  assert.ok(typeof promise?.then === 'function', `safeResolveReal must return a promise, got ${show(promise)}`);
  try {
    return { value: await promise };
  } catch (error) {
    return { error };
  }
}

test('joins ordinary relative paths under the root', { timeout: 2000 }, () => {
  expectJoins(
    ROOT,
    [
      ['index.html', '/srv/app/index.html'],
      ['images/cat.png', '/srv/app/images/cat.png'],
      ['images/', '/srv/app/images'],
      ['./docs/./readme.md', '/srv/app/docs/readme.md'],
      ['caf%C3%A9.txt', '/srv/app/café.txt'],
    ],
    'Decode, then path.resolve(root, decoded): the result is absolute and normalised.',
  );
});

test('resolves .. segments that stay inside, and "" or "." to the root itself', { timeout: 2000 }, () => {
  expectJoins(
    ROOT,
    [
      ['a/../b.txt', '/srv/app/b.txt'],
      ['a/b/../../c', '/srv/app/c'],
      ['docs/..', '/srv/app'],
      ['', '/srv/app'],
      ['.', '/srv/app'],
    ],
    'Check the resolved result, not the input: a path that goes down and back up is still inside, and the root itself is allowed.',
  );
});

test('rejects .. traversal out of the root', { timeout: 2000 }, () => {
  expectUnsafe(
    ROOT,
    ['..', '../', '../etc/passwd', '../../../../../../etc/passwd', 'a/../../etc/passwd', 'docs/../../app/../../etc/shadow'],
    'Resolve first, then check that the result is the root or lies below it.',
  );
});

test('rejects a sibling folder whose name starts with the root name', { timeout: 2000 }, () => {
  expectUnsafe(
    ROOT,
    ['../app-evil/secret.txt', '../app-evil', '../app2/config.json', '../app.bak/db.sqlite', './../appendix'],
    '"/srv/app-evil".startsWith("/srv/app") is true: compare whole path segments. Check `target === root || target.startsWith(root + path.sep)`, or use path.relative(root, target).',
  );
  expectUnsafe(`${ROOT}/`, ['../app-evil/secret.txt'], 'The same holds when the root is given with a trailing slash.');
});

test('rejects absolute paths', { timeout: 2000 }, () => {
  expectUnsafe(
    ROOT,
    ['/etc/passwd', '//etc/passwd', '/srv/app/index.html', '%2fetc%2fpasswd'],
    'An absolute userPath is never relative to the root (path.resolve would jump straight to it); reject anything that starts with "/" after decoding.',
  );
});

test('decodes percent-encoding exactly once and rejects encoded traversal', { timeout: 2000 }, () => {
  expectUnsafe(
    ROOT,
    ['%2e%2e%2fetc%2fpasswd', '%2E%2E/%2E%2E/etc/passwd', '..%2f..%2fetc', 'images%2f..%2f..%2fsecret'],
    'Decode with decodeURIComponent BEFORE checking: "%2e%2e%2f" is "../".',
  );
  expectJoins(
    ROOT,
    [
      ['my%20file.txt', '/srv/app/my file.txt'],
      ['%252e%252e%252fetc', '/srv/app/%2e%2e%2fetc'],
      ['100%25.txt', '/srv/app/100%.txt'],
    ],
    'Decode once: "%20" is a space, and "%252e" is the literal text "%2e" (decoding twice lets double-encoded input slip past a check made in between).',
  );
  expectUnsafe(ROOT, ['%E0%A4%A', 'bad%zzname', '100%.txt'], 'decodeURIComponent throws URIError on malformed input: catch it and treat the path as unsafe.');
});

test('rejects NUL bytes, raw or encoded', { timeout: 2000 }, () => {
  expectUnsafe(
    ROOT,
    ['images/cat.png\0.jpg', 'images/cat.png%00.jpg', '%00', 'docs/\0'],
    'A NUL byte truncates the path in C code under fs ("cat.png\\0.jpg" passes a ".jpg" check but opens "cat.png"); reject any "\\0" after decoding.',
  );
});

test('rejects backslashes, raw or encoded', { timeout: 2000 }, () => {
  expectUnsafe(
    ROOT,
    ['..\\..\\etc\\passwd', 'images\\cat.png', '%5c..%5c..%5cwindows', 'docs%5Creadme.md'],
    'The contract rejects every backslash: on Windows it is a separator, so "..\\" traverses there even if it looks harmless here.',
  );
});

test('allows names that merely contain dots', { timeout: 2000 }, () => {
  expectJoins(
    ROOT,
    [
      ['..config/settings.json', '/srv/app/..config/settings.json'],
      ['a..b.txt', '/srv/app/a..b.txt'],
      ['...', '/srv/app/...'],
      ['docs/..hidden', '/srv/app/docs/..hidden'],
      ['.env.example', '/srv/app/.env.example'],
    ],
    'Rejecting every input that contains ".." blocks real file names. Only a ".." that leaves the root matters: check the resolved path, and with path.relative test for ".." or "../" at the start, not any leading "..".',
  );
});

test('treats a root with a trailing slash like the same root without it', { timeout: 2000 }, () => {
  expectJoins(
    `${ROOT}/`,
    [
      ['index.html', '/srv/app/index.html'],
      ['a/../b', '/srv/app/b'],
      ['', '/srv/app'],
    ],
    'Normalise the root with path.resolve(root) before comparing: "/srv/app/" + "/" is "/srv/app//", which no resolved path starts with.',
  );
});

test('throws a TypeError when userPath is not a string', { timeout: 2000 }, () => {
  for (const bad of [undefined, null, 42, ['..', 'etc'], { toString: () => '../etc' }]) {
    assert.throws(() => safeJoin(ROOT, bad), TypeError, `safeJoin(${show(ROOT)}, ${Array.isArray(bad) ? JSON.stringify(bad) : typeof bad === 'object' && bad ? 'an object with toString()' : String(bad)}) must throw a TypeError, not coerce it to a string`);
  }
});

test('safeResolveReal returns the real path of files and of symlinks that stay inside', { timeout: 2000 }, async () => {
  const cases = [
    ['public/index.html', join(app, 'public', 'index.html')],
    ['docs%2freadme.md', join(app, 'docs', 'readme.md')],
    ['home.html', join(app, 'public', 'index.html')],
    ['static/index.html', join(app, 'public', 'index.html')],
    ['', app],
  ];
  for (const [input, want] of cases) {
    const got = await settle(app, input);
    assert.equal(got.error, undefined, `safeResolveReal(<root>, ${show(input)}) should resolve to ${show(want)}, but rejected: ${got.error?.code ?? ''} ${got.error?.message}`);
    assert.equal(got.value, want, `safeResolveReal(<root>, ${show(input)}) must resolve to the REAL path (symlinks followed) ${show(want)}, got ${show(got.value)}: use fs.promises.realpath`);
  }
});

test('safeResolveReal rejects symlinks that lead outside the root', { timeout: 2000 }, async () => {
  const escapes = [
    ['relative-escape.txt', 'a relative symlink to ../outside/secret.txt'],
    ['absolute-escape.txt', 'an absolute symlink to a file outside'],
    ['outside-dir/secret.txt', 'a symlinked folder that points outside'],
    ['sibling-escape.txt', 'a symlink into the sibling folder app-evil (same prefix as the root)'],
  ];
  for (const [input, what] of escapes) {
    const got = await settle(app, input);
    assert.equal(
      got.error?.code,
      'ERR_UNSAFE_PATH',
      `safeResolveReal(<root>, ${show(input)}) follows ${what}; it must reject with code ERR_UNSAFE_PATH, ${got.error ? `rejected with ${got.error.code ?? got.error.name}: ${got.error.message}` : `resolved to ${show(got.value)}`}. Run realpath on the target and check the REAL path against the real root, segment by segment.`,
    );
  }
});

test('safeResolveReal works when the root itself is a symlink', { timeout: 2000 }, async () => {
  const linkRoot = join(base, 'app-link');
  const got = await settle(linkRoot, 'public/index.html');
  assert.equal(
    got.error,
    undefined,
    `the root ${show(linkRoot)} is a symlink to ${show(app)}; a file inside must resolve, but it rejected with ${got.error?.code}: ${got.error?.message}. Compare realpath(target) with realpath(root), not with root as given (on macOS /tmp itself is a symlink).`,
  );
  assert.equal(got.value, join(app, 'public', 'index.html'), 'the result is the real path, with every symlink (the root too) resolved');
  const escape = await settle(linkRoot, 'relative-escape.txt');
  assert.equal(escape.error?.code, 'ERR_UNSAFE_PATH', `an escaping symlink must still be rejected through a symlinked root, ${escape.error ? `got ${escape.error.code}` : `resolved to ${show(escape.value)}`}`);
});

test('safeResolveReal applies the safeJoin rules first and reports missing files as ENOENT', { timeout: 2000 }, async () => {
  for (const input of ['../outside/secret.txt', '..%2fapp-evil%2fsecret.txt', `${base}/outside/secret.txt`, 'public\\index.html']) {
    const got = await settle(app, input);
    assert.equal(got.error?.code, 'ERR_UNSAFE_PATH', `safeResolveReal(<root>, ${show(input)}) must reject with ERR_UNSAFE_PATH before touching the disk (the file exists!), ${got.error ? `got ${got.error.code ?? got.error.name}` : `resolved to ${show(got.value)}`}`);
  }
  const missing = await settle(app, 'public/missing.html');
  assert.equal(missing.error?.code, 'ENOENT', `a path inside the root that does not exist must reject with the fs error ENOENT, ${missing.error ? `got ${missing.error.code ?? missing.error.name}: ${missing.error.message}` : `resolved to ${show(missing.value)}`}`);
});
