// The ES module entry: the `import` condition of the exports map points here.

// TODO: instead of these placeholders, load ./index.cjs with
// createRequire(import.meta.url) and re-export its statusText and HttpError, so that
// ESM and CommonJS users share one implementation.
export function statusText(code) {
  throw new Error('TODO: re-export statusText from index.cjs');
}

export class HttpError extends Error {}

// TODO: when this file is the script Node was started with (`node index.js 404`), print
// `404 Not Found`; for an unknown code print an error to stderr and exit with code 1.
// When it is imported, do nothing.
