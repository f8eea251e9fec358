/**
 * The HTTP edge: turns requests into service calls and results into responses.
 * No business rules here. Returns one handler per route.
 */
export function createOrderController(service) {
  return {
    // TODO: POST /orders → 201, Location: /orders/<id>, { data: order }
    async placeOrder(req, res) {
      throw new Error('TODO: placeOrder handler');
    },
    // TODO: GET /orders/:id → 200 { data: order }
    async getOrder(req, res) {
      throw new Error('TODO: getOrder handler');
    },
    // TODO: POST /orders/:id/cancel → 200 { data: order }
    async cancelOrder(req, res) {
      throw new Error('TODO: cancelOrder handler');
    },
  };
}
