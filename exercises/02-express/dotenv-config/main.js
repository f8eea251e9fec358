import { loadConfig } from './config.js';

// TODO: load .env from the current working directory (if there is one) without
// overriding variables that are already set in the real environment.

// TODO: on a ConfigError print its message on stderr and exit with code 1, no stack trace.
const config = loadConfig();

// TODO: print the config as one line of JSON, with the database password replaced by ***.
console.log(JSON.stringify(config));
