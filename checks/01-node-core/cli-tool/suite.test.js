import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { access, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exercisePath, runNode, runProcess, seededRandom, tempDir } from './support.mjs';

const CLI = exercisePath('cli.js');
try {
  await access(CLI);
} catch {
  throw new Error('cli.js not found in the exercise folder: write your CLI in cli.js');
}

// Fixture files, shared read-only by every test.
const dir = await tempDir('roadmap-cli-');
const NOTES = 'The quick  brown fox\njumps\tover the lazy dog\r\n\nnaïve café — déjà vu\n  no newline at the end  ';
const APP_LOG = [
  'INFO server started',
  'ERROR disk full',
  'ERROR disk still full',
  'warn low memory',
  'error retrying upload',
  'INFO request done',
  'ERROR timeout after 30s',
  '',
].join('\n');
const OTHER_LOG = 'INFO nothing here\nError: boom'; // no final newline
await writeFile(join(dir, 'notes.txt'), NOTES);
await writeFile(join(dir, 'app.log'), APP_LOG);
await writeFile(join(dir, 'other.log'), OTHER_LOG);

// Runs the learner's CLI in the fixture folder, so file names stay short (app.log).
const cli = (args, options = {}) => runNode(CLI, args, { cwd: dir, timeoutMs: 5000, ...options });

function show(args, result, input) {
  const cut = (text) => (text.length > 400 ? `${text.slice(0, 400)}…` : text);
  return [
    `$ node cli.js ${args.join(' ')}${input === undefined ? '' : ` < (${Buffer.byteLength(input)} bytes of stdin)`}`,
    `exit code: ${result.timedOut ? 'none (killed after the time limit)' : result.code}`,
    `stdout: ${JSON.stringify(cut(result.stdout))}`,
    `stderr: ${JSON.stringify(cut(result.stderr))}`,
  ].join('\n');
}

// Independent reference counts: latin1 maps every byte to one character.
function counts(buffer) {
  const text = Buffer.from(buffer).toString('latin1');
  return {
    lines: (text.match(/\n/g) ?? []).length,
    words: text.split(/[ \t\n\r\v\f]+/).filter(Boolean).length,
    bytes: Buffer.byteLength(buffer),
  };
}

test('--help prints the usage to stdout and exits 0, with or without a command', { timeout: 8000 }, async () => {
  const cases = [['--help'], ['-h'], ['wc', '--help'], ['grep', '--help']];
  const results = await Promise.all(cases.map((args) => cli(args)));
  cases.forEach((args, i) => {
    const result = results[i];
    assert.equal(result.code, 0, `help is a success, not an error: exit 0\n${show(args, result)}`);
    assert.match(result.stdout, /Usage/, `the help text goes to stdout and contains "Usage"\n${show(args, result)}`);
    assert.equal(result.stderr, '', `--help writes nothing to stderr\n${show(args, result)}`);
  });
});

test('wc prints lines, words and bytes followed by the file name', { timeout: 5000 }, async () => {
  const args = ['wc', 'notes.txt'];
  const result = await cli(args);
  const c = counts(NOTES);
  assert.equal(result.code, 0, `wc on a readable file exits 0\n${show(args, result)}`);
  assert.equal(
    result.stdout,
    `${c.lines} ${c.words} ${c.bytes} notes.txt\n`,
    `expected "${c.lines} ${c.words} ${c.bytes} notes.txt": lines = number of \\n, words = runs of non-whitespace, bytes = UTF-8 bytes (é is 2 bytes, — is 3), one space between fields\n${show(args, result)}`,
  );
});

test('wc flags choose the counts, always printed in the order lines, words, bytes', { timeout: 8000 }, async () => {
  const c = counts(NOTES);
  const cases = [
    [['wc', '-w', '-l', 'notes.txt'], `${c.lines} ${c.words} notes.txt\n`],
    [['wc', '-c', 'notes.txt'], `${c.bytes} notes.txt\n`],
    [['wc', '-cl', 'notes.txt'], `${c.lines} ${c.bytes} notes.txt\n`],
  ];
  const results = await Promise.all(cases.map(([args]) => cli(args)));
  cases.forEach(([args, expected], i) => {
    assert.equal(results[i].stdout, expected, `expected ${JSON.stringify(expected)}: only the chosen counts, lines before words before bytes whatever the flag order\n${show(args, results[i])}`);
  });
});

