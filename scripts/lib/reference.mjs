// What plain less.js gives for a compile, in the shape of server.mjs's
// "done" reply, with the known, deliberate differences normalized; and the
// comparison of two such results. Used in process by less-identical.mjs and
// in a fresh process per compile by less-sequence.mjs (reference-child.mjs).
//
// Normalizations (the server differs from less.js here by design):
// - Imports are looked up as MediaWiki's less.php looks them up (see
//   lessPhpImport), not as less.js's node file manager does.
// - A missing file: less.js 4.9.1's node file manager, with syncImport:true,
//   returns {error} where import-manager wants the error itself, so the
//   error of a missing @import has no message and type "Syntax". The
//   reference hands import-manager the error itself, as the async mode does
//   (type "File", "'x' wasn't found. Tried - ..."), and the "Tried" list
//   loses the paths the server never tries (the process working directory,
//   npm:// module lookups).
// - @plugin: the server refuses it (see server.mjs). Where plain less.js
//   fails to find a plugin, at the @plugin directive, the server must give
//   its refusal there instead (callers keep plugin files off the disk).

import fs from 'node:fs';
import path from 'node:path';

/**
 * Plain less.js of the given instance; renderOptions is server.mjs's, and
 * pluginRefusal its message for @plugin.
 */
export function plainLess(less, renderOptions, pluginRefusal) {
    // No network: without its URL file manager, plain less.js treats http(s)
    // imports as files (not found), like the server does.
    less.environment.fileManagers = less.environment.fileManagers.filter(fm => !(fm instanceof less.UrlFileManager));
    const plainLoadFileSync = less.FileManager.prototype.loadFileSync;
    const loadFileSync = function (filename, currentDirectory, options, environment) {
        return options && options.ext ?
            lessPhpImport(this, filename, currentDirectory, options) :
            plainLoadFileSync.call(this, filename, currentDirectory, options, environment);
    };
    less.FileManager.prototype.loadFileSync = function (...args) {
        const result = loadFileSync.apply(this, args);
        return result && !result.filename && result.error ? { ...result.error, error: result.error } : result;
    };

    const render = (source, options) => less.render(source, options).then(
        output => ({ css: output.css, error: null }),
        e => ({ css: null, error: e }));

    /** The server-shaped result of plain less.js for one compile input. */
    async function compile({ file, source, paths = [], vars = {} }) {
        const result = await render(source, renderOptions(file, paths, vars));
        if (!result.error) {
            return result;
        }
        const error = plainError(result.error);
        error.message = withoutCwdAndNpmTries(error.message);
        if (error.type === 'File' && / wasn't found\. Tried - /.test(error.message) &&
            isPluginDirectiveAt(error, file, source)) {
            error.message = pluginRefusal;
            error.type = 'Syntax';
        }
        return { css: null, error };
    }

    return { less, compile };
}

/**
 * An import's look-up as MediaWiki's less.php does it (and server.mjs): in
 * each folder (the importing file's, or none for an absolute path, then
 * each of "paths", joined as less.js joins them), the path as written, then
 * with the extension appended. A path that is not absolute (from a "#"
 * folder) would be looked up in the working directory: never found.
 */
function lessPhpImport(fileManager, filename, currentDirectory, options) {
    const parts = fileManager.extractUrlParts(filename);
    const name = parts.rawPath + parts.filename;
    const dirs = [fileManager.isPathAbsolute(filename) ? '' : currentDirectory].concat(options.paths || []);
    const tried = [];
    for (const dir of dirs) {
        const joined = !dir ? name : dir.startsWith('#') ? dir.slice(1) + name : path.join(dir, name);
        for (const candidate of [joined, joined + options.ext]) {
            tried.push(candidate);
            if (path.isAbsolute(candidate) && isFile(candidate)) {
                return { contents: fs.readFileSync(candidate, 'utf8'), filename: candidate };
            }
        }
    }
    return { error: { type: 'File', message: `'${filename}' wasn't found. Tried - ${tried.join(',')}` } };
}

function isFile(p) {
    try {
        return fs.statSync(p).isFile();
    } catch {
        return false;
    }
}

function plainError(e) {
    return {
        message: e.message,
        type: e.type ?? null,
        file: e.filename ?? null,
        line: Number.isInteger(e.line) ? e.line : null,
        column: Number.isInteger(e.line) && Number.isInteger(e.column) ? e.column + 1 : null
    };
}

/**
 * Drops the paths less.js's node file manager tries outside the importing
 * file's folder and the "paths" option: npm:// module lookups and paths
 * relative to the process working directory (the server tries neither).
 * Kept: paths that are absolute in less.js's sense (/, \\, #, scheme:).
 */
function withoutCwdAndNpmTries(message) {
    const m = typeof message === 'string' && /^(.*?'.*' wasn't found\. Tried - )(.*)$/s.exec(message);
    if (!m) { return message; }
    const lessAbsolute = /^(?:[a-z-]+:|\/|\\|#)/i;
    const tried = m[2].split(',').filter(p => lessAbsolute.test(p) && !p.startsWith('npm://'));
    return m[1] + tried.join(',');
}

/** Whether the error's position (in the main source or a file on disk) holds "@plugin". */
function isPluginDirectiveAt(error, file, source) {
    if (!error.file || !error.line || !error.column) { return false; }
    let text;
    try {
        text = error.file === file ? source : fs.readFileSync(error.file, 'utf8');
    } catch {
        return false;
    }
    const line = text.replace(/^\uFEFF/, '').split(/\r\n?|\n/)[error.line - 1] ?? '';
    return line.startsWith('@plugin', error.column - 1);
}

/** Differences between plain less.js's result and the server's, as lines for people. */
export function compareResults(expected, actual) {
    const differences = [];
    if (expected.css !== actual.css) {
        differences.push(`css differs:\n--- less.render\n${expected.css}\n--- server\n${actual.css}`);
    }
    const e = expected.error;
    const a = actual.error;
    if (Boolean(e) !== Boolean(a)) {
        differences.push(`error differs: less.render ${JSON.stringify(e)} vs server ${JSON.stringify(a)}`);
    } else if (e) {
        for (const key of ['message', 'type', 'file', 'line', 'column']) {
            if (e[key] !== a[key]) {
                differences.push(`error.${key} differs: less.render ${JSON.stringify(e[key])} vs server ${JSON.stringify(a[key])}`);
            }
        }
    }
    return differences;
}
