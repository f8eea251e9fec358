import os from 'node:os';

/** A snapshot of the machine and this process, in the units the README documents. */
export function systemReport() {
  // TODO: read os and process and build the documented shape.
  throw new Error('TODO: implement systemReport()');
}

/** A short binary-unit label for a byte count: 1536 → "1.5 KiB". */
export function formatBytes(n) {
  // TODO: validate n, pick the unit, round to one decimal.
  throw new Error('TODO: implement formatBytes()');
}
