// Node, Bun and Deno: `RUNTIME test/runtimes/cli.mjs <module to import> <cases.json>` prints the
// smoke result as JSON. Node and Bun import the package by name ('radam-wasm', through its
// exports map); Deno is given the path of the built entry.
import fs from 'node:fs';
import { smoke } from './smoke.mjs';

const [spec, casesFile] = globalThis.Deno ? globalThis.Deno.args : process.argv.slice(2);
const { RAdam } = await import(spec);
const cases = JSON.parse(fs.readFileSync(casesFile, 'utf8'));
console.log(JSON.stringify(await smoke(RAdam, cases)));
