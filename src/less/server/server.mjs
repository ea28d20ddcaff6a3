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
// it is missing. Refused (see RefusedPath): paths less.js would hand to the
// OS with "." or ".." segments (an absolute path, the rest after a prefix
// key, a path under a "#" entry of "paths"), which rldev's side would
// normalize lexically. An import of one fails with type "File" at the
// @import, (optional) or not; data-uri() or image-size() of one fails as
// that function call. Every @plugin fails with type "Syntax" and the
// message PLUGIN_REFUSAL, at the @plugin: its file is never even read.
//
// Isolation: every compile gives what a fresh less.js process gives for the
// same inputs (see "less.js module state"; scripts/less-sequence.mjs checks
// it).
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
// from a flat "plan" by generated per-shape copier functions (see TreePlan).
// A file of plain variable declarations (a "variables.less") is served
// instead as its declarations already evaluated, and only those the other
// texts of the compile can look up, when that provably gives the same result
// (see "pre-evaluated variable files" below): most of a compile's work was
// copying and evaluating such a file.

import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const { less, lessRequire, defaultFunc } = await loadLess();
// CSSJanus, loaded on the first flip (a missing package fails flips only).
let cssjanus = null;
const Node = less.tree.Node;
const cacheEnabled = process.env.RLDEV_LESS_CACHE !== '0';
const debugEnabled = process.env.RLDEV_LESS_DEBUG === '1';
const statsEnabled = process.env.RLDEV_LESS_STATS === '1';

// ---------------------------------------------------------------- loading less

/**
 * less.js through its ES module entry (lib/less-node), from
 * $RLDEV_LESS_MODULES/less, else by normal resolution from here; and
 * lib/less/functions/default.js, the same module instance less.js uses.
 */
async function loadLess() {
    const dir = process.env.RLDEV_LESS_MODULES;
    try {
        const entry = dir ? path.join(path.resolve(dir), 'less', 'lib', 'less-node', 'index.js') :
            createRequire(import.meta.url).resolve('less/lib/less-node/index.js');
        const lib = path.dirname(path.dirname(entry));
        const load = async file => (await import(pathToFileURL(file).href)).default;
        return {
            less: await load(entry),
            lessRequire: createRequire(path.join(path.dirname(lib), 'package.json')),
            defaultFunc: await load(path.join(lib, 'less', 'functions', 'default.js'))
        };
    } catch (e) {
        process.stderr.write(`rldev-less: cannot load less.js${dir ? ` from ${dir}` : ''}: ${e.message}\n`);
        process.exit(1);
    }
}

// ------------------------------------------------------ less.js module state
//
// less.js keeps some state in its modules, which every compile of this
// process shares. Each compile must start from what a fresh process has.
//
// Restored before every compile (own properties as they were at start-up):
// - functions/default.js: default()'s value_ and error_. Evaluating a
//   ruleset's selectors or a mixin call's guards sets them and resets them
//   afterwards, but not when an evaluation error is thrown in between; a
//   later compile's default() would then throw or answer that stale value.
// - tree/keyword.js: Keyword.True and Keyword.False, single nodes that the
//   boolean functions return; tree/call.js writes the calling node's _index
//   and _fileInfo on them, and node constructors their parent.
//
// Left alone, as they cannot change a result:
// - Extend.next_id (tree/extend.js): a counter for extend ids, which less.js
//   only compares for equality; they stay unique within a compile (cached
//   trees keep the ids of their parse, see TreePlan), so restarting it
//   would instead make two extends equal.
// - visitors/visitor.js: node types are numbered once, the same each time.
// - plugin-manager.js: parse.js makes a new plugin manager per compile.
// - The function registry: only plugins change it, and @plugin is refused
//   (see PLUGIN_REFUSAL); this process adds image-size() once at start-up.
// - Node.prototype.parse (parser.js): the last parser that parsed a file. The
//   main file is parsed first in every compile, and the parse cache only
//   changes which parser of the compile it is: what less.js reads from it
//   (its import manager, in tree/selector.js) is the same for all of them.
// - Global RegExps with lastIndex (tree/interpolated-variable.js): used only
//   by String.prototype.replace, which starts from 0.
// - The deprecation counters: per parser, and they only limit warnings.

/** Own properties of less.js's module-level objects, restorable. */
class ModuleState {
    constructor(objects) {
        this.saved = objects.map(object => [object, { ...object }]);
    }

    restore() {
        for (const [object, saved] of this.saved) {
            for (const key of Object.keys(object)) {
                if (!Object.hasOwn(saved, key)) { delete object[key]; }
            }
            Object.assign(object, saved);
        }
    }
}

const moduleState = new ModuleState([defaultFunc, less.tree.Keyword.True, less.tree.Keyword.False]);

function lessVersion() {
    return Array.isArray(less.version) ? less.version.join('.') : String(less.version);
}

function debug(message) {
    if (debugEnabled) {
        process.stderr.write(`rldev-less: ${message}\n`);
    }
}

// ------------------------------------------------------------------------ I/O

const sleepCell = new Int32Array(new SharedArrayBuffer(4));

function sleepMs(ms) {
    Atomics.wait(sleepCell, 0, 0, ms);
}

function isRetryable(e) {
    return e && (e.code === 'EAGAIN' || e.code === 'EWOULDBLOCK' || e.code === 'EINTR');
}

/** Reads bytes from fd, retrying on a non-blocking fd; 0 means end of file. */
function readSome(fd, buf, offset, length) {
    for (;;) {
        try {
            return fs.readSync(fd, buf, offset, length, null);
        } catch (e) {
            if (e && e.code === 'EOF') { return 0; }
            if (!isRetryable(e)) { throw e; }
            sleepMs(2);
        }
    }
}

/**
 * A blocking descriptor for stdin. Node may leave fd 0 non-blocking, and
 * polling it would cost CPU while idle; on Linux, opening /proc/self/fd/0
 * gives a new, blocking description of the same pipe. Elsewhere: fd 0.
 */
function blockingStdin() {
    try {
        return fs.openSync('/proc/self/fd/0', 'r');
    } catch {
        return 0;
    }
}

/** Synchronous line reader over a file descriptor (lines split on \n, UTF-8). */
class LineReader {
    constructor(fd) {
        this.fd = fd;
        this.buf = Buffer.allocUnsafe(1 << 16);
        this.start = 0;   // first unconsumed byte
        this.end = 0;     // end of valid data
        this.scanned = 0; // bytes before this offset hold no newline
    }

    /** The next line without its newline, or null at end of input. */
    readLine() {
        for (;;) {
            const nl = this.buf.subarray(this.scanned, this.end).indexOf(10);
            if (nl >= 0) {
                return this.takeLine(this.scanned + nl, 1);
            }
            this.scanned = this.end;
            this.makeRoom();
            const n = readSome(this.fd, this.buf, this.end, this.buf.length - this.end);
            if (n === 0) {
                return this.end > this.start ? this.takeLine(this.end, 0) : null;
            }
            this.end += n;
        }
    }

    takeLine(lineEnd, skip) {
        const line = this.buf.toString('utf8', this.start, lineEnd);
        this.start = lineEnd + skip;
        this.scanned = this.start;
        return line;
    }

    makeRoom() {
        if (this.end < this.buf.length) { return; }
        const used = this.end - this.start;
        const target = used * 2 > this.buf.length ? Buffer.allocUnsafe(this.buf.length * 2) : this.buf;
        this.buf.copy(target, 0, this.start, this.end);
        this.buf = target;
        this.scanned -= this.start;
        this.start = 0;
        this.end = used;
    }
}

function writeAll(fd, data) {
    let offset = 0;
    while (offset < data.length) {
        try {
            offset += fs.writeSync(fd, data, offset, data.length - offset);
        } catch (e) {
            if (e && e.code === 'EPIPE') { process.exit(0); }
            if (!isRetryable(e)) { throw e; }
            sleepMs(2);
        }
    }
}

