// Runs the backend for real: `node src/server.js` with DATABASE_URL, JWT_SECRET and
// WEBHOOK_SECRET in the environment (or in a .env file next to package.json).
import pg from 'pg';
import { createApp } from './app.js';
import { migrate } from './migrate.js';

try {
  process.loadEnvFile();
} catch {
  // no .env file: the environment is configured already
}

for (const name of ['DATABASE_URL', 'JWT_SECRET', 'WEBHOOK_SECRET']) {
  if (!process.env[name]) throw new Error(`${name} is not set`);
}

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
const applied = await migrate(pool);
if (applied.length > 0) console.log(`applied migrations: ${applied.join(', ')}`);

const app = createApp({ pool, secret: process.env.JWT_SECRET, webhookSecret: process.env.WEBHOOK_SECRET });
const server = app.listen(Number(process.env.PORT ?? 3000), () => {
  console.log(`listening on http://localhost:${server.address().port}`);
});

process.once('SIGTERM', () => server.close(() => pool.end()));
