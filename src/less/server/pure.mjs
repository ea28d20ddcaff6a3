// Pre-evaluated variable files ("pure" files): a file of plain variable
// declarations evaluated once per process, and served to a compile already
// evaluated, pruned to the names it can look up, when that provably gives
// the same result (the section comment says when and why). Served and
// settled through the parse cache (parse-cache.mjs).

import { less } from './load-less.mjs';
import { debug } from './io.mjs';
import { renderOptions } from './render-options.mjs';
import { TreePlan, isObjectValue } from './tree-plan.mjs';

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

export const pureEnabled = process.env.RLDEV_LESS_PURE !== '0';

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
export function pureFormFor(plan, filename) {
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
export class PureRoot {
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
