import { realpath } from 'node:fs/promises';
import path from 'node:path';

function unsafe(message) {
  return Object.assign(new Error(message), { code: 'ERR_UNSAFE_PATH' });
}

// "Inside" means root itself or below it. path.relative avoids the startsWith(root) trap,
// where /srv/app-evil counts as inside /srv/app, and keeps names like "..config" legal.
function isInside(root, target) {
  const rel = path.relative(root, target);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}

export function safeJoin(root, userPath) {
  if (typeof userPath !== 'string') throw new TypeError(`userPath must be a string, got ${typeof userPath}`);

  let decoded;
  try {
    decoded = decodeURIComponent(userPath);
  } catch {
    throw unsafe('malformed percent-encoding');
  }
  if (decoded.includes('\0')) throw unsafe('NUL byte in path');
  if (decoded.includes('\\')) throw unsafe('backslash in path');
  if (path.isAbsolute(decoded)) throw unsafe('absolute path');

  const base = path.resolve(root);
  const target = path.resolve(base, decoded);
  if (!isInside(base, target)) throw unsafe('path escapes the root');
  return target;
}

export async function safeResolveReal(root, userPath) {
  const target = safeJoin(root, userPath);
  // Compare real with real: the root may itself be a symlink (macOS /tmp is one).
  const [realRoot, realTarget] = await Promise.all([realpath(root), realpath(target)]);
  if (!isInside(realRoot, realTarget)) throw unsafe('path leaves the root through a symlink');
  return realTarget;
}