test('wc reads stdin when no file is given and counts bytes, not characters', { timeout: 5000 }, async () => {
  const input = 'héllo wörld\n→ next\n';
  const c = counts(input);
  const args = ['wc', '-lc'];
  const result = await cli(args, { input });
  assert.equal(result.code, 0, `wc on stdin exits 0\n${show(args, result, input)}`);
  assert.equal(result.stdout, `${c.lines} ${c.bytes}\n`, `expected "${c.lines} ${c.bytes}" with no file name for stdin; "héllo wörld\\n→ next\\n" is ${c.bytes} bytes but only ${input.length} characters\n${show(args, result, input)}`);
});

test('wc with several files adds a total line', { timeout: 5000 }, async () => {
  const args = ['wc', 'notes.txt', 'app.log', 'other.log'];
  const result = await cli(args);
  const [a, b, c] = [counts(NOTES), counts(APP_LOG), counts(OTHER_LOG)];
  const expected = [
    `${a.lines} ${a.words} ${a.bytes} notes.txt`,
    `${b.lines} ${b.words} ${b.bytes} app.log`,
    `${c.lines} ${c.words} ${c.bytes} other.log`,
    `${a.lines + b.lines + c.lines} ${a.words + b.words + c.words} ${a.bytes + b.bytes + c.bytes} total`,
    '',
  ].join('\n');
  assert.equal(result.stdout, expected, `one line per file in argument order, then the sums named "total"\n${show(args, result)}`);
  assert.equal(result.code, 0, `exit 0 when every file was read\n${show(args, result)}`);
});

test('wc streams 50 MB of stdin with exact counts and bounded memory', { timeout: 30_000 }, async () => {
  // About 1 MB of seeded text with multi-byte characters, repeated: the pipe delivers it in
  // chunks that split words and characters at arbitrary places.
  const random = seededRandom();
  const vocabulary = ['log', 'request', 'naïve', 'café', '日本語', '→', '🚀', 'a', 'upload', 'zürich'];
  const separators = [' ', ' ', ' ', '  ', '\t', '\n', '\r\n'];
  let text = '';
  while (text.length < 800_000) {
    text += vocabulary[Math.floor(random() * vocabulary.length)] + separators[Math.floor(random() * separators.length)];
  }
  const block = Buffer.from(`${text}\n`);
  const repeat = 48;
  const input = Buffer.concat(Array.from({ length: repeat }, () => block));
  const one = counts(block);
  const expected = `${one.lines * repeat} ${one.words * repeat} ${one.bytes * repeat}\n`;
  const megabytes = (bytes) => bytes / 2 ** 20;

  const probe = ['--expose-gc', '--single-threaded-gc', '--import', new URL('./memory-probe.mjs', import.meta.url).href];
  const sink = fileURLToPath(new URL('./stdin-sink.mjs', import.meta.url));
  const options = { cwd: dir, input, timeoutMs: 25_000 };
  const baseline = await runProcess(process.execPath, [...probe, sink], options);
  const result = await runProcess(process.execPath, [...probe, CLI, 'wc'], options);
  const peak = (run) => megabytes(Number(/@@live-peak=(\d+)/.exec(run.stderr)?.[1]));
  const clean = { ...result, stderr: result.stderr.replace(/\n?@@live-peak=\d+\n/, '') };

  assert.equal(result.timedOut, false, `wc did not finish ${input.length} bytes of stdin within 25 s\n${show(['wc'], clean, input)}`);
  assert.equal(result.stdout, expected, `wrong counts for ${input.length} bytes of stdin: keep the "inside a word" state from one chunk to the next, and count bytes from the Buffers (a chunk decoded on its own can end in half a character)\n${show(['wc'], clean, input)}`);
  assert.ok(Number.isFinite(peak(baseline)) && Number.isFinite(peak(result)), `could not read the memory use of the runs\n${show(['wc'], clean, input)}`);
  const allowed = peak(baseline) + megabytes(input.length) * 0.4;
  assert.ok(
    peak(result) <= allowed,
    `wc held up to ${peak(result).toFixed(1)} MB in memory; a process that reads the same ${megabytes(input.length).toFixed(0)} MB chunk by chunk held ${peak(baseline).toFixed(1)} MB (limit ${allowed.toFixed(1)} MB). The input was kept in memory: count each chunk as it arrives and keep nothing from it.`,
  );
});

