import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { exercisePath, importExercise, requireExport, runNode, tempDir } from './support.mjs';

const mod = await importExercise('config.js');
const loadConfig = requireExport(mod, 'loadConfig', 'function', 'config.js');
const ConfigError = requireExport(mod, 'ConfigError', 'function', 'config.js');
const mainScript = exercisePath('main.js');
if (!existsSync(mainScript)) throw new Error('main.js is missing from the exercise folder');

const VARS = ['PORT', 'DATABASE_URL', 'LOG_LEVEL', 'FEATURE_FLAGS', 'METRICS_ENABLED', 'TRUST_PROXY'];
const DB = 'postgres://app:s3cret@db.internal:5432/shop';
const DEFAULTS = { port: 3000, databaseUrl: DB, logLevel: 'info', featureFlags: [], metricsEnabled: false, trustProxy: false };

const show = (env) => JSON.stringify(env);

/** Calls loadConfig and returns the ConfigError it throws, failing if it returns or throws something else. */
function configError(env, why) {
  let result;
  try {
    result = loadConfig(env);
  } catch (error) {
    assert.ok(
      error instanceof ConfigError,
      `${why}: expected a ConfigError (the class config.js exports), got ${error?.name}: ${error?.message}\n  env: ${show(env)}`,
    );
    assert.ok(Array.isArray(error.issues), `a ConfigError carries its problems in an \`issues\` array\n  env: ${show(env)}`);
    return error;
  }
  assert.fail(`${why}: loadConfig must throw a ConfigError, but it returned ${JSON.stringify(result)}\n  env: ${show(env)}`);
}

/** Asserts the ConfigError has exactly one issue, about `name`. */
function rejectsOnly(env, name, why) {
  const error = configError(env, why);
  assert.equal(error.issues.length, 1, `${why}: only ${name} is wrong, so expected exactly one issue, got ${JSON.stringify(error.issues)}`);
  assert.ok(error.issues[0].startsWith(name), `${why}: the issue must start with the variable name ${name}, got ${JSON.stringify(error.issues[0])}`);
}

/** Runs main.js in `dir` with only `env` set among the config variables. */
function runMain(dir, env = {}) {
  const cleared = Object.fromEntries(VARS.map((name) => [name, undefined]));
  return runNode(mainScript, [], { cwd: dir, env: { ...cleared, ...env }, timeoutMs: 3000 });
}

const output = (run) => `exit code ${run.code}${run.timedOut ? ' (timed out)' : ''}\n  stdout: ${JSON.stringify(run.stdout.slice(0, 500))}\n  stderr: ${JSON.stringify(run.stderr.slice(0, 500))}`;

/** The JSON line main.js prints (the last non-empty line of stdout). */
function printedConfig(run) {
  const line = run.stdout.trim().split('\n').at(-1) ?? '';
  try {
    return JSON.parse(line);
  } catch {
    assert.fail(`main.js must print the config as one line of JSON on stdout\n${output(run)}`);
  }
}

// The four runs of main.js start together here, each in its own temp dir, and each test
// awaits its own: spawning Node is the slow part of this suite.
async function mainIn(envFile, env) {
  const dir = await tempDir('roadmap-env-');
  if (envFile !== undefined) await writeFile(join(dir, '.env'), envFile);
  return runMain(dir, env);
}
const started = (promise) => {
  promise.catch(() => {}); // reported by the test that awaits it
  return promise;
};
const mainRuns = {
  fromEnvFile: started(
    mainIn(['# written by the suite', `DATABASE_URL="${DB}"`, 'PORT=8000', 'LOG_LEVEL=debug', 'FEATURE_FLAGS=new-checkout, dark-mode', 'METRICS_ENABLED=1', ''].join('\n')),
  ),
  realEnvWins: started(mainIn(`DATABASE_URL=${DB}\nPORT=8000\nLOG_LEVEL=debug\n`, { PORT: '9000', LOG_LEVEL: 'warn' })),
  noEnvFile: started(mainIn(undefined, { DATABASE_URL: 'postgres://db.internal/shop' })),
  invalid: started(mainIn('PORT=eighty\nLOG_LEVEL=loud\n', { TRUST_PROXY: 'sometimes' })),
};

test('turns a complete environment into typed values', { timeout: 2000 }, () => {
  const env = {
    PORT: '8080',
    DATABASE_URL: DB,
    LOG_LEVEL: 'debug',
    FEATURE_FLAGS: 'new-checkout,dark-mode',
    METRICS_ENABLED: 'true',
    TRUST_PROXY: '1',
    UNRELATED: 'ignored',
  };
  assert.deepEqual(
    { ...loadConfig(env) },
    { port: 8080, databaseUrl: DB, logLevel: 'debug', featureFlags: ['new-checkout', 'dark-mode'], metricsEnabled: true, trustProxy: true },
    `expected exactly these six typed fields (port is a number, flags an array, booleans real booleans)\n  env: ${show(env)}`,
  );
});

