import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { importExercise, requireExport } from './support.mjs';

const protoMod = await importExercise('prototypes.js');
const classMod = await importExercise('classes.js');

const versions = [
  {
    label: 'prototypes.js',
    Animal: requireExport(protoMod, 'Animal', 'function', 'prototypes.js'),
    Dog: requireExport(protoMod, 'Dog', 'function', 'prototypes.js'),
  },
  {
    label: 'classes.js',
    Animal: requireExport(classMod, 'Animal', 'function', 'classes.js'),
    Dog: requireExport(classMod, 'Dog', 'function', 'classes.js'),
  },
];
const createWithProto = requireExport(protoMod, 'createWithProto', 'function', 'prototypes.js');
const prototypeChain = requireExport(protoMod, 'prototypeChain', 'function', 'prototypes.js');

const source = (fn) => Function.prototype.toString.call(fn);
const ownKeys = (obj) => Reflect.ownKeys(obj).map(String).sort();

for (const { label, Animal, Dog } of versions) {
  describe(label, () => {
    test('instances own only their data and share methods through the prototypes', { timeout: 2000 }, () => {
      const tom = new Animal('Tom');
      assert.deepEqual(ownKeys(tom), ['name'], `new Animal('Tom') must own exactly one property, name — methods belong on Animal.prototype, not on \`this\``);
      assert.equal(tom.name, 'Tom', 'Animal must store the name it was given');
      assert.equal(tom.speak(), 'Tom makes a sound.', 'Animal#speak() must return `${name} makes a sound.`');
      const rex = new Dog('Rex', 'beagle');
      const fido = new Dog('Fido', 'pug');
      assert.deepEqual(ownKeys(rex), ['breed', 'name'], `new Dog('Rex', 'beagle') must own exactly name and breed`);
      assert.equal(rex.breed, 'beagle', 'Dog must store the breed it was given');
      assert.equal(rex.speak(), 'Rex barks.', 'Dog#speak() must return `${name} barks.`');
      assert.equal(rex.speak, fido.speak, 'two dogs must share one speak function (defined once on Dog.prototype)');
      assert.equal(rex.describe, fido.describe, 'two dogs must share one describe function (defined once on Dog.prototype)');
      assert.ok(Object.hasOwn(Dog.prototype, 'speak'), 'speak must be an own method of Dog.prototype (Dog overrides it)');
      assert.ok(Object.hasOwn(Dog.prototype, 'describe'), 'describe must be an own method of Dog.prototype (Dog overrides it)');
      assert.ok(Object.hasOwn(Animal.prototype, 'speak') && Object.hasOwn(Animal.prototype, 'describe'), 'speak and describe must be own methods of Animal.prototype');
    });

    test('a dog is instanceof Dog and Animal along Dog.prototype → Animal.prototype → Object.prototype', { timeout: 2000 }, () => {
      const rex = new Dog('Rex', 'beagle');
      assert.ok(rex instanceof Dog, 'a dog must be instanceof Dog');
      assert.ok(rex instanceof Animal, 'a dog must be instanceof Animal — Dog.prototype must inherit from Animal.prototype');
      assert.equal(Object.getPrototypeOf(rex), Dog.prototype, "a dog's prototype must be Dog.prototype");
      assert.equal(Object.getPrototypeOf(Dog.prototype), Animal.prototype, "Dog.prototype's prototype must be Animal.prototype (not Animal.prototype itself, not a copy)");
      assert.equal(Object.getPrototypeOf(Animal.prototype), Object.prototype, "Animal.prototype's prototype must be Object.prototype");
      assert.notEqual(Dog.prototype, Animal.prototype, 'Dog.prototype must be its own object, not Animal.prototype');
      const tom = new Animal('Tom');
      assert.ok(!(tom instanceof Dog), 'a plain Animal must not be instanceof Dog');
    });

    test('Dog.prototype.constructor is Dog, so describe() names the right constructor', { timeout: 2000 }, () => {
      assert.equal(Dog.prototype.constructor, Dog, 'Dog.prototype.constructor must be Dog — replacing Dog.prototype loses it, so put it back');
      assert.equal(Animal.prototype.constructor, Animal, 'Animal.prototype.constructor must be Animal');
      assert.equal(new Animal('Tom').describe(), 'Tom (Animal)', 'Animal#describe() must return `${name} (${this.constructor.name})`');
      assert.equal(new Dog('Rex', 'beagle').describe(), 'Rex (Dog), a beagle', 'Dog#describe() must return Animal\'s describe() followed by `, a ${breed}`');
    });

    test("overriding speak in Dog leaves Animal's speak unchanged", { timeout: 2000 }, () => {
      const rex = new Dog('Rex', 'beagle');
      assert.equal(new Animal('Tom').speak(), 'Tom makes a sound.', 'after Dog is defined, an Animal must still make a sound — did Dog overwrite Animal.prototype.speak (Dog.prototype = Animal.prototype)?');
      assert.equal(Animal.prototype.speak.call(rex), 'Rex makes a sound.', "Animal's own speak must still be reachable and work on a dog");
      assert.equal(rex.speak(), 'Rex barks.', "a dog's own speak must win over Animal's");
    });

    test("Dog's describe() builds on Animal's describe()", { timeout: 2000 }, () => {
      const original = Animal.prototype.describe;
      let seenThis;
      Animal.prototype.describe = function () {
        seenThis = this;
        return `<${this.name} from Animal>`;
      };
      let got;
      try {
        got = new Dog('Rex', 'pug').describe();
      } finally {
        Animal.prototype.describe = original;
      }
      assert.equal(got, '<Rex from Animal>, a pug', "Dog#describe() must call Animal's describe() at call time (super.describe() in a class, Animal.prototype.describe.call(this) by hand) and append `, a ${breed}` — not repeat Animal's code");
      assert.equal(seenThis?.name, 'Rex', "Animal's describe() must be called with the dog as `this`");
    });

    test('an invalid name throws a TypeError for Animal and for Dog', { timeout: 2000 }, () => {
      for (const bad of ['', undefined, 42, null]) {
        assert.throws(() => new Animal(bad), TypeError, `new Animal(${JSON.stringify(bad) ?? 'undefined'}) must throw a TypeError: name must be a non-empty string`);
        assert.throws(() => new Dog(bad, 'pug'), TypeError, `new Dog(${JSON.stringify(bad) ?? 'undefined'}, 'pug') must throw a TypeError — Dog must run Animal's constructor so the validation lives in one place`);
      }
    });
  });
}

