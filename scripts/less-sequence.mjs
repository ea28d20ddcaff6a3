#!/usr/bin/env node
// Proves compile isolation: every compile of the long-lived server.mjs
// process gives what a fresh plain less.js process gives for the same
// inputs, whatever compiles and file edits came before.
//
// Random small Less projects are written into temp folders, and random
// sequences of compiles run over them with edits in between (see
// lib/less-projects.mjs): each sequence through one server.mjs process (its
// read requests answered from disk), each compile also by a new `node`
// process running plain less.js (lib/reference-child.mjs) with server.mjs's
// renderOptions and less.js's own node file manager. CSS and error
// (message, type, file, line, column) must be identical, with the
// normalizations of lib/reference.mjs; the server must never ask for a
// plugin's script. A compile where less.js overflows its stack (endless
// imports or mixin recursion) is not compared, as where the stack runs out
// depends on its depth, but the sequence goes on; when the server's result
// differs, plain less.js runs again with a smaller stack to find out. The
// sequences run side by side, one per core.
//
// First, the sequences of tests/less_fixtures/sequences/*.json run (known
// cases, in the same format). A mismatch is shrunk (compiles dropped while
// the last one still mismatches, each try on a new server and folder) and
// printed with the seed, the files and the compiles; the sequence is also
// written as JSON, which `node scripts/less-sequence.mjs <file.json>`
// replays, and which can join the known cases.
//
// Usage (from the repository root, after `npm ci`):
//   node scripts/less-sequence.mjs [replay.json]
// Environment: RLDEV_LESS_SEQUENCE_SEED=<seed> (default 1; "random" picks
// one), RLDEV_LESS_SEQUENCE_COUNT=<compiles> (default 300),
// RLDEV_LESS_SEQUENCE_LENGTH=<compiles per sequence> (default 30),
// RLDEV_LESS_SEQUENCE_JOBS=<sequences at once> (default: cores),
// RLDEV_LESS_SEQUENCE_REFERENCE=esm to run the reference through less.js's
// ES modules instead of require('less'), RLDEV_LESS_SEQUENCE_VERBOSE=1 to
// print each compile's outcome on stderr.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { ServerClient, repo, serverPath } from './lib/server-client.mjs';
import { compareResults } from './lib/reference.mjs';
import { randomSequence } from './lib/less-projects.mjs';

globalThis.rldevLessServerAsLibrary = true;
const { renderOptions, PLUGIN_REFUSAL } = await import(serverPath);

const referenceChild = path.join(repo, 'scripts', 'lib', 'reference-child.mjs');
const env = process.env;
const seed = env.RLDEV_LESS_SEQUENCE_SEED === 'random' ? String(Date.now() % 1e9) : (env.RLDEV_LESS_SEQUENCE_SEED || '1');
const totalCompiles = Number(env.RLDEV_LESS_SEQUENCE_COUNT || 300);
const sequenceLength = Number(env.RLDEV_LESS_SEQUENCE_LENGTH || 30);
const jobs = Number(env.RLDEV_LESS_SEQUENCE_JOBS || os.availableParallelism?.() || os.cpus().length);
const referenceBuild = env.RLDEV_LESS_SEQUENCE_REFERENCE === 'esm' ? 'esm' : 'cjs';
const verbose = env.RLDEV_LESS_SEQUENCE_VERBOSE === '1';
const ROOT = '{{root}}';

// --------------------------------------------------------------- one project

/** A temp folder holding one project; writes steps' files into it. */
class Project {
    constructor() {
        this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rldev-less-sequence-'));
    }

    write(writes) {
        for (const [rel, text] of Object.entries(writes)) {
            const file = path.join(this.dir, rel);
            if (text === null) {
                fs.rmSync(file, { force: true });
            } else {
                fs.mkdirSync(path.dirname(file), { recursive: true });
                fs.writeFileSync(file, text.replaceAll(ROOT, this.dir));
            }
        }
    }

    input(compile) {
        const file = path.join(this.dir, compile.file);
        return {
            file,
            source: fs.readFileSync(file, 'utf8'),
            paths: compile.paths.map(p => path.join(this.dir, p)),
            vars: compile.vars
        };
    }

    remove() {
        fs.rmSync(this.dir, { recursive: true, force: true });
    }
}

const UNSETTLED_AWAIT = 13; // node's exit code when a top-level await never settles
const SMALLER_STACK_KB = 700; // node's default is 984
const STACK_OVERFLOW = 'Maximum call stack size exceeded';
const V8_FATAL = 'FATAL ERROR:';

/** An empty folder as the reference's working directory (less.js also looks there). */
const emptyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rldev-less-sequence-cwd-'));

/**
 * Plain less.js's result for the input, from a new process (with a stack
 * of stackKb, or node's default); null when less.js overflowed its stack
 * (endless recursion of imports or mixins): where the stack runs out, and
 * so the error, whether the compile ends at all, or whether V8 dies (it
 * does when it compiles a RegExp with almost no stack left), depends on the
 * depth of the stack, which differs in the server.
 */
