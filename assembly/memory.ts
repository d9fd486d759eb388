/** First byte past the module's static data: the arena in src/pipeline/arena.ts allocates from here. */
export function heapBase(): usize {
  return __heap_base;
}
