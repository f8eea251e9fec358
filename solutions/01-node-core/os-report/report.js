import os from 'node:os';

const MiB = 1024 * 1024;
const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

// Math.round keeps a number; toFixed would hand dashboards a string.
const round = (value, decimals) => Math.round(value * 10 ** decimals) / 10 ** decimals;
const toMiB = (bytes) => round(bytes / MiB, 1);

export function systemReport() {
  const totalBytes = os.totalmem();
  const freeBytes = os.freemem();
  const usedBytes = totalBytes - freeBytes;
  const { rss, heapUsed } = process.memoryUsage();

  return {
    platform: os.platform(),
    arch: os.arch(),
    nodeVersion: process.versions.node,
    cpuCount: os.availableParallelism(),
    uptimeSeconds: Math.floor(os.uptime()),
    loadAverage: os.loadavg().map((load) => round(load, 2)),
    memory: {
      totalBytes,
      freeBytes,
      usedBytes,
      totalMiB: toMiB(totalBytes),
      freeMiB: toMiB(freeBytes),
      usedMiB: toMiB(usedBytes),
      usedPercent: round((usedBytes / totalBytes) * 100, 1),
    },
    process: {
      pid: process.pid,
      uptimeMs: Math.round(process.uptime() * 1000),
      rssBytes: rss,
      heapUsedBytes: heapUsed,
      rssMiB: toMiB(rss),
      heapUsedMiB: toMiB(heapUsed),
    },
  };
}

export function formatBytes(n) {
  if (typeof n !== 'number') throw new TypeError(`formatBytes expects a number, got ${typeof n}`);
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`formatBytes expects a non-negative integer, got ${n}`);
  if (n < 1024) return `${n} B`;

  let unit = Math.min(Math.floor(Math.log(n) / Math.log(1024)), UNITS.length - 1);
  let value = round(n / 1024 ** unit, 1);
  // 1048575 B is 1023.999 KiB, which rounds to 1024: show it as 1 MiB instead.
  if (value >= 1024 && unit < UNITS.length - 1) {
    unit += 1;
    value = round(n / 1024 ** unit, 1);
  }
  return `${value} ${UNITS[unit]}`;
}