function send(message) {
    writeAll(1, Buffer.from(`${JSON.stringify(message)}\n`, 'utf8'));
}

const input = new LineReader(blockingStdin());

/** Next protocol line from rldev; stdin closing ends the process. */
function receiveLine() {
    const line = input.readLine();
    if (line === null) {
        process.exit(0);
    }
    return line;
}

// ------------------------------------------------------------- compile session

/**
 * Per-compile state: request id, prefix mappings, pending import, and what
 * settling pure forms needs (the import manager, the Less texts loaded).
 */
class CompileSession {
    /** rootText: the main file's text as less.js parses it (see rootText()). */
    constructor(id, prefixes, rootText) {
        this.id = id;
        this.prefixKeys = Object.keys(prefixes).sort((a, b) => b.length - a.length);
        this.prefixes = prefixes;
        this.pendingImport = null;
        // [{text, pureRoot}]: the main file's text, then every text loaded as Less but reused trees
        this.lessTexts = [{ text: rootText, pureRoot: null }];
        this.pureRoots = [];
        this.stats = { cacheCopies: 0, cachePlansBuilt: 0, pureCopies: 0, pureDowngrades: 0 };
    }

    /** Records a text loaded for an import (pureRoot: the pure form served for it, or null). */
    noteLessText(text, pureRoot) {
        this.lessTexts.push({ text, pureRoot });
    }

    /** Called before evaluation, when every text of the compile is known. */
    settlePureRoots() {
        for (const pureRoot of this.pureRoots) {
            pureRoot.settle(this.lessTexts);
        }
    }

    /** For "key/rest", the folder of the longest matching prefix key and the rest; else null. */
    mapPrefix(filename) {
        for (const key of this.prefixKeys) {
            if (key !== '' && filename.startsWith(key)) {
                return { folder: this.prefixes[key], rest: filename.slice(key.length) };
            }
        }
        return null;
    }

    /** Asks rldev for the first existing candidate: {filename, bytes} or null. */
    requestFile(candidates, binary) {
        send({ op: 'read', id: this.id, candidates, binary });
        const reply = parseFileReply(receiveLine(), this.id);
        if (reply.index === null || reply.index === undefined) {
            return null;
        }
        if (!Number.isInteger(reply.index) || reply.index < 0 || reply.index >= candidates.length) {
            throw new Error(`rldev protocol error: file index ${reply.index} out of range`);
        }
        let bytes;
        if (typeof reply.contents_b64 === 'string') {
            bytes = Buffer.from(reply.contents_b64, 'base64');
            if (typeof reply.key === 'string') {
                blobs.set(reply.key, bytes);
            }
        } else {
            bytes = typeof reply.key === 'string' ? blobs.get(reply.key) : undefined;
            if (bytes === undefined) {
                throw new Error('rldev protocol error: file reply without contents for an unknown key');
            }
        }
        return { filename: candidates[reply.index], bytes };
    }

    takePendingImport(filename) {
        const pending = this.pendingImport;
        this.pendingImport = null;
        return pending && pending.path === filename ? pending : null;
    }
}

/** File contents rldev has sent, by content key, so each is sent only once. */
const blobs = new Map();

/** Decoded texts of the buffers in blobs (the same file is read by many compiles). */
const blobTexts = new WeakMap();

function textOf(bytes) {
    let text = blobTexts.get(bytes);
    if (text === undefined) {
        text = bytes.toString('utf8');
        blobTexts.set(bytes, text);
    }
    return text;
}

function parseFileReply(line, id) {
    let reply;
    try {
        reply = JSON.parse(line);
    } catch (e) {
        throw new Error(`rldev protocol error: invalid JSON in file reply: ${e.message}`);
    }
    if (!reply || reply.op !== 'file' || reply.id !== id) {
        throw new Error(`rldev protocol error: expected {"op":"file","id":${JSON.stringify(id)}}, got ${line.slice(0, 200)}`);
    }
    return reply;
}

// --------------------------------------------------------------- file manager

/**
 * The shape less.js expects for a file that could not be loaded:
 * import-manager reads type/message from it (as the async node file manager
 * reports a missing file), data-uri() sees no contents, image-size() reads
 * .error.
 */
function failedFile(message) {
    const error = { type: 'File', message };
    return { type: error.type, message: error.message, error };
}

/**
 * A path rldev will not look up: where less.js hands an absolute path to
 * the OS as written, rldev's side normalizes it lexically ("a/link/../b" is
 * "a/b"), so with "." or ".." segments it could name another file there (a
 * symlink, a folder that does not exist).
 */
class RefusedPath extends Error {}

function hasDotSegments(p) {
    return p.split(/[\\/]/).some(segment => segment === '.' || segment === '..');
}

/** The error of every @plugin directive: its plugin is never loaded, let alone run. */
export const PLUGIN_REFUSAL = "@plugin is not supported: MediaWiki's Less compiler (less.php) runs no JavaScript plugins";

class ProtocolFileManager extends less.AbstractFileManager {
    constructor(session, cache) {
        super();
        this.session = session;
        this.cache = cache;
    }

    supports() {
        return true;
    }

    supportsSync() {
        return true;
    }

    loadFile(filename, currentDirectory, options, environment) {
        try {
            const result = this.loadFileSync(filename, currentDirectory, options, environment);
            return result.filename ? Promise.resolve(result) : Promise.reject(result.error);
        } catch (e) {
            return Promise.reject(e);
        }
    }

    /**
     * Never throws for an import: import-manager would wait forever for an
     * import whose file manager threw, so failures come back like a missing
     * file (a refused path is also noted for hookImportManager). A refused
     * path of a raw read (data-uri(), image-size()) throws: the function call
     * fails with it, where a missing file is only warned about.
     */
    loadFileSync(filename, currentDirectory, options, environment) {
        options = options || {};
        try {
            return this.load(filename, currentDirectory, options);
        } catch (e) {
            if (e instanceof RefusedPath && options.rawBuffer) { throw e; }
            return failedFile(e && e.message ? e.message : String(e));
        }
    }

    load(filename, currentDirectory, options) {
        const pending = this.session.takePendingImport(filename);
        const binary = Boolean(options.rawBuffer);
        const { candidates, asked, refusal } = this.lookup(filename, currentDirectory, options);
        const found = asked.length ? this.session.requestFile(asked, binary) : null;
        if (!found && refusal) {
            if (binary) { throw new RefusedPath(refusal); }
            if (pending) { pending.refusal = refusal; }
            return failedFile(refusal);
        }
        if (!found) {
            return failedFile(`'${filename}' wasn't found. Tried - ${candidates.join(',')}`);
        }
        if (binary) {
            return { contents: found.bytes, filename: found.filename };
        }
        let contents = textOf(found.bytes);
        const reused = pending !== null && reusesLoadedTree(pending, found.filename);
        if (pending && this.cache) {
            contents = this.cache.prefill(pending, found.filename, contents, this, this.session);
        }
        if (!reused) {
            this.session.noteLessText(contents, pending && pending.pureRoot);
        }
        return { contents, filename: found.filename };
    }

