import { createServer } from 'node:http';

function configError(message) {
  console.error(`config error: ${message}`);
  process.exit(2);
}

// Digits only: Number('') is 0 and parseInt('80a') is 80, both would pass silently.
function wholeNumber(name, raw, max = Number.MAX_SAFE_INTEGER) {
  if (raw === undefined || !/^\d+$/.test(raw) || Number(raw) > max) {
    configError(`${name} must be a whole number from 0 to ${max}, got ${JSON.stringify(raw)}`);
  }
  return Number(raw);
}

const port = wholeNumber('PORT', process.env.PORT, 65535);
const drainTimeoutMs = wholeNumber('DRAIN_TIMEOUT_MS', process.env.DRAIN_TIMEOUT_MS ?? '10000');

let shuttingDown = false;

const server = createServer((req, res) => {
  // A finished keep-alive connection would stay open for keepAliveTimeout and hold up close().
  res.on('finish', () => {
    if (shuttingDown) server.closeIdleConnections();
  });

  const url = new URL(req.url, 'http://localhost');
  if (req.method === 'GET' && url.pathname === '/health') {
    res.end('ok\n');
  } else if (req.method === 'GET' && url.pathname === '/slow') {
    const ms = Number(url.searchParams.get('ms') ?? 1000);
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.flushHeaders();
    setTimeout(() => res.end('done\n'), ms);
  } else {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
  }
});

server.on('error', (error) => {
  console.error(`cannot listen on port ${port}: ${error.message}`);
  process.exit(1);
});

server.listen(port, '127.0.0.1', () => {
  console.log(`listening on port ${server.address().port}`);
});

function shutdown(signal) {
  if (shuttingDown) {
    console.error(`${signal} again, forcing exit`);
    process.exit(1);
  }
  shuttingDown = true;
  console.log(`${signal} received, shutting down`);

  const timer = setTimeout(() => {
    console.error(`requests still running after ${drainTimeoutMs} ms, forcing exit`);
    process.exit(1);
  }, drainTimeoutMs);

  server.close(() => {
    clearTimeout(timer);
    process.exit(0);
  });
}

process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