test('fills in defaults for optional variables that are unset or empty', { timeout: 2000 }, () => {
  assert.deepEqual({ ...loadConfig({ DATABASE_URL: DB }) }, DEFAULTS, 'with only DATABASE_URL set every other field takes its default');
  const empty = { DATABASE_URL: DB, PORT: '', LOG_LEVEL: '', FEATURE_FLAGS: '', METRICS_ENABLED: '', TRUST_PROXY: '' };
  assert.deepEqual(
    { ...loadConfig(empty) },
    DEFAULTS,
    `a variable set to the empty string (\`PORT=\` in a .env file) counts as unset and takes its default\n  env: ${show(empty)}`,
  );
});

test('returns a frozen object whose featureFlags cannot change either', { timeout: 2000 }, () => {
  const config = loadConfig({ DATABASE_URL: DB, FEATURE_FLAGS: 'beta' });
  assert.ok(Object.isFrozen(config), 'the config must be frozen (Object.freeze) so no module can change it at runtime');
  assert.ok(Object.isFrozen(config.featureFlags), 'config.featureFlags must be frozen too: Object.freeze is shallow');
  assert.throws(() => {
    config.port = 1;
  }, TypeError, 'assigning to a field of the config must throw in strict mode');
});

test('rejects a PORT that is not a whole number from 1 to 65535', { timeout: 2000 }, () => {
  for (const PORT of ['0', '65536', '80a', '3.5', '-1', '1e3', '0x50', ' 80', 'abc']) {
    rejectsOnly({ DATABASE_URL: DB, PORT }, 'PORT', `PORT=${JSON.stringify(PORT)}`);
  }
  for (const [PORT, port] of [['1', 1], ['65535', 65535]]) {
    assert.equal(loadConfig({ DATABASE_URL: DB, PORT }).port, port, `PORT=${JSON.stringify(PORT)} is in range and must give port ${port}`);
  }
});

test('requires DATABASE_URL to be a postgres:// or postgresql:// URL', { timeout: 2000 }, () => {
  for (const DATABASE_URL of [undefined, '', 'not a url', 'db.internal:5432/shop', 'mysql://app@db.internal/shop', 'http://db.internal/shop']) {
    rejectsOnly({ DATABASE_URL }, 'DATABASE_URL', `DATABASE_URL=${JSON.stringify(DATABASE_URL)}`);
  }
  const other = 'postgresql://db.internal/shop';
  assert.equal(loadConfig({ DATABASE_URL: other }).databaseUrl, other, `${other} is valid and must be returned as given`);
});

test('accepts only the known LOG_LEVEL values', { timeout: 2000 }, () => {
  for (const LOG_LEVEL of ['fatal', 'error', 'warn', 'info', 'debug', 'trace']) {
    assert.equal(loadConfig({ DATABASE_URL: DB, LOG_LEVEL }).logLevel, LOG_LEVEL, `LOG_LEVEL=${LOG_LEVEL} is valid`);
  }
  for (const LOG_LEVEL of ['verbose', 'warning', 'information']) {
    rejectsOnly({ DATABASE_URL: DB, LOG_LEVEL }, 'LOG_LEVEL', `LOG_LEVEL=${JSON.stringify(LOG_LEVEL)}`);
  }
});

test('parses booleans strictly: true or 1, false or 0, nothing else', { timeout: 2000 }, () => {
  for (const name of ['METRICS_ENABLED', 'TRUST_PROXY']) {
    const field = name === 'METRICS_ENABLED' ? 'metricsEnabled' : 'trustProxy';
    for (const [raw, value] of [['true', true], ['1', true], ['false', false], ['0', false]]) {
      assert.equal(
        loadConfig({ DATABASE_URL: DB, [name]: raw })[field],
        value,
        `${name}=${raw} must give ${field} ${value}${raw === 'false' ? " (Boolean('false') is true: compare the string)" : ''}`,
      );
    }
    for (const raw of ['yes', 'on', '2', 't', 'tru']) {
      rejectsOnly({ DATABASE_URL: DB, [name]: raw }, name, `${name}=${JSON.stringify(raw)} is neither true/1 nor false/0`);
    }
  }
});

test('splits FEATURE_FLAGS on commas, trimming and dropping empty entries', { timeout: 2000 }, () => {
  const cases = [
    [' new-checkout , dark-mode,,beta ,', ['new-checkout', 'dark-mode', 'beta']],
    ['solo', ['solo']],
    [',, ,', []],
  ];
  for (const [FEATURE_FLAGS, expected] of cases) {
    assert.deepEqual([...loadConfig({ DATABASE_URL: DB, FEATURE_FLAGS }).featureFlags], expected, `FEATURE_FLAGS=${JSON.stringify(FEATURE_FLAGS)}`);
  }
});

