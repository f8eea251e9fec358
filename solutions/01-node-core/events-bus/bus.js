import { EventEmitter } from 'node:events';

function codedError(code, message) {
  return Object.assign(new Error(message), { code });
}

/**
 * Creates an event bus that only accepts the event names in `events` (plus 'error').
 *
 * @param {{ events: string[], onError?: (error: unknown) => void }} options
 */
export function createBus({ events, onError } = {}) {
  if (!Array.isArray(events)) throw new TypeError('createBus: `events` must be an array of names');
  const allowed = new Set([...events, 'error']);
  // Wrapped rather than extended: our `once` returns a promise, and EventEmitter's own
  // callers (events.once, streams) expect `once(name, listener)`.
  const emitter = new EventEmitter();

  function check(name) {
    if (!allowed.has(name)) {
      throw codedError('ERR_UNKNOWN_EVENT', `unknown event "${String(name)}" (allowed: ${[...allowed].join(', ')})`);
    }
  }

  return {
    on(name, listener) {
      check(name);
      emitter.on(name, listener);
      return this;
    },

    off(name, listener) {
      emitter.off(name, listener);
      return this;
    },

    emit(name, payload) {
      check(name);
      if (name === 'error' && emitter.listenerCount('error') === 0 && onError) {
        onError(payload);
        return false;
      }
      return emitter.emit(name, payload);
    },

    listenerCount(name) {
      return emitter.listenerCount(name);
    },

    once(name, { timeoutMs, signal } = {}) {
      return new Promise((resolve, reject) => {
        check(name);
        signal?.throwIfAborted();

        let timer;
        const cleanup = () => {
          emitter.off(name, onEvent);
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
        };
        const onEvent = (payload) => {
          cleanup();
          resolve(payload);
        };
        const onAbort = () => {
          cleanup();
          reject(signal.reason);
        };

        emitter.on(name, onEvent);
        signal?.addEventListener('abort', onAbort, { once: true });
        if (timeoutMs !== undefined) {
          timer = setTimeout(() => {
            cleanup();
            reject(codedError('ERR_BUS_TIMEOUT', `timed out after ${timeoutMs} ms waiting for "${name}"`));
          }, timeoutMs);
        }
      });
    },
  };
}
