/** What a factory's `build` receives. */
export interface BuildContext {
  /** 1, 2, 3, … per factory, for unique values such as `user${sequence}@example.com`. */
  sequence: number;
}

export interface FactoryDefinition<Attributes, Created> {
  /** The default attributes of one row. */
  build: (context: BuildContext) => Attributes;
  /** Stores the attributes, normally through a repository's `create`, and returns the stored row. */
  create: (attributes: Attributes) => Promise<Created>;
}

/** A typed builder of test rows. */
export interface Factory<Attributes, Created> {
  /** Attributes for one row, with `overrides` applied; nothing is stored. */
  build(overrides?: Partial<Attributes>): Attributes;
  /** Builds and stores one row. */
  create(overrides?: Partial<Attributes>): Promise<Created>;
  /** Builds and stores `count` rows, one after another (so sequences stay in order). */
  createList(
    count: number,
    overrides?: Partial<Attributes> | ((index: number) => Partial<Attributes>),
  ): Promise<Created[]>;
  /** Starts the sequence again at 1. */
  resetSequence(): void;
}

/**
 * Defines a factory: defaults with a sequence, per-call overrides, and storage through the
 * repository of your choice (so rows go through the same code, and the same ambient
 * transaction, as the application's).
 *
 * @example
 * const users = defineFactory({
 *   build: ({ sequence }) => ({ email: `user${sequence}@example.com`, name: 'Ann' }),
 *   create: (attributes) => userRepository.create(attributes),
 * });
 * const ann = await users.create({ name: 'Ann Lee' });
 */
export function defineFactory<Attributes extends object, Created>(
  definition: FactoryDefinition<Attributes, Created>,
): Factory<Attributes, Created> {
  let sequence = 0;
  const build = (overrides: Partial<Attributes> = {}) => ({
    ...definition.build({ sequence: ++sequence }),
    ...overrides,
  });
  return {
    build,
    create: (overrides) => definition.create(build(overrides)),
    async createList(count, overrides) {
      const created: Created[] = [];
      for (let index = 0; index < count; index++) {
        created.push(
          await definition.create(build(typeof overrides === 'function' ? overrides(index) : overrides)),
        );
      }
      return created;
    },
    resetSequence() {
      sequence = 0;
    },
  };
}
