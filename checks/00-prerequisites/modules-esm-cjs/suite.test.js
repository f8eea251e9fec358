import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { dirname, extname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exerciseDir, exercisePath, importExercise, runNode, tempDir } from './support.mjs';

// Loading the ESM entry here reports a syntax error as the learner's own error.
await importExercise('index.js');

// A consumer app in a temp folder, with the package linked into its node_modules the
// way `npm install` would place it. Every process runs with the app as its working
// directory, never the package's folder.
const appDir = join(await tempDir('roadmap-dual-'), 'app');
await mkdir(join(appDir, 'node_modules'), { recursive: true });
await writeFile(join(appDir, 'package.json'), JSON.stringify({ name: 'consumer-app', private: true, type: 'module' }));
for (const [fixture, name] of [
  ['consumer-esm.js', 'index.js'],
  ['consumer-cjs.cjs', 'legacy.cjs'],
  ['consumer-both.js', 'both.js'],
  ['probe.cjs', 'probe.cjs'],
]) {
  await copyFile(fileURLToPath(new URL(`./${fixture}`, import.meta.url)), join(appDir, name));
}
await symlink(exerciseDir, join(appDir, 'node_modules', 'http-status-kit'), 'junction');

function start(script, args = []) {
  const run = runNode(script, args, { cwd: appDir, timeoutMs: 4000 });
  run.catch(() => {});
  return run;
}

const runs = {
  esm: start(join(appDir, 'index.js'), ['404']),
  cjs: start(join(appDir, 'legacy.cjs')),
  both: start(join(appDir, 'both.js')),
  cli: start(exercisePath('index.js'), ['404']),
  cliUnknown: start(exercisePath('index.js'), ['999']),
};

function nudgeCwd(text) {
  if (!String(text).includes('ENOENT')) return '';
  return (
    '\nIf a file is read relative to the working directory, it breaks when the app runs from another folder: ' +
    'resolve it from the module itself (require in CommonJS, createRequire(import.meta.url) in ESM).'
  );
}

async function report(name, what) {
  const result = await runs[name];
  const lines = result.stdout.split('\n').filter(Boolean);
  const line = lines.find((l) => l.startsWith('RESULT:'));
  assert.ok(
    line,
    `${what} crashed (exit ${result.code}) before reporting:\n${result.stderr.slice(0, 900)}\n` +
      nudgeCwd(result.stderr),
  );
  return { ...JSON.parse(line.slice('RESULT:'.length)), otherOutput: lines.filter((l) => l !== line), result };
}

// Which module system Node uses for a file: .mjs/.cjs by extension, .js by the "type"
// of the nearest package.json.
async function formatOf(file) {
  if (extname(file) === '.mjs') return 'module';
  if (extname(file) === '.cjs') return 'commonjs';
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    try {
      return JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')).type ?? 'commonjs';
    } catch (error) {
      if (error.code !== 'ENOENT') throw error;
    }
    if (dirname(dir) === dir) return 'commonjs';
  }
}

function where(file) {
  return relative(exerciseDir, file) || file;
}

function checkApi(api, how) {
  assert.equal(api.failure, undefined, `${how}: calling the API threw ${api.failure}`);
  for (const name of ['HttpError', 'statusText']) {
    assert.ok(api.exports.includes(name), `${how} must give a named export \`${name}\`; got ${JSON.stringify(api.exports)}`);
  }
  assert.deepEqual(
    api.statusText,
    { 404: 'Not Found', '418 (string)': "I'm a Teapot", 999: null, toString: null },
    `${how}: statusText returns the text for a known code (number or digit string) and null otherwise ` +
      '(careful: "toString" is not a status code, even though every object has it)',
  );
  assert.deepEqual(
    api.errors,
    [
      { name: 'HttpError', status: 404, message: 'Not Found', isError: true },
      { name: 'HttpError', status: 422, message: 'email is required', isError: true },
      { name: 'HttpError', status: 599, message: 'HTTP 599', isError: true },
    ],
    `${how}: new HttpError(status, message?) is an Error named "HttpError" with .status; the message ` +
      'defaults to the status text, or "HTTP <status>" for an unknown code',
  );
}

test('import resolves through the "import" condition to an ES module', { timeout: 5000 }, async () => {
  const r = await report('esm', 'an ESM app doing `import ... from "http-status-kit"`');
  assert.equal(r.resolveError, undefined, `import.meta.resolve('http-status-kit') failed: ${r.resolveError}`);
  assert.equal(
    await formatOf(r.resolved),
    'module',
    `\`import\` resolved to ${where(r.resolved)}, which Node loads as CommonJS. ` +
      'In package.json, "exports" → "." needs an "import" condition that points at the ES module entry (index.js).',
  );
});

