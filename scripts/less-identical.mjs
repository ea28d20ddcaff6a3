#!/usr/bin/env node
// Proves that src/less/server/ (protocol file manager + parse cache)
// compiles exactly like plain less.js.
//
// Every input is compiled with plain `less.render` (less.js's own node file
// manager, the server's options) and through server.mjs over its NDJSON
// protocol (this script answers the server's "read" requests from disk);
// CSS and error (message, type, file, line, column) must be identical. The
// server compiles each input twice in a row, the second time from its parse
// cache (for a file of plain variable declarations, from its pre-evaluated
// form: the fixtures under pure/ try to make that differ, and say what the
// second compile must have done with it). Inputs: (a) a generated tree of
// modules importing a 1000-variable file, (b)
// tests/less_fixtures/cases.json, (c) less.js's own test inputs
// from the @less/test-data package, installed with npm into a temp folder
// (skipped with a notice when npm cannot install it; inputs using @plugin
// must give the server's refusal instead). It also checks what the server
// refuses (paths with "." or ".." segments, @plugin), that cached-tree
// copies are structurally identical to fresh parses, and prints timings:
// per-module compile with and without the cache, parse vs copy.
//
// The known, deliberate differences are normalized (see lib/reference.mjs):
// the message of a missing @import, and @plugin, which the server refuses.
// The reference (the CommonJS build of less.js) runs in this process, one
// compile after another: scripts/less-sequence.mjs checks the server against
// a fresh less.js process per compile instead.
//
// Usage (from the repository root, after `npm ci`):
//   node scripts/less-identical.mjs
// Environment: RLDEV_LESS_BENCH_MODULES=<n> modules for the cached timing run
// (default 1000; 0 skips timings), RLDEV_LESS_TEST_DATA=0 skips (c),
// RLDEV_LESS_VERBOSE=1 names each input on stderr as it is checked.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { ServerClient, repo, serverPath } from './lib/server-client.mjs';
import { plainLess, compareResults } from './lib/reference.mjs';

const fixturesDir = path.join(repo, 'tests', 'less_fixtures');
const TEST_DATA_VERSION = '4.1.0';

globalThis.rldevLessServerAsLibrary = true;
const { internals, renderOptions, PLUGIN_REFUSAL } = await import(serverPath);
const { less, TreePlan, normalizedImportText } = internals;

// The reference: plain less.js as require() gives it (the CommonJS bundle;
// the server loads the same version through its ES modules).
const reference = plainLess(createRequire(import.meta.url)('less'), renderOptions, PLUGIN_REFUSAL);

const results = { passed: 0, failed: 0 };
const cacheTotals = { copies: 0 };

function pass() {
    results.passed++;
}

function fail(name, details) {
    results.failed++;
    console.log(`FAIL ${name}`);
    for (const line of details) {
        console.log(`    ${line}`);
    }
}

/**
 * Compiles one input twice through the server and once with plain less.js;
 * records a pass or a failure named after the input.
 */
async function checkInput(server, name, input, expect = null) {
    if (process.env.RLDEV_LESS_VERBOSE === '1') {
        process.stderr.write(`checking ${name}\n`);
    }
    const expected = input.serverOnly ? null : await reference.compile(input);
    const differences = [];
    const actuals = [];
    for (const round of [1, 2]) {
        const actual = await server.compile(input);
        actuals.push(actual);
        if (expected) {
            differences.push(...compareResults(expected, actual).map(d => `compile ${round}: ${d}`));
        }
        if (expect) {
            differences.push(...checkExpectations(expect, actual, round).map(d => `compile ${round}: ${d}`));
        }
    }
    if (JSON.stringify(actuals[0].reads) !== JSON.stringify(actuals[1].reads)) {
        differences.push('the two server compiles read different files');
    }
    if (actuals[1].stats.cachePlansBuilt !== 0) {
        differences.push(`the second compile parsed ${actuals[1].stats.cachePlansBuilt} import(s) anew instead of using the cache`);
    }
    cacheTotals.copies += actuals[0].stats.cacheCopies + actuals[1].stats.cacheCopies;
    if (differences.length) {
        fail(name, differences);
    } else {
        pass();
    }
    return actuals[0];
}

