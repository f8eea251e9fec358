// Checks the report against live os/process readings taken just before and just after
// the learner's call, so values that move (free memory, rss, uptime) are bounded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import { importExercise, requireExport } from './support.mjs';

const mod = await importExercise('report.js');
const systemReport = requireExport(mod, 'systemReport', 'function', 'report.js');
const formatBytes = requireExport(mod, 'formatBytes', 'function', 'report.js');

const MiB = 1024 * 1024;

function report() {
  const r = systemReport();
  assert.ok(typeof r?.then !== 'function', 'systemReport() must return the report itself, not a Promise: every os/process reading it needs is synchronous');
  assert.ok(r && typeof r === 'object' && !Array.isArray(r), `systemReport() must return a plain object (got ${r === null ? 'null' : typeof r})`);
  return r;
}

/** Calls systemReport() between two readings of `read()`. */
function around(read) {
  const before = read();
  const r = report();
  const after = read();
  return { r, before, after };
}

const decimalsOk = (value, decimals) => {
  const scaled = value * 10 ** decimals;
  return Math.abs(scaled - Math.round(scaled)) < 1e-6;
};

/** `value` is `exact` rounded to `decimals` (any correct rounding: Math.round or toFixed). */
function assertRounded(value, exact, decimals, name, how) {
  assert.equal(typeof value, 'number', `${name} must be a number (got ${typeof value} ${JSON.stringify(value)}): toFixed() returns a string; use Math.round(x * 10) / 10`);
  assert.ok(decimalsOk(value, decimals), `${name} must be rounded to ${decimals} decimal${decimals > 1 ? 's' : ''} (got ${value})`);
  assert.ok(
    Math.abs(value - exact) <= 0.5 * 10 ** -decimals + 1e-9,
    `${name} must be ${how} = ${exact} rounded to ${decimals} decimal${decimals > 1 ? 's' : ''}, got ${value}`,
  );
}

function assertBetween(value, low, high, name, nudge) {
  assert.equal(typeof value, 'number', `${name} must be a number (got ${typeof value} ${JSON.stringify(value)})`);
  assert.ok(value >= low && value <= high, `${name} = ${value} is outside the live readings taken around the call [${low}, ${high}]. ${nudge}`);
}

const sameKeys = (object, keys, where) =>
  assert.deepEqual(
    Object.keys(object ?? {}).sort(),
    [...keys].sort(),
    `${where} must have exactly the keys ${keys.join(', ')} (check the spelling and nesting against the README)`,
  );

test('returns exactly the documented shape, JSON-serialisable and with typed values', { timeout: 2000 }, () => {
  const r = report();
  sameKeys(r, ['platform', 'arch', 'nodeVersion', 'cpuCount', 'uptimeSeconds', 'loadAverage', 'memory', 'process'], 'the report');
  sameKeys(r.memory, ['totalBytes', 'freeBytes', 'usedBytes', 'totalMiB', 'freeMiB', 'usedMiB', 'usedPercent'], 'report.memory');
  sameKeys(r.process, ['pid', 'uptimeMs', 'rssBytes', 'heapUsedBytes', 'rssMiB', 'heapUsedMiB'], 'report.process');
  for (const key of ['platform', 'arch', 'nodeVersion']) {
    assert.equal(typeof r[key], 'string', `report.${key} must be a string (got ${typeof r[key]})`);
  }
  const numbers = [
    ['cpuCount', r.cpuCount],
    ['uptimeSeconds', r.uptimeSeconds],
    ...Object.entries(r.memory).map(([k, v]) => [`memory.${k}`, v]),
    ...Object.entries(r.process).map(([k, v]) => [`process.${k}`, v]),
  ];
  for (const [name, value] of numbers) {
    assert.ok(typeof value === 'number' && Number.isFinite(value), `report.${name} must be a finite number (got ${typeof value} ${String(value)})`);
  }
  assert.ok(Array.isArray(r.loadAverage) && r.loadAverage.length === 3, `report.loadAverage must be an array of 3 numbers (1, 5 and 15 minutes), got ${JSON.stringify(r.loadAverage)}`);
  assert.deepEqual(JSON.parse(JSON.stringify(r)), r, 'the report must survive JSON.stringify unchanged: no undefined, NaN, BigInt, Date or functions');
});

