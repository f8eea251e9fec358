// The same Animal/Dog hierarchy written with `class`, `extends` and `super`.

export class Animal {
  constructor(name) {
    // TODO: validate and store name; add speak() and describe() as methods.
    throw new Error('TODO: implement class Animal');
  }
}

export class Dog {
  constructor(name, breed) {
    // TODO: make Dog extend Animal and call super(name).
    throw new Error('TODO: implement class Dog');
  }
}
