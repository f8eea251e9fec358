import express from 'express';
import { z } from 'zod';
import { createTaskStore } from './tasks.js';
import { sendValidationError, validate, validateNewTask } from './validation.js';

/** A small task API whose every input is validated. Returns an Express app that is not listening. */
export function createApp() {
  const app = express();
  const store = createTaskStore();

  // TODO: parse JSON bodies.

  // TODO: POST /api/tasks — validate the body BY HAND with validateNewTask(req.body).
  //       Invalid → sendValidationError(res, fields). Valid → 201 { data: store.create(value) }.

  // TODO: GET /api/tasks — a zod schema for the query (done, minPriority, tag, limit, offset),
  //       checked by validate({ query: ... }); answer 200 { data, total, limit, offset }.

  // TODO: PATCH /api/tasks/:id — zod schemas for params and body, checked by validate();
  //       answer 200 { data: task }, or 404 NOT_FOUND when store.update() returns null.

  return app;
}