test('reports platform, arch, Node version without the "v", and pid', { timeout: 2000 }, () => {
  const r = report();
  assert.equal(r.platform, os.platform(), 'platform comes from os.platform()');
  assert.equal(r.arch, os.arch(), 'arch comes from os.arch()');
  assert.equal(
    r.nodeVersion,
    process.versions.node,
    `nodeVersion must be ${process.versions.node}, got ${JSON.stringify(r.nodeVersion)}${String(r.nodeVersion).startsWith('v') ? ': process.version has a leading "v"; process.versions.node does not' : ''}`,
  );
  assert.equal(r.process.pid, process.pid, 'process.pid is the id of this process');
});

test('reports cpuCount from os.availableParallelism()', { timeout: 2000 }, () => {
  const r = report();
  assert.equal(r.cpuCount, os.availableParallelism(), 'cpuCount must be os.availableParallelism(): the CPUs this process may actually use, not a list of them');
  assert.ok(Number.isInteger(r.cpuCount) && r.cpuCount >= 1, `cpuCount must be a positive integer, got ${r.cpuCount}`);
});

test('reports the machine uptime in whole seconds', { timeout: 2000 }, () => {
  const { r, before, after } = around(() => os.uptime());
  assert.ok(Number.isInteger(r.uptimeSeconds), `uptimeSeconds must be whole seconds (got ${r.uptimeSeconds}): round os.uptime() down with Math.floor`);
  assertBetween(r.uptimeSeconds, Math.floor(before), Math.floor(after), 'uptimeSeconds', 'os.uptime() is already in seconds (process.uptime() is the process, not the machine).');
});

test('reports the 1, 5 and 15 minute load averages rounded to 2 decimals', { timeout: 2000 }, () => {
  const { r, before, after } = around(() => os.loadavg());
  r.loadAverage.forEach((value, i) => {
    const name = `loadAverage[${i}] (${[1, 5, 15][i]} minutes)`;
    assert.equal(typeof value, 'number', `${name} must be a number (got ${typeof value} ${JSON.stringify(value)}): toFixed() returns a string`);
    assert.ok(decimalsOk(value, 2), `${name} must be rounded to 2 decimals (got ${value})`);
    const low = Math.min(before[i], after[i]) - 0.005 - 1e-9;
    const high = Math.max(before[i], after[i]) + 0.005 + 1e-9;
    assertBetween(value, low, high, name, 'Take os.loadavg() in its order: 1, 5, then 15 minutes. A load average is not a percentage.');
  });
});

test('reports system memory in bytes from os.totalmem() and os.freemem()', { timeout: 2000 }, () => {
  const { r, before, after } = around(() => os.freemem());
  const { totalBytes, freeBytes, usedBytes } = r.memory;
  assert.equal(totalBytes, os.totalmem(), 'memory.totalBytes is os.totalmem(), already in bytes');
  const slack = 64 * MiB;
  assertBetween(freeBytes, Math.min(before, after) - slack, Math.max(before, after) + slack, 'memory.freeBytes', 'Use os.freemem() as it is: bytes, not KiB or MiB.');
  assert.ok(Number.isInteger(freeBytes), `memory.freeBytes must be whole bytes, got ${freeBytes}`);
  assert.equal(usedBytes, totalBytes - freeBytes, `memory.usedBytes must be totalBytes - freeBytes from the same readings (${totalBytes} - ${freeBytes} = ${totalBytes - freeBytes}), got ${usedBytes}: read os.freemem() once`);
});

test('derives MiB and usedPercent as numbers rounded to 1 decimal', { timeout: 2000 }, () => {
  const { memory } = report();
  assertRounded(memory.totalMiB, memory.totalBytes / MiB, 1, 'memory.totalMiB', 'totalBytes / 1024 / 1024');
  assertRounded(memory.freeMiB, memory.freeBytes / MiB, 1, 'memory.freeMiB', 'freeBytes / 1024 / 1024');
  assertRounded(memory.usedMiB, memory.usedBytes / MiB, 1, 'memory.usedMiB', 'usedBytes / 1024 / 1024');
  assertRounded(memory.usedPercent, (memory.usedBytes / memory.totalBytes) * 100, 1, 'memory.usedPercent', 'usedBytes / totalBytes * 100');
});

