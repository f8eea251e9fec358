import { createServer as createHttpServer } from 'node:http';

/**
 * A CRUD API for /todos on node:http alone. Returns a server that is not listening;
 * every call has its own in-memory store.
 */
export function createServer() {
  // TODO: keep the todos of this server here (a Map keeps insertion order).

  return createHttpServer(async (req, res) => {
    // TODO: route on the method and the path (without the query string), read and
    // validate JSON bodies, and answer with the status codes from the README.
    res.writeHead(501, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { code: 'NOT_IMPLEMENTED', message: 'TODO: implement the todos API' } }));
  });
}
