'use strict';
// Exercises the package's public API and reports what it saw, as plain data.
function probe(kit) {
  const report = { exports: Object.keys(kit).filter((key) => key !== 'default').sort() };
  try {
    report.statusText = {
      404: kit.statusText(404),
      '418 (string)': kit.statusText('418'),
      999: kit.statusText(999),
      toString: kit.statusText('toString'),
    };
    const notFound = new kit.HttpError(404);
    const custom = new kit.HttpError(422, 'email is required');
    const unknown = new kit.HttpError(599);
    report.errors = [notFound, custom, unknown].map((error) => ({
      name: error.name,
      status: error.status,
      message: error.message,
      isError: error instanceof Error,
    }));
  } catch (error) {
    report.failure = `${error.name}: ${error.message}`;
  }
  return report;
}

function describeError(error) {
  const message = error.message.split('\n')[0];
  return error.code && !message.startsWith(error.code) ? `${error.code}: ${message}` : message;
}

function emit(report) {
  process.stdout.write(`RESULT:${JSON.stringify(report)}\n`);
}

module.exports = { probe, describeError, emit };
