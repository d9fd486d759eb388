// One source for every doc: the README's option table is generated from the option interfaces' doc
// comments (scripts/options-table.mjs), whose defaults must be the ones the code applies; and the
// docs and comments name only src/ and assembly/ files that exist.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { readmeBlock, readOptions, renderBlock } from '../scripts/options-table.mjs';
import { RAdam } from '../src/index.js';
import { DEFAULTS, OPTION_KEYS, resolveCreateOptions } from '../src/optimizer/options.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8');

interface Section {
  name: string;
  summary: string;
  options: { name: string; default: string; meaning: string }[];
}
const sections: Section[] = readOptions();
const section = (name: string) => sections.find((s) => s.name === name)!;

/** A default as the docs write it (`1e-3`, `[0.9, 0.999]`, `'auto'`, `null`), as a value. */
function literal(text: string): unknown {
  const quoted = /^'([^']*)'$/.exec(text);
  return quoted ? quoted[1] : JSON.parse(text);
}

describe("README.md's option table", () => {
  it('is the one generated from the doc comments (run node scripts/options-table.mjs --write)', () => {
    const block = readmeBlock(read('README.md'));
    expect(block, 'README.md has no <!-- options:start --> ... <!-- options:end --> block').not.toBeNull();
    expect(block, 'README.md differs: run node scripts/options-table.mjs --write').toBe(renderBlock());
  });

  it('has a row per option: the hyperparameters in declaration order, then the guards and the create-only options', () => {
    expect(sections.map((s) => s.name)).toEqual(['GroupOptions', 'StepOptions', 'RAdamOptions']);
    expect(section('GroupOptions').options.map((o) => o.name)).toEqual(OPTION_KEYS);
    expect(section('StepOptions').options.map((o) => o.name)).toEqual(['skipNonFinite', 'maxGradNorm']);
    expect(section('RAdamOptions').options.map((o) => o.name)).toEqual([
      'ema',
      'accumulate',
      'backend',
      'stateDtype',
      'stateSeed',
      'threads',
    ]);
    for (const s of sections) {
      expect(s.summary.length, s.name).toBeGreaterThan(20);
      for (const o of s.options) expect(o.meaning.length, o.name).toBeGreaterThan(10);
    }
  });

  const opts: RAdam[] = [];
  afterAll(() => {
    for (const o of opts) o.dispose();
  });

  it('states the defaults the code applies', async () => {
    const created = resolveCreateOptions({}, DEFAULTS);
    const opt = await RAdam.create({ backend: 'js' });
    opts.push(opt);
    const applied: Record<string, unknown> = {
      ...DEFAULTS,
      skipNonFinite: opt.skipNonFinite,
      maxGradNorm: opt.maxGradNorm,
      ema: created.ema,
      accumulate: created.accumulate,
      backend: created.choice,
      stateDtype: created.stateDtype,
      stateSeed: created.stateSeed,
      threads: created.threads,
    };
    const documented = Object.fromEntries(sections.flatMap((s) => s.options.map((o) => [o.name, literal(o.default)])));
    expect(documented).toEqual(applied);
    // What the table shows for a few, as written.
    const lr = section('GroupOptions').options.find((o) => o.name === 'lr')!;
    expect([lr.default, literal(lr.default)]).toEqual(['1e-3', 0.001]);
    expect(renderBlock()).toContain("| `backend` | `'auto'` |");
  });

  it("links relative to the README, and {@link}s as code, from a comment written for options.ts's folder", () => {
    const block = renderBlock();
    const links = [...block.matchAll(/\]\(([^)#]+)(#[^)]*)?\)/g)].map((m) => m[1]);
    expect(links).toContain('docs/algorithm.md');
    for (const link of links) expect(fs.existsSync(path.join(ROOT, link)), link).toBe(true);
    expect(block).not.toContain('{@link');
    expect(block).toContain('the `StepOptions`');
    expect(read('src/optimizer/options.ts')).toContain('](../../docs/algorithm.md#adam-2k)');
  });

  it('refuses an option whose comment lacks its default, naming it', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'options-table-'));
    const file = path.join(dir, 'options.ts');
    const text = read('src/optimizer/options.ts').replace('Learning rate, ≥ 0. Default `1e-3`.', 'Learning rate.');
    expect(text).not.toBe(read('src/optimizer/options.ts'));
    fs.writeFileSync(file, text);
    try {
      expect(() => readOptions(file)).toThrow(/GroupOptions\.lr needs one sentence "Default `value`\."/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('docs and comments', () => {
  // src/generated/ exists only after a build.
  const named = (text: string) => [...text.matchAll(/\b(?:src|assembly)\/[\w./-]+\.ts\b/g)].map((m) => m[0]);
  const docs = ['README.md', ...fs.readdirSync(path.join(ROOT, 'docs')).map((f) => `docs/${f}`)].filter((f) =>
    f.endsWith('.md'),
  );
  const sources = ['src', 'assembly']
    .flatMap((dir) =>
      (fs.readdirSync(path.join(ROOT, dir), { recursive: true }) as string[]).map(
        (f) => `${dir}/${f.split(path.sep).join('/')}`,
      ),
    )
    .filter((f) => f.endsWith('.ts') && !f.startsWith('src/generated/'));

  it.each([...docs, ...sources])('%s names only src/ and assembly/ files that exist', (file) => {
    const missing = named(read(file)).filter(
      (f) => !f.startsWith('src/generated/') && !fs.existsSync(path.join(ROOT, f)),
    );
    expect(missing).toEqual([]);
  });

  it('the check sees paths at all', () => {
    expect(named(read('docs/architecture.md'))).toEqual(
      expect.arrayContaining(['src/pipeline/table.ts', 'assembly/radam.ts']),
    );
    expect(sources).toContain('assembly/radam.ts');
  });
});
