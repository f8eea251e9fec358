// The Animal/Dog hierarchy built by hand: constructor functions and prototypes, no `class`.

export function Animal(name) {
  // TODO: validate name (TypeError unless a non-empty string) and store it on `this`.
  throw new Error('TODO: implement Animal');
}

// TODO: add speak() and describe() to Animal.prototype.

export function Dog(name, breed) {
  // TODO: run Animal's constructor on `this`, then store breed.
  throw new Error('TODO: implement Dog');
}

// TODO: make Dog.prototype inherit from Animal.prototype (Object.create), restore
// Dog.prototype.constructor, then add speak() and describe().

/**
 * A new object whose prototype is `proto` (an object or null), with a copy of props.
 * @param {object | null} proto
 * @param {object} [props]
 */
export function createWithProto(proto, props = {}) {
  // TODO
  throw new Error('TODO: implement createWithProto');
}

/**
 * The prototypes above `obj`, nearest first, up to but not including null.
 * @param {object} obj
 * @returns {object[]}
 */
export function prototypeChain(obj) {
  // TODO: walk Object.getPrototypeOf until it returns null.
  throw new Error('TODO: implement prototypeChain');
}