test('reports every problem at once in one ConfigError', { timeout: 2000 }, () => {
  const env = { PORT: 'abc', LOG_LEVEL: 'loud', FEATURE_FLAGS: 'fine', METRICS_ENABLED: 'yes', TRUST_PROXY: 'maybe' };
  const bad = ['PORT', 'DATABASE_URL', 'LOG_LEVEL', 'METRICS_ENABLED', 'TRUST_PROXY'];
  const error = configError(env, 'five variables are wrong');
  assert.ok(error instanceof Error, 'ConfigError must extend Error');
  for (const name of bad) {
    const about = error.issues.filter((issue) => issue.startsWith(name));
    assert.equal(about.length, 1, `expected exactly one issue starting with ${name}, got ${JSON.stringify(error.issues)}. Collect every problem, then throw once`);
    assert.ok(error.message.includes(about[0]), `the error message must list every issue; ${JSON.stringify(about[0])} is missing from ${JSON.stringify(error.message)}`);
  }
  assert.equal(error.issues.length, bad.length, `only ${bad.join(', ')} are wrong, got ${JSON.stringify(error.issues)}`);
});

test('reads process.env by default, only the given object otherwise, and never writes to it', { timeout: 2000 }, () => {
  const saved = Object.fromEntries(VARS.map((name) => [name, process.env[name]]));
  try {
    for (const name of VARS) delete process.env[name];
    Object.assign(process.env, { DATABASE_URL: DB, PORT: '4100', LOG_LEVEL: 'trace' });
    const fromProcess = loadConfig();
    assert.equal(fromProcess.port, 4100, 'loadConfig() without an argument must read process.env (PORT=4100 there)');
    assert.equal(fromProcess.logLevel, 'trace', 'loadConfig() without an argument must read process.env (LOG_LEVEL=trace there)');

    const given = Object.freeze({ DATABASE_URL: 'postgres://other.internal/app' });
    let config;
    assert.doesNotThrow(() => {
      config = loadConfig(given);
    }, 'loadConfig must not write defaults back into the env object it is given (this one is frozen)');
    assert.equal(config.port, 3000, `loadConfig(env) must read only env: process.env has PORT=4100 but env has no PORT, so the default 3000 applies`);
    assert.equal(config.logLevel, 'info', 'loadConfig(env) must read only env, not process.env (which has LOG_LEVEL=trace)');
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
});

test('main.js loads .env from the working directory and prints the config without the password', { timeout: 4000 }, async () => {
  const run = await mainRuns.fromEnvFile;
  assert.equal(run.code, 0, `with a valid .env in the working directory main.js must exit 0\n${output(run)}`);
  const printed = printedConfig(run);
  assert.deepEqual(
    printed,
    { port: 8000, databaseUrl: 'postgres://app:***@db.internal:5432/shop', logLevel: 'debug', featureFlags: ['new-checkout', 'dark-mode'], metricsEnabled: true, trustProxy: false },
    `main.js must print the values from .env, with the password in databaseUrl replaced by ***\n${output(run)}`,
  );
  assert.ok(!run.stdout.includes('s3cret') && !run.stderr.includes('s3cret'), `the database password must never reach the logs\n${output(run)}`);
});

test('real environment variables win over .env', { timeout: 4000 }, async () => {
  const run = await mainRuns.realEnvWins;
  assert.equal(run.code, 0, `main.js must exit 0\n${output(run)}`);
  const printed = printedConfig(run);
  assert.equal(printed.port, 9000, `PORT=9000 is set in the real environment, so it must win over PORT=8000 in .env (do not override)\n${output(run)}`);
  assert.equal(printed.logLevel, 'warn', `LOG_LEVEL=warn from the real environment must win over .env\n${output(run)}`);
  assert.equal(printed.databaseUrl, 'postgres://app:***@db.internal:5432/shop', `DATABASE_URL comes from .env here\n${output(run)}`);
});

test('main.js runs without a .env file', { timeout: 4000 }, async () => {
  const run = await mainRuns.noEnvFile;
  assert.equal(run.code, 0, `a missing .env is normal in production (the platform sets the variables): main.js must not fail\n${output(run)}`);
  assert.deepEqual(
    printedConfig(run),
    { ...DEFAULTS, databaseUrl: 'postgres://db.internal/shop' },
    `without .env, main.js prints the defaults and the real DATABASE_URL (no password to hide)\n${output(run)}`,
  );
});

test('main.js exits 1 with every problem on stderr and no stack trace when the config is invalid', { timeout: 4000 }, async () => {
  const run = await mainRuns.invalid;
  assert.equal(run.code, 1, `invalid config must end main.js with exit code 1\n${output(run)}`);
  for (const name of ['PORT', 'DATABASE_URL', 'LOG_LEVEL', 'TRUST_PROXY']) {
    assert.ok(run.stderr.includes(name), `stderr must name every invalid variable; ${name} is missing\n${output(run)}`);
  }
  assert.doesNotMatch(
    run.stderr,
    /^\s+at\s/m,
    `print the ConfigError's message, not an uncaught exception: a stack trace hides the problems an operator must fix\n${output(run)}`,
  );
  assert.equal(run.stdout.trim(), '', `nothing goes to stdout when the config is invalid\n${output(run)}`);
});
