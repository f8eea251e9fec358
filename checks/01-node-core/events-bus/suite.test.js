import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { importExercise, requireExport } from './support.mjs';

const mod = await importExercise('bus.js');
const createBus = requireExport(mod, 'createBus', 'function', 'bus.js');

// A promise that never settles must fail its own test by timeout, not end the run: the
// test runner's timers do not keep the event loop alive on their own.
const keepAlive = setInterval(() => {}, 60_000);
after(() => clearInterval(keepAlive));

const EVENTS = ['user.created', 'user.deleted', 'order.paid'];
const newBus = (options = {}) => createBus({ events: EVENTS, ...options });

// Lets pending promise callbacks run (the real setImmediate: tests mock only setTimeout).
const flush = () => new Promise((resolve) => setImmediate(resolve));

function track(promise) {
  const state = { settled: false, value: undefined, error: undefined };
  promise.then(
    (value) => Object.assign(state, { settled: true, value }),
    (error) => Object.assign(state, { settled: true, error }),
  );
  return state;
}

function hasCode(code, name) {
  return (error) => {
    assert.equal(error?.code, code, `expected an Error with code '${code}', got ${error?.code === undefined ? error : `code '${error.code}'`}`);
    if (name) {
      assert.ok(String(error.message).includes(name), `the error message should name the event "${name}", got: ${error.message}`);
    }
    return true;
  };
}

const shown = (state) => (state.error ? `rejected with ${state.error?.code ?? ''} ${state.error?.message ?? state.error}` : `resolved with ${JSON.stringify(state.value)}`);

const timeouts = () => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;

test('delivers the payload to every listener in registration order', { timeout: 2000 }, () => {
  const bus = newBus();
  const calls = [];
  assert.equal(bus.on('user.created', (user) => calls.push(['first', user])), bus, 'on() should return the bus so calls can be chained');
  bus.on('user.created', (user) => calls.push(['second', user]));
  const user = { id: 7 };
  assert.equal(bus.emit('user.created', user), true, 'emit() should return true when listeners ran');
  assert.deepEqual(calls, [['first', user], ['second', user]], 'both listeners should get the payload, first-registered first');
  assert.equal(calls[0][1], user, 'listeners should get the very payload object passed to emit()');
  assert.equal(bus.emit('order.paid', { id: 1 }), false, 'emit() should return false when the event has no listeners');
});

test('on() throws ERR_UNKNOWN_EVENT for a misspelt event name', { timeout: 2000 }, () => {
  const bus = newBus();
  assert.throws(() => bus.on('user.craeted', () => {}), hasCode('ERR_UNKNOWN_EVENT', 'user.craeted'), 'a listener on a name that is not in `events` must be refused');
  assert.equal(bus.listenerCount('user.craeted'), 0, 'a refused listener must not be registered');
});

test('emit() throws ERR_UNKNOWN_EVENT for an unknown name and calls no listener', { timeout: 2000 }, () => {
  const bus = newBus();
  let called = 0;
  bus.on('user.created', () => called++);
  assert.throws(() => bus.emit('user.updated', {}), hasCode('ERR_UNKNOWN_EVENT', 'user.updated'), 'emitting a name that is not in `events` must be refused');
  assert.equal(called, 0, 'no listener may run for a refused emit');
});

test('off() removes a listener', { timeout: 2000 }, () => {
  const bus = newBus();
  let called = 0;
  const listener = () => called++;
  bus.on('user.deleted', listener);
  assert.equal(bus.listenerCount('user.deleted'), 1, 'listenerCount() should count the listener added with on()');
  assert.equal(bus.off('user.deleted', listener), bus, 'off() should return the bus');
  assert.equal(bus.listenerCount('user.deleted'), 0, 'after off() the listener should be gone');
  bus.emit('user.deleted', {});
  assert.equal(called, 0, 'a removed listener must not run');
});

test('once() resolves with the next payload, only once, and removes its listener', { timeout: 2000 }, async () => {
  const bus = newBus();
  const waiting = bus.once('order.paid');
  assert.ok(waiting instanceof Promise, `once() should return a promise, got ${typeof waiting}`);
  assert.equal(bus.listenerCount('order.paid'), 1, 'a waiting once() should count as a listener');
  const order = { id: 'o-1' };
  bus.emit('order.paid', order);
  assert.equal(await waiting, order, 'once() should resolve with the emitted payload');
  assert.equal(bus.listenerCount('order.paid'), 0, 'once() must remove its listener after the event arrived');
  assert.equal(bus.emit('order.paid', { id: 'o-2' }), false, 'a second emit should find no listener left by once()');
});

test('once() rejects an unknown name with ERR_UNKNOWN_EVENT', { timeout: 2000 }, async () => {
  const bus = newBus();
  let state;
  try {
    state = track(bus.once('order.refunded'));
  } catch (error) {
    state = { settled: true, error }; // throwing right away is accepted too
  }
  await flush();
  assert.ok(state.settled && state.error, `once() must reject a name that is not in \`events\` right away, but it ${state.settled ? shown(state) : 'is still pending'}`);
  hasCode('ERR_UNKNOWN_EVENT', 'order.refunded')(state.error);
  assert.equal(bus.listenerCount('order.refunded'), 0, 'a refused once() must not leave a listener');
});

