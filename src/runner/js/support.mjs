// Helpers for hidden suites. The engine writes this file next to every suite as
// `./support.mjs`; suites import from it instead of reaching into the workspace.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { after } from 'node:test';
import { pathToFileURL } from 'node:url';

/** The learner's exercise folder (the starter they edit, or a solution under test). */
export const exerciseDir = resolve(process.env.EXERCISE_DIR ?? process.cwd());

/** An absolute path inside the learner's exercise folder. */
export function exercisePath(...parts) {
  return join(exerciseDir, ...parts);
}

/**
 * Imports a module from the learner's folder. Use it at the top level of a suite:
 * a syntax error or a crash while loading is then reported as the learner's error
 * with its file and line, not as a failure of every test.
 */
export async function importExercise(relativePath) {
  return import(pathToFileURL(exercisePath(relativePath)).href);
}

/**
 * Fails with a message that names what the learner must export when a module lacks it.
 */
export function requireExport(module, name, kind = 'function', file = 'the exercise file') {
  const value = module[name];
  const ok = kind === 'function' ? typeof value === 'function' : value !== undefined;
  if (!ok) {
    throw new Error(`${file} must export ${kind === 'function' ? `a function named \`${name}\`` : `\`${name}\``} (found ${typeof value})`);
  }
  return value;
}

/**
 * Starts a server on 127.0.0.1 and a free port, waits until it listens and closes it
 * after the suite. Accepts an Express app (or any request handler) or an
 * `http.Server` that is not listening yet.
 */
export async function listen(appOrServer) {
  const server = typeof appOrServer === 'function' ? createServer(appOrServer) : appOrServer;
  await new Promise((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolvePromise();
    });
  });
  const { port } = server.address();
  const close = () =>
    new Promise((resolvePromise) => {
      server.closeAllConnections?.();
      server.close(() => resolvePromise());
    });
  after(close);
  return { server, port, url: `http://127.0.0.1:${port}`, close };
}

/**
 * Sends one HTTP request and returns status, headers, body text and parsed JSON.
 * `describe()` renders the exchange for assertion messages, so a failure shows the
 * request that was sent and what came back.
 */
export async function request(baseUrl, method, path, { headers = {}, body, json, timeoutMs = 5000 } = {}) {
  const init = { method, headers: { ...headers }, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) };
  if (json !== undefined) {
    init.body = JSON.stringify(json);
    init.headers['content-type'] ??= 'application/json';
  } else if (body !== undefined) {
    init.body = body;
  }
  const sent = `${method} ${path}${json !== undefined ? ` ${JSON.stringify(json)}` : body !== undefined && typeof body === 'string' ? ` ${body.slice(0, 200)}` : ''}`;
  let response;
  try {
    response = await fetch(new URL(path, baseUrl), init);
  } catch (error) {
    throw new Error(`${sent} → no response (${error.cause?.code ?? error.name}: ${error.cause?.message ?? error.message})`);
  }
  const text = await response.text();
  let parsed;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return {
    status: response.status,
    headers: response.headers,
    text,
    json: parsed,
    describe() {
      const shown = text.length > 300 ? `${text.slice(0, 300)}…` : text;
      return `${sent} → ${response.status} ${shown}`;
    },
  };
}

/**
 * Runs a Node script as a child process with a deadline and collects its output.
 * The child is killed (SIGKILL) if it outlives `timeoutMs`; `timedOut` says so.
 */
export function runNode(script, args = [], { input, env = {}, cwd = exerciseDir, timeoutMs = 5000 } = {}) {
  const file = isAbsolute(script) ? script : exercisePath(script);
  return runProcess(process.execPath, [file, ...args], { input, env, cwd, timeoutMs });
}

/** Like `runNode`, for any executable. */
export function runProcess(command, args = [], { input, env = {}, cwd = exerciseDir, timeoutMs = 5000 } = {}) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, {
      cwd,
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const stdout = [];
    const stderr = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.on('data', (chunk) => stdout.push(chunk));
    child.stderr.on('data', (chunk) => stderr.push(chunk));
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({
        code,
        signal,
        timedOut,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
      });
    });
    child.stdin.on('error', () => {});
    if (input !== undefined) child.stdin.end(input);
    else child.stdin.end();
  });
}

/** A fresh temporary directory, removed after the suite. */
export async function tempDir(prefix = 'roadmap-') {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * A small deterministic PRNG (mulberry32) seeded from ROADMAP_SEED, for suites that
 * need varied but repeatable data.
 */
export function seededRandom(seed = Number(process.env.ROADMAP_SEED ?? 42)) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
