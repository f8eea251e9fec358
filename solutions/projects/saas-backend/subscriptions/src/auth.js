import { createHash, randomBytes, randomUUID } from 'node:crypto';
import bcrypt from 'bcryptjs';
import { Router } from 'express';
import { SignJWT, jwtVerify } from 'jose';
import { isUuid, withTransaction } from './db.js';
import { HttpError } from './errors.js';

export const ACCESS_TTL_SECONDS = 15 * 60;
const SESSION_TTL_MS = 30 * 24 * 60 * 60 * 1000;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

const invalid = (message) => new HttpError(400, 'VALIDATION_ERROR', message);
const unauthenticated = (message) => new HttpError(401, 'UNAUTHENTICATED', message);
// One error for "no such email" and "wrong password", so the answer reveals neither.
const badCredentials = () => new HttpError(401, 'INVALID_CREDENTIALS', 'invalid email or password');

// Refresh tokens carry 256 random bits, so a fast digest is enough to keep them out of
// the database; passwords are guessable and need the slow, salted bcrypt.
const digest = (token) => createHash('sha256').update(token).digest('base64url');

function objectBody(body) {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw invalid('the body must be a JSON object');
  return body;
}

function signupFields(body) {
  const { email, password, orgName } = objectBody(body);
  if (typeof email !== 'string' || !EMAIL.test(email.trim())) throw invalid('email must be a valid email address');
  // bcrypt ignores everything after the 72nd byte: refuse rather than silently truncate.
  if (typeof password !== 'string' || password.length < 8 || Buffer.byteLength(password) > 72) {
    throw invalid('password must be 8 to 72 characters long');
  }
  if (typeof orgName !== 'string' || orgName.trim().length < 1 || orgName.trim().length > 100) {
    throw invalid('orgName must be 1 to 100 characters long');
  }
  return { email: email.trim().toLowerCase(), password, orgName: orgName.trim() };
}

function credentials(body) {
  const { email, password } = objectBody(body);
  if (typeof email !== 'string' || email === '' || typeof password !== 'string' || password === '') {
    throw invalid('email and password are required');
  }
  return { email: email.trim().toLowerCase(), password };
}

function refreshTokenOf(body) {
  const { refreshToken } = objectBody(body);
  if (typeof refreshToken !== 'string' || refreshToken === '') throw invalid('refreshToken is required');
  return refreshToken;
}

const account = (row) => ({
  id: row.id,
  email: row.email,
  role: row.role,
  organization: { id: row.org_id, name: row.org_name },
});

/**
 * Sign-up, login, token refresh and logout, plus `authenticate`, the middleware that
 * turns a Bearer access token into `req.user` (the account as GET /me shows it).
 */
