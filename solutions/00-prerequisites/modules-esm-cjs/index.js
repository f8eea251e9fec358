import { realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

// Re-exporting the CommonJS implementation (instead of keeping an ESM copy) means an
// app that both imports and requires this package gets one HttpError class, so
// `instanceof` keeps working across the two.
const require = createRequire(import.meta.url);
const { statusText, HttpError } = require('./index.cjs');

export { statusText, HttpError };

// ESM has no `require.main === module`: this file is the entry point when Node was
// started with it. argv[1] may be a symlink; import.meta.url is always the real path.
const isMain = process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);

if (isMain) {
  const code = process.argv[2];
  const text = statusText(code);
  if (text === null) {
    console.error(`unknown status code: ${code}`);
    process.exitCode = 1;
  } else {
    console.log(`${code} ${text}`);
  }
}
