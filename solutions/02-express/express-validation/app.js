import express from 'express';
import { z } from 'zod';
import { createTaskStore } from './tasks.js';
import { sendValidationError, validate, validateNewTask } from './validation.js';

// Query strings are always strings: coerce them. z.coerce.number() would read '' as 0,
// so an empty value is refused before coercion.
const queryInt = (min, max = Number.MAX_SAFE_INTEGER) =>
  z.string().min(1, 'must not be empty').pipe(z.coerce.number().int().min(min).max(max));

const listQuery = z.object({
  // z.coerce.boolean() would make "false" true: stringbool knows the words.
  done: z.stringbool().optional(),
  minPriority: queryInt(1, 5).optional(),
  tag: z.string().min(1).optional(),
  limit: queryInt(1, 100).default(20),
  offset: queryInt(0).default(0),
});

const idParams = z.object({ id: queryInt(1) });

// Body values arrive typed from JSON, so no coercion here. z.object() drops unknown keys.
const taskChanges = z
  .object({
    title: z.string().trim().min(1).max(100).optional(),
    priority: z.number().int().min(1).max(5).optional(),
    tags: z.array(z.string().min(1).max(20)).max(5).optional(),
    done: z.boolean().optional(),
  })
  .refine((changes) => Object.keys(changes).length > 0, 'give at least one of title, priority, tags, done');

export function createApp() {
  const app = express();
  const store = createTaskStore();

  app.use(express.json());

  app.post('/api/tasks', (req, res) => {
    const { value, fields } = validateNewTask(req.body);
    if (fields) return sendValidationError(res, fields);
    res.status(201).json({ data: store.create(value) });
  });

  app.get('/api/tasks', validate({ query: listQuery }), (req, res) => {
    const query = res.locals.valid.query;
    const { data, total } = store.list(query);
    res.json({ data, total, limit: query.limit, offset: query.offset });
  });

  app.patch('/api/tasks/:id', validate({ params: idParams, body: taskChanges }), (req, res) => {
    const { params, body } = res.locals.valid;
    const task = store.update(params.id, body);
    if (!task) return res.status(404).json({ error: { code: 'NOT_FOUND', message: `task ${params.id} not found` } });
    res.json({ data: task });
  });

  return app;
}
