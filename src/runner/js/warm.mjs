// A Node process started before it is needed. While the learner is still typing it
// loads what every run needs: the test runner, the support module, the reporter, the
// packages the exercise imports (Express, pg, …) and, for suites that speak HTTP, the
// fetch client. Then it waits for one line on stdin: the path of the suite to run.
// The learner's code is only imported after that line, so every run still sees
// fresh module state.
import { createServer } from 'node:http';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import 'node:test';
import './support.mjs';
import './reporter.mjs';

for (const specifier of (process.env.ROADMAP_PRELOAD ?? '').split(',').filter(Boolean)) {
  try {
    await import(specifier);
  } catch {
    // A package the workspace lacks fails again, visibly, when the suite imports it.
  }
}

if (process.env.ROADMAP_WARM_HTTP === '1') {
  // fetch loads its HTTP client and parser on first use (tens of milliseconds). One
  // request to a throwaway local server pays that now instead of during the run.
  const server = createServer((req, res) => res.end('ok'));
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    await (await fetch(`http://127.0.0.1:${server.address().port}/`)).text();
  } catch {
    // Warming is best effort.
  }
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

const lines = createInterface({ input: process.stdin });
let started = false;
// The engine went away without using this process: nothing left to wait for.
lines.once('close', () => started || process.exit(0));
lines.once('line', (suite) => {
  started = true;
  lines.close();
  process.stdin.destroy();
  import(pathToFileURL(suite).href).catch((error) => {
    // Same shape as Node's own crash output, which the engine parses for file:line.
    console.error(error?.stack ?? error);
    process.exit(1);
  });
});
