import { createHash, randomBytes, randomUUID } from 'node:crypto';
import bcrypt from 'bcryptjs';
import express from 'express';
import { SignJWT, jwtVerify } from 'jose';

export function createApp({
  secret,
  clock = Date.now, // milliseconds, like Date.now(): use it for every iat, exp and expiry check
  accessTtlSeconds = 900,
  refreshTtlSeconds = 14 * 24 * 3600,
  hashRounds = 12,
  users = new Map(), // lower-cased email → your user record (never the plain password)
} = {}) {
  if (!secret) throw new Error('createApp needs a secret');
  const key = new TextEncoder().encode(secret); // the HS256 key for SignJWT and jwtVerify

  // TODO: the rest of your in-memory state: users by id, refresh tokens (store a digest,
  // not the token), which family each belongs to, revoked families, revoked access-token jtis.

  const app = express();
  app.use(express.json());

  app.post('/auth/register', async (req, res) => {
    // TODO: validate { email, password } (400), refuse a known email (409),
    // hash the password with bcrypt.hash(password, hashRounds), answer 201 { id, email }.
    throw new Error('TODO: POST /auth/register');
  });

  app.post('/auth/login', async (req, res) => {
    // TODO: check the password with bcrypt.compare; one 401 for an unknown email and a
    // wrong password alike. Answer { accessToken, refreshToken, tokenType, expiresIn }.
    throw new Error('TODO: POST /auth/login');
  });

  app.post('/auth/refresh', async (req, res) => {
    // TODO: rotate the refresh token; a reused one revokes its whole family.
    throw new Error('TODO: POST /auth/refresh');
  });

  app.post('/auth/logout', async (req, res) => {
    // TODO: needs a valid access token; revoke it and the family of { refreshToken }. 204.
    throw new Error('TODO: POST /auth/logout');
  });

  app.get('/me', async (req, res) => {
    // TODO: verify the Bearer access token (HS256 only, against clock()), answer { id, email }.
    throw new Error('TODO: GET /me');
  });

  // TODO: an error handler that answers JSON { error } with the right status
  // (express.json() reports malformed JSON as an error with status 400), and adds
  // WWW-Authenticate to the 401s of /me and /auth/logout.

  return app;
}
