// One compile with plain less.js in a process of its own, for
// less-sequence.mjs: reads a job as JSON on stdin, {input: {file, source,
// paths, vars}, options: server.mjs's renderOptions for it, pluginRefusal,
// build: "cjs" (require('less'), the default) or "esm" (import 'less')},
// and writes the result (see reference.mjs) as one JSON line on stdout.

import fs from 'node:fs';
import { createRequire } from 'node:module';
import { plainLess } from './reference.mjs';

const job = JSON.parse(fs.readFileSync(0, 'utf8'));
const less = job.build === 'esm' ? (await import('less')).default : createRequire(import.meta.url)('less');
const reference = plainLess(less, () => job.options, job.pluginRefusal);
const result = await reference.compile(job.input);
process.stdout.write(`${JSON.stringify(result)}\n`);