test('prototypes.js uses constructor functions (Dog.prototype is not an Animal instance) and classes.js uses classes', { timeout: 2000 }, () => {
  const [byHand, withClass] = versions;
  assert.ok(!/^class\b/.test(source(byHand.Animal)), 'prototypes.js must define Animal as a constructor function, not a class');
  assert.ok(!/^class\b/.test(source(byHand.Dog)), 'prototypes.js must define Dog as a constructor function, not a class');
  assert.ok(
    !Object.hasOwn(byHand.Dog.prototype, 'name'),
    'prototypes.js: Dog.prototype must not own a `name` — link it with Object.create(Animal.prototype) rather than `new Animal()`, which runs the constructor',
  );
  assert.ok(/^class\b/.test(source(withClass.Animal)), 'classes.js must define Animal with `class`');
  assert.ok(/^class\b/.test(source(withClass.Dog)), 'classes.js must define Dog with `class`');
  assert.equal(Object.getPrototypeOf(withClass.Dog), withClass.Animal, 'classes.js: Dog must `extends Animal` (then the constructors themselves are linked too)');
});

describe('createWithProto', () => {
  test('makes a new object with the given prototype (also null) and a copy of the properties', { timeout: 2000 }, () => {
    const proto = {
      greet() {
        return `hi ${this.who}`;
      },
    };
    const props = { who: 'ada', n: 1 };
    const obj = createWithProto(proto, props);
    assert.equal(Object.getPrototypeOf(obj), proto, 'the new object\'s prototype must be `proto` (use Object.create(proto))');
    assert.deepEqual(ownKeys(obj), ['n', 'who'], 'the new object must own a copy of every property of props and nothing else');
    assert.equal(obj.greet(), 'hi ada', 'methods of proto must be reachable through the chain and see the copied properties');
    assert.notEqual(obj, props, 'createWithProto must return a new object, not props');
    obj.who = 'grace';
    assert.equal(props.who, 'ada', 'changing the new object must not change props');
    assert.deepEqual(ownKeys(proto), ['greet'], 'createWithProto must not add properties to proto');
    const bare = createWithProto(proto);
    assert.deepEqual(ownKeys(bare), [], 'without props the new object must have no own properties');
    assert.equal(Object.getPrototypeOf(bare), proto, 'without props the prototype must still be proto');
    const second = createWithProto(proto);
    assert.notEqual(bare, second, 'every call must return a fresh object');
    const dict = createWithProto(null, { toString: 'a key, not a method' });
    assert.equal(Object.getPrototypeOf(dict), null, 'createWithProto(null) must make an object with no prototype at all');
    assert.equal('hasOwnProperty' in dict, false, 'an object with a null prototype inherits nothing, not even hasOwnProperty');
    assert.equal(dict.toString, 'a key, not a method', 'own properties must be copied onto a null-prototype object too');
    const { Dog, Animal } = versions[0];
    const ghost = createWithProto(Dog.prototype, { name: 'Ghost', breed: 'husky' });
    assert.ok(ghost instanceof Dog && ghost instanceof Animal, 'an object made from Dog.prototype must be instanceof Dog and Animal');
    assert.equal(ghost.describe(), 'Ghost (Dog), a husky', 'an object made from Dog.prototype must use Dog\'s methods');
  });
});

test('prototypeChain lists the prototypes above an object, nearest first, without null', { timeout: 2000 }, () => {
  for (const { label, Animal, Dog } of versions) {
    const chain = prototypeChain(new Dog('Rex', 'beagle'));
    assert.ok(Array.isArray(chain), 'prototypeChain must return an array');
    assert.equal(chain.length, 3, `${label}: a dog has three prototypes above it (Dog.prototype, Animal.prototype, Object.prototype), got ${chain.length}`);
    assert.equal(chain[0], Dog.prototype, `${label}: the first entry must be Dog.prototype (the nearest)`);
    assert.equal(chain[1], Animal.prototype, `${label}: the second entry must be Animal.prototype`);
    assert.equal(chain[2], Object.prototype, `${label}: the last entry must be Object.prototype (null is not included)`);
  }
  assert.deepEqual(prototypeChain({}), [Object.prototype], 'a plain object has one prototype: Object.prototype');
  assert.deepEqual(prototypeChain(Object.create(null)), [], 'an object with a null prototype has an empty chain');
  const arrChain = prototypeChain([]);
  assert.equal(arrChain.length, 2, 'an array has two prototypes: Array.prototype and Object.prototype');
  assert.equal(arrChain[0], Array.prototype, 'the first prototype of an array is Array.prototype');
});
