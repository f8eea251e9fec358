// An ESM app whose entry file is also called index.js, started as `node index.js 404`,
// so a package that guesses "am I the main script?" from argv gets caught.
import { fileURLToPath } from 'node:url';
import helpers from './probe.cjs';

const { probe, describeError, emit } = helpers;
const report = {};
try {
  report.resolved = fileURLToPath(import.meta.resolve('http-status-kit'));
} catch (error) {
  report.resolveError = describeError(error);
}
try {
  report.api = probe(await import('http-status-kit'));
} catch (error) {
  report.loadError = describeError(error);
}
emit(report);
