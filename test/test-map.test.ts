// test/README.md maps README.md's sections and src/'s modules to the tests of each: it must cover
// every section, every module src/README.md lists and every test file, and link only to files that
// exist, or a newcomer looking for a feature's tests is sent nowhere.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8');
const MAP = read('test/README.md');

/** The body rows of the table under `## heading` in a Markdown text, as [first cell, second cell]. */
function rows(text: string, heading: string | null): [string, string][] {
  let part = text;
  if (heading !== null) {
    const start = text.indexOf(`\n## ${heading}\n`);
    if (start === -1) throw new Error(`test/README.md has no "## ${heading}"`);
    const end = text.indexOf('\n## ', start + 1);
    part = text.slice(start, end === -1 ? undefined : end);
  }
  const all = [...part.matchAll(/^\|([^|\n]*)\|([^\n]*)\|$/gm)].map((m): [string, string] => [
    m[1].trim(),
    m[2].trim(),
  ]);
  return all.filter(([first]) => !/^-+$/.test(first)).slice(1); // no header row, no separator
}

/**
 * The files a module table's first cells name, as architecture.test.ts reads src/README.md: a bare
 * name after a path is in that path's folder (`schedules/decay.ts`, `cosine.ts`).
 */
function modules(table: [string, string][]): string[] {
  const out: string[] = [];
  for (const [first] of table) {
    let dir = '';
    for (const [, name] of first.matchAll(/`([^`]+)`/g)) {
      if (name.includes('/')) dir = path.posix.dirname(name);
      out.push(name.includes('/') ? name : path.posix.join(dir, name));
    }
  }
  return out;
}

/** README.md's ## and ### headings, outside code blocks. */
const headings = () =>
  [
    ...read('README.md')
      .replace(/^```[^\n]*\n[\s\S]*?^```$/gm, '')
      .matchAll(/^#{2,3} (.+)$/gm),
  ].map((m) => m[1].trim());

const testFiles = (fs.readdirSync(path.join(ROOT, 'test'), { recursive: true }) as string[])
  .map((f) => f.split(path.sep).join('/'))
  .filter((f) => f.endsWith('.test.ts') && !f.split('/').some((part) => part === 'node_modules'));

describe('test/README.md', () => {
  it('has a row for every ## and ### section of README.md, in its order, and for nothing else', () => {
    const want = headings();
    expect(want).toContain('Training guards'); // the parser sees the headings at all
    expect(rows(MAP, 'By README section').map(([section]) => section)).toEqual(want);
  });

  it('has a row for every module src/README.md maps, in its order, and for nothing else', () => {
    const want = modules(rows(read('src/README.md'), null));
    expect(want).toContain('optimizer/radam.ts'); // the parser sees the table at all
    expect(modules(rows(MAP, 'By src module'))).toEqual(want);
  });

  it('names tests in every row', () => {
    const empty = [...rows(MAP, 'By README section'), ...rows(MAP, 'By src module')]
      .filter(([first, tests]) => tests === '' && !first.startsWith('**')) // a **folder/** row heads the next ones
      .map(([first]) => first);
    expect(empty).toEqual([]);
  });

  it('links only to files and folders that exist', () => {
    const links = [...MAP.matchAll(/\]\(([^)#]+)(#[^)]*)?\)/g)].map((m) => m[1]).filter((l) => !/^[a-z]+:/.test(l));
    expect(links).toContain('lookahead.test.ts'); // the parser sees the links at all
    const missing = links.filter((l) => !fs.existsSync(path.join(ROOT, 'test', l)));
    expect(missing, 'links in test/README.md to nothing').toEqual([]);
  });

  it('links to every test file', () => {
    const linked = new Set([...MAP.matchAll(/\]\(([^)#]+)\)/g)].map((m) => path.posix.normalize(m[1])));
    expect(testFiles).toContain('guards.test.ts');
    const missing = testFiles.filter((f) => !linked.has(f));
    expect(missing, 'test files test/README.md does not name').toEqual([]);
  });
});
