import { createServer } from 'node:http';

// TODO: read PORT (required) and DRAIN_TIMEOUT_MS (default 10000) from process.env.
// A missing or invalid value: print why on stderr and exit with code 2.
const port = Number(process.env.PORT);

const server = createServer((req, res) => {
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

// TODO: a failure to listen (port taken) goes to stderr with exit code 1.
server.listen(port, '127.0.0.1', () => {
  // TODO: print `listening on port <port>` with the real port on stdout.
});

// TODO: on the first SIGTERM or SIGINT print `shutting down`, stop accepting connections,
// let in-flight requests finish and exit 0. A second signal, or DRAIN_TIMEOUT_MS running
// out, exits 1.
