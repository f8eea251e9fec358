import express from 'express';
import { createPostController } from './controller.js';

/** A small server-rendered blog. Returns an Express app that is not listening. */
export function createApp({ model }) {
  const app = express();
  // TODO: parse HTML form bodies, and route GET /, GET /posts/:id and
  //       POST /posts/:id/comments to the controller's handlers.
  return app;
}
