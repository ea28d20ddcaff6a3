// less.js's module-level state that a compile can change: saved at start-up,
// restored before every compile (by compile.mjs), and why the rest needs no
// restoring.

import { less, defaultFunc } from './load-less.mjs';

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

export const moduleState = new ModuleState([defaultFunc, less.tree.Keyword.True, less.tree.Keyword.False]);
