'use strict';
// A CommonJS app using the package with require().
const { probe, describeError, emit } = require('./probe.cjs');

const report = {};
try {
  report.resolved = require.resolve('http-status-kit');
} catch (error) {
  report.resolveError = describeError(error);
}
try {
  report.api = probe(require('http-status-kit'));
} catch (error) {
  report.loadError = describeError(error);
}
try {
  report.version = require('http-status-kit/package.json').version;
} catch (error) {
  report.versionError = describeError(error);
}
report.deep = {};
for (const subpath of ['http-status-kit/index.cjs', 'http-status-kit/codes.json']) {
  try {
    require(subpath);
    report.deep[subpath] = 'loaded';
  } catch (error) {
    report.deep[subpath] = error.code ?? error.name;
  }
}
emit(report);
