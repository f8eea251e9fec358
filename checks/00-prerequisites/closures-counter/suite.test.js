import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { importExercise, requireExport } from './support.mjs';

const mod = await importExercise('counter.js');
const createCounter = requireExport(mod, 'createCounter', 'function', 'counter.js');
const once = requireExport(mod, 'once', 'function', 'counter.js');
const memoize = requireExport(mod, 'memoize', 'function', 'counter.js');

// A spy that counts its calls and records each call's `this` and arguments.
function spy(impl = (...args) => args[0]) {
  const calls = [];
  const fn = function (...args) {
    calls.push({ self: this, args });
    return impl.apply(this, args);
  };
  fn.calls = calls;
  return fn;
}

describe('createCounter', () => {
  test('starts at 0, moves by 1 and returns the new value by default', { timeout: 2000 }, () => {
    const c = createCounter();
    assert.equal(c.value(), 0, 'a counter made without options must start at 0');
    assert.equal(c.increment(), 1, 'increment() must return the new value (0 + 1)');
    assert.equal(c.increment(), 2, 'a second increment() must return 2');
    assert.equal(c.decrement(), 1, 'decrement() must return the new value (2 - 1)');
    assert.equal(c.value(), 1, 'value() must return the current count without changing it');
    assert.equal(c.value(), 1, 'calling value() twice must not change the count');
  });

  test('honours start and step, and reset() returns to start (not 0)', { timeout: 2000 }, () => {
    const c = createCounter({ start: 10, step: 5 });
    assert.equal(c.value(), 10, 'the counter must start at the `start` option');
    assert.equal(c.increment(), 15, 'increment() must add `step` (10 + 5)');
    assert.equal(c.increment(), 20, 'increment() must add `step` again (15 + 5)');
    assert.equal(c.decrement(), 15, 'decrement() must subtract `step` (20 - 5)');
    assert.equal(c.reset(), 10, 'reset() must return the start value, 10 here — not 0');
    assert.equal(c.value(), 10, 'after reset() the value must be the start value');
    assert.equal(c.decrement(), 5, 'counting must continue normally after reset()');
    const onlyStep = createCounter({ step: 3 });
    assert.equal(onlyStep.increment(), 3, 'with only `step` given, start must default to 0');
  });

  test('two counters never share their count', { timeout: 2000 }, () => {
    const a = createCounter();
    const b = createCounter({ start: 100 });
    a.increment();
    a.increment();
    b.decrement();
    assert.equal(a.value(), 2, 'counter a was incremented twice; counter b must not affect it (is the count a module-level variable?)');
    assert.equal(b.value(), 99, 'counter b was decremented once from 100; counter a must not affect it');
    a.reset();
    assert.equal(b.value(), 99, "resetting counter a must not reset counter b");
  });

  test('methods keep working when taken off the object', { timeout: 2000 }, () => {
    const c = createCounter({ start: 1 });
    const { increment, decrement, reset, value } = c;
    let got;
    try {
      got = [increment(), increment(), decrement(), value(), reset()];
    } catch (error) {
      assert.fail(`detached methods threw ${error.name}: ${error.message}\nThe methods must not rely on \`this\`: keep the count in a closure variable.`);
    }
    assert.deepEqual(got, [2, 3, 2, 2, 1], 'increment, increment, decrement, value, reset on a detached counter starting at 1');
    assert.equal(c.value(), 1, 'the detached methods must act on the same counter as the object');
  });

  test('exposes only its four methods, so the count cannot be changed from outside', { timeout: 2000 }, () => {
    const c = createCounter({ start: 7 });
    assert.deepEqual(
      Object.keys(c).sort(),
      ['decrement', 'increment', 'reset', 'value'],
      'the counter object must have exactly the four methods as its own properties — keep the count in the closure, not on the object',
    );
    for (const [name, fn] of Object.entries(c)) {
      assert.equal(typeof fn, 'function', `counter.${name} must be a function`);
    }
    for (const prop of ['count', '_count', 'current', 'n', 'start', 'step']) {
      try {
        c[prop] = 1000;
      } catch {
        // a frozen object is fine too
      }
    }
    assert.equal(c.increment(), 8, 'writing properties on the counter object must not change its count (7 + 1)');
  });
});

