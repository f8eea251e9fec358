import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, stat } from 'node:fs/promises';
import http from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { importExercise, requireExport, seededRandom, tempDir } from './support.mjs';

// Loaded here too, so a syntax error or a missing export is reported on server.js itself.
const mod = await importExercise('server.js');
requireExport(mod, 'createServer', 'function', 'server.js');

const KB = 1024;
const MB = 1024 * KB;
const sha256 = (buffer) => createHash('sha256').update(buffer).digest('hex');
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const random = seededRandom();
const randomBytes = (size) => Buffer.from(Array.from({ length: size }, () => Math.floor(random() * 256)));

// ---------------------------------------------------------------------------------------
// The learner's servers run in a child process (server-host.mjs): a crash there fails the
// test that caused it with the server's stderr, instead of ending the whole run.
const hostScript = fileURLToPath(new URL('./server-host.mjs', import.meta.url));
const hosts = new Set();
after(() => {
  for (const host of hosts) host.child.kill('SIGKILL');
});

function startHost({ exposeGc = false } = {}) {
  const child = fork(hostScript, [], {
    execArgv: exposeGc ? ['--expose-gc', '--single-threaded-gc'] : [],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const host = { child, stderr: '', exited: null, pending: new Map(), nextId: 1 };
  hosts.add(host);
  child.stdout.resume();
  child.stderr.setEncoding('utf8').on('data', (text) => (host.stderr = (host.stderr + text).slice(-3000)));
  host.crash = () =>
    host.exited ? `\nyour server process exited (${host.exited}); its stderr:\n${host.stderr.trim() || '(empty)'}` : '';
  const ready = new Promise((resolve, reject) => {
    child.on('message', (message) => {
      if (message.ready) return resolve();
      const pending = host.pending.get(message.id);
      host.pending.delete(message.id);
      pending?.resolve(message);
    });
    child.on('exit', (code, signal) => {
      host.exited = signal ? `signal ${signal}` : `code ${code}`;
      const error = new Error(`the server process stopped${host.crash()}`);
      reject(error);
      for (const pending of host.pending.values()) pending.reject(error);
      host.pending.clear();
    });
  });
  host.call = (message) =>
    new Promise((resolve, reject) => {
      if (host.exited) return reject(new Error(`the server process stopped${host.crash()}`));
      const id = host.nextId++;
      host.pending.set(id, { resolve, reject });
      child.send({ id, ...message });
    });
  host.ready = ready;
  return host;
}

let sharedHost;
async function newServer({ maxBytes = 64 * KB, host } = {}) {
  if (!host) {
    if (!sharedHost || sharedHost.exited) sharedHost = startHost();
    host = sharedHost;
  }
  await host.ready;
  // Nested, so a traversal that escapes uploadDir lands in folders the suite can inspect.
  const root = await tempDir('roadmap-upload-');
  const dir = join(root, 'data', 'uploads');
  await mkdir(dir, { recursive: true });
  const reply = await host.call({ cmd: 'create', uploadDir: dir, maxBytes });
  if (reply.error) throw new Error(`createServer({ uploadDir, maxBytes: ${maxBytes} }) failed to start: ${reply.error}`);
  return { port: reply.port, dir, root, host, maxBytes };
}

// ---------------------------------------------------------------------------------------
// A small HTTP client on node:http: raw paths (fetch would normalise `..`), chunked
// bodies written piece by piece, and it stops sending as soon as a response arrives.
// Keep-alive, like browsers and most HTTP clients: a client that says `Connection: close`
// invites the server to close the socket right after answering.
const agent = new http.Agent({ keepAlive: true });
after(() => agent.destroy());

function send(server, method, path, { body, chunks, headers = {}, pauseEvery = 0, linger = 0 } = {}) {
  return new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port: server.port, method, path, headers, agent });
    const state = { response: null, sent: 0, wake: null };
    let settled = false;
    const describeBody = () =>
      body !== undefined ? `${body.length} bytes` : chunks ? `chunked, ${state.sent} bytes sent` : 'no body';
    const finish = (result) => {
      if (settled) return;
      settled = true;
      result.describe = () => {
        const text = result.text?.length > 300 ? `${result.text.slice(0, 300)}…` : result.text;
        const answer = result.status ? `${result.status} ${text}` : `no response (${result.error?.code ?? result.error?.message})`;
        return `${method} ${path} (${describeBody()}) → ${answer}${server.host.crash()}`;
      };
      resolve(result);
      req.destroy();
    };
    req.on('response', (res) => {
      state.response = res;
      state.wake?.();
      const parts = [];
      res.on('data', (chunk) => parts.push(chunk));
      const done = async () => {
        const text = Buffer.concat(parts).toString('utf8');
        let json;
        try {
          json = JSON.parse(text);
        } catch {}
        const result = { status: res.statusCode, headers: res.headers, text, json, sent: state.sent };
        // Like a client that has not looked at the answer yet: keep sending for a moment.
        if (linger) result.lateError = await keepSending(req, linger);
        finish(result);
      };
      res.on('end', done);
      res.on('error', done);
    });
    req.on('error', (error) => {
      state.wake?.();
      if (!state.response) finish({ status: undefined, error, sent: state.sent });
    });
    req.setTimeout(4000, () => finish({ status: undefined, error: new Error('no response within 4 s'), sent: state.sent }));

    if (body !== undefined) {
      state.sent = body.length;
      req.end(body);
      return;
    }
    if (!chunks) return req.end();
    (async () => {
      let count = 0;
      for await (const chunk of chunks) {
        if (state.response || req.destroyed) return;
        state.sent += chunk.length;
        req.write(chunk);
        if (pauseEvery && ++count % pauseEvery === 0) await sleep(2); // give the server time to react
        if (req.writableNeedDrain && !state.response && !req.destroyed) {
          await new Promise((wake) => {
            state.wake = wake;
            req.once('drain', wake);
            req.once('close', wake);
          });
          req.off('drain', state.wake);
          req.off('close', state.wake);
          state.wake = null;
        }
      }
      if (!state.response && !req.destroyed) req.end();
    })();
  });
}