    /**
     * The paths less.js's node file manager would try, in order (minus
     * cwd/npm); those rldev is asked about: the absolute ones (less.js would
     * try any other in its working directory), up to the first it refuses
     * (see RefusedPath); and the refusal, when the lookup reaches that one.
     */
    lookup(filename, currentDirectory, options) {
        const what = options.rawBuffer ? 'file path' : 'import path';
        const mapped = this.session.mapPrefix(filename);
        if (mapped !== null) {
            // As MediaWiki's prefix callback: the path as written, then with ".less".
            const candidates = this.withLessExtension(path.normalize(mapped.folder + mapped.rest), options);
            if (hasDotSegments(mapped.rest)) {
                const refusal = `prefixed ${what} with '.' or '..' segments: write it without them ('${filename}')`;
                return { candidates, asked: [], refusal };
            }
            return { candidates, asked: candidates, refusal: null };
        }
        // As less.js: "paths" even for an absolute path (path.join("/p", "/a/b") is "/p/a/b").
        const dirs = [this.isPathAbsolute(filename) ? '' : currentDirectory].concat(options.paths || []);
        const parts = this.extractUrlParts(filename);
        const candidates = [];
        for (const dir of dirs) {
            for (const namePrefix of options.prefixes || ['']) {
                candidates.push(...this.withLessExtension(joinCandidate(dir, parts.rawPath + namePrefix + parts.filename), options));
            }
        }
        const refused = candidates.findIndex(c => path.isAbsolute(c) && hasDotSegments(c));
        const asked = (refused < 0 ? candidates : candidates.slice(0, refused)).filter(c => path.isAbsolute(c));
        let refusal = null;
        if (refused >= 0) {
            refusal = this.isPathAbsolute(filename) ?
                `absolute ${what} with '.' or '..' segments: write it without them ('${filename}')` :
                `${what} '${filename}' leads to '${candidates[refused]}' (a "#" folder of "paths"), ` +
                "with '.' or '..' segments: write it without them";
        }
        return { candidates, asked, refusal };
    }

    /**
     * The names to try in one folder, as MediaWiki's compiler (less.php's
     * FileManager) tries them for an import: the path as written, then with
     * ".less" appended, whatever extension it has (so "mediawiki.mixins"
     * finds mediawiki.mixins.less, where less.js tries only the name as
     * written). Raw reads (data-uri(), image-size()) get no extension.
     */
    withLessExtension(filename, options) {
        if (!options.ext) { return [filename]; }
        return [filename, filename + options.ext];
    }
}

/** Whether import-manager will reuse the tree it already holds for this import (as it decides). */
function reusesLoadedTree(pending, filename) {
    const { importManager, importOptions } = pending;
    const loaded = importManager.files[filename];
    return Boolean(loaded) && !loaded.options.multiple && !importOptions.multiple && !importOptions.inline;
}

/** less.js's join: path.join (normalizing), but "#dir" is prepended as written. */
function joinCandidate(dir, filename) {
    if (!dir) { return filename; }
    return dir.startsWith('#') ? dir.slice(1) + filename : path.join(dir, filename);
}

/** Plugin registering the protocol file manager and hooking the import manager. */
class RldevPlugin {
    constructor(session, cache) {
        this.session = session;
        this.cache = cache;
        this.fileManager = new ProtocolFileManager(session, cache);
    }

    install(lessInstance, pluginManager) {
        pluginManager.addFileManager(this.fileManager);
        hookImportManager(lessInstance.importManager, this.session, this.cache);
        const session = this.session;
        pluginManager.addVisitor({ isPreEvalVisitor: true, run() { session.settlePureRoots(); } });
    }
}

/**
 * Refuses @plugin; remembers push()'s arguments so the file manager can
 * pre-fill a cached tree or note a refused path; and wraps push()'s
 * callback, which import-manager calls right after parsing a file (before
 * any visitor changes the tree): that is when the cache learns a tree it
 * has no plan for yet, and when a refused path becomes the import's error,
 * (optional) or not.
 */
function hookImportManager(importManager, session, cache) {
    if (!importManager) { return; }
    const originalPush = importManager.push;
    importManager.push = function push(importPath, tryAppendExtension, currentFileInfo, importOptions, callback) {
        if (importOptions.isPlugin) {
            refuseImport(this, 'Syntax', PLUGIN_REFUSAL, callback);
            return;
        }
        const pending = {
            path: importPath, importManager: this, currentFileInfo, importOptions,
            planWanted: null, pureRoot: null, refusal: null
        };
        const onImported = (e, root, importedEqualsRoot, fullPath) => {
            if (pending.refusal) {
                return refuseImport(pending.importManager, 'File', pending.refusal, callback);
            }
            // (An optional import whose file does not parse gets {rules: []} and no path: not a tree to learn.)
            const want = pending.planWanted;
            if (want && !e && root instanceof less.tree.Ruleset && fullPath === want.filename) {
                cache.learn(want, root);
            }
            pending.planWanted = null;
            return callback(e, root, importedEqualsRoot, fullPath);
        };
        session.pendingImport = pending;
        try {
            return originalPush.call(this, importPath, tryAppendExtension, currentFileInfo, importOptions, onImported);
        } finally {
            session.pendingImport = null;
        }
    };
}

/**
 * Fails an import as import-manager fails one whose file cannot be loaded,
 * but (optional) or not: the import visitor places the error at the import,
 * and less.js reports it for every file parsed after it (importManager.error).
 */
function refuseImport(importManager, type, message, callback) {
    const error = { type, message };
    if (!importManager.error) { importManager.error = error; }
    callback(error, undefined, false, undefined);
}

// ----------------------------------------------------------------- parse cache

/** What less.js's parser stores and parses for an imported file's text. */
function normalizedImportText(contents) {
    return contents.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n').replace(/^\uFEFF/, '');
}

/**
 * Whether less.js would parse this import (and so may get a cached copy):
 * not when it reuses a tree, nor for (multiple) and (inline) imports, nor
 * once an import failed (less.js's parser then reports that error for every
 * file it parses after it, where a copy would give a tree). Plugins, which
 * could add pre-processors or functions, are refused.
 */
function isCacheableImport(pending, filename) {
    const { importManager, importOptions } = pending;
    if (importOptions.multiple || importOptions.inline) { return false; }
    return !importManager.files[filename] && !importManager.error;
}

/** The text the parser would store for an import's contents, or null if not cacheable. */
function cacheableText(contents) {
    const text = normalizedImportText(contents);
    return text.startsWith('\uFEFF') ? null : text;
}

/** The fileInfo less.js's import manager builds for an imported file. */
function importedFileInfo(pending, filename, fileManager) {
    const { importManager, currentFileInfo, importOptions } = pending;
    const fileInfo = {
        rewriteUrls: importManager.context.rewriteUrls,
        entryPath: currentFileInfo.entryPath,
        rootpath: currentFileInfo.rootpath,
        rootFilename: currentFileInfo.rootFilename
    };
    fileInfo.currentDirectory = fileManager.getPath(filename);
    if (fileInfo.rewriteUrls) {
        fileInfo.rootpath = fileManager.join(importManager.context.rootpath || '',
            fileManager.pathDiff(fileInfo.currentDirectory, fileInfo.entryPath));
        if (!fileManager.isPathAbsolute(fileInfo.rootpath) && fileManager.alwaysMakePathsAbsolute()) {
            fileInfo.rootpath = fileManager.join(fileInfo.entryPath, fileInfo.rootpath);
        }
    }
    fileInfo.filename = filename;
    if (currentFileInfo.reference || importOptions.reference) {
        fileInfo.reference = true;
    }
    return fileInfo;
}

/**
 * The fileInfo object of a freshly parsed import: every node the parser made
 * holds it. (A file without nodes has none: any new object will do.)
 */
function parsedFileInfo(root) {
    const seen = new Set();
    const stack = [root];
    while (stack.length) {
        const node = stack.pop();
        if (node._fileInfo && typeof node._fileInfo === 'object') { return node._fileInfo; }
        for (const value of Object.values(node)) {
            if (value && typeof value === 'object' && value !== root.functionRegistry && !seen.has(value)) {
                seen.add(value);
                stack.push(value);
            }
        }
    }
    return {};
}

/** A plan for a tree less.js just parsed (before any visitor ran), or null. */
function planForParsedTree(root, filename) {
    const plan = TreePlan.build(root, parsedFileInfo(root), new Set([root.functionRegistry]));
    debug(plan ? `cached ${filename}: ${plan.count} objects` : `not cached (unsupported tree): ${filename}`);
    return plan;
}

