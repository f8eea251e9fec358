// Runs one snippet of the learner's snippets.js the way the README describes: in this
// fresh process, from inside an I/O callback, and prints the labels it logged as JSON
// once the event loop has nothing left to do.
import { readFile, writeSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const [file, name] = process.argv.slice(2);
const snippets = await import(pathToFileURL(file).href);
const logged = [];
readFile(file, () => snippets[name]((label) => logged.push(String(label))));
// A synchronous write: an 'exit' handler cannot wait for an asynchronous pipe.
process.on('exit', () => writeSync(1, JSON.stringify(logged)));
