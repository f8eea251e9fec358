'use strict';
// The implementation, in CommonJS so that both `require` and `import` can load it.

// TODO: load ./codes.json (CommonJS can simply require it).

function statusText(code) {
  // TODO: the text for a known code (number or digit string), otherwise null.
  throw new Error('TODO: implement statusText');
}

class HttpError extends Error {
  constructor(status, message) {
    // TODO: message defaults to the status text, or `HTTP <status>` when unknown;
    // set `name` and `status`.
    super(message);
  }
}

module.exports = { statusText, HttpError };