test('grep prints the lines matching a regular expression and exits 0', { timeout: 8000 }, async () => {
  const cases = [
    [['grep', 'ERROR', 'app.log'], 'ERROR disk full\nERROR disk still full\nERROR timeout after 30s\n'],
    [['grep', '^ERROR (disk s|t)', 'app.log'], 'ERROR disk still full\nERROR timeout after 30s\n'],
    [['grep', 'boom', 'other.log'], 'Error: boom\n'],
  ];
  const results = await Promise.all(cases.map(([args]) => cli(args)));
  cases.forEach(([args, expected], i) => {
    assert.equal(results[i].stdout, expected, `expected every matching line, in order, each ending in \\n (a pattern is a RegExp: no "g" flag, or test() skips every other line)\n${show(args, results[i])}`);
    assert.equal(results[i].code, 0, `exit 0 when a line matched\n${show(args, results[i])}`);
  });
});

test('grep exits 1 and prints nothing when no line matches', { timeout: 8000 }, async () => {
  const cases = [
    [['grep', 'CRITICAL', 'app.log'], ''],
    [['grep', '-c', 'CRITICAL', 'app.log'], '0\n'],
  ];
  const results = await Promise.all(cases.map(([args]) => cli(args)));
  cases.forEach(([args, expected], i) => {
    assert.equal(results[i].code, 1, `no selected line means exit code 1 (not 0, not 2)\n${show(args, results[i])}`);
    assert.equal(results[i].stdout, expected, `expected ${JSON.stringify(expected)} on stdout\n${show(args, results[i])}`);
    assert.equal(results[i].stderr, '', `no match is not an error: nothing on stderr\n${show(args, results[i])}`);
  });
});

test('grep -i, -v, -n and -c work alone and combined', { timeout: 8000 }, async () => {
  const cases = [
    [['grep', '-i', 'error', 'app.log'], 'ERROR disk full\nERROR disk still full\nerror retrying upload\nERROR timeout after 30s\n', '-i ignores case'],
    [['grep', '-v', 'INFO', 'app.log'], 'ERROR disk full\nERROR disk still full\nwarn low memory\nerror retrying upload\nERROR timeout after 30s\n', '-v selects the lines that do not match'],
    [['grep', '-n', 'ERROR', 'app.log'], '2:ERROR disk full\n3:ERROR disk still full\n7:ERROR timeout after 30s\n', '-n prefixes the 1-based line number and a colon'],
    [['grep', '-vn', 'ERROR|INFO', 'app.log'], '4:warn low memory\n5:error retrying upload\n', '-vn is -v and -n together'],
    [['grep', '-ic', 'error', 'app.log'], '4\n', '-c prints only the number of selected lines'],
    [['grep', '-c', '-v', 'ERROR', 'app.log'], '4\n', '-c -v counts the lines that do not match'],
  ];
  const results = await Promise.all(cases.map(([args]) => cli(args)));
  cases.forEach(([args, expected, why], i) => {
    assert.equal(results[i].stdout, expected, `${why}\n${show(args, results[i])}`);
    assert.equal(results[i].code, 0, `exit 0 when a line was selected\n${show(args, results[i])}`);
  });
});

test('grep over several files prefixes each line and count with the file name', { timeout: 8000 }, async () => {
  const cases = [
    [['grep', '-n', '-i', 'error', 'app.log', 'other.log'], 'app.log:2:ERROR disk full\napp.log:3:ERROR disk still full\napp.log:5:error retrying upload\napp.log:7:ERROR timeout after 30s\nother.log:2:Error: boom\n'],
    [['grep', '-c', 'INFO', 'app.log', 'other.log'], 'app.log:2\nother.log:1\n'],
  ];
  const results = await Promise.all(cases.map(([args]) => cli(args)));
  cases.forEach(([args, expected], i) => {
    assert.equal(results[i].stdout, expected, `with two or more files every output line starts with "<file>:"; line numbers restart at 1 in each file\n${show(args, results[i])}`);
    assert.equal(results[i].code, 0, `exit 0 when a line was selected\n${show(args, results[i])}`);
  });
});

