// The type of the bytes the API hands out, in a module of its own so that state/checkpoint.ts,
// optimizer/ (internals, lookahead, radam) and backends/wasm.ts can all import it without a cycle. Spelled
// as what `slice` returns so that the published declaration type-checks under TypeScript 5.7+
// (`Uint8Array<ArrayBuffer>`, which `new Blob([bytes])` needs) and before 5.7 (no type arguments).

/**
 * The bytes `saveState` returns: a `Uint8Array` over an `ArrayBuffer` of its own, so they go
 * wherever an ArrayBuffer-backed view is required (`new Blob([bytes])`, a `fetch` body,
 * `crypto.subtle.digest`). Under TypeScript 5.7 and later this is `Uint8Array<ArrayBuffer>`;
 * before 5.7, where `Uint8Array` is not generic, it is `Uint8Array`.
 *
 * @example
 * ```ts
 * const bytes: Bytes = opt.saveState({ includeParams: true });
 * const file = new Blob([bytes], { type: 'application/octet-stream' });
 * ```
 */
export type Bytes = ReturnType<Uint8Array['slice']>;