test('require resolves through the "require" condition to a CommonJS file', { timeout: 5000 }, async () => {
  const r = await report('cjs', 'a CommonJS app doing `require("http-status-kit")`');
  assert.equal(r.resolveError, undefined, `require.resolve('http-status-kit') failed: ${r.resolveError}`);
  assert.equal(
    await formatOf(r.resolved),
    'commonjs',
    `\`require\` resolved to ${where(r.resolved)}, which Node loads as an ES module. ` +
      'Add a "require" condition pointing at index.cjs (conditions are tried in order, so "default" goes last).',
  );
});

test('an ESM app gets a working statusText and HttpError through import', { timeout: 5000 }, async () => {
  const r = await report('esm', 'an ESM app');
  assert.equal(r.loadError, undefined, `import('http-status-kit') failed: ${r.loadError}${nudgeCwd(r.loadError)}`);
  checkApi(r.api, 'import');
});

test('a CommonJS app gets a working statusText and HttpError through require', { timeout: 5000 }, async () => {
  const r = await report('cjs', 'a CommonJS app');
  assert.equal(r.loadError, undefined, `require('http-status-kit') failed: ${r.loadError}${nudgeCwd(r.loadError)}`);
  checkApi(r.api, 'require');
});

test('import and require share one HttpError class (no dual package hazard)', { timeout: 5000 }, async () => {
  const r = await report('both', 'an app that both imports and requires the package');
  assert.equal(r.loadError, undefined, `loading the package both ways failed: ${r.loadError}`);
  assert.deepEqual(
    { sameClass: r.sameClass, sameFunction: r.sameFunction, crossInstanceof: r.crossInstanceof },
    { sameClass: true, sameFunction: true, crossInstanceof: true },
    'with two copies of the code, an HttpError thrown by a CommonJS dependency fails `instanceof HttpError` in ' +
      'ESM code. Let index.js re-export what index.cjs defines (createRequire(import.meta.url)) instead of a copy.',
  );
});

test('package.json is exported so tools can read the version', { timeout: 5000 }, async () => {
  const r = await report('cjs', 'a CommonJS app');
  assert.equal(
    r.version,
    '1.2.0',
    `require('http-status-kit/package.json') failed (${r.versionError}): add "./package.json": "./package.json" to "exports"`,
  );
});

test('internal files cannot be deep-imported past the exports map', { timeout: 5000 }, async () => {
  const cjs = await report('cjs', 'a CommonJS app');
  const both = await report('both', 'an ESM app');
  assert.deepEqual(
    { ...cjs.deep, 'import http-status-kit/codes.json': both.deepImport },
    {
      'http-status-kit/index.cjs': 'ERR_PACKAGE_PATH_NOT_EXPORTED',
      'http-status-kit/codes.json': 'ERR_PACKAGE_PATH_NOT_EXPORTED',
      'import http-status-kit/codes.json': 'ERR_PACKAGE_PATH_NOT_EXPORTED',
    },
    'an "exports" map is the public surface of a package: only "." and "./package.json" may be loaded; no ' +
      '"./*" wildcard, or every internal file becomes API you can never change',
  );
});

test('importing the package prints nothing, even from an app whose entry is index.js', { timeout: 5000 }, async () => {
  const r = await report('esm', 'an ESM app started as `node index.js 404`');
  assert.deepEqual(
    r.otherOutput,
    [],
    'the package printed while being imported: the CLI must run only when the package\'s own index.js is the ' +
      'script Node started, so compare process.argv[1] with fileURLToPath(import.meta.url) instead of ' +
      'looking at the file name or the arguments',
  );
});

test('running index.js directly prints the status line, from any working directory', { timeout: 5000 }, async () => {
  const { code, stdout, stderr } = await runs.cli;
  assert.equal(
    stdout,
    '404 Not Found\n',
    `\`node index.js 404\` (run from another folder) must print "404 Not Found"; it printed ${JSON.stringify(stdout)}, ` +
      `stderr: ${stderr.slice(0, 600)}${nudgeCwd(stderr)}`,
  );
  assert.equal(code, 0, `\`node index.js 404\` must exit 0, got ${code}`);
});

test('running index.js with an unknown code fails with exit code 1 and a message on stderr', { timeout: 5000 }, async () => {
  const { code, stdout, stderr } = await runs.cliUnknown;
  assert.equal(code, 1, `\`node index.js 999\` must exit with code 1, got ${code}; stderr: ${stderr.slice(0, 600)}`);
  assert.equal(stdout, '', `nothing goes to stdout for an unknown code, got ${JSON.stringify(stdout)}`);
  assert.match(stderr, /999/, 'the error on stderr must name the unknown code');
  assert.doesNotMatch(stderr, /\n\s+at /, 'report the unknown code with a message, not a stack trace from a thrown error');
});