/** What a compile did with pre-evaluated variable files (server/pure.mjs PureRoot). */
function pureOutcome(stats) {
    if (stats.pureDowngrades > 0) { return 'downgraded'; }
    return stats.pureCopies > 0 ? 'kept' : 'none';
}

function checkExpectations(expect, actual, round) {
    const differences = [];
    if (expect.pure !== undefined && round === 2 && pureOutcome(actual.stats) !== expect.pure) {
        differences.push(`expected pre-evaluated imports ${expect.pure}, got ${pureOutcome(actual.stats)} (${JSON.stringify(actual.stats)})`);
    }
    if (expect.css !== undefined && actual.css !== expect.css) {
        differences.push(`expected css ${JSON.stringify(expect.css)}, got ${JSON.stringify(actual.css)}`);
    }
    if (expect.readsNoScript && actual.reads.some(r => r.candidates.some(c => c.endsWith('.js')))) {
        differences.push('a plugin script was asked for');
    }
    if (expect.error) {
        for (const [key, value] of Object.entries(expect.error)) {
            if (!actual.error || actual.error[key] !== value) {
                differences.push(`expected error.${key} ${JSON.stringify(value)}, got ${JSON.stringify(actual.error && actual.error[key])}`);
            }
        }
    }
    return differences;
}

// ------------------------------------------------------------ protocol

/** Bad requests get error replies, the process survives them, EOF exits 0. */
async function checkProtocol() {
    const problems = [];
    const server = new ServerClient();
    const hello = await server.ready();
    const lessVersion = less.version.join('.');
    if (hello.less !== lessVersion) { problems.push(`ready says less ${hello.less}, expected ${lessVersion}`); }
    const expectError = async (label, line, id, pattern) => {
        server.child.stdin.write(line + '\n');
        const reply = await server.receive();
        if (reply.op !== 'done' || reply.id !== id || reply.css !== null || !pattern.test(reply.error?.message ?? '')) {
            problems.push(`${label}: got ${JSON.stringify(reply)}`);
        }
    };
    server.child.stdin.write('\n   \n');
    await expectError('invalid JSON', '{"op":', null, /^invalid JSON request/);
    await expectError('unknown op', '{"op":"bogus","id":5}', 5, /unexpected op "bogus"/);
    await expectError('missing source', '{"op":"compile","id":6,"file":"/x.less"}', 6, /"source" must be a string/);
    await expectError('bad paths', '{"op":"compile","id":7,"file":"/x.less","source":"","paths":"/p"}', 7, /"paths"/);
    // A reply to a read with the wrong id fails that compile, not the process.
    server.send({ op: 'compile', id: 8, file: '/nowhere/x.less', source: '@import "y";', paths: [], prefixes: {}, vars: {} });
    const read = await server.receive();
    if (read.op !== 'read' || JSON.stringify(read.candidates) !== '["/nowhere/y","/nowhere/y.less"]' || read.binary !== false) {
        problems.push(`read request: got ${JSON.stringify(read)}`);
    }
    server.send({ op: 'file', id: 999, index: null });
    const done = await server.receive();
    if (done.op !== 'done' || done.id !== 8 || !/rldev protocol error/.test(done.error?.message ?? '') ||
        done.error.line !== 1 || done.error.column !== 1 || done.error.file !== '/nowhere/x.less') {
        problems.push(`wrong reply id: got ${JSON.stringify(done)}`);
    }
    // (math: 'always' divides without parentheses.)
    const after = await server.compile({ file: '/nowhere/z.less', source: '.z { a: 6px / 3; }' });
    if (after.css !== '.z {\n  a: 2px;\n}\n') { problems.push(`compile after errors: got ${JSON.stringify(after)}`); }
    // End of input in the middle of a compile: exit 0.
    server.send({ op: 'compile', id: 10, file: '/nowhere/x.less', source: '@import "y";', paths: [], prefixes: {}, vars: {} });
    await server.receive();
    const code = await server.close();
    if (code !== 0) { problems.push(`exit code ${code} after stdin closed`); }
    if (problems.length) { fail('protocol', problems); } else { pass(); }
}

