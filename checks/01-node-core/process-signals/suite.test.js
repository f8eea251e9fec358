import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import http from 'node:http';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { exerciseDir, exercisePath, listen, runNode } from './support.mjs';

const script = exercisePath('server.js');
if (!existsSync(script)) throw new Error('server.js is missing from the exercise folder');

// The suite spawns the server itself (not runNode) because it must send signals mid-run.
const children = new Set();
after(() => {
  for (const child of children) child.kill('SIGKILL');
});

function start(env = {}) {
  const child = spawn(process.execPath, [script], {
    cwd: exerciseDir,
    env: { ...process.env, DRAIN_TIMEOUT_MS: undefined, PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let stdout = '';
  let stderr = '';
  let exit;
  const exited = new Promise((resolve) =>
    child.on('exit', (code, signal) => {
      exit = { code, signal, at: performance.now() };
      children.delete(child);
      resolve(exit);
    }),
  );
  child.stdout.setEncoding('utf8').on('data', (text) => (stdout += text));
  child.stderr.setEncoding('utf8').on('data', (text) => (stderr += text));

  const proc = {
    child,
    exited,
    output: () => `stdout: ${JSON.stringify(stdout.slice(-400))}\nstderr: ${JSON.stringify(stderr.slice(-400))}`,
    stdout: () => stdout,
    /** Waits until stdout matches, failing with the output so far. */
    async waitFor(pattern, ms, what) {
      const deadline = performance.now() + ms;
      while (performance.now() < deadline) {
        const match = stdout.match(pattern);
        if (match) return match;
        if (exit) break;
        await sleep(5);
      }
      const match = stdout.match(pattern);
      if (match) return match;
      const state = exit ? `the process exited (code ${exit.code}, signal ${exit.signal})` : `nothing after ${ms} ms`;
      assert.fail(`${what}: expected stdout to match ${pattern}, ${state}\n${proc.output()}`);
    },
    async ready() {
      const [, port] = await proc.waitFor(/listening on port (\d+)/, 1000, 'the server must print `listening on port <port>` once it listens');
      assert.notEqual(Number(port), 0, `with PORT=0 the ready line must show the real port from server.address(), got 0\n${proc.output()}`);
      return Number(port);
    },
    /** Resolves to the exit, or null if the process is still running after `ms`. */
    async exitWithin(ms) {
      return Promise.race([exited, sleep(ms, null)]);
    },
  };
  return proc;
}

function get(port, path, agent) {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path, agent }, resolve).on('error', reject);
  });
}

function readBody(res) {
  return new Promise((resolve, reject) => {
    let text = '';
    res.setEncoding('utf8');
    res.on('data', (chunk) => (text += chunk));
    res.on('end', () => resolve({ status: res.statusCode, text, at: performance.now() }));
    res.on('close', () => {
      if (!res.complete) reject(new Error(`the connection closed before the response ended (got ${JSON.stringify(text)} so far)`));
    });
  });
}

test('exits with code 2 and says why on stderr when PORT is missing or invalid', { timeout: 4000 }, async () => {
  const bad = [undefined, '', '80a', '-1', '70000'];
  const runs = await Promise.all(bad.map((PORT) => runNode(script, [], { env: { PORT, DRAIN_TIMEOUT_MS: undefined }, timeoutMs: 1500 })));
  runs.forEach((run, i) => {
    const shown = bad[i] === undefined ? 'PORT unset' : `PORT=${JSON.stringify(bad[i])}`;
    assert.ok(!run.timedOut, `${shown}: the process was still running after 1.5 s; a bad PORT must stop it before a server starts\nstdout: ${run.stdout}`);
    assert.equal(
      run.code,
      2,
      `${shown}: expected exit code 2 (configuration error), got ${run.code}${run.signal ? ` (signal ${run.signal})` : ''}. ` +
        `Check digits only (/^\\d+$/) and the range 0–65535: Number('') is 0 and parseInt('80a') is 80\nstderr: ${run.stderr.slice(0, 300)}`,
    );
    assert.match(run.stderr, /PORT/, `${shown}: the message on stderr must name the variable PORT, got ${JSON.stringify(run.stderr.slice(0, 300))}`);
    assert.doesNotMatch(run.stdout, /listening/, `${shown}: no server may start, yet stdout says ${JSON.stringify(run.stdout)}`);
  });
});

