export const answers = {
  // Sync code first; then the whole nextTick queue, then the microtask queue (promises
  // and queueMicrotask share it, FIFO); from an I/O callback the check phase
  // (setImmediate) comes before the next timers phase.
  snippetA: ['sync 1', 'sync 2', 'nextTick', 'promise', 'microtask', 'immediate', 'timeout'],
  // The nextTick queue drains completely (even ticks added meanwhile) before promise
  // jobs; a tick queued from a promise job waits until the microtask queue is empty.
  snippetB: [
    'tick 1',
    'tick from tick 1',
    'promise 1',
    'promise from tick 1',
    'promise from promise 1',
    'tick from promise 1',
  ],
  // Code before the first await runs synchronously; each await and each .then costs one
  // microtask turn, so independent chains interleave.
  snippetC: ['before', 'load start', 'after', 'load after await', 'chain 1', 'loaded data', 'chain 2', 'chain 3'],
  // Since Node 11, ticks and microtasks run between individual timer and immediate
  // callbacks, not only between phases.
  snippetD: ['immediate 1', 'tick in immediate 1', 'immediate 2', 'timeout 1', 'promise in timeout 1', 'timeout 2'],
  // emit() calls listeners synchronously; the Promise executor runs synchronously too.
  snippetE: ['executor', 'listener sync', 'end', 'listener promise', 'then', 'listener immediate'],
};