// ------------------------------------------------------------ refusals

/**
 * What the server refuses, which plain less.js would compile: paths with
 * "." or ".." segments that less.js hands to the OS (which resolves a
 * symlink's "..", where rldev's side normalizes lexically), and @plugin,
 * whose script must never even be read (it would leave a marker file).
 */
async function checkRefusals() {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rldev-less-refusals-'));
    const write = (rel, text) => {
        fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
        fs.writeFileSync(path.join(dir, rel), text);
    };
    write('x.less', '.lexical { a: 1; }\n');
    write('real/x.less', '.physical { a: 2; }\n');
    write('real/sub/y.less', '.y { a: 3; }\n');
    write('img.svg', '<svg xmlns="http://www.w3.org/2000/svg"/>\n');
    write('m/plug.js', `require('fs').writeFileSync(${JSON.stringify(path.join(dir, 'ran'))}, 'x');\n` +
        'module.exports = { install() {} };\n');
    fs.symlinkSync(path.join(dir, 'real', 'sub'), path.join(dir, 'link'));
    const main = path.join(dir, 'm', 'main.less');
    const absolute = p => `absolute import path with '.' or '..' segments: write it without them ('${p}')`;
    const cases = [
        ['symlink', `@import "${dir}/link/../x.less";`, {}, [], { type: 'File', message: absolute(`${dir}/link/../x.less`) }],
        ['missing folder, (optional)', `.a { b: c; }\n@import (optional) "${dir}/none/../x.less";`, {}, [],
            { type: 'File', line: 2, column: 1, message: absolute(`${dir}/none/../x.less`) }],
        ['dot', `@import "${dir}/./x.less";`, {}, [], { type: 'File', message: absolute(`${dir}/./x.less`) }],
        ['prefix', '@import "pfx/../x.less";', { 'pfx/': `${dir}/real/` }, [],
            { type: 'File', message: "prefixed import path with '.' or '..' segments: write it without them ('pfx/../x.less')" }],
        ['"#" folder of paths', '@import "../z.less";', {}, [`#${dir}/real/sub/`], {
            type: 'File',
            message: `import path '../z.less' leads to '${dir}/real/sub/../z.less' (a "#" folder of "paths"), ` +
                "with '.' or '..' segments: write it without them"
        }],
        ['data-uri()', `.a { b: data-uri("${dir}/link/../img.svg"); }`, {}, [], {
            type: 'Runtime', column: 9,
            message: `Error evaluating function \`data-uri\`: absolute file path with '.' or '..' segments: write it without them ('${dir}/link/../img.svg')`
        }],
        ['@plugin', '@plugin "plug";\n.a { b: c; }', {}, [], { type: 'Syntax', message: PLUGIN_REFUSAL }]
    ];
    const server = new ServerClient();
    await server.ready();
    for (const [label, source, prefixes, paths, expected] of cases) {
        const result = await server.compile({ file: main, source, prefixes, paths });
        const wanted = { file: main, line: 1, column: 1, ...expected };
        const problems = Object.entries(wanted).filter(([k, v]) => result.error?.[k] !== v)
            .map(([k, v]) => `error.${k}: expected ${JSON.stringify(v)}, got ${JSON.stringify(result.error?.[k])}`);
        const asked = result.reads.flatMap(r => r.candidates).filter(c => c.includes('..') || c.endsWith('.js'));
        if (asked.length) { problems.push(`asked for ${asked.join(', ')}`); }
        if (problems.length) { fail(`refusal: ${label}`, problems); } else { pass(); }
    }
    // A "#" folder of "paths" is not reached when an earlier candidate exists; the process goes on.
    const fine = await server.compile({ file: main, source: '@import "../x.less";', paths: [`#${dir}/real/sub/`] });
    if (fine.css !== '.lexical {\n  a: 1;\n}\n') { fail('refusal: earlier candidate found', [JSON.stringify(fine)]); } else { pass(); }
    if (fs.existsSync(path.join(dir, 'ran'))) { fail('refusal: @plugin', ['the plugin script ran']); } else { pass(); }
    await server.close();
    fs.rmSync(dir, { recursive: true, force: true });
}

