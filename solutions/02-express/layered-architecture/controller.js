/** Thin on purpose: read the request, call the service, shape the response. */
export function createOrderController(service) {
  return {
    async placeOrder(req, res) {
      const order = await service.placeOrder(req.body);
      res.status(201).location(`/orders/${encodeURIComponent(order.id)}`).json({ data: order });
    },
    async getOrder(req, res) {
      res.json({ data: await service.getOrder(req.params.id) });
    },
    async cancelOrder(req, res) {
      res.json({ data: await service.cancelOrder(req.params.id) });
    },
  };
}
