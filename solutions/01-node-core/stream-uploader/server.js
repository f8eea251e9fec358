import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import http from 'node:http';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';

// Letters, digits, '.', '_' and '-', not starting with '.': no '/', no '..', no dotfiles.
const SAFE_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}$/;

class TooLarge extends Error {}

function sendJson(res, status, body, headers = {}) {
  if (res.destroyed) return; // the client is gone; nobody to answer
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

// No `Connection: close` here: closing while the client is still sending makes its kernel
// answer with a reset, and the client never sees the 413. Node reads and discards the rest
// of the body instead (bounded by the server's requestTimeout).
function tooLarge(res, maxBytes) {
  sendJson(res, 413, { error: `body larger than ${maxBytes} bytes` });
}

export function createServer({ uploadDir, maxBytes }) {
  async function upload(req, res, name) {
    if (Number(req.headers['content-length']) > maxBytes) return tooLarge(res, maxBytes);

    const hash = createHash('sha256');
    let size = 0;
    async function* counted(source) {
      for await (const chunk of source) {
        size += chunk.length;
        if (size > maxBytes) throw new TooLarge();
        hash.update(chunk);
        yield chunk;
      }
    }

    // Written under a temporary name that can never be a valid upload name, renamed when
    // complete: readers never see half a file, and a failed upload leaves nothing behind.
    const partial = join(uploadDir, `.${randomUUID()}.part`);
    try {
      await pipeline(req, counted, createWriteStream(partial, { flags: 'wx' }));
      await rename(partial, join(uploadDir, name));
    } catch (error) {
      await rm(partial, { force: true });
      if (error instanceof TooLarge) return tooLarge(res, maxBytes);
      if (res.destroyed) return; // the client hung up: nothing to answer
      throw error;
    }
    sendJson(res, 201, { name, size, sha256: hash.digest('hex') });
  }

  return http.createServer((req, res) => {
    const path = req.url.split('?')[0];
    if (!path.startsWith('/uploads/')) return sendJson(res, 404, { error: 'not found' });
    if (req.method !== 'PUT') return sendJson(res, 405, { error: 'method not allowed' }, { allow: 'PUT' });

    let name;
    try {
      name = decodeURIComponent(path.slice('/uploads/'.length));
    } catch {
      name = '';
    }
    if (!SAFE_NAME.test(name)) return sendJson(res, 400, { error: 'invalid file name' });

    upload(req, res, name).catch((error) => {
      console.error('upload failed:', error);
      if (!res.headersSent) sendJson(res, 500, { error: 'upload failed' });
      else res.destroy();
    });
  });
}
