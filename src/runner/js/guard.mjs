// Loaded with `node --import` before anything else in a graded process, so before any
// of the learner's code.
//
// It takes the grading channel away from that code: the run's key is read once from
// descriptor 4 and handed to the reporter alone, and the reporter's descriptor 3 is
// reopened close-on-exec (processes the learner's code starts do not inherit it) under
// a number nobody is told. Then it freezes what suites rely on (`node:assert`,
// `node:test`), so the learner's code cannot loosen an assertion or replace a test.
// What this cannot prevent, in-process, is stated in SECURITY.md.
import assert from 'node:assert';
import strictAssert from 'node:assert/strict';
import { createSecretKey } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import * as nodeTest from 'node:test';

const REPORT_FD = 3;
const KEY_FD = 4;

function takeKey() {
  const buffer = Buffer.alloc(256);
  let length = 0;
  try {
    for (;;) {
      const n = readSync(KEY_FD, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
    }
  } catch {
    return null;
  } finally {
    try {
      closeSync(KEY_FD);
    } catch {
      // Already closed: nothing to take.
    }
  }
  if (length === 0) return null;
  // A KeyObject keeps the key outside the JavaScript heap, and the key never becomes a
  // string: a heap snapshot taken by the learner's code (node:v8) shows neither.
  const key = createSecretKey(buffer.subarray(0, length));
  buffer.fill(0);
  return key;
}

function takeReportChannel() {
  for (const path of [`/proc/self/fd/${REPORT_FD}`, `/dev/fd/${REPORT_FD}`]) {
    try {
      // Node opens every file close-on-exec.
      const fd = openSync(path, 'w');
      closeSync(REPORT_FD);
      return fd;
    } catch {
      // Try the next way to reopen it.
    }
  }
  return null;
}

const key = takeKey();
const fd = takeReportChannel();

for (const target of [
  assert,
  assert.strict,
  strictAssert,
  nodeTest.default,
  nodeTest.test,
  nodeTest.describe,
  nodeTest.it,
  nodeTest.suite,
  nodeTest.before,
  nodeTest.after,
  nodeTest.beforeEach,
  nodeTest.afterEach,
]) {
  if (target) Object.freeze(target);
}

// The reporter takes the channel now, before any learner code exists; it accepts it
// once, so a later call cannot swap in another.
const reporter = await import('./reporter.mjs');
reporter.install(key && fd !== null ? { key, fd } : null);
