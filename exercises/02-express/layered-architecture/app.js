import express from 'express';
import { createOrderController } from './controller.js';
import { createOrderService } from './service.js';

/** The HTTP app around a ready-made service. Returns an Express app that is not listening. */
export function createApp({ service }) {
  const app = express();
  // TODO: JSON bodies, the three routes on the controller's handlers, and an error
  //       handler that maps domain errors to status codes (anything else is a 500).
  return app;
}

/** The composition root: wires repository → service → controller → app. */
export function buildApp({ repo, clock = { now: () => new Date() } }) {
  // TODO
  return express();
}