// Writes `bytes` more of the body in small steps; returns an error if the server closed
// the connection meanwhile (EPIPE, ECONNRESET or a plain close), or null.
async function keepSending(req, bytes) {
  let error = null;
  const onError = (err) => (error ??= err);
  const onClose = () => (error ??= Object.assign(new Error('the server closed the connection'), { code: 'a closed connection' }));
  const socket = req.socket;
  if (!socket || socket.destroyed) return onClose();
  req.on('error', onError);
  socket.once('close', onClose);
  const chunk = Buffer.alloc(16 * KB, 0x61);
  for (let sent = 0; sent < bytes && !error; sent += chunk.length) {
    req.write(chunk);
    await sleep(2);
  }
  await sleep(20);
  req.off('error', onError);
  socket.off('close', onClose);
  return error;
}

function* pieces(buffer, size) {
  for (let at = 0; at < buffer.length; at += size) yield buffer.subarray(at, at + size);
}

async function waitUntilEmpty(dir, ms = 2000) {
  const deadline = Date.now() + ms;
  let left = await readdir(dir);
  while (left.length > 0 && Date.now() < deadline) {
    await sleep(20);
    left = await readdir(dir);
  }
  return left;
}

const isJson = (res) => /^application\/json/.test(res.headers?.['content-type'] ?? '');

// ---------------------------------------------------------------------------------------

test('stores a binary body byte for byte and answers 201 with name, size and sha256', { timeout: 8000 }, async () => {
  const server = await newServer();
  const body = randomBytes(40 * KB);
  const res = await send(server, 'PUT', '/uploads/report.bin', { body });
  assert.equal(res.status, 201, `a stored upload answers 201\n${res.describe()}`);
  assert.ok(isJson(res), `the reply is JSON (content-type application/json, got ${res.headers['content-type']})\n${res.describe()}`);
  assert.deepEqual(res.json, { name: 'report.bin', size: body.length, sha256: sha256(body) }, `the reply is { name, size, sha256 } of the body as received (sha256 in hex)\n${res.describe()}`);
  const stored = await readFile(join(server.dir, 'report.bin'));
  assert.ok(stored.equals(body), `uploadDir/report.bin must hold exactly the bytes sent (${body.length} bytes, got ${stored.length}); binary data breaks if chunks go through strings`);
  assert.deepEqual(await readdir(server.dir), ['report.bin'], 'after the upload, uploadDir holds only the uploaded file (no temporary files left)');
});

