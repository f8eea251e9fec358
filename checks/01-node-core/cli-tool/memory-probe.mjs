// Preloaded with `node --expose-gc --single-threaded-gc --import` into the process under
// test. It measures the memory still in use after a full garbage collection (JS heap plus
// Buffers) and reports the peak on stderr as the process exits. Peak RSS would also count
// garbage V8 has not collected yet; live memory shows what the code holds on to. (A
// single-threaded GC frees dead Buffers before `gc()` returns, so the numbers are stable.)
import { writeSync } from 'node:fs';

let peak = 0;
function sample() {
  globalThis.gc?.();
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  peak = Math.max(peak, heapUsed + arrayBuffers);
}

setInterval(sample, 25).unref();
// When stdin ends, a program that collected its input still holds all of it.
process.stdin.once('end', sample);
process.on('exit', () => {
  sample();
  try {
    writeSync(2, `\n@@live-peak=${peak}\n`);
  } catch {
    // stderr closed: the suite reports the missing number instead
  }
});
