// An ESM app that also loads the package through require (createRequire), as happens
// when one of its CommonJS dependencies requires the package too.
import { createRequire } from 'node:module';
import helpers from './probe.cjs';

const { describeError, emit } = helpers;
const require = createRequire(import.meta.url);
const report = {};
try {
  const esm = await import('http-status-kit');
  const cjs = require('http-status-kit');
  report.sameClass = esm.HttpError === cjs.HttpError;
  report.sameFunction = esm.statusText === cjs.statusText;
  report.crossInstanceof = new cjs.HttpError(500) instanceof esm.HttpError;
} catch (error) {
  report.loadError = describeError(error);
}
try {
  await import('http-status-kit/codes.json', { with: { type: 'json' } });
  report.deepImport = 'loaded';
} catch (error) {
  report.deepImport = error.code ?? error.name;
}
emit(report);
