'use strict';
const codes = require('./codes.json');

function statusText(code) {
  return Object.hasOwn(codes, String(code)) ? codes[String(code)] : null;
}

class HttpError extends Error {
  constructor(status, message = statusText(status) ?? `HTTP ${status}`) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
  }
}

module.exports = { statusText, HttpError };
