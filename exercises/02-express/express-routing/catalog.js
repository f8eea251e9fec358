// A small catalog to try the API by hand. createApp() uses it when it is called without
// one; the tests always pass their own.
export const catalog = {
  products: [
    { id: 1, name: 'Node.js Design Patterns', category: 'books', price: 39.9, inStock: true, featured: true },
    { id: 2, name: 'Mechanical keyboard', category: 'hardware', price: 129, inStock: false, featured: false },
    { id: 3, name: 'HTTP: The Definitive Guide', category: 'books', price: 45.5, inStock: true, featured: false },
    { id: 4, name: 'USB-C hub', category: 'hardware', price: 34, inStock: true, featured: true },
  ],
  reviews: [
    { id: 1, productId: 1, rating: 5, body: 'Finally understood streams.' },
    { id: 2, productId: 1, rating: 4, body: 'Dense but worth it.' },
    { id: 3, productId: 4, rating: 3, body: 'Gets warm.' },
  ],
};
