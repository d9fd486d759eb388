// node scripts/options-table.mjs [--write | --check]: the README's option table, generated from the
// doc comments of the option interfaces in src/optimizer/options.ts (GroupOptions, StepOptions,
// RAdamOptions' own members), so that each option's description lives once, in its declaration.
//
// Per option: the comment's sentence "Default `X`." gives the default column (test/docs.test.ts
// checks X against HYPERPARAMETERS and RAdam.create); the first paragraph of the rest is the
// meaning. An interface's own comment heads its rows. `{@link X}` becomes `X`, and relative links
// (written relative to options.ts, as TypeDoc and editors read them) are rebased onto the README.
//
// Without a flag it prints the block; --write replaces README.md's block between
// <!-- options:start --> and <!-- options:end -->; --check exits 1 when README.md's block differs.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const SOURCE = 'src/optimizer/options.ts';
export const README = 'README.md';
/** The interfaces whose members are the rows, in the table's order: RAdamOptions' inherited members come from the others. */
const INTERFACES = ['GroupOptions', 'StepOptions', 'RAdamOptions'];
const START = '<!-- options:start -->';
const END = '<!-- options:end -->';
const NOTE = `<!-- Generated from the doc comments in ${SOURCE}: edit those, then run node scripts/options-table.mjs --write -->`;
const DEFAULT = /(?:^|\s)Default `([^`]+)`\.(?=\s|$)/g;

/** The text of a node's doc comment (the last one before it), without the comment's markers; null without one. */
function docText(node, source) {
  const doc = ts.getJSDocCommentsAndTags(node).filter(ts.isJSDoc).at(-1);
  if (!doc) return null;
  return source.text
    .slice(doc.pos, doc.end)
    .replace(/^\/\*\*|\*\/$/g, '')
    .split('\n')
    .map((line) => line.replace(/^\s*\* ?/, '').trimEnd())
    .join('\n')
    .trim();
}

/** The first paragraph (before any block tag) as one line of Markdown, relative links rebased onto the root. */
function markdown(text) {
  const para = text
    .split(/^@/m)[0]
    .split(/\n\s*\n/)[0]
    .replace(/\s*\n\s*/g, ' ')
    .trim();
  return para
    .replace(/\{@link\s+([^}|\s]+)\s*(?:\|\s*([^}]+))?\}/g, (_, name, label) => (label ? label.trim() : `\`${name}\``))
    .replace(/\]\(([^)#\s]+)(#[^)\s]*)?\)/g, (link, target, hash = '') => {
      if (/^[a-z][a-z+.-]*:/i.test(target)) return link; // a URL
      const file = path.resolve(ROOT, path.dirname(SOURCE), target);
      return `](${path.relative(ROOT, file).split(path.sep).join('/')}${hash})`;
    });
}

const cell = (s) => s.replace(/\|/g, '\\|');

/**
 * The options as their doc comments describe them: per interface, its summary and its own members
 * (name, default as written, meaning). Throws naming the option whose comment lacks a part.
 */
export function readOptions(file = path.join(ROOT, SOURCE)) {
  const source = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const found = new Map();
  for (const node of source.statements) {
    if (ts.isInterfaceDeclaration(node) && INTERFACES.includes(node.name.text)) found.set(node.name.text, node);
  }
  return INTERFACES.map((name) => {
    const node = found.get(name);
    if (!node) throw new Error(`${SOURCE}: no interface ${name}`);
    const summary = docText(node, source);
    if (!summary) throw new Error(`${SOURCE}: ${name} has no doc comment`);
    const options = node.members.filter(ts.isPropertySignature).map((member) => {
      const option = member.name.getText(source);
      const doc = docText(member, source);
      const defaults = doc ? [...doc.matchAll(DEFAULT)] : [];
      if (defaults.length !== 1) {
        throw new Error(`${SOURCE}: the doc comment of ${name}.${option} needs one sentence "Default \`value\`."`);
      }
      const meaning = markdown(doc.replace(DEFAULT, ''));
      if (!meaning) throw new Error(`${SOURCE}: the doc comment of ${name}.${option} says nothing but its default`);
      return { name: option, default: defaults[0][1], meaning };
    });
    return { name, summary: markdown(summary), options };
  });
}

/** The block between the markers (the markers excluded), ending with a newline. */
export function renderBlock(sections = readOptions()) {
  const rows = sections.flatMap((s) => [
    `| **${s.name}** | | ${cell(s.summary)} |`,
    ...s.options.map((o) => `| \`${o.name}\` | \`${cell(o.default)}\` | ${cell(o.meaning)} |`),
  ]);
  return [NOTE, '| option | default | meaning |', '|---|---|---|', ...rows, ''].join('\n');
}

const BLOCK = new RegExp(`(${START}\\n)([\\s\\S]*?)(${END})`);

/** README.md's current block (as renderBlock returns it), or null without the markers. */
export function readmeBlock(text = fs.readFileSync(path.join(ROOT, README), 'utf8')) {
  return BLOCK.exec(text)?.[2] ?? null;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const block = renderBlock();
  const file = path.join(ROOT, README);
  const text = fs.readFileSync(file, 'utf8');
  if (process.argv.includes('--write') || process.argv.includes('--check')) {
    if (readmeBlock(text) === null) throw new Error(`${README} has no ${START} ... ${END} block`);
    if (readmeBlock(text) === block) console.log(`${README}: the option table is up to date`);
    else if (process.argv.includes('--write')) {
      fs.writeFileSync(
        file,
        text.replace(BLOCK, (_, start, _old, end) => `${start}${block}${end}`),
      );
      console.log(`${README}: option table written from ${SOURCE}`);
    } else {
      console.error(`${README}'s option table differs from ${SOURCE}: run node scripts/options-table.mjs --write`);
      process.exitCode = 1;
    }
  } else process.stdout.write(block);
}