export function createAuth({ pool, secret, clock, hashCost }) {
  if (!secret) throw new Error('createApp needs a secret for access tokens');
  const key = new TextEncoder().encode(secret);
  const now = () => new Date(clock());
  // Compared against when the email is unknown, so that answer costs as much as a wrong password.
  const dummyHash = bcrypt.hashSync(randomUUID(), hashCost);

  async function issueTokens(user, sessionId, db = pool) {
    const iat = Math.floor(clock() / 1000);
    const accessToken = await new SignJWT({ org: user.org_id })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(user.id)
      .setIssuedAt(iat)
      .setExpirationTime(iat + ACCESS_TTL_SECONDS)
      .sign(key);
    const refreshToken = randomBytes(32).toString('base64url');
    await db.query('INSERT INTO refresh_tokens (token_hash, session_id, issued_at) VALUES ($1, $2, $3)', [
      digest(refreshToken),
      sessionId,
      now(),
    ]);
    return { accessToken, refreshToken, tokenType: 'Bearer', expiresIn: ACCESS_TTL_SECONDS };
  }

  async function authenticate(req, res, next) {
    const match = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '');
    if (!match) throw unauthenticated('send Authorization: Bearer <access token>');
    let payload;
    try {
      ({ payload } = await jwtVerify(match[1], key, {
        algorithms: ['HS256'],
        currentDate: now(),
        requiredClaims: ['sub', 'exp'],
      }));
    } catch {
      throw unauthenticated('the access token is invalid or expired');
    }
    const { rows } = isUuid(payload.sub)
      ? await pool.query(
          `SELECT u.id, u.email, u.role, o.id AS org_id, o.name AS org_name
             FROM users u JOIN organizations o ON o.id = u.org_id
            WHERE u.id = $1`,
          [payload.sub],
        )
      : { rows: [] };
    if (rows.length === 0) throw unauthenticated('the account no longer exists');
    req.user = account(rows[0]);
    next();
  }

  const router = Router();

  router.post('/auth/register', async (req, res) => {
    const { email, password, orgName } = signupFields(req.body);
    const passwordHash = await bcrypt.hash(password, hashCost);
    try {
      // The organization and its owner exist together or not at all.
      const row = await withTransaction(pool, async (db) => {
        const org = await db.query('INSERT INTO organizations (name, created_at) VALUES ($1, $2) RETURNING id, name', [
          orgName,
          now(),
        ]);
        const user = await db.query(
          `INSERT INTO users (org_id, email, password_hash, role, created_at)
           VALUES ($1, $2, $3, 'owner', $4) RETURNING id, email, role, org_id`,
          [org.rows[0].id, email, passwordHash, now()],
        );
        return { ...user.rows[0], org_name: org.rows[0].name };
      });
      res.status(201).json(account(row));
    } catch (error) {
      // The UNIQUE index, not a SELECT beforehand, decides races between two sign-ups.
      if (error.code === '23505') throw new HttpError(409, 'EMAIL_TAKEN', 'that email is already registered');
      throw error;
    }
  });

  router.post('/auth/login', async (req, res) => {
    const { email, password } = credentials(req.body);
    const { rows } = await pool.query('SELECT id, org_id, password_hash FROM users WHERE email = $1', [email]);
    const user = rows[0];
    const ok = await bcrypt.compare(password, user?.password_hash ?? dummyHash);
    if (!user || !ok) throw badCredentials();
    const session = await pool.query(
      'INSERT INTO sessions (user_id, created_at, expires_at) VALUES ($1, $2, $3) RETURNING id',
      [user.id, now(), new Date(clock() + SESSION_TTL_MS)],
    );
    res.json(await issueTokens(user, session.rows[0].id));
  });

  router.post('/auth/refresh', async (req, res) => {
    const hash = digest(refreshTokenOf(req.body));
    const { rows } = await pool.query(
      `SELECT t.session_id, s.revoked_at, s.expires_at, u.id, u.org_id
         FROM refresh_tokens t
         JOIN sessions s ON s.id = t.session_id
         JOIN users u ON u.id = s.user_id
        WHERE t.token_hash = $1`,
      [hash],
    );
    const found = rows[0];
    if (!found || found.revoked_at || found.expires_at <= now()) throw unauthenticated('the refresh token is invalid or expired');
    // Claim the token in one statement: of two concurrent refreshes only one wins.
    const claimed = await pool.query('UPDATE refresh_tokens SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL', [
      hash,
      now(),
    ]);
    if (claimed.rowCount === 0) {
      // A rotated token came back: thief or owner, we cannot tell, so end the whole session.
      await pool.query('UPDATE sessions SET revoked_at = $2 WHERE id = $1', [found.session_id, now()]);
      throw unauthenticated('the refresh token was already used; the session is revoked');
    }
    res.json(await issueTokens(found, found.session_id));
  });

  router.post('/auth/logout', async (req, res) => {
    const hash = digest(refreshTokenOf(req.body));
    await pool.query(
      `UPDATE sessions SET revoked_at = $2
        WHERE id = (SELECT session_id FROM refresh_tokens WHERE token_hash = $1) AND revoked_at IS NULL`,
      [hash, now()],
    );
    // Unknown tokens get 204 as well: logging out is idempotent and reveals nothing.
    res.status(204).end();
  });

  router.get('/me', authenticate, (req, res) => {
    res.json(req.user);
  });

  return { router, authenticate };
}
