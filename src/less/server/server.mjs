// rldev Less compile server: a long-lived Node process that compiles Less with
// less.js for rldev. It never reads Less sources or images from disk itself;
// every file less.js wants is asked of rldev over this protocol, so the bytes
// compiled are exactly the bytes rldev hashed, and rldev sees every path tried.
//
// Protocol: NDJSON, one JSON object per line, stdin (rldev -> node) and stdout
// (node -> rldev). stdout carries protocol lines only; logs go to stderr.
// One compile at a time, strictly request/response.
//
//   node:  {"op":"ready","less":"4.9.1"}                        once, at start
//   rldev: {"op":"compile","id":7,"file":"/abs/dir/style.less",
//           "source":"<text of file>","paths":["/abs/dir2"],
//           "prefixes":{"mediawiki.skin.codex/":"/abs/folder/"},
//           "vars":{"name":"value"}}
//   During a compile, for each file less.js wants (imports, data-uri(),
//   image-size() ...), zero or more times:
//   node:  {"op":"read","id":7,"candidates":["/abs/a.less","/p/a.less"],"binary":false}
//   rldev: {"op":"file","id":7,"index":1,"key":"<sha1>","contents_b64":"..."}
//                                                    candidates[1] exists
//      or  {"op":"file","id":7,"index":1,"key":"<sha1>"}   same, and this process
//          was already sent those bytes under that key (kept in a blob store)
//      or  {"op":"file","id":7,"index":null}                     none exists
//   Between compiles rldev may send {"op":"forget"}: empty the blob store
//   (no reply). rldev sends it before its record of what was sent grows large.
//   Finally:
//   node:  {"op":"done","id":7,"css":"...","error":null}
//      or  {"op":"done","id":7,"css":null,"error":{"message":"...","type":"Name",
//           "file":"/abs/x.less","line":3,"column":5}}
//   line and column are 1-based; type is less.js's error type (Parse, Name,
//   File, Syntax, Runtime ...); file/line/column/type are null when less.js
//   gives none. A missing import gives type "File" and the message
//   "'<path>' wasn't found. Tried - <candidates>", at the @import's position.
//   A request that is not valid JSON or not a compile gets a "done" with an
//   error (id null when unknown). When stdin closes, the process exits 0.
//
//   rldev: {"op":"flip","id":8,"css":"..."}   CSS for a right-to-left language
//   node:  {"op":"done","id":8,"css":"...","error":null}   (see flip())
//
// Candidates follow less.js's node file manager: an import path starting with
// a key of "prefixes" maps to that folder + the rest, normalized, then that
// with ".less" appended (the longest matching key wins; nothing else is
// tried); an absolute path is tried as is,
// otherwise in the importing file's directory; then joined to each of "paths"
// (normalized, even an absolute path, as less.js does). In each folder an
// import tries the path as written, then with ".less" appended, as
// MediaWiki's less.php does (less.js would try only the path with ".less"
// when it has no extension of its own, and only the path otherwise). Unlike less.js's node file manager, the
// process working directory and node_modules are never searched. "binary" is true for raw reads
// (data-uri(), image-size()), which less.js resolves against the entry
// file's folder (rewriteUrls off), even from imported files.
//
// A candidate that is not an absolute path (from a URL or "#" import path),
// which less.js would look up in its working directory, is never asked for:
// it is missing. Refused (see RefusedPath in files.mjs): paths less.js would
// hand to the OS with "." or ".." segments (an absolute path, the rest after a prefix
// key, a path under a "#" entry of "paths"), which rldev's side would
// normalize lexically. An import of one fails with type "File" at the
// @import, (optional) or not; data-uri() or image-size() of one fails as
// that function call. Every @plugin fails with type "Syntax" and the
// message PLUGIN_REFUSAL, at the @plugin: its file is never even read.
//
// Isolation: every compile gives what a fresh less.js process gives for the
// same inputs (see "less.js module state" in module-state.mjs;
// scripts/less-sequence.mjs checks it).
//
// Environment: RLDEV_LESS_MODULES=<node_modules dir> to load less from there;
// RLDEV_LESS_CACHE=0 disables the parse cache; RLDEV_LESS_PURE=0 disables
// pre-evaluated variable files; RLDEV_LESS_DEBUG=1 logs cache decisions to
// stderr; RLDEV_LESS_STATS=1 adds "stats" to "done":
// {"cacheCopies":n,"cachePlansBuilt":m,"pureCopies":p,"pureDowngrades":d}
// (imports served from / added to the parse cache in that compile; of the
// n, p were served pre-evaluated, d of which were turned back into ordinary
// copies before evaluation).
//
// Parse cache: parsed trees of imported files are kept across compiles, keyed
// by (resolved filename, contents). Each compile gets its own copy, rebuilt
// from a flat "plan" by generated per-shape copier functions (see TreePlan in
// tree-plan.mjs).
// A file of plain variable declarations (a "variables.less") is served
// instead as its declarations already evaluated, and only those the other
// texts of the compile can look up, when that provably gives the same result
// (see "pre-evaluated variable files" in pure.mjs): most of a compile's work
// was copying and evaluating such a file.
//
// Files: this one is the entry (node runs it; the main loop, and what the
// scripts import); load-less.mjs loads less.js for all the others;
// module-state.mjs restores less.js's module state; io.mjs reads and writes
// protocol lines; session.mjs is a compile's state and its file requests;
// files.mjs the protocol file manager and import hooks; parse-cache.mjs,
// tree-plan.mjs and pure.mjs the parse cache, the copies of its trees and the
// pre-evaluated variable files; functions.mjs image-size(); render-options.mjs,
// compile.mjs and flip.mjs the compile and flip ops.

