// Grades gitignore.txt with the real `git check-ignore`: the rules are copied to
// `.gitignore` in a fresh temporary repository that holds every path below.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { exercisePath, runProcess, seededRandom, tempDir } from './support.mjs';

let rules;
try {
  rules = await readFile(exercisePath('gitignore.txt'), 'utf8');
} catch (error) {
  throw new Error(`gitignore.txt is missing from the exercise folder (${error.code}); write your ignore rules in that file`);
}

// Seeded names, so a rule that only lists the example names cannot pass.
const random = seededRandom();
const pick = (words) => words[Math.floor(random() * words.length)];
const pkg = pick(['api', 'worker', 'billing', 'gateway', 'mailer']);
const dep = pick(['lodash', 'pg', 'zod', 'dayjs', 'ws']);
const stage = pick(['staging', 'preview', 'qa', 'ci', 'docker']);
const day = `2024-0${1 + Math.floor(random() * 9)}-1${Math.floor(random() * 10)}`;

const SECRETS = ['.env', '.env.local', '.env.production', `.env.${stage}`, 'config/.env', 'config/.env.local', `packages/${pkg}/.env.development.local`];
const EXAMPLES = ['.env.example', 'config/.env.example', `packages/${pkg}/.env.example`];
const NODE_MODULES = ['node_modules/express/package.json', 'node_modules/.bin/eslint', `packages/${pkg}/node_modules/${dep}/index.js`, 'apps/web/node_modules/react/index.js'];
const NODE_MODULES_LOOKALIKES = ['src/node_modules_helper.js', 'docs/node_modules.md', 'scripts/clean-node_modules.sh'];
const LOGS = ['npm-debug.log', 'yarn-error.log', 'server/error.log', `packages/${pkg}/debug.log`, `logs/${day}.txt`, 'api/logs/access.txt'];
const LOG_LOOKALIKES = ['src/logger.js', 'src/logs.js', 'CHANGELOG.md', 'docs/logging.md', 'src/catalog.js'];
const COVERAGE = ['coverage/lcov.info', 'coverage/lcov-report/index.html', '.nyc_output/processinfo/index.json', `packages/${pkg}/coverage/coverage-final.json`];
const COVERAGE_LOOKALIKES = ['test/coverage.test.js', 'docs/coverage-policy.md'];
const JUNK = ['.DS_Store', 'src/.DS_Store', 'Thumbs.db', 'docs/images/Thumbs.db'];
// Paths that must be ignored, shown next to their lookalikes above.
const CONTRASTS = ['.env.test', 'config/.env.production', `packages/${pkg}/.env.local`, 'src/node_modules/cache.js', 'src/server.log', 'src/logs/today.txt'];
const PROJECT = ['package.json', 'package-lock.json', 'README.md', 'src/index.js', 'src/env.js', 'config/default.json', '.gitignore', '.github/workflows/ci.yml', 'test/app.test.js'];

