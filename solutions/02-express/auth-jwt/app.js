import { createHash, randomBytes, randomUUID } from 'node:crypto';
import bcrypt from 'bcryptjs';
import express from 'express';
import { SignJWT, jwtVerify } from 'jose';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

class HttpError extends Error {
  constructor(status, message, challenge) {
    super(message);
    this.status = status;
    this.challenge = challenge;
  }
}

const unauthorized = (message = 'invalid token') => new HttpError(401, message, 'Bearer error="invalid_token"');

// Refresh tokens are bearer secrets: keep only a digest, so a leaked store can't be replayed.
// A fast hash is fine here because the token has 256 random bits, unlike a password.
const digest = (token) => createHash('sha256').update(token).digest('base64url');

export function createApp({
  secret,
  clock = Date.now,
  accessTtlSeconds = 900,
  refreshTtlSeconds = 14 * 24 * 3600,
  hashRounds = 12,
  users = new Map(),
} = {}) {
  if (!secret) throw new Error('createApp needs a secret');
  const key = new TextEncoder().encode(secret);
  const nowSeconds = () => Math.floor(clock() / 1000);

  const usersById = new Map();
  const refreshTokens = new Map(); // digest → { userId, family, expiresAt, used }
  const revokedFamilies = new Set();
  const revokedJtis = new Map(); // jti → exp, kept until the token would expire anyway
  // Unknown emails are checked against this so they cost as much as a wrong password.
  const dummyHash = bcrypt.hashSync(randomUUID(), hashRounds);

  async function issueTokens(userId, family) {
    const iat = nowSeconds();
    const accessToken = await new SignJWT()
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(userId)
      .setJti(randomUUID())
      .setIssuedAt(iat)
      .setExpirationTime(iat + accessTtlSeconds)
      .sign(key);
    const refreshToken = randomBytes(32).toString('base64url');
    refreshTokens.set(digest(refreshToken), { userId, family, expiresAt: iat + refreshTtlSeconds, used: false });
    return { accessToken, refreshToken, tokenType: 'Bearer', expiresIn: accessTtlSeconds };
  }

  async function authenticate(req) {
    const match = /^Bearer ([^\s]+)$/i.exec(req.get('authorization') ?? '');
    if (!match) throw new HttpError(401, 'missing bearer token', 'Bearer');
    let payload;
    try {
      ({ payload } = await jwtVerify(match[1], key, {
        algorithms: ['HS256'],
        currentDate: new Date(clock()),
        requiredClaims: ['sub', 'exp', 'jti'],
      }));
    } catch {
      throw unauthorized();
    }
    const user = usersById.get(payload.sub);
    if (!user || revokedJtis.has(payload.jti)) throw unauthorized();
    return { user, payload };
  }

  function credentials(body) {
    if (typeof body?.email !== 'string' || typeof body?.password !== 'string') {
      throw new HttpError(400, 'email and password must be strings');
    }
    return { email: body.email.trim().toLowerCase(), password: body.password };
  }

  const app = express();
  app.use(express.json());

  app.post('/auth/register', async (req, res) => {
    const { email, password } = credentials(req.body);
    if (!EMAIL.test(email)) throw new HttpError(400, 'email is not valid');
    // bcrypt silently ignores everything after the 72nd byte.
    if (password.length < 8 || Buffer.byteLength(password) > 72) {
      throw new HttpError(400, 'password must be 8 to 72 bytes long');
    }
    if (users.has(email)) throw new HttpError(409, 'email already registered');
    const passwordHash = await bcrypt.hash(password, hashRounds);
    // Re-check after the await: a concurrent registration may have won the race.
    if (users.has(email)) throw new HttpError(409, 'email already registered');
    const user = { id: randomUUID(), email, passwordHash };
    users.set(email, user);
    usersById.set(user.id, user);
    res.status(201).json({ id: user.id, email });
  });

  app.post('/auth/login', async (req, res) => {
    const { email, password } = credentials(req.body);
    const user = users.get(email);
    const ok = await bcrypt.compare(password, user?.passwordHash ?? dummyHash);
    if (!user || !ok) throw new HttpError(401, 'invalid email or password');
    res.json(await issueTokens(user.id, randomUUID()));
  });

  app.post('/auth/refresh', async (req, res) => {
    const token = req.body?.refreshToken;
    if (typeof token !== 'string') throw new HttpError(400, 'refreshToken must be a string');
    const record = refreshTokens.get(digest(token));
    if (!record || revokedFamilies.has(record.family)) throw new HttpError(401, 'invalid refresh token');
    if (record.used) {
      // Someone replayed a rotated token: we can't tell thief from owner, so end the session.
      revokedFamilies.add(record.family);
      throw new HttpError(401, 'refresh token reused; session revoked');
    }
    if (nowSeconds() >= record.expiresAt) throw new HttpError(401, 'refresh token expired');
    // Mark before any await, or two concurrent refreshes could both pass the check.
    record.used = true;
    res.json(await issueTokens(record.userId, record.family));
  });

  app.post('/auth/logout', async (req, res) => {
    const { user, payload } = await authenticate(req);
    const token = req.body?.refreshToken;
    if (typeof token !== 'string') throw new HttpError(400, 'refreshToken must be a string');
    const record = refreshTokens.get(digest(token));
    if (record?.userId === user.id) revokedFamilies.add(record.family);
    revokedJtis.set(payload.jti, payload.exp);
    for (const [jti, exp] of revokedJtis) if (exp <= nowSeconds()) revokedJtis.delete(jti);
    res.status(204).end();
  });

  app.get('/me', async (req, res) => {
    const { user } = await authenticate(req);
    res.json({ id: user.id, email: user.email });
  });

  app.use((req, res) => {
    res.status(404).json({ error: 'not found' });
  });

  app.use((err, req, res, next) => {
    // express.json() reports a malformed body as a 400 with err.status set.
    const status = err.status ?? 500;
    if (err.challenge) res.set('WWW-Authenticate', err.challenge);
    res.status(status).json({ error: status === 500 ? 'internal error' : err.message });
  });

  return app;
}
