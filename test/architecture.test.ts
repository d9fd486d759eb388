// The module structure issue 12 set up: no import cycles in src/ (type imports count: they are how
// modules come to depend on each other), and no module over ~350 lines.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../src/', import.meta.url));
const GENERATED = /-bytes\.ts$|worker-source\.ts$/;
const MAX_LINES = 350;

const files = (fs.readdirSync(SRC, { recursive: true }) as string[])
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && !GENERATED.test(f))
  .map((f) => f.split(path.sep).join('/'));

/** The src files a file imports (relative specifiers only; `import type` and `export ... from` included). */
function importsOf(file: string): string[] {
  const text = fs.readFileSync(path.join(SRC, file), 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/(?:import|export)\s[^;]*?from\s+'(\.[^']+)'|import\(\s*'(\.[^']+)'\s*\)/g)) {
    const spec = (m[1] ?? m[2]).replace(/\.js$/, '.ts');
    const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), spec));
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
  });

  it.each(files)(`%s has at most ${MAX_LINES} lines`, (file) => {
    const lines = fs.readFileSync(path.join(SRC, file), 'utf8').split('\n').length - 1;
    expect(lines).toBeLessThanOrEqual(MAX_LINES);
  });
});