// Created at the top level: a temp dir made inside a test is removed when that test ends.
const dir = await tempDir('roadmap-gitignore-');
// Git must not read the machine's own ignore files or config.
const gitEnv = { HOME: dir, XDG_CONFIG_HOME: dir, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' };
let fixture;

/** The temporary repository holding every path, built once on first use. */
function repo() {
  fixture ??= (async () => {
    let init;
    try {
      init = await runProcess('git', ['init', '-q'], { cwd: dir, env: gitEnv });
    } catch (error) {
      throw new Error(`this exercise needs git on your PATH (${error.code}); install it (e.g. \`apt-get install git\`) and run again`);
    }
    if (init.code !== 0) throw new Error(`git init failed: ${init.stderr}`);
    await writeFile(join(dir, '.gitignore'), rules);
    const all = [SECRETS, EXAMPLES, NODE_MODULES, NODE_MODULES_LOOKALIKES, LOGS, LOG_LOOKALIKES, COVERAGE, COVERAGE_LOOKALIKES, JUNK, CONTRASTS, PROJECT].flat();
    for (const path of all) {
      if (path === '.gitignore') continue;
      await mkdir(join(dir, dirname(path)), { recursive: true });
      await writeFile(join(dir, path), `${path}\n`);
    }
    return dir;
  })();
  return fixture;
}

/** Asks git about each path: Map path → { ignored, rule } where rule names the line that decided. */
async function checkIgnore(paths) {
  await repo();
  const res = await runProcess('git', ['check-ignore', '--no-index', '-v', '-n', '-z', '--stdin'], {
    cwd: dir,
    env: gitEnv,
    input: paths.map((p) => `${p}\0`).join(''),
  });
  if (res.code > 1) throw new Error(`git check-ignore failed (exit ${res.code}): ${res.stderr.trim()}`);
  const fields = res.stdout.split('\0');
  const verdicts = new Map();
  for (let i = 0; i + 3 < fields.length; i += 4) {
    const [source, line, pattern, path] = fields.slice(i, i + 4);
    const rule = pattern ? `${source === '.gitignore' ? 'gitignore.txt' : source} line ${line} "${pattern}"` : '';
    // A matching "!" pattern means the path was re-included, not ignored.
    verdicts.set(path, { ignored: pattern !== '' && !pattern.startsWith('!'), rule, source });
  }
  return verdicts;
}

async function expectIgnored(paths, nudge) {
  const verdicts = await checkIgnore(paths);
  const wrong = paths
    .filter((p) => !verdicts.get(p)?.ignored)
    .map((p) => {
      const { rule } = verdicts.get(p) ?? {};
      return `  ${p} — ${rule ? `re-included by ${rule}` : 'no rule matched it'}`;
    });
  if (wrong.length) assert.fail(`these paths must be ignored but are not:\n${wrong.join('\n')}\n${nudge}`);
}

async function expectTracked(paths, nudge) {
  const verdicts = await checkIgnore(paths);
  const wrong = paths
    .filter((p) => verdicts.get(p)?.ignored !== false)
    .map((p) => `  ${p} — ignored by ${verdicts.get(p)?.rule ?? 'an unknown rule'}`);
  if (wrong.length) assert.fail(`these paths must stay tracked but are ignored:\n${wrong.join('\n')}\n${nudge}`);
}

test('ignores .env and .env.* secrets in the root and in every subfolder', { timeout: 5000 }, async () => {
  await expectIgnored(
    SECRETS,
    'Ignoring only `.env` lets `.env.local` and `.env.production` leak. A pattern with no slash in it (`.env.*`) matches at any depth; a leading slash (`/.env`) pins it to the root.',
  );
});

test('keeps .env.example tracked next to ignored .env.* siblings', { timeout: 5000 }, async () => {
  await expectIgnored(
    ['.env.test', 'config/.env.production', `packages/${pkg}/.env.local`],
    'The siblings of `.env.example` are secrets: ignore `.env.*` at any depth, then re-include only `.env.example`.',
  );
  await expectTracked(
    EXAMPLES,
    'Teammates need `.env.example` to know which settings exist. Re-include it with `!.env.example`, and put that line AFTER the rule that ignores `.env.*`: the last matching line wins.',
  );
});

test('ignores node_modules folders and their contents at any depth', { timeout: 5000 }, async () => {
  await expectIgnored(
    NODE_MODULES,
    'Workspaces and monorepos have `node_modules/` in subfolders too. Use `node_modules/` (no leading slash) so it matches a folder of that name anywhere.',
  );
});

test('tells node_modules folders apart from files named like them', { timeout: 5000 }, async () => {
  await expectIgnored(['src/node_modules/cache.js'], 'A `node_modules/` folder inside `src/` is still dependencies: ignore it.');
  await expectTracked(
    NODE_MODULES_LOOKALIKES,
    'A wildcard like `node_modules*` or `*node_modules*` also hides source files. `node_modules/` with a trailing slash matches folders only.',
  );
});

test('ignores .log files and logs/ folders at any depth', { timeout: 5000 }, async () => {
  await expectIgnored(
    LOGS,
    'Use `*.log` for log files wherever they are, and `logs/` for everything inside a logs folder (any file type).',
  );
});

test('tells log files apart from source files whose names only look like logs', { timeout: 5000 }, async () => {
  await expectIgnored(['src/server.log', 'src/logs/today.txt'], 'Log files and logs folders inside `src/` must be ignored too.');
  await expectTracked(
    LOG_LOOKALIKES,
    'Match the extension (`*.log`) and the folder (`logs/`, trailing slash), not every name containing "log": `*log*` and `logs` without a slash hide real code.',
  );
});

test('ignores coverage/ and .nyc_output/ output but keeps coverage tests', { timeout: 5000 }, async () => {
  await expectIgnored(COVERAGE, 'Coverage reports are generated by the test run; ignore the `coverage/` and `.nyc_output/` folders.');
  await expectTracked(
    COVERAGE_LOOKALIKES,
    'Ignore the coverage *folder* (`coverage/`), not every name that starts with "coverage".',
  );
});

test('ignores .DS_Store and Thumbs.db anywhere', { timeout: 5000 }, async () => {
  await expectIgnored(JUNK, 'macOS drops `.DS_Store` and Windows drops `Thumbs.db` in every folder a file browser opens; list both names without a slash.');
});

test('keeps package.json, package-lock.json, sources, .github and .gitignore tracked', { timeout: 5000 }, async () => {
  await expectTracked(
    PROJECT,
    'Only ignore what the task lists. The lockfile must be committed (`npm ci` needs it), and a broad rule like `.*` or `*.json` hides `.github/` and the project itself.',
  );
});

test('the rules live in gitignore.txt and this folder has no .gitignore of its own', { timeout: 2000 }, async () => {
  const hasGitignore = await access(exercisePath('.gitignore')).then(
    () => true,
    () => false,
  );
  assert.equal(
    hasGitignore,
    false,
    'found a `.gitignore` in the exercise folder: it changes what your workspace repository tracks. Keep the rules in `gitignore.txt` only and delete the `.gitignore`.',
  );
  assert.notEqual(rules.trim(), '', 'gitignore.txt is empty: write one rule per line');
});
