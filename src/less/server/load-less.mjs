// Loading less.js for the Less compile server (server.mjs): the `less`
// instance, its require() and its default() module, loaded once at start-up
// (top-level await). Every other file of the server imports them from here.

import path from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

// ---------------------------------------------------------------- loading less

export const { less, lessRequire, defaultFunc } = await loadLess();

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

export function lessVersion() {
    return Array.isArray(less.version) ? less.version.join('.') : String(less.version);
}
