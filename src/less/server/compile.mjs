// One compile: the request checked, a CompileSession with the protocol file
// manager and the process's parse cache, less.js's module state restored,
// less.render run synchronously; errors in the protocol's shape.

import { less } from './load-less.mjs';
import { moduleState } from './module-state.mjs';
import { CompileSession } from './session.mjs';
import { RldevPlugin } from './files.mjs';
import { ParseCache } from './parse-cache.mjs';
import { renderOptions } from './render-options.mjs';

// -------------------------------------------------------------------- compile

const cacheEnabled = process.env.RLDEV_LESS_CACHE !== '0';

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

export function compile(req) {
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