describe('once', () => {
  test('calls fn only once and returns the first result on every call', { timeout: 2000 }, () => {
    let n = 0;
    const fn = spy(() => ++n);
    const init = once(fn);
    assert.equal(typeof init, 'function', 'once(fn) must return a function');
    assert.equal(fn.calls.length, 0, 'once(fn) must not call fn until the wrapper is called');
    assert.equal(init(), 1, 'the first call must return what fn returned');
    assert.equal(init(), 1, 'the second call must return the first result again');
    assert.equal(init(), 1, 'every later call must return the first result');
    assert.equal(fn.calls.length, 1, `fn must run exactly once, it ran ${fn.calls.length} times`);
  });

  test('passes the arguments and `this` of the first call to fn', { timeout: 2000 }, () => {
    const fn = spy(function (a, b) {
      return `${this.name}:${a + b}`;
    });
    const service = { name: 'db', connect: once(fn) };
    assert.equal(service.connect(2, 3), 'db:5', 'the wrapper must call fn with the same `this` and arguments (use fn.apply(this, args) in a regular function)');
    assert.equal(fn.calls[0].self, service, 'fn must be called with the `this` of the wrapper call');
    assert.deepEqual(fn.calls[0].args, [2, 3], 'fn must receive every argument of the first call');
    assert.equal(service.connect(10, 10), 'db:5', 'later calls return the first result, whatever their arguments');
    assert.equal(fn.calls.length, 1, 'fn must not run again for different arguments');
  });

  test('remembers a first result of undefined, null or 0', { timeout: 2000 }, () => {
    for (const first of [undefined, null, 0, false]) {
      const fn = spy(() => first);
      const wrapped = once(fn);
      wrapped();
      wrapped();
      wrapped();
      assert.equal(fn.calls.length, 1, `fn returned ${String(first)} and then ran ${fn.calls.length} times; track "has run" with its own flag, not by checking the result`);
    }
  });

  test('lets a call that threw be retried', { timeout: 2000 }, () => {
    let attempt = 0;
    const fn = spy(() => {
      attempt += 1;
      if (attempt === 1) throw new Error('connection refused');
      return `connected on attempt ${attempt}`;
    });
    const connect = once(fn);
    assert.throws(() => connect(), { message: 'connection refused' }, 'the error thrown by fn must reach the caller');
    assert.equal(connect(), 'connected on attempt 2', 'after a throw nothing is remembered: the next call must run fn again and return its result');
    assert.equal(connect(), 'connected on attempt 2', 'once fn has succeeded, that result must be kept');
    assert.equal(fn.calls.length, 2, `fn must run twice (one throw, one success), it ran ${fn.calls.length} times`);
  });
});