// ------------------------------------------------------- (a) synthetic tree

const SYNTHETIC_VARS = 1000;

function writeSyntheticTree(dir, modules) {
    let vars = '// generated by scripts/less-identical.mjs\n@fan: 128;\n';
    for (let i = 0; i < SYNTHETIC_VARS; i++) {
        vars += `@c${i}: rgb(${i % 256}, @fan, 0);\n`;
    }
    fs.writeFileSync(path.join(dir, 'vars.less'), vars);
    for (let i = 0; i < modules; i++) {
        const k = i % 20;
        fs.writeFileSync(path.join(dir, `m${i}.less`),
            `@import "vars.less";\n.m${i} { color: @c${i % SYNTHETIC_VARS}; background-image: url(icons/i${k}.svg); }\n`);
    }
}

function syntheticInput(dir, i) {
    const file = path.join(dir, `m${i}.less`);
    return { file, source: fs.readFileSync(file, 'utf8'), vars: i % 5 === 4 ? { fan: '64' } : {} };
}

async function checkSynthetic(dir) {
    const server = new ServerClient();
    await server.ready();
    for (let i = 0; i < 50; i++) {
        const first = await checkInput(server, `synthetic m${i}.less`, syntheticInput(dir, i));
        // The first compile learns vars.less; every later one gets its
        // pre-evaluated form, turned into an ordinary copy when modifyVars
        // redeclares @fan, which it refers to.
        const expected = i === 0 ? { cacheCopies: 0, cachePlansBuilt: 1, pureCopies: 0, pureDowngrades: 0 } :
            { cacheCopies: 1, cachePlansBuilt: 0, pureCopies: 1, pureDowngrades: i % 5 === 4 ? 1 : 0 };
        if (JSON.stringify(first.stats) !== JSON.stringify(expected)) {
            fail(`synthetic m${i}.less cache`, [`expected stats ${JSON.stringify(expected)}, got ${JSON.stringify(first.stats)}`]);
        }
    }
    await server.close();
}

// ------------------------------------------------------------ (b) fixtures

function fixtureInput(testCase) {
    const file = path.join(fixturesDir, testCase.file);
    const prefixes = {};
    for (const [key, folder] of Object.entries(testCase.prefixes || {})) {
        prefixes[key] = path.join(fixturesDir, folder) + '/';
    }
    return {
        file,
        source: fs.readFileSync(file, 'utf8'),
        paths: (testCase.paths || []).map(p => path.join(fixturesDir, p)),
        prefixes,
        vars: testCase.vars || {},
        serverOnly: Boolean(testCase.serverOnly)
    };
}

/**
 * Expected error fields with fixture-relative paths made absolute, and what
 * the second compile does with pre-evaluated imports ("pure").
 */
function fixtureExpectations(testCase) {
    if (!testCase.expect && !testCase.pure) { return null; }
    const expect = { ...testCase.expect, pure: testCase.pure };
    if (expect.error) {
        expect.error = { ...expect.error };
        if (expect.error.file) {
            expect.error.file = path.join(fixturesDir, expect.error.file);
        }
        if (expect.error.message) {
            expect.error.message = expect.error.message.replaceAll('{dir}', fixturesDir);
        }
    }
    return expect;
}

