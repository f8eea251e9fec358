import { EventEmitter } from 'node:events';

/**
 * Creates an event bus that only accepts the event names in `events` (plus 'error').
 *
 * @param {{ events: string[], onError?: (error: unknown) => void }} options
 */
export function createBus({ events, onError } = {}) {
  const emitter = new EventEmitter();

  return {
    on(name, listener) {
      // TODO: refuse unknown names with an Error whose code is 'ERR_UNKNOWN_EVENT'.
      emitter.on(name, listener);
      return this;
    },

    off(name, listener) {
      emitter.off(name, listener);
      return this;
    },

    emit(name, payload) {
      // TODO: refuse unknown names; route 'error' events with no listener to onError.
      throw new Error('TODO: implement emit');
    },

    listenerCount(name) {
      return emitter.listenerCount(name);
    },

    once(name, { timeoutMs, signal } = {}) {
      // TODO: resolve with the next payload; reject with ERR_BUS_TIMEOUT after timeoutMs
      // and with signal.reason on abort; remove every listener and timer in all cases.
      return Promise.reject(new Error('TODO: implement once'));
    },
  };
}
