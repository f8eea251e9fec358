// The task store, already written. Each app gets its own (ids start at 1).
// It trusts its input, like a database insert would: hand it only validated, parsed
// values. Whatever else you pass is stored as it is (an `id`, a `done`, an `isAdmin`…).
export function createTaskStore() {
  const tasks = [];
  let nextId = 1;
  const copy = (task) => structuredClone(task);

  return {
    /** input: { title: string, priority: number, tags: string[] } */
    create(input) {
      const task = { id: nextId++, done: false, ...input };
      tasks.push(task);
      return copy(task);
    },

    /** filters: { done?: boolean, minPriority?: number, tag?: string, limit: number, offset: number } */
    list({ done, minPriority, tag, limit, offset }) {
      const matching = tasks.filter(
        (t) =>
          (done === undefined || t.done === done) &&
          (minPriority === undefined || t.priority >= minPriority) &&
          (tag === undefined || t.tags.includes(tag)),
      );
      return { data: matching.slice(offset, offset + limit).map(copy), total: matching.length };
    },

    /** id: number; changes: some of { title, priority, tags, done }. Returns null for an unknown id. */
    update(id, changes) {
      const task = tasks.find((t) => t.id === id);
      if (!task) return null;
      Object.assign(task, changes);
      return copy(task);
    },
  };
}
