// Runs the learner's servers in a child process of the suite, so a crash in their code
// ends this process and not the test run, and so memory can be measured on its own.
// Messages from the suite (IPC):
//   { id, cmd: 'create', uploadDir, maxBytes } → { id, port } or { id, error }
//   { id, cmd: 'memory' }                      → { id, live, peak } (bytes, after a GC)
//   { id, cmd: 'reset-peak' }                  → { id }
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const { createServer } = await import(pathToFileURL(join(process.env.EXERCISE_DIR, 'server.js')).href);

// Live memory: the JS heap plus Buffers that survive a full garbage collection. Peak RSS
// would also count garbage not collected yet; live memory shows what the code holds on to.
// The suite starts this process with --expose-gc --single-threaded-gc for that measure (a
// single-threaded GC frees dead Buffers before gc() returns, so the numbers are stable).
let peak = 0;
function live() {
  globalThis.gc?.();
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  const now = heapUsed + arrayBuffers;
  peak = Math.max(peak, now);
  return now;
}
if (globalThis.gc) setInterval(live, 25).unref();

process.on('message', (message) => {
  const reply = (body) => process.send({ id: message.id, ...body });
  switch (message.cmd) {
    case 'create': {
      let server;
      try {
        server = createServer({ uploadDir: message.uploadDir, maxBytes: message.maxBytes });
        if (typeof server?.listen !== 'function' || server.listening) {
          reply({ error: `createServer must return an http.Server that is not listening yet (got ${server?.listening ? 'a listening server' : typeof server})` });
          break;
        }
        // When a body has fully arrived, a handler that collected it still holds all of it.
        if (globalThis.gc) server.prependListener('request', (req) => req.once('end', live));
        server.once('error', (error) => reply({ error: String(error?.message ?? error) }));
        server.listen(0, '127.0.0.1', () => reply({ port: server.address().port }));
      } catch (error) {
        reply({ error: `createServer threw: ${error?.stack ?? error}` });
      }
      break;
    }
    case 'memory':
      reply({ live: live(), peak });
      break;
    case 'reset-peak':
      peak = live();
      reply({});
      break;
  }
});
process.on('disconnect', () => process.exit(0));
process.send({ ready: true });