function referenceCompile(input, stackKb = null) {
    const job = {
        input,
        options: renderOptions(input.file, input.paths, input.vars),
        pluginRefusal: PLUGIN_REFUSAL,
        build: referenceBuild
    };
    return new Promise((resolve, reject) => {
        const args = (stackKb ? [`--stack-size=${stackKb}`] : []).concat([referenceChild]);
        const child = spawn(process.execPath, args, { cwd: emptyDir, stdio: ['pipe', 'pipe', 'pipe'] });
        let out = '';
        let err = '';
        child.stdout.setEncoding('utf8').on('data', chunk => { out += chunk; });
        child.stderr.setEncoding('utf8').on('data', chunk => { err += chunk; });
        child.on('error', reject);
        child.on('close', code => {
            const last = out.trim().split('\n').pop();
            if (!last && (code === UNSETTLED_AWAIT || err.includes(V8_FATAL))) {
                resolve(null); // the stack overflowed where less.js then waits for ever, or V8 died
                return;
            }
            try {
                const result = JSON.parse(last);
                resolve(result.error && result.error.message === STACK_OVERFLOW ? null : result);
            } catch {
                reject(new Error(`reference process failed on ${input.file} (exit ${code}): ${err.slice(0, 2000)}`));
            }
        });
        child.stdin.end(JSON.stringify(job));
    });
}

/** Differences of one compile: the comparison, and no plugin script asked for. */
function differencesOf(expected, actual) {
    const differences = compareResults(expected, actual);
    if (actual.reads.some(read => read.candidates.some(c => c.endsWith('.js')))) {
        differences.push('the server asked for a plugin script');
    }
    return differences;
}

/**
 * Runs the steps on a new server and project folder. Every compile is
 * compared (or only the last, for shrinking), but those where less.js
 * overflows its stack (then a server that died is replaced); stops at the
 * first mismatch. Returns {compiles, mismatch: {index, differences,
 * expected, actual, dir} | null, outcomes, overflows}.
 */
async function runSteps(steps, { onlyLast = false } = {}) {
    const project = new Project();
    let server = await startServer();
    const run = { compiles: 0, mismatch: null, outcomes: [], overflows: 0 };
    try {
        for (let i = 0; i < steps.length; i++) {
            project.write(steps[i].writes);
            const input = project.input(steps[i].compile);
            const actual = await server.compile(input).catch(e => ({
                css: null, error: { message: `the server died: ${e.message}` }, reads: [], died: true
            }));
            run.compiles = i + 1;
            run.outcomes.push(actual);
            if (verbose) {
                process.stderr.write(`${steps[i].compile.file} ${JSON.stringify(steps[i].compile.vars)}: ` +
                    `${describeResult(actual).replaceAll(project.dir, ROOT)}\n`);
            }
            if (onlyLast && i < steps.length - 1 && !actual.died) { continue; }
            const expected = await referenceCompile(input);
            const differences = expected && differencesOf(expected, actual);
            if (expected === null || (differences.length && await dependsOnStack(input, expected))) {
                run.overflows++;
                if (actual.died) { server = await startServer(); }
                continue;
            }
            if (differences.length) {
                run.mismatch = { index: i, differences, expected, actual, dir: project.dir };
                return run;
            }
        }
        return run;
    } finally {
        await server.close();
        project.remove();
    }
}

/**
 * Whether plain less.js gives another result with a smaller stack: then it
 * overflowed its stack, even if its error does not say so (the import
 * visitor keeps the last error of a compile, which a RangeError it caught
 * need not be).
 */
async function dependsOnStack(input, expected) {
    const smaller = await referenceCompile(input, SMALLER_STACK_KB);
    return smaller === null || JSON.stringify(smaller) !== JSON.stringify(expected);
}

async function startServer() {
    const server = new ServerClient();
    await server.ready();
    return server;
}

// ------------------------------------------------------------------ shrinking

/** The steps without compile i: its writes happen before step i + 1's. */
function withoutCompile(steps, i) {
    const merged = { writes: { ...steps[i].writes, ...steps[i + 1].writes }, compile: steps[i + 1].compile };
    return steps.slice(0, i).concat([merged], steps.slice(i + 2));
}

/** Drops compiles, from the first, while the last compile still mismatches. */
async function shrink(steps) {
    let current = steps;
    for (let i = 0; i < current.length - 1;) {
        const candidate = withoutCompile(current, i);
        const run = await runSteps(candidate, { onlyLast: true });
        if (run.mismatch) {
            current = candidate;
        } else {
            i++;
        }
    }
    return current;
}

// ------------------------------------------------------------------- reports

function describeResult(result) {
    if (result.error) {
        const e = result.error;
        return `error ${e.type}: ${e.message} @ ${e.file}:${e.line}:${e.column}`;
    }
    return `${result.css.length} bytes of CSS`;
}

