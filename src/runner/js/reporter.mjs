// The NDJSON reporter the engine hands to `node --test-reporter`.
//
// It writes one signed line per event straight to the grading channel with a
// synchronous write: `SEQ MAC JSON`, where MAC is an HMAC-SHA256 of `SEQ JSON` under the
// run's key. A reporter that yields to the `--test-reporter-destination` stream loses
// its last lines when `--test-force-exit` ends the process, so this one never buffers.
//
// The guard (guard.mjs) loads this module before any learner code and installs the
// channel and key then. Everything it calls later is captured now, so learner code
// that replaces JSON.stringify or a prototype method cannot rewrite what it reports.
import { createHmac } from 'node:crypto';
import { writeSync } from 'node:fs';
import { inspect } from 'node:util';

let channel = null;
let installed = false;

/** Called once by the guard; later calls change nothing. */
export function install(given) {
  if (installed) return;
  installed = true;
  channel = given;
}
const exerciseDir = process.env.EXERCISE_DIR ?? '';
const MAX_VALUE = 4000;

// Named imports of builtins are live bindings: `module.syncBuiltinESMExports()` rebinds
// them to whatever learner code assigned to `require('node:crypto').createHmac`. Called
// through the binding, such a function would receive the run's key and could stop every
// real line by returning something that is not an Hmac. Keep the originals.
const makeHmac = createHmac;
const inspectValue = inspect;
const apply = Reflect.apply;
const stringify = JSON.stringify;
const hasOwn = Object.hasOwn;
const toWellFormed = String.prototype.toWellFormed;
const hmacPrototype = Object.getPrototypeOf(makeHmac('sha256', 'x'));
const hmacUpdate = hmacPrototype.update;
const hmacDigest = hmacPrototype.digest;
const write = writeSync;
let seq = 0;

// A lone UTF-16 surrogate (half of an emoji, say) cannot be carried by JSON text that
// the engine accepts: it becomes U+FFFD instead of breaking the line.
function wellFormed(key, value) {
  return typeof value === 'string' ? apply(toWellFormed, value, []) : value;
}

function emit(event) {
  if (channel === null) return;
  const json = stringify(event, wellFormed);
  const line = `${seq} ${json}`;
  const mac = makeHmac('sha256', channel.key);
  apply(hmacUpdate, mac, [line]);
  write(channel.fd, `${seq} ${apply(hmacDigest, mac, ['hex'])} ${json}\n`);
  seq += 1;
}

// Values are rendered by Node's own inspector, so the learner sees `Map(1) { 'a' => 1 }`
// rather than the `{}` that JSON.stringify would make of it.
function render(value) {
  const text =
    typeof value === 'string'
      ? inspectValue(value, { breakLength: Infinity, maxStringLength: 2000 })
      : inspectValue(value, { depth: 6, breakLength: 60, sorted: true, maxArrayLength: 50, maxStringLength: 1000 });
  return text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE)}…` : text;
}

// The first stack frame inside the learner's folder says where their code went wrong.
function learnerLocation(stack) {
  if (!exerciseDir || typeof stack !== 'string') return undefined;
  for (const line of stack.split('\n')) {
    const at = line.indexOf(exerciseDir);
    if (at === -1) continue;
    const rest = line.slice(at + exerciseDir.length + 1).replace(/\)$/, '');
    if (!rest.startsWith('node_modules')) return rest;
  }
  return undefined;
}

function describeError(error) {
  const cause = error?.cause ?? error;
  const out = {
    kind: error?.failureType ?? 'testCodeFailure',
    message: String(cause?.message ?? cause ?? 'the test failed'),
  };
  if (cause && typeof cause === 'object') {
    if (cause.code === 'ERR_ASSERTION' && cause.generatedMessage === true && 'expected' in cause) {
      // Node's own message repeats the values as a diff; the engine shows them itself.
      out.message = out.message.split('\n')[0].replace(/:$/, '');
    } else if (cause.code === 'ERR_ASSERTION' && cause.generatedMessage === false) {
      // The assertion's own diff follows the suite's message; the engine shows a
      // structured expected/actual instead, so keep only the author's words.
      const cut = out.message.search(/\n\n?(?:.*!==|\+ actual - expected|Expected values)[\s\S]*$/);
      if (cut !== -1) out.message = out.message.slice(0, cut).trimEnd();
    }
    if ('expected' in cause || 'actual' in cause) {
      if (cause.code === 'ERR_ASSERTION' && cause.operator !== 'fail') {
        out.expected = render(cause.expected);
        out.actual = render(cause.actual);
        out.operator = cause.operator;
      }
    }
    if (cause.name && cause.name !== 'AssertionError') out.error_name = cause.name;
    const location = learnerLocation(cause.stack);
    if (location) out.location = location;
    if (cause.code !== 'ERR_ASSERTION' && typeof cause.stack === 'string') {
      out.stack = cause.stack.split('\n').slice(0, 12).join('\n');
    }
  }
  return out;
}

let ended = false;
function end() {
  if (!ended) emit({ event: 'end' });
  ended = true;
}

let invoked = false;

export default async function* reporter(source) {
  if (invoked) {
    // Node's test runner calls a reporter once; a second call comes from elsewhere.
    emit({ event: 'tampered', reason: 'the reporter was invoked a second time' });
    return;
  }
  invoked = true;
  // describe() blocks arrive as tests too; their names prefix the leaf tests' names.
  const stack = [];
  for await (const { type, data } of source) {
    switch (type) {
      case 'test:start':
        stack[data.nesting] = data.name;
        stack.length = data.nesting + 1;
        emit({ event: 'start', name: stack.slice(0, data.nesting + 1).join(' › ') });
        break;
      case 'test:pass':
      case 'test:fail': {
        const isSuite = data.details?.type === 'suite';
        const path = [...stack.slice(0, data.nesting), data.name].join(' › ');
        if (hasOwn(data, 'skip') || hasOwn(data, 'todo')) {
          emit({ event: 'skip', name: path });
          break;
        }
        if (isSuite && type === 'test:pass') break;
        const event = {
          event: type === 'test:pass' ? 'pass' : 'fail',
          name: path,
          duration_ms: data.details?.duration_ms ?? 0,
        };
        if (isSuite) event.suite = true;
        if (type === 'test:fail') event.error = describeError(data.details?.error);
        emit(event);
        break;
      }
      case 'test:diagnostic':
        if (data.nesting === 0 && /^(tests|suites|pass|fail|cancelled|skipped|todo|duration_ms) /.test(data.message)) {
          const [key, value] = data.message.split(' ');
          emit({ event: 'summary', key, value: Number(value) });
          // `todo` is the last count Node reports; `--test-force-exit` may end the
          // process before anything after it, so the run is complete here.
          if (key === 'todo') end();
        } else {
          emit({ event: 'diagnostic', message: data.message });
        }
        break;
      default:
        break;
    }
  }
  end();
}
