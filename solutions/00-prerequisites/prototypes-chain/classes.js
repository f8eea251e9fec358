// The same Animal/Dog hierarchy written with `class`, `extends` and `super`.

export class Animal {
  constructor(name) {
    if (typeof name !== 'string' || name === '') {
      throw new TypeError(`name must be a non-empty string, got ${JSON.stringify(name)}`);
    }
    this.name = name;
  }

  speak() {
    return `${this.name} makes a sound.`;
  }

  describe() {
    return `${this.name} (${this.constructor.name})`;
  }
}

export class Dog extends Animal {
  constructor(name, breed) {
    super(name);
    this.breed = breed;
  }

  speak() {
    return `${this.name} barks.`;
  }

  describe() {
    return `${super.describe()}, a ${this.breed}`;
  }
}
