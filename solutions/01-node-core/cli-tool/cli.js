#!/usr/bin/env node
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';

const USAGE = `Usage: node cli.js <command> [options] [file...]

Commands:
  wc [-l] [-w] [-c] [file...]            count lines, words and bytes
  grep [-i] [-v] [-n] [-c] <pattern> [file...]
                                         print lines matching a regular expression

wc options:
  -l, --lines         count lines
  -w, --words         count words
  -c, --bytes         count bytes
grep options:
  -i, --ignore-case   match case-insensitively
  -v, --invert-match  select lines that do not match
  -n, --line-number   prefix each line with its line number
  -c, --count         print only the number of selected lines
  -h, --help          show this help

Reads standard input when no file is given.
Exit status: 0 success or a line selected, 1 no line selected, 2 usage error or unreadable file.
`;

class UsageError extends Error {}

const help = { type: 'boolean', short: 'h' };
const COMMANDS = {
  wc: {
    options: { lines: { type: 'boolean', short: 'l' }, words: { type: 'boolean', short: 'w' }, bytes: { type: 'boolean', short: 'c' }, help },
    run: wc,
  },
  grep: {
    options: {
      'ignore-case': { type: 'boolean', short: 'i' },
      'invert-match': { type: 'boolean', short: 'v' },
      'line-number': { type: 'boolean', short: 'n' },
      count: { type: 'boolean', short: 'c' },
      help,
    },
    run: grep,
  },
};

let failed = false;
function reportUnreadable(name, error) {
  failed = true;
  process.stderr.write(`cli.js: ${name}: ${error.code === 'ENOENT' ? 'No such file or directory' : error.message}\n`);
}

// Yields [name, readable] for each input; stdin when no file is named.
function* inputs(files) {
  if (files.length === 0) yield [undefined, process.stdin];
  for (const file of files) yield [file, createReadStream(file)];
}

async function wc(values, files) {
  const all = !values.lines && !values.words && !values.bytes;
  const pick = (c) => [
    ...(all || values.lines ? [c.lines] : []),
    ...(all || values.words ? [c.words] : []),
    ...(all || values.bytes ? [c.bytes] : []),
  ];
  const total = { lines: 0, words: 0, bytes: 0 };
  for (const [name, stream] of inputs(files)) {
    let counts;
    try {
      counts = await countStream(stream);
    } catch (error) {
      reportUnreadable(name, error);
      continue;
    }
    for (const key in total) total[key] += counts[key];
    process.stdout.write(`${[...pick(counts), ...(name === undefined ? [] : [name])].join(' ')}\n`);
  }
  if (files.length > 1) process.stdout.write(`${[...pick(total), 'total'].join(' ')}\n`);
  return failed ? 2 : 0;
}

// Works on raw bytes so a word or a multi-byte character split across chunks is counted once.
async function countStream(stream) {
  let lines = 0;
  let words = 0;
  let bytes = 0;
  let inWord = false;
  for await (const chunk of stream) {
    bytes += chunk.length;
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i];
      if (byte === 0x0a) lines++;
      if (byte === 0x20 || (byte >= 0x09 && byte <= 0x0d)) inWord = false;
      else if (!inWord) {
        inWord = true;
        words++;
      }
    }
  }
  return { lines, words, bytes };
}

async function grep(values, positionals) {
  const [pattern, ...files] = positionals;
  if (pattern === undefined) throw new UsageError('missing pattern');
  let regex;
  try {
    // No 'g' flag: a global regex keeps lastIndex between test() calls and skips matches.
    regex = new RegExp(pattern, values['ignore-case'] ? 'i' : '');
  } catch (error) {
    throw new UsageError(`invalid pattern: ${error.message}`);
  }
  const prefixName = files.length > 1;
  let selectedAny = false;
  for (const [name, stream] of inputs(files)) {
    const prefix = prefixName ? `${name}:` : '';
    let count = 0;
    let lineNumber = 0;
    try {
      for await (const line of createInterface({ input: stream, crlfDelay: Infinity })) {
        lineNumber++;
        if (regex.test(line) === Boolean(values['invert-match'])) continue;
        count++;
        if (!values.count) process.stdout.write(`${prefix}${values['line-number'] ? `${lineNumber}:` : ''}${line}\n`);
      }
    } catch (error) {
      reportUnreadable(name, error);
      continue;
    }
    if (values.count) process.stdout.write(`${prefix}${count}\n`);
    if (count > 0) selectedAny = true;
  }
  if (failed) return 2;
  return selectedAny ? 0 : 1;
}

async function main([command, ...args]) {
  if (command === '--help' || command === '-h') {
    process.stdout.write(USAGE);
    return 0;
  }
  const spec = Object.hasOwn(COMMANDS, command ?? '') ? COMMANDS[command] : undefined;
  if (!spec) throw new UsageError(command === undefined ? 'missing command' : `unknown command "${command}"`);
  let parsed;
  try {
    parsed = parseArgs({ args, options: spec.options, allowPositionals: true });
  } catch (error) {
    throw new UsageError(error.message);
  }
  if (parsed.values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  return spec.run(parsed.values, parsed.positionals);
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  process.stderr.write(`cli.js: ${error.message}\n${USAGE.split('\n\n')[0]}\nTry 'node cli.js --help' for more.\n`);
  process.exitCode = 2;
}
