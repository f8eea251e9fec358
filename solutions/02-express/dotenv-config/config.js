export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'];

/** Every problem with the configuration, in one error. */
export class ConfigError extends Error {
  constructor(issues) {
    super(`invalid configuration:\n${issues.map((issue) => `  - ${issue}`).join('\n')}`);
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

const BOOLEANS = new Map([
  ['true', true],
  ['1', true],
  ['false', false],
  ['0', false],
]);

function isPostgresUrl(value) {
  try {
    return ['postgres:', 'postgresql:'].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}

/**
 * Reads and validates the configuration from `env` (process.env by default).
 * Returns a frozen { port, databaseUrl, logLevel, featureFlags, metricsEnabled, trustProxy }
 * or throws one ConfigError listing every invalid variable.
 */
export function loadConfig(env = process.env) {
  const issues = [];
  // `PORT=` in a .env file yields '', which means "not set", not "port 0".
  const read = (name) => (env[name] === '' ? undefined : env[name]);

  const rawPort = read('PORT');
  const port = rawPort === undefined ? 3000 : /^\d+$/.test(rawPort) ? Number(rawPort) : NaN;
  if (!(port >= 1 && port <= 65535)) {
    issues.push(`PORT must be a whole number from 1 to 65535, got ${JSON.stringify(rawPort)}`);
  }

  // The value is never echoed: a database URL usually carries a password.
  const databaseUrl = read('DATABASE_URL');
  if (databaseUrl === undefined) issues.push('DATABASE_URL is required');
  else if (!isPostgresUrl(databaseUrl)) issues.push('DATABASE_URL must be a postgres:// or postgresql:// URL');

  const logLevel = read('LOG_LEVEL') ?? 'info';
  if (!LOG_LEVELS.includes(logLevel)) {
    issues.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(logLevel)}`);
  }

  const featureFlags = (read('FEATURE_FLAGS') ?? '')
    .split(',')
    .map((flag) => flag.trim())
    .filter(Boolean);

  // Boolean('false') is true: only these four spellings mean anything.
  const flag = (name) => {
    const raw = read(name);
    if (raw === undefined) return false;
    if (!BOOLEANS.has(raw)) issues.push(`${name} must be true, false, 1 or 0, got ${JSON.stringify(raw)}`);
    return BOOLEANS.get(raw);
  };
  const metricsEnabled = flag('METRICS_ENABLED');
  const trustProxy = flag('TRUST_PROXY');

  if (issues.length > 0) throw new ConfigError(issues);
  return Object.freeze({
    port,
    databaseUrl,
    logLevel,
    featureFlags: Object.freeze(featureFlags),
    metricsEnabled,
    trustProxy,
  });
}