test('stores a chunked body sent in many pieces without a Content-Length', { timeout: 8000 }, async () => {
  const server = await newServer();
  const body = randomBytes(50 * KB);
  const res = await send(server, 'PUT', '/uploads/chunked.bin', { chunks: pieces(body, 1000) });
  assert.equal(res.status, 201, `a chunked upload (Transfer-Encoding: chunked, no Content-Length) is stored too\n${res.describe()}`);
  assert.deepEqual(res.json, { name: 'chunked.bin', size: body.length, sha256: sha256(body) }, `size and sha256 cover every chunk, in order\n${res.describe()}`);
  const stored = await readFile(join(server.dir, 'chunked.bin'));
  assert.ok(stored.equals(body), `the stored file must equal the ${body.length} bytes sent (got ${stored.length} bytes)`);
});

test('an empty body is stored and a second upload replaces the first', { timeout: 8000 }, async () => {
  const server = await newServer();
  const first = await send(server, 'PUT', '/uploads/notes.txt', { body: Buffer.from('first version\n') });
  assert.equal(first.status, 201, `first upload\n${first.describe()}`);
  const second = await send(server, 'PUT', '/uploads/notes.txt', { body: Buffer.alloc(0) });
  assert.equal(second.status, 201, `an empty body is a valid upload\n${second.describe()}`);
  assert.deepEqual(second.json, { name: 'notes.txt', size: 0, sha256: sha256(Buffer.alloc(0)) }, `an empty body has size 0 and the sha256 of nothing\n${second.describe()}`);
  assert.equal((await readFile(join(server.dir, 'notes.txt'))).length, 0, 'the second upload replaces the first: notes.txt should now be empty');
  assert.deepEqual(await readdir(server.dir), ['notes.txt'], 'uploadDir holds one notes.txt and nothing else');
});

test('answers 413 at once when Content-Length is over maxBytes, and writes nothing', { timeout: 8000 }, async () => {
  const server = await newServer({ maxBytes: 64 * KB });
  const over = await send(server, 'PUT', '/uploads/big.bin', { body: randomBytes(64 * KB + 1) });
  assert.equal(over.status, 413, `${64 * KB + 1} bytes is over maxBytes (${64 * KB})\n${over.describe()}`);
  assert.equal(typeof over.json?.error, 'string', `errors answer JSON { "error": "..." }\n${over.describe()}`);

  // Content-Length says 10 MB but only the first 16 KB are sent: the header alone must decide.
  const declared = await send(server, 'PUT', '/uploads/huge.bin', {
    headers: { 'content-length': String(10 * MB) },
    chunks: (async function* () {
      yield randomBytes(16 * KB);
      await sleep(3000);
    })(),
  });
  assert.equal(declared.status, 413, `Content-Length: ${10 * MB} is over maxBytes: answer 413 from the header, before reading the body\n${declared.describe()}`);
  assert.deepEqual(await waitUntilEmpty(server.dir), [], 'a refused upload must leave no file in uploadDir');
});

test('answers 413 while a chunked body is still arriving once it passes maxBytes, and removes the partial file', { timeout: 10_000 }, async () => {
  const server = await newServer({ maxBytes: 64 * KB });
  const total = 16 * MB;
  const chunk = randomBytes(16 * KB);
  const chunks = (function* () {
    for (let sent = 0; sent < total; sent += chunk.length) yield chunk;
  })();
  const res = await send(server, 'PUT', '/uploads/stream.bin', { chunks, pauseEvery: 8, linger: 256 * KB });
  assert.equal(res.status, 413, `a chunked body passing maxBytes (${64 * KB}) answers 413 as soon as the count passes the limit\n${res.describe()}`);
  assert.ok(res.sent < total, `413 should come while the client is still sending, as soon as the count passes maxBytes; it came only after all ${total} bytes were sent`);
  assert.equal(
    res.lateError,
    null,
    `after the 413 the server closed the connection while the client was still sending, so the client got ${res.lateError?.code ?? res.lateError}. A client that has not read your answer yet then sees a connection reset instead of the 413. Answer without closing: no Connection: close header and no socket.destroy(); Node reads and discards the rest of the body.`,
  );
  const left = await waitUntilEmpty(server.dir);
  assert.deepEqual(left, [], `the partial file must be removed after a 413, found: ${left.join(', ')}`);
});