async function checkFixtures() {
    const { cases } = JSON.parse(fs.readFileSync(path.join(fixturesDir, 'cases.json'), 'utf8'));
    const server = new ServerClient();
    await server.ready();
    const summary = [];
    for (const testCase of cases) {
        const before = results.failed;
        const actual = await checkInput(server, `fixture ${testCase.file}`, fixtureInput(testCase),
            fixtureExpectations(testCase));
        summary.push(fixtureSummary(testCase, actual, results.failed === before));
    }
    await server.close();
    return summary;
}

function fixtureSummary(testCase, actual, ok) {
    const outcome = actual.error ?
        `error ${actual.error.type}: ${actual.error.message} @ ${path.relative(fixturesDir, actual.error.file || '')}:${actual.error.line}:${actual.error.column}` :
        `${actual.css.length} bytes of CSS`;
    const reads = actual.reads.length;
    const cache = `${actual.stats.cacheCopies} import(s) from cache (${actual.stats.pureCopies} pre-evaluated, ` +
        `${actual.stats.pureDowngrades} of them turned back), ${actual.stats.cachePlansBuilt} newly cached`;
    return `${ok ? 'ok  ' : 'FAIL'} ${testCase.file}${testCase.vars ? ' (vars)' : ''}: ${outcome}; ${reads} read(s); 1st compile: ${cache}`;
}

// ------------------------------------------------------- (c) @less/test-data

function installTestData() {
    if (process.env.RLDEV_LESS_TEST_DATA === '0') { return null; }
    const dir = path.join(os.tmpdir(), `rldev-less-test-data-${TEST_DATA_VERSION}`);
    const pkg = path.join(dir, 'node_modules', '@less', 'test-data');
    if (!fs.existsSync(path.join(pkg, 'package.json'))) {
        fs.mkdirSync(dir, { recursive: true });
        const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
        const r = spawnSync(npm, ['install', '--no-save', '--no-package-lock', '--no-audit', '--no-fund',
            '--loglevel=error', '--prefix', dir, `@less/test-data@${TEST_DATA_VERSION}`], { stdio: ['ignore', 'ignore', 'inherit'] });
        if (r.status !== 0 || !fs.existsSync(path.join(pkg, 'package.json'))) {
            return null;
        }
    }
    return pkg;
}

/**
 * Inputs from less.js's test suite that cannot compare: they need inline
 * JavaScript or plugins, fetch URLs, or resolve imports from node_modules.
 */
const TEST_DATA_SKIP = [
    [/javascript|(^|\/)js-/i, 'inline JavaScript'],
    [/import-module/, 'imports resolved through node_modules (npm://), which the server does not search']
];

function testDataInputs(pkg) {
    const inputs = [];
    const withPlugins = [];
    const skipped = [];
    const walk = dir => {
        for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
            const full = path.join(dir, entry.name);
            if (entry.isDirectory()) {
                walk(full);
            } else if (entry.name.endsWith('.less')) {
                const rel = path.relative(pkg, full);
                const skip = TEST_DATA_SKIP.find(([re]) => re.test(rel));
                if (skip) {
                    skipped.push(`${rel} (${skip[1]})`);
                } else {
                    (/@plugin\b/.test(fs.readFileSync(full, 'utf8')) ? withPlugins : inputs).push(full);
                }
            }
        }
    };
    for (const sub of ['less', 'errors']) {
        walk(path.join(pkg, sub));
    }
    return { inputs, withPlugins, skipped };
}

async function checkTestData(pkg) {
    const { inputs, withPlugins, skipped } = testDataInputs(pkg);
    const server = new ServerClient();
    await server.ready();
    for (const file of inputs) {
        const input = { file, source: fs.readFileSync(file, 'utf8') };
        await checkInput(server, `test-data ${path.relative(pkg, file)}`, input);
    }
    for (const file of withPlugins) {
        const input = { file, source: fs.readFileSync(file, 'utf8'), serverOnly: true };
        await checkInput(server, `test-data ${path.relative(pkg, file)} (@plugin refused)`, input,
            { error: { message: PLUGIN_REFUSAL, type: 'Syntax' }, readsNoScript: true });
    }
    await server.close();
    return { count: inputs.length, plugins: withPlugins.length, skipped };
}

