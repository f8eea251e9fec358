import { ConflictError, NotFoundError, ValidationError } from './errors.js';

/**
 * The order service: every business rule lives here. It talks to the world only through
 * `repo` (the four repository methods) and `clock` ({ now: () => Date }): no Express,
 * no req/res, no status codes.
 */
export function createOrderService({ repo, clock }) {
  return {
    /** input: { customerId, items: [{ sku, quantity }] } → the stored order. */
    async placeOrder(input) {
      // TODO: validate, price the items from the repository, insert, return the stored order.
      throw new Error('TODO: placeOrder');
    },

    /** → the order, or NotFoundError. */
    async getOrder(id) {
      // TODO
      throw new Error('TODO: getOrder');
    },

    /** → the cancelled order; NotFoundError, or ConflictError when it may not be cancelled. */
    async cancelOrder(id) {
      // TODO
      throw new Error('TODO: cancelOrder');
    },
  };
}