test('reports this process: rss and heap used in bytes and MiB', { timeout: 2000 }, () => {
  const { r, before, after } = around(() => process.memoryUsage());
  const slack = 16 * MiB;
  const p = r.process;
  assertBetween(p.rssBytes, Math.min(before.rss, after.rss) - slack, Math.max(before.rss, after.rss) + slack, 'process.rssBytes', 'Use process.memoryUsage().rss, in bytes: the memory of this process, not of the machine.');
  assertBetween(p.heapUsedBytes, Math.min(before.heapUsed, after.heapUsed) - slack, Math.max(before.heapUsed, after.heapUsed) + slack, 'process.heapUsedBytes', 'Use process.memoryUsage().heapUsed, in bytes.');
  assert.ok(p.heapUsedBytes < p.rssBytes, `heapUsedBytes (${p.heapUsedBytes}) should be below rssBytes (${p.rssBytes}): the JS heap lives inside the resident set`);
  assertRounded(p.rssMiB, p.rssBytes / MiB, 1, 'process.rssMiB', 'rssBytes / 1024 / 1024');
  assertRounded(p.heapUsedMiB, p.heapUsedBytes / MiB, 1, 'process.heapUsedMiB', 'heapUsedBytes / 1024 / 1024');
});

test('reports the process uptime in whole milliseconds', { timeout: 2000 }, () => {
  const { r, before, after } = around(() => process.uptime());
  const { uptimeMs } = r.process;
  assert.ok(Number.isInteger(uptimeMs), `process.uptimeMs must be whole milliseconds (got ${uptimeMs}): Math.round(process.uptime() * 1000)`);
  assertBetween(uptimeMs, Math.round(before * 1000), Math.round(after * 1000), 'process.uptimeMs', 'process.uptime() is in seconds (with a fraction): multiply by 1000.');
});

const cases = (list) => {
  const wrong = list.filter(([n, want]) => {
    try {
      return formatBytes(n) !== want;
    } catch {
      return true;
    }
  });
  const show = ([n, want]) => {
    let got;
    try {
      got = JSON.stringify(formatBytes(n));
    } catch (error) {
      got = `threw ${error.name}: ${error.message}`;
    }
    return `formatBytes(${n}) should be "${want}", got ${got}`;
  };
  return wrong.map(show);
};

test('formatBytes shows counts below 1024 as whole bytes', { timeout: 2000 }, () => {
  const wrong = cases([[0, '0 B'], [1, '1 B'], [512, '512 B'], [1023, '1023 B']]);
  if (wrong.length) assert.fail(`${wrong.join('\n')}\nBelow 1024 there is no unit to convert to: "<n> B".`);
});

test('formatBytes uses binary units with one decimal and drops a trailing .0', { timeout: 2000 }, () => {
  const wrong = cases([
    [1024, '1 KiB'],
    [1536, '1.5 KiB'],
    [1075, '1 KiB'],
    [1076, '1.1 KiB'],
    [1280, '1.3 KiB'],
    [10 * 1024, '10 KiB'],
    [1048473, '1023.9 KiB'],
    [1024 ** 2, '1 MiB'],
    [1.5 * 1024 ** 2, '1.5 MiB'],
    [1024 ** 3, '1 GiB'],
    [5.25 * 1024 ** 4, '5.3 TiB'],
    [1024 ** 5, '1 PiB'],
  ]);
  if (wrong.length) assert.fail(`${wrong.join('\n')}\nDivide by 1024 per step (KiB, MiB, GiB, TiB, PiB), round half up to one decimal (1.05 → 1.1, 1.04 → 1), and show 1.0 as "1".`);
});

test('formatBytes rolls over to the next unit when rounding reaches 1024, and stops at PiB', { timeout: 2000 }, () => {
  const wrong = cases([
    [1048575, '1 MiB'],
    [1024 ** 3 - 1, '1 GiB'],
    [1024 ** 4 - 1, '1 TiB'],
    [2 ** 60, '1024 PiB'],
    [1536 * 1024 ** 5, '1536 PiB'],
  ]);
  if (wrong.length) assert.fail(`${wrong.join('\n')}\nPick the unit after rounding: 1023.99 KiB rounds to 1024, which must read "1 MiB". PiB is the largest unit; bigger counts stay in PiB.`);
});

test('formatBytes throws TypeError for non-numbers and RangeError for bad numbers', { timeout: 2000 }, () => {
  for (const bad of ['1024', null, undefined, 1024n, {}]) {
    assert.throws(() => formatBytes(bad), TypeError, `formatBytes(${typeof bad === 'bigint' ? '1024n' : JSON.stringify(bad) ?? 'undefined'}) must throw a TypeError: it is not a number`);
  }
  for (const bad of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, -Number.POSITIVE_INFINITY]) {
    assert.throws(() => formatBytes(bad), RangeError, `formatBytes(${bad}) must throw a RangeError: a byte count is a non-negative integer`);
  }
});