describe('memoize', () => {
  test('returns the cached result for a repeated first argument', { timeout: 2000 }, () => {
    const fn = spy((n) => n * 2);
    const double = memoize(fn);
    assert.equal(double(21), 42, 'the first call must return fn(21)');
    assert.equal(double(21), 42, 'a repeated call must return the same result');
    assert.equal(double(5), 10, 'a new argument must be computed');
    assert.equal(double(21), 42, 'the first result must still be cached');
    assert.equal(fn.calls.length, 2, `fn must run once per distinct argument (2), it ran ${fn.calls.length} times`);
  });

  test("keeps 1 and '1' apart and compares objects by identity", { timeout: 2000 }, () => {
    const fn = spy((x) => (typeof x === 'object' ? x.id : typeof x));
    const m = memoize(fn);
    assert.equal(m(1), 'number', 'm(1) must compute fn(1)');
    assert.equal(m('1'), 'string', "m('1') must not return the cached result of m(1): 1 and '1' are different keys (a plain object as cache turns every key into a string; use a Map)");
    const a = { id: 'a' };
    const b = { id: 'b' };
    assert.equal(m(a), 'a', 'm(a) must compute fn(a)');
    assert.equal(m(b), 'b', 'm(b) must not return the cached result of another object (every object stringifies to "[object Object]" as a plain-object key)');
    const before = fn.calls.length;
    assert.equal(m(a), 'a', 'the same object again must hit the cache');
    assert.equal(fn.calls.length, before, 'calling with the same object again must not run fn');
    const twin1 = { id: 'twin' };
    const twin2 = { id: 'twin' };
    m(twin1);
    m(twin2);
    assert.equal(fn.calls.length, before + 2, 'two different objects with equal contents are different keys: each must run fn once (compare keys like a Map does, not by JSON.stringify)');
    assert.equal(m(1, 'ignored'), 'number', 'without a key resolver only the first argument is the key, so m(1, x) must hit the cached m(1)');
    assert.equal(fn.calls.length, before + 2, 'm(1, x) must be served from the cache entry of m(1)');
  });

  test('uses the key resolver, and passes `this` and every argument to fn', { timeout: 2000 }, () => {
    const fn = spy(function (a, b) {
      return `${this.prefix}${a + b}`;
    });
    const keyCalls = [];
    const key = (...args) => {
      keyCalls.push(args);
      return args.join('+');
    };
    const obj = { prefix: 'sum=', add: memoize(fn, { key }) };
    assert.equal(obj.add(1, 2), 'sum=3', 'the memoized function must call fn with its `this` and all its arguments');
    assert.equal(fn.calls[0].self, obj, 'fn must receive the `this` of the call');
    assert.deepEqual(keyCalls[0], [1, 2], 'the key resolver must be called with all the arguments');
    assert.equal(obj.add(1, 5), 'sum=6', 'a different second argument gives a different key, so fn must run again');
    assert.equal(obj.add(1, 2), 'sum=3', 'a repeated key must return the cached result');
    assert.equal(fn.calls.length, 2, `fn must run once per distinct key (2), it ran ${fn.calls.length} times — is the key resolver used?`);
    const byLength = memoize(spy((s) => s.toUpperCase()), { key: (s) => s.length });
    assert.equal(byLength('abc'), 'ABC', 'fn must run for a new key');
    assert.equal(byLength('xyz'), 'ABC', 'the key resolver decides identity: same length, same cached result');
  });

  test('does not cache a call that throws', { timeout: 2000 }, () => {
    let fail = true;
    const fn = spy((id) => {
      if (fail) throw new Error('lookup failed');
      return `user ${id}`;
    });
    const load = memoize(fn);
    assert.throws(() => load(7), { message: 'lookup failed' }, "fn's error must reach the caller");
    fail = false;
    assert.equal(load(7), 'user 7', 'after a throw the next call with the same key must run fn again, not return a cached undefined');
    assert.equal(load(7), 'user 7', 'the successful result must then be cached');
    assert.equal(fn.calls.length, 2, `fn must run twice (one throw, one success), it ran ${fn.calls.length} times`);
  });

  test('with maxSize evicts the least recently used entry', { timeout: 2000 }, () => {
    const fn = spy((k) => k.toUpperCase());
    const m = memoize(fn, { maxSize: 2 });
    const ran = () => fn.calls.map((c) => c.args[0]);
    m('a');
    m('b');
    m('a'); // hit: 'a' is now the most recently used, 'b' the least
    assert.deepEqual(ran(), ['a', 'b'], 'a repeated key within maxSize must be served from the cache');
    m('c'); // full: must evict 'b'
    m('a');
    assert.deepEqual(ran(), ['a', 'b', 'c'], "adding 'c' must evict 'b' (least recently used), not 'a' which was just read — a cache hit must count as a use");
    m('b');
    assert.deepEqual(ran(), ['a', 'b', 'c', 'b'], "'b' was evicted, so it must be computed again");
    m('a');
    assert.deepEqual(ran(), ['a', 'b', 'c', 'b'], "after storing 'b' the cache holds 'a' and 'b' ('c' was least recently used), so 'a' must still be cached");
    m('c');
    assert.deepEqual(ran(), ['a', 'b', 'c', 'b', 'c'], "'c' was evicted when 'b' came back, so it must be computed again — the cache must never hold more than maxSize entries");
  });
});
