// How an error message shows the value it refuses: the options, the schedules and the state checks
// all name the offending value the same way. A module of its own so that the schedules entry
// imports it without the optimizer's code.
export const show = (x: unknown): string =>
  typeof x === 'number' || typeof x === 'boolean' || x === null || x === undefined
    ? String(x)
    : typeof x === 'string'
      ? JSON.stringify(x)
      : Array.isArray(x)
        ? `[${x.map(show).join(', ')}]`
        : typeof x === 'function'
          ? 'a function'
          : Object.prototype.toString.call(x);