test('exits with code 2 when DRAIN_TIMEOUT_MS is not a whole number of milliseconds', { timeout: 4000 }, async () => {
  const bad = ['-5', '1.5'];
  const runs = await Promise.all(bad.map((value) => runNode(script, [], { env: { PORT: '0', DRAIN_TIMEOUT_MS: value }, timeoutMs: 1500 })));
  runs.forEach((run, i) => {
    const shown = `DRAIN_TIMEOUT_MS=${JSON.stringify(bad[i])}`;
    assert.ok(!run.timedOut, `${shown}: the process was still running after 1.5 s; validate all config before listening`);
    assert.equal(run.code, 2, `${shown}: expected exit code 2, got ${run.code}\nstderr: ${run.stderr.slice(0, 300)}`);
    assert.match(run.stderr, /DRAIN_TIMEOUT_MS/, `${shown}: the message on stderr must name DRAIN_TIMEOUT_MS, got ${JSON.stringify(run.stderr.slice(0, 300))}`);
  });
});

test('prints "listening on port N" with the real port and answers GET /health', { timeout: 3000 }, async () => {
  const proc = start();
  const port = await proc.ready();
  const res = await get(port, '/health', false);
  const body = await readBody(res);
  assert.equal(body.status, 200, `GET /health must answer 200, got ${body.status}`);
  assert.equal(body.text.trim(), 'ok', `GET /health must answer ok, got ${JSON.stringify(body.text)}`);
  proc.child.kill('SIGKILL');
});

test('exits with code 1 and a message on stderr when the port is taken', { timeout: 3000 }, async () => {
  const taken = await listen((req, res) => res.end());
  const run = await runNode(script, [], { env: { PORT: String(taken.port), DRAIN_TIMEOUT_MS: undefined }, timeoutMs: 2000 });
  assert.ok(!run.timedOut, `port ${taken.port} was taken, yet the process was still running after 2 s; handle the server's 'error' event`);
  assert.equal(run.code, 1, `a port in use is a runtime failure: expected exit code 1, got ${run.code}\nstderr: ${run.stderr.slice(0, 300)}`);
  assert.notEqual(run.stderr.trim(), '', 'the reason (EADDRINUSE) must be printed on stderr');
  assert.doesNotMatch(run.stdout, /listening/, `the server never listened, yet stdout says ${JSON.stringify(run.stdout)}`);
});

test('exits 0 right after SIGTERM when idle, keep-alive connections included', { timeout: 3000 }, async () => {
  const proc = start();
  const port = await proc.ready();
  const agent = new http.Agent({ keepAlive: true });
  await readBody(await get(port, '/health', agent)); // leaves an idle keep-alive socket open
  proc.child.kill('SIGTERM');
  const exit = await proc.exitWithin(1000);
  agent.destroy();
  assert.ok(exit, `an idle server must exit within 1 s of SIGTERM; it was still running. Close the server, and make sure no timer or socket keeps the process alive\n${proc.output()}`);
  assert.equal(exit.signal, null, `the process died of ${exit.signal}: handle the signal with process.on('SIGTERM', …) and exit yourself`);
  assert.equal(exit.code, 0, `a clean shutdown must exit 0, got ${exit.code}\n${proc.output()}`);
  assert.match(proc.stdout(), /shutting down/, `the first signal must print a line containing "shutting down" on stdout\n${proc.output()}`);
});

test('handles SIGINT (Ctrl+C) like SIGTERM', { timeout: 3000 }, async () => {
  const proc = start();
  await proc.ready();
  proc.child.kill('SIGINT');
  const exit = await proc.exitWithin(1000);
  assert.ok(exit, `the server must exit within 1 s of SIGINT\n${proc.output()}`);
  assert.equal(exit.signal, null, `the process died of ${exit.signal}: listen for SIGINT too`);
  assert.equal(exit.code, 0, `SIGINT is a clean shutdown too: expected exit code 0, got ${exit.code}\n${proc.output()}`);
});

