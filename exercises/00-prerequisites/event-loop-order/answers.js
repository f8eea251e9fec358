// Your predictions for snippets.js: for each snippet, every label it logs, in the
// order Node logs them. Decide on paper first, then let the suite check you.
export const answers = {
  // TODO: fill in each array, e.g. ['sync 1', 'sync 2', ...]
  snippetA: [],
  snippetB: [],
  snippetC: [],
  snippetD: [],
  snippetE: [],
};