test('accepts exactly maxBytes and refuses one byte more', { timeout: 8000 }, async () => {
  const server = await newServer({ maxBytes: 64 * KB });
  const exact = randomBytes(64 * KB);
  const ok = await send(server, 'PUT', '/uploads/exact.bin', { chunks: pieces(exact, 16 * KB) });
  assert.equal(ok.status, 201, `a chunked body of exactly maxBytes (${exact.length}) is allowed\n${ok.describe()}`);
  assert.equal(ok.json?.size, exact.length, `size should be ${exact.length}\n${ok.describe()}`);
  const one = Buffer.concat([exact, Buffer.from([7])]);
  const over = await send(server, 'PUT', '/uploads/over.bin', { chunks: pieces(one, 16 * KB) });
  assert.equal(over.status, 413, `a chunked body of maxBytes + 1 (${one.length}) is refused\n${over.describe()}`);
  const deadline = Date.now() + 2000;
  let files = await readdir(server.dir);
  while (files.length !== 1 && Date.now() < deadline) {
    await sleep(20);
    files = await readdir(server.dir);
  }
  assert.deepEqual(files, ['exact.bin'], 'only exact.bin may remain: nothing of over.bin');
});

test('refuses unsafe names with 400 and writes nothing anywhere', { timeout: 8000 }, async () => {
  const server = await newServer();
  const body = Buffer.from('pwned\n');
  const strict = [
    '/uploads/..%2F..%2Fescape.txt',
    '/uploads/%2e%2e%2f%2e%2e%2fescape.txt',
    '/uploads/.hidden',
    '/uploads/nul%00.txt',
    `/uploads/${'a'.repeat(101)}`,
    '/uploads/%E0%A4%A',
  ];
  // Not /uploads/<one segment> (once dot segments are resolved): 400 or 404 are both fine.
  const either = ['/uploads/', '/uploads/..', '/uploads/../../escape.txt', '/uploads/%2e%2e', '/uploads/sub/escape.txt'];
  for (const path of strict) {
    const res = await send(server, 'PUT', path, { body });
    assert.equal(res.status, 400, `an unsafe or invalid name answers 400\n${res.describe()}`);
  }
  for (const path of either) {
    const res = await send(server, 'PUT', path, { body });
    assert.ok(res.status === 400 || res.status === 404, `a path escaping /uploads/<name> answers 400 (or 404)\n${res.describe()}`);
  }
  for (const where of [server.dir, join(server.dir, '..'), join(server.dir, '..', '..')]) {
    const names = (await readdir(where)).filter((name) => !['data', 'uploads'].includes(name));
    assert.deepEqual(names, [], `nothing may be written by a refused upload, found in ${where}: ${names.join(', ')}`);
  }
  assert.ok(!existsSync(join(server.dir, 'sub')), 'no folder may be created for a name with a slash');

  const longest = 'n'.repeat(100);
  for (const name of [longest, 'Report_2024-v1.final.pdf']) {
    const res = await send(server, 'PUT', `/uploads/${name}`, { body });
    assert.equal(res.status, 201, `"${name.length > 30 ? `${name.slice(0, 10)}… (${name.length} characters)` : name}" is a valid name (letters, digits, . _ -, up to 100 characters)\n${res.describe()}`);
  }
});

test('answers 405 with Allow: PUT for other methods on /uploads and 404 elsewhere', { timeout: 8000 }, async () => {
  const server = await newServer();
  for (const method of ['GET', 'POST', 'DELETE']) {
    const res = await send(server, method, '/uploads/a.txt');
    assert.equal(res.status, 405, `${method} on an upload path answers 405 Method Not Allowed\n${res.describe()}`);
    assert.match(res.headers?.allow ?? '', /PUT/, `a 405 must say which methods are allowed: Allow: PUT\n${res.describe()}`);
  }
  for (const [method, path] of [['GET', '/'], ['PUT', '/files/a.txt'], ['PUT', '/uploadsX/a.txt']]) {
    const res = await send(server, method, path, method === 'PUT' ? { body: Buffer.from('x') } : {});
    assert.equal(res.status, 404, `paths outside /uploads/ answer 404\n${res.describe()}`);
    assert.equal(typeof res.json?.error, 'string', `error bodies are JSON { "error": "..." }\n${res.describe()}`);
  }
  assert.deepEqual(await readdir(server.dir), [], 'nothing may be written for these requests');
});