const MAX_CACHED_FILES = 5000;

/**
 * Trees of imported files by resolved filename and text (one text per
 * file). A hit puts a copy into importManager.files, so import-manager uses
 * it instead of parsing. A miss lets less.js parse as usual and learns the
 * plan from that parse.
 */
class ParseCache {
    constructor() {
        this.entries = new Map(); // resolved filename -> { raw, text, plan | null, pure }
    }

    /**
     * Called by the file manager inside importManager.push(). Returns the
     * contents to hand back to less.js: on a hit the text exactly as the
     * parser would have stored it (import-manager keeps it for error
     * messages), else the file's contents unchanged.
     */
    prefill(pending, filename, contents, fileManager, session) {
        if (!isCacheableImport(pending, filename)) { return contents; }
        const entry = this.entries.get(filename);
        const text = entry && contents === entry.raw ? entry.text : cacheableText(contents);
        if (text === null) { return contents; }
        const stats = session.stats;
        if (!entry || entry.text !== text) {
            pending.planWanted = { filename, raw: contents, text, stats };
            return contents;
        }
        if (!entry.plan) { return contents; }
        const fileInfo = importedFileInfo(pending, filename, fileManager);
        const pure = this.pureFormOf(entry, filename);
        let root;
        if (pure) {
            pending.pureRoot = new PureRoot(pure, entry.plan, fileInfo, stats);
            session.pureRoots.push(pending.pureRoot);
            root = pending.pureRoot.root;
            stats.pureCopies++;
        } else {
            root = entry.plan.instantiate(fileInfo);
        }
        pending.importManager.files[filename] = { root, options: pending.importOptions };
        stats.cacheCopies++;
        return text;
    }

    /** The entry's pre-evaluated form (see PureRoot), worked out on first use; null if none. */
    pureFormOf(entry, filename) {
        if (!pureEnabled) { return null; }
        if (entry.pure === undefined) {
            entry.pure = null;
            try {
                entry.pure = pureFormFor(entry.plan, filename);
            } catch (e) {
                debug(`no pre-evaluated form (${e && e.message}): ${filename}`);
            }
        }
        return entry.pure;
    }

    /** Records the plan for a tree less.js parsed from want.text (never throws). */
    learn(want, root) {
        let plan = null;
        try {
            plan = planForParsedTree(root, want.filename);
        } catch (e) {
            debug(`not cached (${e && e.message}): ${want.filename}`);
        }
        this.entries.delete(want.filename);
        this.entries.set(want.filename, { raw: want.raw, text: want.text, plan, pure: undefined });
        if (this.entries.size > MAX_CACHED_FILES) {
            this.entries.delete(this.entries.keys().next().value);
        }
        want.stats.cachePlansBuilt++;
    }
}

// ---------------------------------------------- pre-evaluated variable files
//
// A file made only of variable declarations (a typical "variables.less")
// costs each compile a copy of its tree plus the eager evaluation of every
// declaration, although the results are nearly always the same. Such a file
// gets a "pure form": its declarations evaluated once, on their own; a
// compile gets copies of those instead when that provably gives the same
// CSS and errors.
//
// Values. less.js evaluates the original declarations once eagerly where the
// file is imported, and again (lazily, in the caller's scope) whenever a
// variable lookup finds one. Evaluating a pure value gives the same result
// everywhere if (1) every node of it is a literal, a variable, + - *
// arithmetic, or a call of a function that looks only at its arguments
// (PURE_FUNCTIONS: no context, file or mutation of arguments), so no
// math-mode ('/' under `font`), calc, import, url, plugin or file state
// matters; (2) every variable it names resolves to a declaration of the same
// file, the same one each time. The file is evaluated alone once (that must
// succeed, so every name it uses is declared in it). (2) then holds for a
// compile when no other Less text of the compile (the main file with
// modifyVars, every other import, including other pure forms and (multiple)
// copies of the same file) contains one of those names (functions cannot
// be redefined: only plugins could, and @plugin is refused): without the
// name in a text nothing can bind it (variables, mixin parameters), and the
// names less.js binds implicitly (@arguments; each()'s @value, @key, @index)
// are never pure. The main file's text is the one less.js parses (see
// rootText()), whatever its import manager later keeps for that name (an
// import of the main file replaces it with the file's text, without
// modifyVars). Whatever scope the import lands in, the scope that holds the
// found declaration also holds the rest of the file, and nothing in between
// can bind the names. Evaluating an evaluated pure value again gives an equal
// value: results are checked to be colors, dimensions, keywords, quoted
// strings without interpolation, anonymous values (reparsed on lookup like
// the originals: see ANONYMOUS_PURE), and lists of those without
// parentheses. Every lookup returns the same color or dimension node where
// the original may make a new one each time: nothing changes such nodes
// but color() (MUTATING_CALL), so a text calling it keeps the original.
//
// Lookup timing. A ruleset's variable table is built at its first lookup
// and holds each declaration as it is then (evaluated or as written), and
// some values of other files differ once evaluated again (closures of
// detached rulesets, strings made by %()). So the first declaration that
// looks a variable up is kept as written (see pureFormFor): the table is
// built at the same moment as with the original file.
//
// Settling. Not every text of a compile is known when an import is served,
// so the import gets an empty root, settled by a pre-evaluation visitor
// after all imports: filled with the pure form, or with the ordinary copy
// (the root object stays, only its contents change). Before eval, less.js
// reads an imported root's rules only to look for nested imports (none
// here), and through root.variables() for variable interpolation in import
// paths; the latter settles the root as an ordinary copy first (PureRoot).
//
// Pruning. A kept pure form holds only the declarations whose names another
// text of the compile spells (with those sharing objects with them, and the
// first lookup's). The others cannot be observed: variable declarations
// never print, evaluating an evaluated pure value cannot fail, and less.js
// finds them only by name, except through the constructs DYNAMIC_LOOKUP
// matches (then the whole pure form is used, line comments included).

const pureEnabled = process.env.RLDEV_LESS_PURE !== '0';

/** Built-in functions whose results depend only on their arguments, which they leave alone. */
const PURE_FUNCTIONS = new Set([
    'rgb', 'rgba', 'hsl', 'hsla', 'hsv', 'hsva', 'lighten', 'darken', 'saturate', 'desaturate',
    'fadein', 'fadeout', 'fade', 'spin', 'mix', 'tint', 'shade', 'greyscale', 'hue', 'saturation',
    'lightness', 'red', 'green', 'blue', 'alpha', 'luma', 'luminance', 'percentage'
]);

/** Variables less.js declares itself (mixin arguments, each()). */
const IMPLICIT_VARIABLES = new Set(['@arguments', '@value', '@key', '@index']);

/**
 * Anonymous values (less.js keeps simple declaration values as text and
 * reparses them on lookup) that name nothing and hold no operator, call,
 * string or !important, so their reparse means the same everywhere.
 */
