import express from 'express';
import { authenticate, requirePermission } from './rbac.js';

/**
 * The posts API with role-based access control. Returns an Express app that is not
 * listening; every query goes through `pool`.
 */
export function createApp({ pool }) {
  const app = express();
  app.use(express.json());
  app.use(authenticate(pool));

  // TODO: GET /me, the /posts routes and the /users/:id/roles/:role routes from the
  // README, each guarded by requirePermission(...) and, where it applies, an ownership
  // check. Keep the error order: 401, 403 (permission), 404, 403 (ownership), 400.
  app.use((req, res) => {
    res.status(501).json({ error: { code: 'NOT_IMPLEMENTED', message: `TODO: ${req.method} ${req.path}` } });
  });

  return app;
}
