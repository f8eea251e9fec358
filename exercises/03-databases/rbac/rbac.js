/**
 * Authentication and authorization middleware.
 */

/**
 * Reads `Authorization: Bearer <token>`, finds the user whose `users.token` matches and
 * loads the permissions of all their roles from the database, on every request.
 * Answers 401 UNAUTHENTICATED (with `WWW-Authenticate: Bearer`) otherwise.
 */
export function authenticate(pool) {
  return async (req, res, next) => {
    // TODO: parse the header, look the user up with `pool`, keep their id, name, roles
    // and permissions on `req` for the handlers and requirePermission.
    next();
  };
}

/**
 * Passes when the authenticated user holds ANY of `permissions`; 403 FORBIDDEN otherwise
 * (401 when nobody is authenticated).
 */
export function requirePermission(...permissions) {
  return (req, res, next) => {
    // TODO: check the permissions authenticate() loaded.
    next();
  };
}
