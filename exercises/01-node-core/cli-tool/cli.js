#!/usr/bin/env node
// Usage: node cli.js <command> [options] [file...]   (see README.md for the full contract)
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';

const USAGE = `Usage: node cli.js <command> [options] [file...]

Commands:
  wc [-l] [-w] [-c] [file...]                    count lines, words and bytes
  grep [-i] [-v] [-n] [-c] <pattern> [file...]   print lines matching a regular expression

Reads standard input when no file is given.
Exit status: 0 success or a line selected, 1 no line selected, 2 usage error or unreadable file.
`;

async function main(argv) {
  // TODO: pick the command (argv[0]), handle --help / -h, then parse the rest with
  //       parseArgs({ args, options, allowPositionals: true }) using that command's options.
  // TODO: wc — count lines, words and bytes chunk by chunk (for await over the stream).
  // TODO: grep — read line by line (readline), print selected lines as they arrive.
  // Return the exit code: 0, 1 (grep selected nothing) or 2 (usage error, unreadable file).
  throw new Error('TODO: implement the CLI');
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`cli.js: ${error.message}\n${USAGE}`);
  process.exitCode = 2;
}