test('lets a request in flight at SIGTERM finish, then exits 0 at once', { timeout: 4000 }, async () => {
  const proc = start();
  const port = await proc.ready();
  const agent = new http.Agent({ keepAlive: true });
  const res = await get(port, '/slow?ms=250', agent); // headers are in: the request is in flight
  const body = readBody(res);
  proc.child.kill('SIGTERM');
  await proc.waitFor(/shutting down/, 1000, 'after SIGTERM');
  let finished;
  try {
    finished = await body;
  } catch (error) {
    assert.fail(`the in-flight GET /slow?ms=250 was cut off: ${error.message}. Stop accepting new connections, but let running requests end\n${proc.output()}`);
  }
  assert.equal(finished.text.trim(), 'done', `the in-flight request must get its whole body "done", got ${JSON.stringify(finished.text)}`);
  const exit = await Promise.race([proc.exited, sleep(1000, null)]);
  agent.destroy();
  assert.ok(
    exit,
    `the last request ended but the process was still running 1 s later. Its keep-alive connection is now idle and holds server.close() open: ` +
      `while draining, close it as soon as its response finishes (server.closeIdleConnections() in the response's 'finish' listener)\n${proc.output()}`,
  );
  assert.equal(exit.code, 0, `after draining, the exit code must be 0, got ${exit.code} (signal ${exit.signal})\n${proc.output()}`);
  assert.ok(exit.at >= finished.at - 5, 'the process exited before the in-flight response was complete');
});

test('refuses new connections once the signal has arrived', { timeout: 4000 }, async () => {
  const proc = start();
  const port = await proc.ready();
  const res = await get(port, '/slow?ms=400', false);
  const body = readBody(res).catch((error) => error);
  proc.child.kill('SIGTERM');
  await proc.waitFor(/shutting down/, 1000, 'after SIGTERM');
  let late;
  try {
    late = await readBody(await get(port, '/health', false));
  } catch (error) {
    late = error;
  }
  assert.ok(
    late instanceof Error,
    `a new request after SIGTERM was answered ${late.status} ${JSON.stringify(late.text)}; the server must stop listening at once (server.close()) so the load balancer moves on`,
  );
  const finished = await body;
  assert.ok(!(finished instanceof Error), `the in-flight request must still complete, but: ${finished.message}`);
  const exit = await proc.exitWithin(1500);
  assert.equal(exit?.code, 0, `after draining, expected exit code 0, got ${exit ? exit.code : 'still running'}\n${proc.output()}`);
});

test('a second signal during the drain forces exit 1 at once', { timeout: 4000 }, async () => {
  const proc = start();
  const port = await proc.ready();
  const res = await get(port, '/slow?ms=5000', false);
  readBody(res).catch(() => {});
  proc.child.kill('SIGTERM');
  await proc.waitFor(/shutting down/, 1000, 'after the first SIGTERM');
  const sentAt = performance.now();
  proc.child.kill('SIGTERM');
  const exit = await proc.exitWithin(1000);
  assert.ok(exit, `a second SIGTERM must force the exit, yet the process was still running 1 s later\n${proc.output()}`);
  assert.equal(
    exit.signal,
    null,
    `the process died of the second ${exit.signal} instead of exiting with code 1: process.once removes your handler after the first signal; keep it with process.on`,
  );
  assert.equal(exit.code, 1, `a forced shutdown must exit 1, got ${exit.code}\n${proc.output()}`);
  assert.ok(exit.at - sentAt < 1000, 'the forced exit must not wait for the in-flight request');
});

test('exits 1 when requests outlast DRAIN_TIMEOUT_MS', { timeout: 4000 }, async () => {
  const proc = start({ DRAIN_TIMEOUT_MS: '300' });
  const port = await proc.ready();
  const res = await get(port, '/slow?ms=5000', false);
  readBody(res).catch(() => {});
  const sentAt = performance.now();
  proc.child.kill('SIGTERM');
  const exit = await proc.exitWithin(2000);
  assert.ok(exit, `with DRAIN_TIMEOUT_MS=300 and a 5 s request in flight, the process must give up after 300 ms; it was still running 2 s later\n${proc.output()}`);
  const waited = Math.round(exit.at - sentAt);
  assert.equal(exit.code, 1, `a drain that times out must exit 1, got ${exit.code} (signal ${exit.signal}) after ${waited} ms\n${proc.output()}`);
  assert.ok(waited >= 250, `the process exited ${waited} ms after SIGTERM; it must give in-flight requests DRAIN_TIMEOUT_MS (300 ms) first`);
});
