// Read these; do not edit them. The suite runs each snippet in a fresh Node process,
// calling it from inside an I/O callback (the callback of `fs.readFile`, just like a
// request handler), and `log(label)` appends the label to a list. Your job is to say
// in answers.js what that list holds once everything has run.
import { EventEmitter } from 'node:events';

export function snippetA(log) {
  log('sync 1');
  setTimeout(() => log('timeout'), 0);
  setImmediate(() => log('immediate'));
  Promise.resolve().then(() => log('promise'));
  process.nextTick(() => log('nextTick'));
  queueMicrotask(() => log('microtask'));
  log('sync 2');
}

export function snippetB(log) {
  Promise.resolve().then(() => {
    log('promise 1');
    process.nextTick(() => log('tick from promise 1'));
    Promise.resolve().then(() => log('promise from promise 1'));
  });
  process.nextTick(() => {
    log('tick 1');
    Promise.resolve().then(() => log('promise from tick 1'));
    process.nextTick(() => log('tick from tick 1'));
  });
}

export function snippetC(log) {
  async function load() {
    log('load start');
    await null;
    log('load after await');
    return 'data';
  }
  log('before');
  load().then((value) => log(`loaded ${value}`));
  Promise.resolve()
    .then(() => log('chain 1'))
    .then(() => log('chain 2'))
    .then(() => log('chain 3'));
  log('after');
}

export function snippetD(log) {
  setTimeout(() => {
    log('timeout 1');
    Promise.resolve().then(() => log('promise in timeout 1'));
  }, 0);
  setTimeout(() => log('timeout 2'), 0);
  setImmediate(() => {
    log('immediate 1');
    process.nextTick(() => log('tick in immediate 1'));
  });
  setImmediate(() => log('immediate 2'));
}

export function snippetE(log) {
  const bus = new EventEmitter();
  bus.on('job', (source) => log(`listener ${source}`));
  setImmediate(() => bus.emit('job', 'immediate'));
  Promise.resolve().then(() => bus.emit('job', 'promise'));
  new Promise((resolve) => {
    log('executor');
    resolve();
  }).then(() => log('then'));
  bus.emit('job', 'sync');
  log('end');
}