// ------------------------------------------------ cached-tree copy checks

/** Parses text as import-manager does for an import, with a real fileInfo. */
function parseLikeImport(text, fileInfo) {
    const context = new less.contexts.Parse({});
    context.processImports = false;
    let root = null;
    const scratch = { contents: {}, contentsIgnoredChars: {} };
    new less.Parser(context, scratch, fileInfo).parse(text, (e, parsed) => { root = e ? null : parsed; });
    return root;
}

function exampleFileInfo(filename) {
    return {
        rewriteUrls: 0, entryPath: '/entry/', rootpath: '', rootFilename: '/entry/main.less',
        currentDirectory: filename.replace(/[^/]*$/, ''), filename
    };
}

/**
 * Walks two object graphs in step: same prototypes, own keys in the same
 * order, equal primitives, and the same sharing/cycle structure. fileInfo
 * objects must correspond; function registries are compared by their (empty)
 * local functions only.
 */
function compareGraphs(a, b, fileInfoA, fileInfoB) {
    const pairs = new Map();
    const extendIds = new Map();
    const stack = [[a, b, 'root']];
    while (stack.length) {
        const [x, y, where] = stack.pop();
        if (/\.(object_id|parent_ids\.\d+)$/.test(where)) {
            // Extend ids are opaque tokens compared for equality: a bijection suffices.
            if (extendIds.has(x) ? extendIds.get(x) !== y : [...extendIds.values()].includes(y)) {
                return `${where}: extend ids do not correspond`;
            }
            extendIds.set(x, y);
            continue;
        }
        if (x === fileInfoA || y === fileInfoB) {
            if (x !== fileInfoA || y !== fileInfoB) { return `${where}: fileInfo mismatch`; }
            continue;
        }
        if (x === null || typeof x !== 'object') {
            if (!Object.is(x, y)) { return `${where}: ${String(x)} !== ${String(y)}`; }
            continue;
        }
        if (y === null || typeof y !== 'object') { return `${where}: object vs ${String(y)}`; }
        if (pairs.has(x)) {
            if (pairs.get(x) !== y) { return `${where}: sharing differs`; }
            continue;
        }
        pairs.set(x, y);
        if (Object.getPrototypeOf(x) !== Object.getPrototypeOf(y)) { return `${where}: prototype differs`; }
        if (x instanceof RegExp && String(x) !== String(y)) { return `${where}: RegExp differs`; }
        if (where.endsWith('.functionRegistry')) {
            if (Object.keys(x._data).length || Object.keys(y._data).length) { return `${where}: registry not empty`; }
            continue;
        }
        const keysX = Reflect.ownKeys(x);
        const keysY = Reflect.ownKeys(y);
        if (JSON.stringify(keysX.map(String)) !== JSON.stringify(keysY.map(String))) {
            return `${where}: keys ${keysX.map(String)} vs ${keysY.map(String)}`;
        }
        for (const key of keysX) {
            if (Array.isArray(x) && key === 'length') { continue; }
            stack.push([x[key], y[key], `${where}.${String(key)}`]);
        }
    }
    return null;
}

/** Objects reachable from root, other than the fileInfo and function registries. */
function reachableObjects(root, fileInfo) {
    const seen = new Set();
    const stack = [root];
    while (stack.length) {
        const x = stack.pop();
        if (x === null || typeof x !== 'object' || x === fileInfo || seen.has(x)) { continue; }
        seen.add(x);
        for (const key of Object.keys(x)) {
            if (key !== 'functionRegistry') { stack.push(x[key]); }
        }
    }
    return seen;
}

/** A cache plan as the server makes one: from a tree just parsed. */
function planFromParse(text, filename) {
    const fileInfo = exampleFileInfo(filename);
    const root = parseLikeImport(text, fileInfo);
    return root && TreePlan.build(root, fileInfo, new Set([root.functionRegistry]));
}

