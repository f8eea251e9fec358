/**
 * Authentication and authorization middleware.
 */

export class HttpError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export const unauthenticated = () => new HttpError(401, 'UNAUTHENTICATED', 'a valid bearer token is required');
export const forbidden = (message = 'you are not allowed to do this') => new HttpError(403, 'FORBIDDEN', message);

const BEARER = /^Bearer +([^\s]+)$/i;

// One round trip: the user and the union of the permissions of all their roles.
const USER_BY_TOKEN = `
  SELECT u.id, u.name,
         coalesce(array_agg(DISTINCT r.name) FILTER (WHERE r.name IS NOT NULL), '{}') AS roles,
         coalesce(array_agg(DISTINCT p.name) FILTER (WHERE p.name IS NOT NULL), '{}') AS permissions
    FROM users u
    LEFT JOIN user_roles ur ON ur.user_id = u.id
    LEFT JOIN roles r ON r.id = ur.role_id
    LEFT JOIN role_permissions rp ON rp.role_id = r.id
    LEFT JOIN permissions p ON p.id = rp.permission_id
   WHERE u.token = $1
   GROUP BY u.id`;

/**
 * Reads `Authorization: Bearer <token>`, finds the user whose `users.token` matches and
 * loads the permissions of all their roles from the database, on every request, so a
 * role change applies at once. Answers 401 UNAUTHENTICATED otherwise.
 */
export function authenticate(pool) {
  return async (req, res, next) => {
    const token = BEARER.exec(req.get('authorization') ?? '')?.[1];
    if (!token) return next(unauthenticated());
    const { rows } = await pool.query(USER_BY_TOKEN, [token]);
    if (rows.length === 0) return next(unauthenticated());
    const { id, name, roles, permissions } = rows[0];
    req.user = { id, name, roles, permissions: new Set(permissions) };
    next();
  };
}

/** True when the authenticated user holds `permission`. */
export const can = (req, permission) => req.user?.permissions.has(permission) ?? false;

/**
 * Passes when the authenticated user holds ANY of `permissions`; 403 FORBIDDEN otherwise
 * (401 when nobody is authenticated).
 */
export function requirePermission(...permissions) {
  return (req, res, next) => {
    if (!req.user) return next(unauthenticated());
    if (!permissions.some((permission) => can(req, permission))) {
      return next(forbidden(`requires one of: ${permissions.join(', ')}`));
    }
    next();
  };
}

/** Turns HttpErrors (and body-parser's 4xx) into the JSON error shape. */
export function errorHandler(err, req, res, next) {
  if (res.headersSent) return next(err);
  if (err instanceof HttpError) {
    if (err.status === 401) res.set('WWW-Authenticate', 'Bearer');
    return res.status(err.status).json({ error: { code: err.code, message: err.message } });
  }
  if (err.type === 'entity.parse.failed') {
    return res.status(400).json({ error: { code: 'VALIDATION_ERROR', message: 'the body is not valid JSON' } });
  }
  // A hand-written RBAC check is exactly the code a 500 must not describe to a client.
  console.error(err);
  res.status(500).json({ error: { code: 'INTERNAL', message: 'internal error' } });
}
