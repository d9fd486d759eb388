// The module structure: no import cycles in src/ (type imports count: they are how modules come to
// depend on each other; only a layer's own classes may name each other's types), no module over
// ~350 lines, and one module map
// (src/README.md) that names every module and nothing else.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../src/', import.meta.url));
// What the build writes (src/generated/, not committed): the map names it, but it may not exist yet.
const GENERATED = /^generated\/|-bytes\.ts$|worker-source\.ts$/;
const MAX_LINES = 350;

const files = (fs.readdirSync(SRC, { recursive: true }) as string[])
  .map((f) => f.split(path.sep).join('/'))
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && !GENERATED.test(f));

/**
 * The files src/README.md's table names: the code spans of each row's first cell. A bare name
 * after a path is in that path's folder (`schedules/decay.ts`, `cosine.ts`); a first bare name is
 * at the root (`index.ts`).
 */
function mappedFiles(): string[] {
  const text = fs.readFileSync(path.join(SRC, 'README.md'), 'utf8');
  const out: string[] = [];
  for (const row of text.matchAll(/^\|([^|\n]*)\|/gm)) {
    let dir = '';
    for (const [, name] of row[1].matchAll(/`([^`]+)`/g)) {
      if (name.includes('/')) dir = path.posix.dirname(name);
      out.push(name.includes('/') ? name : path.posix.join(dir, name));
    }
  }
  return out;
}

/**
 * The src files a file imports (relative specifiers only; `import type` and `export ... from`
 * included), except type-only imports of a module in the same folder: one layer's classes may
 * name each other's types (a ParamGroup's `optimizer` is a RAdam, which creates ParamGroups), which
 * makes no import at run time and no dependency between layers.
 */
function importsOf(file: string): string[] {
  const text = fs.readFileSync(path.join(SRC, file), 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/(?:import|export)\s([^;]*?)from\s+'(\.[^']+)'|import\(\s*'(\.[^']+)'\s*\)/g)) {
    const spec = (m[2] ?? m[3]).replace(/\.js$/, '.ts');
    const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), spec));
    const typeOnly = m[1] !== undefined && /^type\s/.test(m[1]);
    if (typeOnly && path.posix.dirname(target) === path.posix.dirname(file)) continue;
    if (files.includes(target)) out.push(target);
  }
  return out;
}

describe('src/ architecture', () => {
  it('has no import cycles', () => {
    const graph = new Map(files.map((f) => [f, importsOf(f)]));
    const state = new Map<string, 'visiting' | 'done'>();
    const cycles: string[] = [];
    const visit = (f: string, trail: string[]) => {
      if (state.get(f) === 'done') return;
      if (state.get(f) === 'visiting') {
        cycles.push([...trail.slice(trail.indexOf(f)), f].join(' -> '));
        return;
      }
      state.set(f, 'visiting');
      for (const g of graph.get(f)!) visit(g, [...trail, f]);
      state.set(f, 'done');
    };
    for (const f of files) visit(f, []);
    expect(cycles).toEqual([]);
    expect(graph.get('optimizer/radam.ts')).toContain('pipeline/step.ts'); // the parser sees imports at all
    expect(graph.get('optimizer/radam.ts')).toContain('optimizer/param.ts');
    expect(graph.get('optimizer/param.ts')).not.toContain('optimizer/radam.ts'); // type only, same folder
  });

  it('src/README.md maps every module, and only modules that exist', () => {
    const mapped = mappedFiles();
    expect(mapped).toContain('optimizer/radam.ts'); // the parser sees the table at all
    const missing = files.filter((f) => !mapped.includes(f));
    expect(missing, 'src files missing from the table of src/README.md').toEqual([]);
    const stale = mapped.filter((f) => !GENERATED.test(f) && !fs.existsSync(path.join(SRC, f)));
    expect(stale, 'files src/README.md names that are not in src/').toEqual([]);
  });

  it.each(files)(`%s has at most ${MAX_LINES} lines`, (file) => {
    const lines = fs.readFileSync(path.join(SRC, file), 'utf8').split('\n').length - 1;
    expect(lines).toBeLessThanOrEqual(MAX_LINES);
  });
});
