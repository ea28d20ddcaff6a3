// The protocol file manager: every file less.js wants is a request to rldev
// (the candidates less.js's node file manager would try, as the header of
// server.mjs says); the plugin that installs it, and the import manager hook
// that refuses @plugin and refused paths and lets the parse cache serve or
// learn each import.

import path from 'node:path';

import { less } from './load-less.mjs';
import { textOf } from './session.mjs';

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
export class RldevPlugin {
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
