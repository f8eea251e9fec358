export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'];

/** Every problem with the configuration, in one error. */
export class ConfigError extends Error {
  constructor(issues) {
    super(`invalid configuration:\n${issues.map((issue) => `  - ${issue}`).join('\n')}`);
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

/**
 * Reads and validates the configuration from `env` (process.env by default).
 * Returns a frozen { port, databaseUrl, logLevel, featureFlags, metricsEnabled, trustProxy }
 * or throws one ConfigError listing every invalid variable.
 */
export function loadConfig(env = process.env) {
  // TODO: validate PORT, DATABASE_URL, LOG_LEVEL, FEATURE_FLAGS, METRICS_ENABLED and
  // TRUST_PROXY as the README says, collecting every problem before throwing.
  throw new Error('TODO: loadConfig is not written yet');
}