function printSteps(steps) {
    steps.forEach((step, i) => {
        console.log(`  step ${i + 1}:`);
        for (const [file, text] of Object.entries(step.writes)) {
            if (text === null) {
                console.log(`    delete ${file}`);
            } else {
                console.log(`    write ${file}:`);
                for (const line of text.replace(/\n$/, '').split('\n')) { console.log(`      | ${line}`); }
            }
        }
        const c = step.compile;
        console.log(`    compile ${c.file} paths=${JSON.stringify(c.paths)} vars=${JSON.stringify(c.vars)}`);
    });
}

/** Prints a mismatch, shrunk, and writes its steps as JSON for a replay. */
async function report(label, steps, mismatch) {
    const failing = steps.slice(0, mismatch.index + 1);
    const shrunk = await shrink(failing);
    const last = await runSteps(shrunk);
    const shown = last.mismatch || mismatch;
    const file = path.join(os.tmpdir(), `rldev-less-sequence-${label.replace(/\W+/g, '-')}-${process.pid}.json`);
    fs.writeFileSync(file, `${JSON.stringify({ label, steps: shrunk }, null, 1)}\n`);
    console.log(`MISMATCH ${label}, compile ${mismatch.index + 1}; shrunk from ${failing.length} to ${shrunk.length} compile(s)` +
        ` (${ROOT} is the project folder):`);
    printSteps(shrunk);
    console.log(`  less.js: ${describeResult(shown.expected)}`);
    console.log(`  server:  ${describeResult(shown.actual)}`);
    for (const d of shown.differences) { console.log(`  ${d.replaceAll(shown.dir, ROOT).split('\n').join('\n  ')}`); }
    console.log(`  replay: node scripts/less-sequence.mjs ${file}`);
}

// ---------------------------------------------------------------------- runs

/** Counts of what the compiles did, to show the sequences test what they should. */
class Tally {
    constructor() {
        this.compiles = 0;
        this.sequences = 0;
        this.mismatches = 0;
        this.outcomes = new Map();
        this.pure = { kept: 0, downgraded: 0 };
        this.cacheCopies = 0;
        this.overflows = 0;
    }

    add(run) {
        this.sequences++;
        this.compiles += run.compiles;
        if (run.mismatch) { this.mismatches++; }
        this.overflows += run.overflows;
        for (const outcome of run.outcomes.slice(0, run.compiles)) {
            const key = outcome.error ? `error ${outcome.error.type}` : 'css';
            this.outcomes.set(key, (this.outcomes.get(key) || 0) + 1);
            const { pureCopies = 0, pureDowngrades = 0, cacheCopies = 0 } = outcome.stats || {};
            if (pureCopies > pureDowngrades) { this.pure.kept++; }
            if (pureDowngrades > 0) { this.pure.downgraded++; }
            this.cacheCopies += cacheCopies;
        }
    }

    describe() {
        const outcomes = [...this.outcomes].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`).join(', ');
        return `outcomes: ${outcomes} (not compared, as less.js overflowed its stack: ${this.overflows}); ` +
            `imports from the parse cache: ${this.cacheCopies}; ` +
            `compiles keeping a pre-evaluated file: ${this.pure.kept}, turning one back: ${this.pure.downgraded}`;
    }
}

const knownDir = path.join(repo, 'tests', 'less_fixtures', 'sequences');

/** Runs the sequences ([{label, steps}], or functions making one), `jobs` at a time. */
async function runAll(sequences, tally) {
    let next = 0;
    const worker = async () => {
        while (next < sequences.length) {
            const item = sequences[next++];
            const { label, steps } = typeof item === 'function' ? item() : item;
            const run = await runSteps(steps);
            tally.add(run);
            if (run.mismatch) { await report(label, steps, run.mismatch); }
        }
    };
    await Promise.all(Array.from({ length: Math.min(jobs, sequences.length) }, worker));
}

function readSequence(file) {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
}

/** The known sequences, then random ones for the compile count. */
async function runKnownAndRandom() {
    const tally = new Tally();
    const known = fs.readdirSync(knownDir).filter(f => f.endsWith('.json')).sort()
        .map(f => readSequence(path.join(knownDir, f)));
    const count = Math.max(1, Math.ceil(totalCompiles / sequenceLength));
    const random = Array.from({ length: count }, (_, k) =>
        () => ({ label: `seed ${seed} sequence ${k}`, steps: randomSequence(`${seed}/${k}`, sequenceLength) }));
    await runAll(known.concat(random), tally);
    return tally;
}

async function main() {
    const started = performance.now();
    let tally;
    try {
        if (process.argv[2]) {
            tally = new Tally();
            await runAll([readSequence(process.argv[2])], tally);
        } else {
            tally = await runKnownAndRandom();
        }
    } finally {
        fs.rmSync(emptyDir, { recursive: true, force: true });
    }
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(`seed ${seed}, reference ${referenceBuild}, ${seconds} s; ${tally.describe()}`);
    console.log(`less-sequence: ${tally.compiles} compiles in ${tally.sequences} sequences, ${tally.mismatches} mismatches`);
    process.exit(tally.mismatches ? 1 : 0);
}

await main();
