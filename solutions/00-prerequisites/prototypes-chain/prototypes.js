// The Animal/Dog hierarchy built by hand: constructor functions and prototypes, no `class`.

export function Animal(name) {
  if (typeof name !== 'string' || name === '') {
    throw new TypeError(`name must be a non-empty string, got ${JSON.stringify(name)}`);
  }
  this.name = name;
}

Animal.prototype.speak = function () {
  return `${this.name} makes a sound.`;
};

Animal.prototype.describe = function () {
  return `${this.name} (${this.constructor.name})`;
};

export function Dog(name, breed) {
  Animal.call(this, name);
  this.breed = breed;
}

// Object.create links the prototypes without running Animal's constructor
// (`new Animal()` would leave a stray `name` on Dog.prototype).
Dog.prototype = Object.create(Animal.prototype, {
  constructor: { value: Dog, writable: true, configurable: true },
});

Dog.prototype.speak = function () {
  return `${this.name} barks.`;
};

Dog.prototype.describe = function () {
  return `${Animal.prototype.describe.call(this)}, a ${this.breed}`;
};

export function createWithProto(proto, props = {}) {
  return Object.assign(Object.create(proto), props);
}

export function prototypeChain(obj) {
  const chain = [];
  for (let p = Object.getPrototypeOf(obj); p !== null; p = Object.getPrototypeOf(p)) {
    chain.push(p);
  }
  return chain;
}
