import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import http from 'node:http';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';

/**
 * Creates (does not start) an HTTP server that stores `PUT /uploads/:name` bodies in
 * `uploadDir`, refusing bodies larger than `maxBytes`.
 *
 * @param {{ uploadDir: string, maxBytes: number }} options
 * @returns {http.Server}
 */
export function createServer({ uploadDir, maxBytes }) {
  return http.createServer((req, res) => {
    // TODO: route PUT /uploads/:name; 405 (Allow: PUT) for other methods there, 404 elsewhere.
    // TODO: validate the decoded name (400), refuse a Content-Length over maxBytes (413).
    // TODO: stream the body to a temporary file while counting bytes and hashing (sha256),
    //       answer 413 as soon as the count passes maxBytes, rename when complete and
    //       answer 201 { name, size, sha256 }; remove the temporary file on any failure.
    res.writeHead(501, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: 'TODO: not implemented' }));
  });
}
