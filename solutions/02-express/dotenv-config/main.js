import { ConfigError, loadConfig } from './config.js';

function loadDotEnv() {
  try {
    // Reads ./.env from the working directory; variables already set are kept.
    process.loadEnvFile();
  } catch (error) {
    if (error.code !== 'ENOENT') throw error;
  }
}

function redact(databaseUrl) {
  const url = new URL(databaseUrl);
  if (url.password) url.password = '***';
  return url.href;
}

function main() {
  loadDotEnv();
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    // exitCode instead of exit(): stderr is flushed before the process ends.
    process.exitCode = 1;
    return;
  }
  console.log(JSON.stringify({ ...config, databaseUrl: redact(config.databaseUrl) }));
}

main();