test('once() rejects with ERR_BUS_TIMEOUT after exactly timeoutMs and removes its listener', { timeout: 2000 }, async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const bus = newBus();
  const state = track(bus.once('user.created', { timeoutMs: 1000 }));
  t.mock.timers.tick(999);
  await flush();
  assert.equal(state.settled, false, `once() must still be waiting 1 ms before the deadline, but it already ${shown(state)}`);
  t.mock.timers.tick(1);
  await flush();
  assert.equal(state.settled, true, 'once() should settle as soon as timeoutMs has passed (use the global setTimeout; the clock is mocked)');
  assert.ok(state.error, `once() should reject on timeout, but it resolved with ${state.value}`);
  hasCode('ERR_BUS_TIMEOUT', 'user.created')(state.error);
  assert.equal(bus.listenerCount('user.created'), 0, 'a timed-out once() must remove its listener, or every timeout leaks one');
});

test('once() clears its timer when the event arrives in time', { timeout: 2000 }, async () => {
  const bus = newBus();
  const before = timeouts();
  const waiting = bus.once('user.deleted', { timeoutMs: 60_000 });
  bus.emit('user.deleted', { id: 3 });
  assert.deepEqual(await waiting, { id: 3 }, 'once() should resolve with the payload');
  assert.equal(timeouts(), before, 'after resolving, once() must clearTimeout() its deadline: a pending timer keeps the process alive and the closure in memory');
});

test('once() rejects with signal.reason when the signal aborts and removes its listener', { timeout: 2000 }, async () => {
  const bus = newBus();
  const controller = new AbortController();
  const before = timeouts();
  const waiting = bus.once('user.created', { signal: controller.signal, timeoutMs: 60_000 });
  const reason = new Error('request closed');
  controller.abort(reason);
  await assert.rejects(waiting, (error) => error === reason, 'once() should reject with the exact signal.reason');
  assert.equal(bus.listenerCount('user.created'), 0, 'an aborted once() must remove its listener');
  assert.equal(timeouts(), before, 'an aborted once() must clear its timer too');
});

test('once() with an already aborted signal rejects at once without adding a listener', { timeout: 2000 }, async () => {
  const bus = newBus();
  const controller = new AbortController();
  controller.abort();
  const waiting = bus.once('order.paid', { signal: controller.signal });
  assert.equal(bus.listenerCount('order.paid'), 0, 'with an already aborted signal, once() must not register a listener at all');
  await assert.rejects(waiting, (error) => error === controller.signal.reason, 'once() should reject with signal.reason (here the default AbortError)');
});

test('once() leaves no abort listener on a long-lived signal when it resolves or times out', { timeout: 2000 }, async (t) => {
  const bus = newBus();
  const shutdown = new AbortController(); // like a server-wide shutdown signal shared by many waits
  for (let i = 0; i < 20; i++) {
    const waiting = bus.once('order.paid', { signal: shutdown.signal });
    bus.emit('order.paid', i);
    assert.equal(await waiting, i, 'once() should resolve with the payload');
  }
  assert.equal(getEventListeners(shutdown.signal, 'abort').length, 0, `after 20 resolved once() calls the shared signal still has ${getEventListeners(shutdown.signal, 'abort').length} abort listeners: remove yours with removeEventListener when once() settles`);

  t.mock.timers.enable({ apis: ['setTimeout'] });
  const timedOut = track(bus.once('order.paid', { signal: shutdown.signal, timeoutMs: 50 }));
  t.mock.timers.tick(50);
  await flush();
  assert.ok(timedOut.settled && timedOut.error, `once() should reject after timeoutMs (50 ms), but it ${timedOut.settled ? shown(timedOut) : 'is still pending'}`);
  hasCode('ERR_BUS_TIMEOUT')(timedOut.error);
  assert.equal(getEventListeners(shutdown.signal, 'abort').length, 0, 'a timed-out once() must remove its abort listener from the signal too');
  assert.equal(bus.listenerCount('order.paid'), 0, 'no bus listener should be left behind');
});

test('an error event goes to error listeners, not to onError', { timeout: 2000 }, () => {
  const routed = [];
  const heard = [];
  const bus = newBus({ onError: (error) => routed.push(error) });
  bus.on('error', (error) => heard.push(error));
  const boom = new Error('boom');
  bus.emit('error', boom);
  assert.deepEqual(heard, [boom], 'an error listener should receive the error');
  assert.deepEqual(routed, [], 'onError is only the fallback when nobody listens to error');
});

test('an error event with no error listener is routed to onError instead of throwing', { timeout: 2000 }, () => {
  const routed = [];
  const bus = newBus({ onError: (error) => routed.push(error) });
  const boom = new Error('disk full');
  assert.doesNotThrow(() => bus.emit('error', boom), 'with onError set, emit("error") must not throw');
  assert.equal(routed.length, 1, `onError should be called once, was called ${routed.length} times`);
  assert.equal(routed[0], boom, 'onError should receive the emitted error object');
});

test('an error event with neither a listener nor onError throws the error', { timeout: 2000 }, () => {
  const bus = newBus();
  const boom = new Error('nobody listens');
  assert.throws(() => bus.emit('error', boom), (error) => error === boom, 'an unhandled error event must throw the error itself, never vanish silently');
});
