// How an error message shows the value it refuses: the options, the schedules and the state checks
// all name the offending value the same way. A module of its own so that the schedules entry
// imports it without the optimizer's code.
//
// Arrays show at most 8 elements and 2 levels deep, strings 80 characters: a state dict can hold a
// million-element array, or one that contains itself, and the message must stay short (and finite).
const MAX_ITEMS = 8;
const MAX_DEPTH = 2;
const MAX_CHARS = 80;

export const formatValue = (x: unknown, depth = 0): string =>
  typeof x === 'number' || typeof x === 'boolean' || x === null || x === undefined
    ? String(x)
    : typeof x === 'string'
      ? x.length > MAX_CHARS
        ? `${JSON.stringify(x.slice(0, MAX_CHARS))}… (${x.length} characters)`
        : JSON.stringify(x)
      : Array.isArray(x)
        ? depth >= MAX_DEPTH
          ? `[${x.length} elements]`
          : `[${x
              .slice(0, MAX_ITEMS)
              .map((e) => formatValue(e, depth + 1))
              .join(', ')}${x.length > MAX_ITEMS ? `, … (${x.length} elements)` : ''}]`
        : typeof x === 'function'
          ? 'a function'
          : Object.prototype.toString.call(x);