/**
 * A copy from a cache plan equals a fresh parse of the raw file, and two
 * copies share no object.
 */
function checkCopy(name, filename, raw) {
    const freshInfo = exampleFileInfo(filename);
    const fresh = parseLikeImport(raw.replace(/^\uFEFF/, ''), freshInfo);
    if (!fresh) {
        pass(); // does not parse: never cached
        return;
    }
    const plan = planFromParse(normalizedImportText(raw), filename);
    if (!plan) {
        fail(`copy ${name}`, ['tree not cacheable']);
        return;
    }
    const fileInfo1 = exampleFileInfo(filename);
    const copy1 = plan.instantiate(fileInfo1);
    const fileInfo2 = exampleFileInfo(filename);
    const copy2 = plan.instantiate(fileInfo2);
    const problem = compareGraphs(fresh, copy1, freshInfo, fileInfo1) ||
        compareGraphs(copy1, copy2, fileInfo1, fileInfo2) || sharedBetween(copy1, copy2, fileInfo1, fileInfo2);
    if (problem) {
        fail(`copy ${name}`, [problem]);
    } else {
        pass();
    }
}

function sharedBetween(copy1, copy2, fileInfo1, fileInfo2) {
    const one = reachableObjects(copy1, fileInfo1);
    for (const x of reachableObjects(copy2, fileInfo2)) {
        if (one.has(x)) { return 'two copies share an object'; }
    }
    return null;
}

function lessFilesUnder(dir) {
    const out = [];
    const walk = d => {
        for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
            const full = path.join(d, entry.name);
            if (entry.isDirectory()) { walk(full); } else if (/\.(less|css)$/.test(entry.name)) { out.push(full); }
        }
    };
    walk(dir);
    return out.sort();
}

function checkCopies(dirs, syntheticDir) {
    let count = 0;
    checkCopy('synthetic vars.less', path.join(syntheticDir, 'vars.less'),
        fs.readFileSync(path.join(syntheticDir, 'vars.less'), 'utf8'));
    count++;
    for (const [label, dir] of dirs) {
        for (const file of lessFilesUnder(dir)) {
            checkCopy(`${label} ${path.relative(dir, file)}`, file, fs.readFileSync(file, 'utf8'));
            count++;
        }
    }
    return count;
}

// ---------------------------------------------------------------- timings

function median(values) {
    const sorted = values.slice().sort((x, y) => x - y);
    return sorted[sorted.length >> 1];
}

function mean(values) {
    return values.reduce((s, v) => s + v, 0) / values.length;
}

function describeTimes(values) {
    return `median ${median(values).toFixed(2)} ms, mean ${mean(values).toFixed(2)} ms over ${values.length}`;
}

async function timeServer(dir, modules, env) {
    const server = new ServerClient(env);
    await server.ready();
    const times = [];
    for (let i = 0; i < modules; i++) {
        const input = syntheticInput(dir, i);
        const t0 = performance.now();
        const result = await server.compile(input);
        times.push(performance.now() - t0);
        if (result.error) { throw new Error(`synthetic m${i}.less failed: ${result.error.message}`); }
    }
    await server.close();
    return { first: times[0], rest: times.slice(1) };
}

async function timePlain(dir, modules) {
    const times = [];
    for (let i = 0; i < modules; i++) {
        const input = syntheticInput(dir, i);
        const t0 = performance.now();
        await reference.compile(input);
        times.push(performance.now() - t0);
    }
    return { first: times[0], rest: times.slice(1) };
}