import { less, lessVersion } from './load-less.mjs';
import { send, receiveLine } from './io.mjs';
import { blobs } from './session.mjs';
import { compile, errorInfo } from './compile.mjs';
import { flip } from './flip.mjs';
import { imageSizeFunctions } from './functions.mjs';
import { TreePlan } from './tree-plan.mjs';
import { normalizedImportText } from './parse-cache.mjs';

export { renderOptions } from './render-options.mjs';
export { PLUGIN_REFUSAL } from './files.mjs';
export { errorInfo };

const statsEnabled = process.env.RLDEV_LESS_STATS === '1';

// ------------------------------------------------------------------ main loop

function handleLine(line) {
    let req;
    try {
        req = JSON.parse(line);
    } catch (e) {
        send({ op: 'done', id: null, css: null, error: errorInfo(new Error(`invalid JSON request: ${e.message}`)) });
        return;
    }
    if (req && req.op === 'forget') {
        blobs.clear();
        return;
    }
    const id = req && req.id !== undefined ? req.id : null;
    if (req && req.op === 'flip') {
        send(flip(id, req.css));
        return;
    }
    if (!req || req.op !== 'compile') {
        send({ op: 'done', id, css: null, error: errorInfo(new Error(`unexpected op ${JSON.stringify(req && req.op)}`)) });
        return;
    }
    let result;
    try {
        result = compile(req);
    } catch (e) {
        result = { css: null, error: errorInfo(e) };
    }
    const done = { op: 'done', id, css: result.css, error: result.error };
    if (statsEnabled && result.stats) {
        done.stats = result.stats;
    }
    send(done);
}

function redirectConsoleToStderr() {
    for (const method of ['log', 'info', 'debug', 'warn']) {
        console[method] = (...args) => console.error(...args);
    }
    less.logger.addListener({
        warn: msg => process.stderr.write(`less: ${msg}\n`),
        error: msg => process.stderr.write(`less: ${msg}\n`)
    });
}

function main() {
    redirectConsoleToStderr();
    less.functions.functionRegistry.addMultiple(imageSizeFunctions());
    send({ op: 'ready', less: lessVersion() });
    for (;;) {
        const line = receiveLine();
        if (line.trim() !== '') {
            handleLine(line);
        }
    }
}

/**
 * For scripts/less-identical.mjs (clone checks and timings without the
 * protocol): it sets globalThis.rldevLessServerAsLibrary before importing.
 */
export const internals = { less, TreePlan, normalizedImportText };

if (!globalThis.rldevLessServerAsLibrary) {
    main();
}