test('an upload aborted by the client leaves no file behind and the server keeps working', { timeout: 10_000 }, async () => {
  const server = await newServer({ maxBytes: 10 * MB });
  const req = http.request({ host: '127.0.0.1', port: server.port, method: 'PUT', path: '/uploads/aborted.bin', agent: false });
  req.on('error', () => {});
  req.on('response', (res) => res.resume());
  for (let i = 0; i < 8; i++) {
    req.write(randomBytes(16 * KB));
    await sleep(5);
  }
  // Give the server a moment to open its file and write the first chunks, then hang up.
  const deadline = Date.now() + 500;
  while ((await readdir(server.dir)).length === 0 && Date.now() < deadline) await sleep(20);
  await sleep(50);
  req.destroy();

  const left = await waitUntilEmpty(server.dir);
  assert.deepEqual(left, [], `after the client hung up mid-upload, uploadDir should be empty, found: ${left.join(', ')}${server.host.crash()}`);
  const res = await send(server, 'PUT', '/uploads/after.txt', { body: Buffer.from('still alive\n') });
  assert.equal(res.status, 201, `the server must keep serving after an aborted upload (handle errors of the request stream)\n${res.describe()}`);
});

test('concurrent uploads each get their own size and checksum', { timeout: 8000 }, async () => {
  const server = await newServer();
  const a = randomBytes(30 * KB);
  const b = randomBytes(45 * KB);
  const slow = async function* (buffer) {
    for (const piece of pieces(buffer, 3 * KB)) {
      yield piece;
      await sleep(3);
    }
  };
  const [ra, rb] = await Promise.all([
    send(server, 'PUT', '/uploads/a.bin', { chunks: slow(a) }),
    send(server, 'PUT', '/uploads/b.bin', { chunks: slow(b) }),
  ]);
  assert.deepEqual(ra.json, { name: 'a.bin', size: a.length, sha256: sha256(a) }, `upload a.bin ran at the same time as b.bin; keep the counter and the hash per request\n${ra.describe()}`);
  assert.deepEqual(rb.json, { name: 'b.bin', size: b.length, sha256: sha256(b) }, `upload b.bin ran at the same time as a.bin; keep the counter and the hash per request\n${rb.describe()}`);
  assert.ok((await readFile(join(server.dir, 'a.bin'))).equals(a), 'a.bin must hold its own bytes only');
  assert.ok((await readFile(join(server.dir, 'b.bin'))).equals(b), 'b.bin must hold its own bytes only');
});

test('streams a 50 MB upload to disk with bounded server memory', { timeout: 30_000 }, async () => {
  // A fresh server process of its own, so nothing else runs in it while it is measured.
  const host = startHost({ exposeGc: true });
  const server = await newServer({ maxBytes: 200 * MB, host });
  const warm = await send(server, 'PUT', '/uploads/warm-up.bin', { chunks: pieces(randomBytes(256 * KB), 16 * KB) });
  assert.equal(warm.status, 201, `a small upload should work first\n${warm.describe()}`);
  const { live: baseline } = await host.call({ cmd: 'reset-peak' }).then(() => host.call({ cmd: 'memory' }));

  // 50 MB generated on the fly: a seeded 1 MB block, each 64 KB piece stamped with its index.
  const block = randomBytes(MB);
  const total = 50 * MB;
  const hash = createHash('sha256');
  const chunks = (function* () {
    for (let i = 0; i * 64 * KB < total; i++) {
      const piece = Buffer.from(block.subarray((i * 64 * KB) % MB, ((i * 64 * KB) % MB) + 64 * KB));
      piece.writeUInt32BE(i, 0);
      hash.update(piece);
      yield piece;
    }
  })();
  const res = await send(server, 'PUT', '/uploads/big.bin', { chunks });
  assert.equal(res.status, 201, `a 50 MB chunked upload is under maxBytes (200 MB) and should be stored\n${res.describe()}`);
  assert.deepEqual(res.json, { name: 'big.bin', size: total, sha256: hash.digest('hex') }, `size and sha256 of the 50 MB body\n${res.describe()}`);
  assert.equal((await stat(join(server.dir, 'big.bin'))).size, total, 'the file on disk should be 50 MB');

  const { peak } = await host.call({ cmd: 'memory' });
  const grew = (peak - baseline) / MB;
  assert.ok(
    grew <= 20,
    `while receiving 50 MB, the server's live memory (JS heap + Buffers, after garbage collection) grew by ${grew.toFixed(1)} MB (allowed: 20 MB). The body is being held in memory: pipe it to a file stream chunk by chunk instead of collecting it.`,
  );
  host.child.kill();
});
