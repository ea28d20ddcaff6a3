// The parse cache: parsed trees of imported files kept across compiles, by
// resolved filename and text; each compile gets its own copy from the
// file's TreePlan (tree-plan.mjs), or its pure form (pure.mjs).

import { debug } from './io.mjs';
import { TreePlan } from './tree-plan.mjs';
import { pureEnabled, pureFormFor, PureRoot } from './pure.mjs';

// ----------------------------------------------------------------- parse cache

/** What less.js's parser stores and parses for an imported file's text. */
export function normalizedImportText(contents) {
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
export class ParseCache {
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
