export function defer(fn) {
  if (typeof fn !== 'function') {
    return Promise.reject(new TypeError(`defer(fn) expects a function, got ${typeof fn}`));
  }
  return new Promise((resolve, reject) => {
    // setImmediate runs on the check phase: after every pending tick and microtask,
    // and (from an I/O callback) before the next timers phase.
    setImmediate(() => {
      try {
        resolve(fn());
      } catch (error) {
        reject(error);
      }
    });
  });
}