test('grep prints a match from stdin before stdin ends', { timeout: 8000 }, async () => {
  const child = spawn(process.execPath, [CLI, 'grep', 'ERROR'], { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (text) => (stdout += text));
  child.stderr.setEncoding('utf8').on('data', (text) => (stderr += text));
  child.stdin.on('error', () => {});
  const exited = new Promise((resolve) => child.on('close', (code) => resolve(code)));
  try {
    child.stdin.write('INFO starting\nERROR disk full\n');
    const deadline = Date.now() + 4000;
    while (!stdout.includes('ERROR disk full') && Date.now() < deadline && child.exitCode === null) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.equal(
      stdout,
      'ERROR disk full\n',
      `with stdin still open, "ERROR disk full\\n" should be on stdout within 4 s; got ${JSON.stringify(stdout)}${stderr ? ` (stderr: ${JSON.stringify(stderr)})` : ''}. Read line by line and print each match at once instead of waiting for the end of the input.`,
    );
    child.stdin.end('INFO more\nERROR again\n');
    const code = await exited;
    assert.equal(stdout, 'ERROR disk full\nERROR again\n', 'after stdin closed, every match should have been printed');
    assert.equal(code, 0, `exit 0 when a line matched (stderr: ${JSON.stringify(stderr)})`);
  } finally {
    child.kill('SIGKILL');
  }
});

test('grep -c counts lines split across stdin chunks exactly', { timeout: 10_000 }, async () => {
  const random = seededRandom(7);
  const lines = [];
  let size = 0;
  let expected = 0;
  for (let id = 0; size < 6_000_000; id++) {
    const filler = 'x'.repeat(Math.floor(random() * 300));
    const error = random() < 0.35;
    if (error) expected++;
    const line = `level=${error ? 'error' : 'info'} id=${id} ${filler} done`;
    lines.push(line);
    size += line.length + 1;
  }
  const input = `${lines.join('\n')}\n`;
  const args = ['grep', '-c', '^level=error id=\\d+ x* done$'];
  const result = await cli(args, { input, timeoutMs: 9000 });
  assert.equal(result.stdout, `${expected}\n`, `${expected} of ${lines.length} lines match; a line cut in two by a chunk boundary must be joined again before matching (readline does this)\n${show(args, result, input)}`);
  assert.equal(result.code, 0, `exit 0 when lines matched\n${show(args, result, input)}`);
});

test('usage errors exit 2 with a message and Usage on stderr and nothing on stdout', { timeout: 8000 }, async () => {
  const cases = [
    [[], 'no command'],
    [['frobnicate', 'app.log'], 'an unknown command'],
    [['wc', '-x', 'notes.txt'], 'an unknown short option'],
    [['grep', '--nope', 'ERROR', 'app.log'], 'an unknown long option'],
    [['grep'], 'grep without a pattern'],
    [['grep', 'ERROR (', 'app.log'], 'an invalid regular expression'],
  ];
  const results = await Promise.all(cases.map(([args]) => cli(args, { input: 'ERROR (\n' })));
  cases.forEach(([args, what], i) => {
    const result = results[i];
    assert.equal(result.code, 2, `${what} is a usage error: exit code 2\n${show(args, result)}`);
    assert.equal(result.stdout, '', `${what}: nothing on stdout, it may be piped into another program\n${show(args, result)}`);
    assert.match(result.stderr, /usage/i, `${what}: stderr should explain the problem and show a Usage line\n${show(args, result)}`);
  });
});

test('a missing file is named on stderr, the other files are still read, exit 2', { timeout: 8000 }, async () => {
  const grepArgs = ['grep', 'ERROR', 'app.log', 'missing.log'];
  const wcArgs = ['wc', '-l', 'missing.log', 'notes.txt'];
  const [grep, wc] = await Promise.all([cli(grepArgs), cli(wcArgs)]);
  assert.equal(grep.code, 2, `an unreadable file makes the exit code 2, even when other files matched\n${show(grepArgs, grep)}`);
  assert.match(grep.stderr, /missing\.log/, `stderr should name the file that could not be read\n${show(grepArgs, grep)}`);
  assert.equal(grep.stdout, 'app.log:ERROR disk full\napp.log:ERROR disk still full\napp.log:ERROR timeout after 30s\n', `the readable file is still searched (two files given, so lines carry the file name)\n${show(grepArgs, grep)}`);
  assert.equal(wc.code, 2, `exit 2 when a file could not be read\n${show(wcArgs, wc)}`);
  assert.match(wc.stderr, /missing\.log/, `stderr should name the missing file\n${show(wcArgs, wc)}`);
  assert.match(wc.stdout, new RegExp(`^${counts(NOTES).lines} notes\\.txt$`, 'm'), `the readable file after the missing one is still counted\n${show(wcArgs, wc)}`);
  assert.doesNotMatch(wc.stdout, /missing\.log/, `no counts for a file that could not be read\n${show(wcArgs, wc)}`);
});