function timeCopies(dir) {
    const filename = path.join(dir, 'vars.less');
    const text = normalizedImportText(fs.readFileSync(filename, 'utf8'));
    const parses = [];
    const plans = [];
    let plan = null;
    for (let i = 0; i < 15; i++) {
        const fileInfo = exampleFileInfo(filename);
        const t0 = performance.now();
        const root = parseLikeImport(text, fileInfo);
        const t1 = performance.now();
        plan = TreePlan.build(root, fileInfo, new Set([root.functionRegistry]));
        parses.push(t1 - t0);
        plans.push(performance.now() - t1);
    }
    const copies = [];
    for (let i = 0; i < 300; i++) {
        const t0 = performance.now();
        plan.instantiate(exampleFileInfo(filename));
        copies.push(performance.now() - t0);
    }
    return { objects: plan.count, parses, plans, copies };
}

async function printTimings(dir, modules) {
    console.log(`\nTimings (synthetic tree: modules importing a ${SYNTHETIC_VARS}-variable vars.less; ` +
        'server times include the protocol round trips):');
    const copies = timeCopies(dir);
    console.log(`  vars.less tree: ${copies.objects} objects; parse ${describeTimes(copies.parses)}; ` +
        `cache plan build ${describeTimes(copies.plans)}; copy ${describeTimes(copies.copies.slice(50))}`);
    const cached = await timeServer(dir, modules, {});
    console.log(`  server, parse cache on:  first ${cached.first.toFixed(1)} ms, then ${describeTimes(cached.rest)}`);
    const uncachedCount = Math.min(modules, 200);
    const uncached = await timeServer(dir, uncachedCount, { RLDEV_LESS_CACHE: '0' });
    console.log(`  server, parse cache off: first ${uncached.first.toFixed(1)} ms, then ${describeTimes(uncached.rest)}`);
    const plain = await timePlain(dir, uncachedCount);
    console.log(`  plain less.render in process: first ${plain.first.toFixed(1)} ms, then ${describeTimes(plain.rest)}`);
    console.log(`  speed-up from the cache: ${(median(uncached.rest) / median(cached.rest)).toFixed(1)}x (medians)`);
}

// ------------------------------------------------------------------- main

async function main() {
    const benchModules = Number(process.env.RLDEV_LESS_BENCH_MODULES ?? 1000);
    const syntheticDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rldev-less-identical-'));
    try {
        writeSyntheticTree(syntheticDir, Math.max(50, benchModules));

        await checkProtocol();
        console.log('protocol: error replies, recovery, exit on end of input checked');

        await checkRefusals();
        console.log('refusals: paths with "." or ".." segments (imports, data-uri()), @plugin checked');

        await checkSynthetic(syntheticDir);
        console.log(`(a) synthetic tree: 50 modules compared`);

        const summary = await checkFixtures();
        console.log(`(b) fixtures:\n  ${summary.join('\n  ')}`);

        const testData = installTestData();
        const copyDirs = [['fixture', fixturesDir]];
        if (testData) {
            const { count, plugins, skipped } = await checkTestData(testData);
            console.log(`(c) @less/test-data@${TEST_DATA_VERSION}: ${count} inputs compared; ${plugins} with @plugin refused; ` +
                `skipped ${skipped.length}:\n  ${skipped.join('\n  ')}`);
            copyDirs.push(['test-data', path.join(testData, 'less')], ['test-data', path.join(testData, 'errors')]);
        } else {
            console.log(`(c) @less/test-data@${TEST_DATA_VERSION}: SKIPPED (not installable here, or RLDEV_LESS_TEST_DATA=0)`);
        }

        const copies = checkCopies(copyDirs, syntheticDir);
        console.log(`cached-tree copies compared with fresh parses: ${copies} files`);
        console.log(`imports served from the parse cache during the comparisons: ${cacheTotals.copies}`);
        if (cacheTotals.copies === 0) {
            fail('parse cache', ['no import was ever served from the cache']);
        }

        if (benchModules > 0) {
            await printTimings(syntheticDir, benchModules);
        }
    } finally {
        fs.rmSync(syntheticDir, { recursive: true, force: true });
    }
    console.log(`\n${results.passed} passed, ${results.failed} failed`);
    process.exit(results.failed ? 1 : 0);
}

await main();