const ANONYMOUS_PURE = /^[^.#@$+/'"*`(;{}!~\\-]*$/;

const OPERATIONS_PURE = new Set(['+', '-', '*']);

function isExactly(node, Class) {
    return node !== null && typeof node === 'object' && Object.getPrototypeOf(node) === Class.prototype;
}

function isPlainQuoted(node) {
    return typeof node.value === 'string' && !node.value.includes('@{') && !node.value.includes('${');
}

function isLeaf(node) {
    const t = less.tree;
    return isExactly(node, t.Dimension) || isExactly(node, t.Color) || isExactly(node, t.Keyword) ||
        (isExactly(node, t.Quoted) && isPlainQuoted(node)) ||
        (isExactly(node, t.Anonymous) && typeof node.value === 'string' && ANONYMOUS_PURE.test(node.value));
}

/** A parsed declaration value that qualifies; adds the variables it names to refs. */
function isPureSource(node, refs) {
    const t = less.tree;
    if (isLeaf(node)) { return true; }
    if (isExactly(node, t.Value) || isExactly(node, t.Expression)) {
        return !node.parens && Array.isArray(node.value) && node.value.every(v => isPureSource(v, refs));
    }
    if (isExactly(node, t.Variable)) {
        if (typeof node.name !== 'string' || node.name.startsWith('@@') || IMPLICIT_VARIABLES.has(node.name)) {
            return false;
        }
        refs.add(node.name);
        return true;
    }
    if (isExactly(node, t.Operation)) {
        return OPERATIONS_PURE.has(node.op) && node.operands.every(v => isPureSource(v, refs));
    }
    if (isExactly(node, t.Negative)) {
        return isPureSource(node.value, refs);
    }
    if (isExactly(node, t.Call)) {
        return typeof node.name === 'string' && PURE_FUNCTIONS.has(node.name.toLowerCase()) && !node.calc &&
            node.args.every(v => isPureSource(v, refs));
    }
    return false;
}

/** An evaluated value that evaluates to an equal value again (no parentheses anywhere). */
function isReEvaluable(node) {
    const t = less.tree;
    if (node.parens || node.parensInOp) { return false; }
    if (isLeaf(node)) { return true; }
    if (isExactly(node, t.Value) || isExactly(node, t.Expression)) {
        return Array.isArray(node.value) && node.value.length > 0 && node.value.every(isReEvaluable);
    }
    return false;
}

function isPlainVariableDeclaration(rule) {
    return isExactly(rule, less.tree.Declaration) && rule.variable === true && typeof rule.name === 'string' &&
        !rule.name.startsWith('@@') && !rule.important && !rule.merge && !rule.inline;
}

/** Line comments print nothing; anything else is not a pure file. */
function isLineComment(rule) {
    return isExactly(rule, less.tree.Comment) && rule.isLineComment === true;
}

/**
 * For a root of plain variable declarations with pure values: the variables
 * they name, and the index of the first declaration naming one (-1 if
 * none) with the names it uses. Null for any other root.
 */
function pureSource(root) {
    const refs = new Set();
    let firstLookup = -1;
    let firstRefs = null;
    for (let i = 0; Array.isArray(root.rules) && i < root.rules.length; i++) {
        const rule = root.rules[i];
        if (isLineComment(rule)) { continue; }
        const ruleRefs = new Set();
        if (!isPlainVariableDeclaration(rule) || !isPureSource(rule.value, ruleRefs)) { return null; }
        if (ruleRefs.size && firstLookup < 0) {
            firstLookup = i;
            firstRefs = ruleRefs;
        }
        ruleRefs.forEach(name => refs.add(name));
    }
    return Array.isArray(root.rules) ? { refs, firstLookup, firstRefs } : null;
}

/** Eval options as less.render derives them from renderOptions (the same for every compile). */
function canonicalEvalContext() {
    return new less.contexts.Eval(less.utils.copyOptions(less.options, renderOptions('', [], {})));
}

/** Any of the names, as a Less token. */
function bindingsPattern(names) {
    if (!names.size) { return /(?!)/; }
    return new RegExp(`@(?:${[...names].map(n => n.slice(1).replace(/[^\w-]/g, '\\$&')).join('|')})(?![\\w-])`);
}

/**
 * Calls of the one built-in function that changes its argument: color()
 * clears a color's text, and a copy's values are single nodes that every
 * lookup returns, where the original file's calls make a new node each time.
 */
const MUTATING_CALL = /(?<![\w-])color\(/i;

/**
 * Ways to reach declarations without spelling their names: @@name; string
 * interpolation, repeated until nothing changes ("@{@{a}@{b}}" builds a
 * name), also of strings made by %() and replace() when looked up again;
 * the empty lookup `ns[]` (a ruleset's last declaration), matched loosely:
 * `[`, blanks, then `]` or a comment; each() over a ruleset (every rule in
 * order, comments counted in @index). Function names ignore case.
 */
const DYNAMIC_LOOKUP = /@@|@\{|%\(|replace\(|\[\s*[\]/]|each\(/i;

/** A variable name as a text spells it. */
const NAME_TOKEN = /@([\w-]+)/g;

/**
 * The evaluated declarations split into groups that share no object (nor a
 * name), in file order: a group can be copied without the others. The
 * declaration `linked` (if any) also joins those declaring `linkedNames`.
 */
function independentGroups(rules, fileInfo, shared, linked, linkedNames) {
    const owner = new Map();
    const group = rules.map((_, i) => i);
    const find = i => (group[i] === i ? i : (group[i] = find(group[i])));
    const join = (i, j) => { group[find(i)] = find(j); };
    const byName = new Map();
    rules.forEach((rule, i) => {
        if (byName.has(rule.name)) { join(i, byName.get(rule.name)); }
        byName.set(rule.name, i);
        const stack = [rule];
        while (stack.length) {
            const obj = stack.pop();
            if (!isObjectValue(obj) || obj === fileInfo || shared.has(obj)) { continue; }
            const seen = owner.get(obj);
            if (seen !== undefined) {
                if (seen !== i) { join(i, seen); }
                continue;
            }
            owner.set(obj, i);
            for (const value of Array.isArray(obj) ? obj : Object.values(obj)) { stack.push(value); }
        }
    });
    const linkedIndex = rules.indexOf(linked);
    for (const name of linkedIndex < 0 ? [] : linkedNames) {
        if (byName.has(name)) { join(linkedIndex, byName.get(name)); }
    }
    const groups = new Map();
    rules.forEach((rule, i) => {
        const root = find(i);
        if (!groups.has(root)) { groups.set(root, []); }
        groups.get(root).push(rule);
    });
    return [...groups.values()];
}

/**
 * A file's rules evaluated on their own, copied through plans built on
 * first use (one process compiles each module once, needing few of the
 * groups). The evaluated objects are kept as they are and never handed out.
 */
class PureForm {
    /**
     * rules: evaluated declarations and line comments, in file order, parent
     * null, but firstLookup, the original declaration that makes the file's
     * first variable lookup (null if none), using the variables lookupNames.
     */
    constructor({ shell, rules, firstLookup, lookupNames, fileInfo, shared, bindings }) {
        this.shell = shell;       // plan of the parsed root with no rules (what is served)
        this.rules = rules;
        this.fileInfo = fileInfo;
        this.shared = shared;
        this.bindings = bindings; // matches texts that could change the evaluation
        this.wholePlan = null;
        const declarations = rules.filter(r => !isLineComment(r));
        this.groups = independentGroups(declarations, fileInfo, shared, firstLookup, lookupNames)
            .map((members, index) => ({ index, rules: members, plan: null }));
        this.groupsByName = new Map();
        for (const group of this.groups) {
            for (const rule of group.rules) {
                this.groupsByName.set(rule.name, group);
            }
        }
        this.lookupGroup = firstLookup ? this.groupsByName.get(firstLookup.name) : null;
    }

    /** The groups declaring one of the names, and the first lookup's, in file order. */
    groupsNamed(names) {
        const found = new Set(this.lookupGroup ? [this.lookupGroup] : []);
        for (const name of names) {
            const group = this.groupsByName.get(name);
            if (group) { found.add(group); }
        }
        return [...found].sort((a, b) => a.index - b.index);
    }

    /** Plan of an array of all the rules. */
    whole() {
        if (!this.wholePlan) {
            this.wholePlan = this.buildPlan(this.rules);
        }
        return this.wholePlan;
    }

    /** Plan of an array of the group's declarations. */
    groupPlan(group) {
        if (!group.plan) {
            group.plan = this.buildPlan(group.rules);
        }
        return group.plan;
    }

    /** Null when TreePlan does not support the objects (then the root is settled as an ordinary copy). */
    buildPlan(rules) {
        return TreePlan.build(rules, this.fileInfo, this.shared);
    }
}

/**
 * The pure form of a cached file, or null when the file does not qualify.
 * The first declaration that looks a variable up stays as parsed (see
 * "Lookup timing" above).
 */
function pureFormFor(plan, filename) {
    const fileInfo = { filename };
    const source = plan.instantiate(fileInfo);
    const analysis = pureSource(source);
    if (!analysis) { return null; }
    let rules;
    try {
        rules = source.eval(canonicalEvalContext()).rules;
    } catch (e) {
        debug(`no pre-evaluated form (evaluation fails: ${e && e.message}): ${filename}`);
        return null;
    }
    if (!rules.every(r => isLineComment(r) || (isPlainVariableDeclaration(r) && isReEvaluable(r.value)))) {
        debug(`no pre-evaluated form (evaluated values): ${filename}`);
        return null;
    }
    const root = plan.instantiate(fileInfo); // as parsed: nothing evaluated it
    const firstLookup = analysis.firstLookup < 0 ? null : root.rules[analysis.firstLookup];
    if (firstLookup) {
        rules[analysis.firstLookup] = firstLookup;
    }
    for (const rule of rules) {
        rule.parent = null; // set to the served root when copied
    }
    const shared = new Set([root.functionRegistry]);
    root.rules = [];
    const shell = TreePlan.build(root, fileInfo, shared);
    const form = shell && new PureForm({
        shell, rules, firstLookup, lookupNames: analysis.firstRefs, fileInfo, shared,
        bindings: bindingsPattern(analysis.refs)
    });
    if (!form) {
        debug(`no pre-evaluated form (unsupported tree): ${filename}`);
        return null;
    }
    debug(`pre-evaluated ${filename}: ${rules.length} rules, ${form.groups.length} groups of declarations, ` +
        `names ${[...analysis.refs].join(' ')}`);
    return form;
}

/**
 * The root of an import served from a pure form in one compile: empty until
 * settled (see the section comment), then holding the pure form's
 * declarations the compile can look up, or the ordinary copy. Its own
 * variables() settles it as an ordinary copy when called earlier.
 */
class PureRoot {
    constructor(pure, fullPlan, fileInfo, stats) {
        this.pure = pure;
        this.fullPlan = fullPlan;
        this.fileInfo = fileInfo;
        this.stats = stats;
        this.root = pure.shell.instantiate(fileInfo);
        this.settled = false;
        const pureRoot = this;
        this.root.variables = function variables() {
            pureRoot.downgrade();
            return this.variables();
        };
    }

    /** Settles with every Less text of the compile: [{text, pureRoot}]. */
    settle(texts) {
        if (this.settled) { return; }
        const others = texts.filter(t => t.pureRoot !== this).map(t => t.text);
        const clean = !others.some(text => this.pure.bindings.test(text) || MUTATING_CALL.test(text));
        const rules = clean ? this.pureRules(others) : null;
        if (rules === null) {
            this.downgrade();
            return;
        }
        delete this.root.variables;
        this.root.rules = this.adopt(rules);
        this.settled = true;
    }

    /**
     * Fresh copies of the declarations the other texts may look up: all of
     * them, or the groups declaring a name they spell (in file order). Null
     * if a plan cannot be built.
     */
    pureRules(others) {
        if (others.some(text => DYNAMIC_LOOKUP.test(text))) {
            const whole = this.pure.whole();
            return whole && whole.instantiate(this.fileInfo);
        }
        const names = new Set();
        for (const text of others) {
            for (const match of text.matchAll(NAME_TOKEN)) { names.add(`@${match[1]}`); }
        }
        const rules = [];
        for (const group of this.pure.groupsNamed(names)) {
            const plan = this.pure.groupPlan(group);
            if (!plan) { return null; }
            rules.push(...plan.instantiate(this.fileInfo));
        }
        return rules;
    }

    /** Rules made children of the served root, as the parser leaves a root's rules. */
    adopt(rules) {
        for (const rule of rules) {
            rule.parent = this.root;
        }
        return rules;
    }

    downgrade() {
        if (this.settled) { return; }
        delete this.root.variables;
        this.fullPlan.instantiate(this.fileInfo, this.root);
        this.settled = true;
        this.stats.pureDowngrades++;
    }
}

// ------------------------------------------------------------------ tree plans
//
// A TreePlan rebuilds a copy of one tree as the parser made it (built before
// any visitor or evaluation touched the tree). Objects are numbered in DFS
// post-order (children first) from 1; slot 0 holds the per-copy fileInfo.
// Each object has a shape: prototype, own keys in order, and per key a kind
// (below). Per shape a constructor and a copier are generated with
// new Function, so copying is monomorphic straight-line code. The plan is a
// copier per object plus flat operand arrays: object numbers (ops) and
// values (vals). Forward references (to ancestors, e.g. `parent`) are patched
// after all objects exist. Primitives, functions and the function registry
// are shared by reference; RegExps are copied; own-key order, prototypes,
// shared references and cycles are preserved. Extend nodes keep the
// object_id they got when the original tree was parsed: less.js only
// compares those ids for equality, and one compile never holds two copies
// of one plan (importManager.files reuses a copy; (multiple) is not cached).

const KIND_VALUE = 'v';     // primitive or shared value, from vals
const KIND_REF = 'r';       // object numbered before this one, from ops
const KIND_FORWARD = 'f';   // object numbered after this one: patched later
const KIND_FILEINFO = 'i';  // the file's fileInfo (slot 0)
const KIND_REGEXP = 'x';    // a RegExp (Quoted nodes own two): a fresh copy from vals
const LITERAL_KINDS = { u: 'void 0', n: 'null', t: 'true', F: 'false' };
const MAX_LITERAL_ARRAY = 16;
const MAX_SHAPES = 20000;
const ACTIVE = 0;

class UnsupportedTree extends Error {}

function isObjectValue(value) {
    return value !== null && typeof value === 'object';
}

function isPlainRegExp(value) {
    return Object.getPrototypeOf(value) === RegExp.prototype && Object.keys(value).length === 0;
}

function copyRegExp(re) {
    const copy = new RegExp(re.source, re.flags);
    copy.lastIndex = re.lastIndex;
    return copy;
}

/**
 * Per prototype: its number and the last own-key list seen with it (objects
 * of one class nearly always have the same keys, in the same order).
 */
class ProtoInfo {
    constructor(id) {
        this.id = id;
        this.keys = null;
        this.keyListId = -1;
        this.read = null;
    }
}

const protoInfos = new Map();
const keyListIds = new Map();

function protoInfo(proto) {
    let info = protoInfos.get(proto);
    if (info === undefined) {
        const allowed = proto === Object.prototype || proto === null ||
            proto === Node.prototype || Node.prototype.isPrototypeOf(proto);
        info = allowed ? new ProtoInfo(protoInfos.size) : null;
        protoInfos.set(proto, info);
    }
    return info;
}

function sameKeys(a, b) {
    if (a === null || a.length !== b.length) { return false; }
    for (let i = 0; i < a.length; i++) {
        if (a[i] !== b[i]) { return false; }
    }
    return true;
}

/** Generated reader returning an object's values for a key list, in order. */
function makeReader(keys) {
    const reads = keys.map(k => `o[${JSON.stringify(k)}]`).join(', ');
    return new Function(`return function readValues(o) { return [${reads}]; };`)();
}

function keyListId(keys) {
    const joined = keys.join('\u0001');
    let entry = keyListIds.get(joined);
    if (entry === undefined) {
        if (keys.some(k => k === '__proto__' || k.includes('\u0001'))) {
            throw new UnsupportedTree('unsupported key');
        }
        entry = { id: keyListIds.size, read: makeReader(keys) };
        keyListIds.set(joined, entry);
    }
    return entry;
}

/**
 * Own keys (null for arrays), values and shape prefix of a tree object.
 * Throws UnsupportedTree for anything but extensible dense arrays and plain
 * or tree node objects. Only enumerable string keys are seen: less.js 4.9.1
 * defines no symbol, non-enumerable or accessor properties on instances (no
 * Symbol, defineProperty or freeze in lib/less), and checking each object
 * with Reflect.ownKeys would cost more than parsing.
 */
function describeObject(obj) {
    if (Array.isArray(obj)) {
        if (Object.getPrototypeOf(obj) !== Array.prototype) {
            throw new UnsupportedTree('array subclass');
        }
        for (let i = 0; i < obj.length; i++) {
            if (!(i in obj)) { throw new UnsupportedTree('array with holes'); }
        }
        return { keys: null, values: obj.slice(), prefix: 'A' };
    }
    const info = protoInfo(Object.getPrototypeOf(obj));
    if (info === null || !Object.isExtensible(obj)) {
        throw new UnsupportedTree('unsupported object');
    }
    const keys = Object.keys(obj);
    if (!sameKeys(info.keys, keys)) {
        const entry = keyListId(keys);
        info.keys = keys;
        info.keyListId = entry.id;
        info.read = entry.read;
    }
    return { keys: info.keys, values: info.read(obj), prefix: `O${info.id}:${info.keyListId}:` };
}

const shapeCache = new Map();

/** Generated constructor + copier for a shape (example: obj), memoized across plans. */
function shapeFor(signature, obj, keys, kinds) {
    let shape = shapeCache.get(signature);
    if (!shape) {
        if (shapeCache.size >= MAX_SHAPES) { throw new UnsupportedTree('too many shapes'); }
        shape = keys ? objectShape(Object.getPrototypeOf(obj), keys, kinds) : arrayShape(kinds);
        shapeCache.set(signature, shape);
    }
    return shape;
}

/** Copier argument expressions, one per kind. */
function copierExpressions(kinds) {
    let ops = 0;
    let vals = 0;
    return Array.from(kinds, kind => {
        switch (kind) {
            case KIND_VALUE: return `vals[v + ${vals++}]`;
            case KIND_REGEXP: return `copyRegExp(vals[v + ${vals++}])`;
            case KIND_REF: return `objs[ops[o + ${ops++}]]`;
            case KIND_FILEINFO: return 'objs[0]';
            case KIND_FORWARD: return 'null';
            default: return LITERAL_KINDS[kind];
        }
    });
}

function objectShape(proto, keys, kinds) {
    const exprs = copierExpressions(kinds);
    const props = keys.map(k => JSON.stringify(k));
    if (proto === null) {
        const body = props.map((k, i) => `x[${k}] = ${exprs[i]};`).join('\n');
        return new Function('copyRegExp', `return function copyNullProto(objs, ops, o, vals, v) {
            const x = Object.create(null);\n${body}\nreturn x; };`)(copyRegExp);
    }
    const params = props.map((k, i) => `p${i}`);
    const ctor = new Function(...params, props.map((k, i) => `this[${k}] = p${i};`).join('\n'));
    ctor.prototype = proto;
    return new Function('C', 'copyRegExp', `return function copyObject(objs, ops, o, vals, v) {
        return new C(${exprs.join(', ')}); };`)(ctor, copyRegExp);
}

function arrayShape(kinds) {
    if (kinds === null) { return copyLongArray; }
    return new Function('copyRegExp', `return function copyArray(objs, ops, o, vals, v) {
        return [${copierExpressions(kinds).join(', ')}]; };`)(copyRegExp);
}

/** Long arrays: ops[o] = length, then per element an object number, or -1-k for vals[k]. */
function copyLongArray(objs, ops, o, vals, v) {
    const n = ops[o];
    const out = [];
    for (let i = 1; i <= n; i++) {
        const x = ops[o + i];
        out.push(x >= 0 ? objs[x] : vals[-1 - x]);
    }
    return out;
}

/** Builds a TreePlan's arrays while the tree is walked in post-order. */
class PlanBuilder {
    constructor(sentinel, shared) {
        this.sentinel = sentinel;
        this.shared = shared;
        this.marks = new Map(); // object -> its number, ACTIVE while being visited
        this.count = 0;
        this.copiers = [null];
        this.opStart = [0];
        this.valStart = [0];
        this.ops = [];
        this.vals = [];
        this.forward = [];      // [self, key or index, target object] triples
    }

    isClonedObject(value) {
        return isObjectValue(value) && value !== this.sentinel && !this.shared.has(value) && !(value instanceof RegExp);
    }

    visit(obj) {
        this.marks.set(obj, ACTIVE);
        const { keys, values, prefix } = describeObject(obj);
        for (let i = 0; i < values.length; i++) {
            const value = values[i];
            if (this.isClonedObject(value) && !this.marks.has(value)) {
                this.visit(value);
            }
        }
        const self = ++this.count;
        this.marks.set(obj, self);
        this.add(self, obj, keys, values, prefix);
    }

    kindOf(value) {
        if (value === this.sentinel) { return KIND_FILEINFO; }
        if (this.isClonedObject(value)) { return this.marks.get(value) === ACTIVE ? KIND_FORWARD : KIND_REF; }
        if (value === undefined) { return 'u'; }
        if (value === null) { return 'n'; }
        if (value === true) { return 't'; }
        if (value === false) { return 'F'; }
        if (value instanceof RegExp) {
            if (!isPlainRegExp(value)) { throw new UnsupportedTree('RegExp with extra properties'); }
            return KIND_REGEXP;
        }
        return KIND_VALUE;
    }

    add(self, obj, keys, values, prefix) {
        let kinds = '';
        for (let i = 0; i < values.length; i++) {
            kinds += this.kindOf(values[i]);
        }
        this.opStart.push(this.ops.length);
        this.valStart.push(this.vals.length);
        if (!keys && values.length > MAX_LITERAL_ARRAY) {
            this.copiers.push(shapeFor('L', null, null, null));
            this.addLongArray(self, values, kinds);
            return;
        }
        this.copiers.push(shapeFor(prefix + kinds, obj, keys, kinds));
        for (let i = 0; i < kinds.length; i++) {
            const kind = kinds[i];
            if (kind === KIND_VALUE) {
                this.vals.push(values[i]);
            } else if (kind === KIND_REGEXP) {
                this.vals.push(copyRegExp(values[i])); // the original lives on in its compile
            } else if (kind === KIND_REF) {
                this.ops.push(this.marks.get(values[i]));
            } else if (kind === KIND_FORWARD) {
                this.forward.push(self, keys ? keys[i] : i, values[i]);
            }
        }
    }

    addLongArray(self, values, kinds) {
        this.ops.push(values.length);
        for (let i = 0; i < values.length; i++) {
            const kind = kinds[i];
            if (kind === KIND_REF) {
                this.ops.push(this.marks.get(values[i]));
            } else if (kind === KIND_FILEINFO) {
                this.ops.push(0);
            } else if (kind === KIND_REGEXP) {
                throw new UnsupportedTree('RegExp in a long array');
            } else {
                if (kind === KIND_FORWARD) { this.forward.push(self, i, values[i]); }
                this.vals.push(kind === KIND_FORWARD ? null : values[i]);
                this.ops.push(-this.vals.length);
            }
        }
    }

    /** Forward references as [self, target] pairs for `parent`, and the rest. */
    forwardFixes() {
        const parents = [];
        const others = [];
        for (let i = 0; i < this.forward.length; i += 3) {
            const self = this.forward[i];
            const key = this.forward[i + 1];
            const target = this.marks.get(this.forward[i + 2]);
            if (key === 'parent') {
                parents.push(self, target);
            } else {
                others.push([self, key, target]);
            }
        }
        return { parents: Int32Array.from(parents), others };
    }
}

class TreePlan {
    /** Plan for the tree at root, or null when it holds something unsupported. */
    static build(root, sentinel, shared) {
        try {
            const builder = new PlanBuilder(sentinel, shared);
            builder.visit(root);
            return new TreePlan(builder);
        } catch (e) {
            if (e instanceof UnsupportedTree || e instanceof RangeError) {
                debug(`tree not cacheable: ${e.message}`);
                return null;
            }
            throw e;
        }
    }

    constructor(builder) {
        this.count = builder.count;
        this.copiers = builder.copiers;
        this.opStart = Int32Array.from(builder.opStart);
        this.valStart = Int32Array.from(builder.valStart);
        this.ops = Int32Array.from(builder.ops);
        this.vals = builder.vals;
        const fixes = builder.forwardFixes();
        this.parentFixes = fixes.parents;
        this.otherFixes = fixes.others;
    }

    /**
     * A fresh copy of the tree whose nodes share the given fileInfo. With
     * `into` (an object of the root's shape), the root's values are written
     * into that object, which then stands for the root everywhere in the copy.
     */
    instantiate(fileInfo, into = null) {
        const count = this.count;
        const copiers = this.copiers;
        const opStart = this.opStart;
        const valStart = this.valStart;
        const ops = this.ops;
        const vals = this.vals;
        const objs = new Array(count + 1);
        objs[0] = fileInfo;
        for (let i = 1; i <= count; i++) {
            objs[i] = copiers[i](objs, ops, opStart[i], vals, valStart[i]);
        }
        if (into) {
            objs[count] = Object.assign(into, objs[count]);
        }
        fixParents(objs, this.parentFixes);
        for (const [self, key, target] of this.otherFixes) {
            objs[self][key] = objs[target];
        }
        return objs[count];
    }
}

function fixParents(objs, fixes) {
    for (let i = 0; i < fixes.length; i += 2) {
        objs[fixes[i]].parent = objs[fixes[i + 1]];
    }
}

// ---------------------------------------------------- image-size() functions

/**
 * less.js's node image-size() functions read the image from disk themselves;
 * these do the same through the file manager (so through the protocol).
 */
function imageSizeFunctions() {
    const lessUtils = less.utils;
    const readImage = (functionContext, filePathNode) => {
        let filePath = filePathNode.value;
        const fileInfo = functionContext.currentFileInfo;
        const currentDirectory = fileInfo.rewriteUrls ? fileInfo.currentDirectory : fileInfo.entryPath;
        const fragmentStart = filePath.indexOf('#');
        if (fragmentStart !== -1) {
            filePath = filePath.slice(0, fragmentStart);
        }
        const env = less.environment;
        const fileManager = env.getFileManager(filePath, currentDirectory, functionContext.context, env, true);
        if (!fileManager) {
            throw { type: 'File', message: `Can not set up FileManager for ${filePathNode}` };
        }
        const context = lessUtils.clone(functionContext.context);
        context.rawBuffer = true;
        const file = fileManager.loadFileSync(filePath, currentDirectory, context, env);
        if (file.error) {
            throw file.error;
        }
        return { filePath, bytes: file.contents };
    };
    const imageSize = (functionContext, filePathNode) => {
        const { filePath, bytes } = readImage(functionContext, filePathNode);
        let probe;
        try {
            probe = lessRequire('probe-image-size/sync');
        } catch (_) {
            return { width: 0, height: 0 };
        }
        const size = probe(Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes));
        if (!size) {
            throw { type: 'File', message: `Unrecognised image format for '${filePath}'` };
        }
        return { width: size.width, height: size.height };
    };
    const { Dimension, Expression } = less.tree;
    return {
        'image-size': function (filePathNode) {
            const size = imageSize(this, filePathNode);
            return new Expression([new Dimension(size.width, 'px'), new Dimension(size.height, 'px')]);
        },
        'image-width': function (filePathNode) {
            return new Dimension(imageSize(this, filePathNode).width, 'px');
        },
        'image-height': function (filePathNode) {
            return new Dimension(imageSize(this, filePathNode).height, 'px');
        }
    };
}

// -------------------------------------------------------------------- compile

/** less.render options, as MediaWiki sets them. */
export function renderOptions(file, paths, vars) {
    return {
        filename: file,
        paths,
        math: 'always',
        relativeUrls: false,
        rewriteUrls: 'off',
        modifyVars: Object.keys(vars).length ? vars : null,
        syncImport: true,
        javascriptEnabled: false
    };
}

function validateCompile(req) {
    const isStringArray = a => Array.isArray(a) && a.every(s => typeof s === 'string');
    const isMapOf = (m, ok) => m && typeof m === 'object' && !Array.isArray(m) && Object.values(m).every(ok);
    const isStringMap = m => isMapOf(m, s => typeof s === 'string');
    const isVarsMap = m => isMapOf(m, s => typeof s === 'string' || typeof s === 'number');
    if (typeof req.file !== 'string') { return '"file" must be a string'; }
    if (typeof req.source !== 'string') { return '"source" must be a string'; }
    if (req.paths !== undefined && !isStringArray(req.paths)) { return '"paths" must be an array of strings'; }
    if (req.prefixes !== undefined && !isStringMap(req.prefixes)) { return '"prefixes" must map strings to strings'; }
    if (req.vars !== undefined && !isVarsMap(req.vars)) { return '"vars" must map names to strings or numbers'; }
    return null;
}

/** Converts anything thrown or reported by less.js into the protocol's error. */
export function errorInfo(e) {
    if (e === null || e === undefined || typeof e !== 'object') {
        return { message: String(e), type: null, file: null, line: null, column: null };
    }
    const line = Number.isInteger(e.line) && e.line > 0 ? e.line : null;
    const column = line !== null && Number.isInteger(e.column) && e.column >= 0 ? e.column + 1 : null;
    let message = e.message;
    if (typeof message !== 'string') {
        message = message === undefined ? String(e) : String(message);
    }
    return {
        message,
        type: typeof e.type === 'string' ? e.type : null,
        file: typeof e.filename === 'string' ? e.filename : null,
        line,
        column
    };
}

/**
 * The main file's text as less.js's parser builds it: globalVars, the
 * source, modifyVars (whatever import-manager later stores for its name).
 */
function rootText(source, options) {
    const serialize = vars => (vars ? less.Parser.serializeVars(vars) : '');
    return `${serialize(options.globalVars)}\n${source}\n${serialize(options.modifyVars)}`;
}

const parseCache = cacheEnabled ? new ParseCache() : null;

function compile(req) {
    const invalid = validateCompile(req);
    if (invalid) {
        return { css: null, error: errorInfo(new Error(`invalid compile request: ${invalid}`)) };
    }
    const options = renderOptions(req.file, req.paths || [], req.vars || {});
    const session = new CompileSession(req.id, req.prefixes || {}, rootText(req.source, options));
    options.plugins = [new RldevPlugin(session, parseCache)];
    moduleState.restore();
    let outcome = null;
    less.render(req.source, options, (error, output) => {
        outcome = { error, output };
    });
    if (!outcome) {
        throw new Error('less.js did not finish the compile synchronously');
    }
    if (outcome.error) {
        return { css: null, error: errorInfo(outcome.error), stats: session.stats };
    }
    return { css: outcome.output.css, error: null, stats: session.stats };
}

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

/**
 * Right-to-left CSS, as ResourceLoader makes it for an rtl language: CSSJanus
 * (Wikimedia's; the PHP port MediaWiki runs gives the same), with "ltr" and
 * "rtl" swapped in URLs and "left"/"right" left alone there, honouring
 * `/* @noflip *\/`.
 */
function flip(id, css) {
    if (typeof css !== 'string') {
        return { op: 'done', id, css: null, error: errorInfo(new Error('"css" must be a string')) };
    }
    try {
        cssjanus ??= lessRequire('cssjanus');
        return { op: 'done', id, css: cssjanus.transform(css, { transformDirInUrl: true, transformEdgeInUrl: false }), error: null };
    } catch (e) {
        return { op: 'done', id, css: null, error: errorInfo(e) };
    }
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
