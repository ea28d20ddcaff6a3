// Random small Less projects and compile sequences for less-sequence.mjs,
// from a seeded PRNG: the same seed gives the same sequence.
//
// A sequence is a list of steps, each {writes, compile}: files to write
// (path relative to the project folder -> text, or null to delete) before
// the compile {file, paths, vars} (paths relative to the project folder).
// Texts spell the project folder "{{root}}" (absolute imports).
//
// The projects are made to collide: a few variable names shared by every
// file; variables files (mostly plain declarations, so the server serves
// them pre-evaluated) imported by several modules, their variables rebound
// after or around their import, in scopes, by mixin parameters and by
// modifyVars; self-imports; every @import option, interpolated and absolute
// import paths, "paths"; guards with default(), root-level generators, and
// guards or selectors whose evaluation fails; maps, detached rulesets,
// extend, @@var, interpolation, each(), recursive mixins, !important,
// data-uri(); syntax errors, missing imports and @plugin (whose file never
// exists); endless (multiple) import cycles now and then. Each sequence
// draws its own rates of these (KNOBS).

import path from 'node:path';

/**
 * How often each kind of thing happens, drawn per sequence ("swarm
 * testing"): a sequence that rebinds roots on every compile, or fails
 * often, finds what an average of all would seldom reach.
 */
const KNOBS = {
    pure: [0.7, 0.9, 0.98],        // a variable's value is one the server may pre-evaluate
    ownRef: [0.3, 0.5, 0.8],       // a module names a variable of a variables file it imports
    rootRef: [0.02, 0.1, 0.3],     // ... the root of its group
    importOptions: [0.1, 0.3, 0.6],
    selfImport: [0.1, 0.3, 0.8],
    failing: [0, 0.05, 0.2],       // a module (lib/more.less: a fifth of it) holds a failing statement
    vars: [0.2, 0.6, 0.9],         // a compile has modifyVars
    rootVars: [0.3, 0.6, 0.95],    // ... rebinding a root
    edits: [0.3, 0.5, 0.8],        // files change before a compile
    breaks: [0.05, 0.3]            // an edit that would regenerate a file leaves a syntax error instead
};

/** Seeded PRNG (mulberry32 over a string hash of the seed), with the sequence's knobs. */
export class Random {
    constructor(seed) {
        let h = 1779033703;
        for (const ch of String(seed)) {
            h = Math.imul(h ^ ch.charCodeAt(0), 3432918353);
            h = (h << 13) | (h >>> 19);
        }
        this.state = h >>> 0;
        this.knobs = {};
        for (const [name, choices] of Object.entries(KNOBS)) { this.knobs[name] = this.pick(choices); }
    }

    /** Whether a thing of a kind in KNOBS happens. */
    often(knob, scale = 1) {
        return this.chance(this.knobs[knob] * scale);
    }

    next() {
        this.state = (this.state + 0x6D2B79F5) >>> 0;
        let t = this.state;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    }

    int(n) {
        return Math.floor(this.next() * n);
    }

    chance(p) {
        return this.next() < p;
    }

    pick(list) {
        return list[this.int(list.length)];
    }

    /** Up to max distinct items of list, in random order. */
    some(list, max) {
        const pool = list.slice();
        const out = [];
        const n = this.int(max + 1);
        while (out.length < n && pool.length) {
            out.push(pool.splice(this.int(pool.length), 1)[0]);
        }
        return out;
    }
}

/**
 * The variable names, in rank order, with their types: shared names that
 * every file uses, and names of each variables file (vars/v1.less declares
 * @v1-a ...), which the modules importing it use. A value of one names only
 * lower-ranked variables of its group (of fitting types): no definition is
 * recursive, however files and modifyVars combine them. The lowest of each
 * group (@fan, @n; @v1-a ...) are its roots: the others' values name them
 * most, other texts seldom (modifyVars more often).
 */
const SHARED = {
    fan: 'num', n: 'num', w: 'dim', pad: 'dim', size: 'dim', half: 'dim',
    c: 'color', tone: 'color', k: 'word', q: 'string', name: 'name', list: 'list'
};
const VARS_FILES = ['vars/v1.less', 'vars/v2.less', 'vars/v3.less'];
const OWN = { a: 'num', b: 'dim', c: 'color', d: 'dim', e: 'list' };
const TYPES = { ...SHARED };
const GROUP = {};
for (const file of VARS_FILES) {
    const group = path.basename(file, '.less');
    for (const [suffix, type] of Object.entries(OWN)) {
        TYPES[`${group}-${suffix}`] = type;
        GROUP[`${group}-${suffix}`] = group;
    }
}
const NAMES = Object.keys(TYPES);
const SHARED_NAMES = Object.keys(SHARED);
const ROOTS = ['fan', 'n'].concat(VARS_FILES.map(f => `${path.basename(f, '.less')}-a`));
const WORDS = ['red', 'bold', 'solid', 'blue', 'auto', 'x'];
const MODULES = ['a', 'b', 'c'];

function hex(r, n) {
    let s = '';
    for (let i = 0; i < n; i++) { s += '0123456789abcdef'[r.int(16)]; }
    return s;
}

/**
 * "@x" for a variable of one of the types that name's value may use (any
 * shared one if name is null), or null.
 */
function below(r, name, ...types) {
    const rank = NAMES.indexOf(name);
    const usable = name === null ? SHARED_NAMES : NAMES.filter((n, i) => i < rank && GROUP[n] === GROUP[name]);
    const fitting = usable.filter(n => types.includes(TYPES[n]));
    return fitting.length ? `@${r.pick(fitting)}` : null;
}

/** A shared name of one of the types. */
function nameOf(r, ...types) {
    return r.pick(SHARED_NAMES.filter(n => types.includes(TYPES[n])));
}

/** A literal of the type. */
function literal(r, type) {
    switch (type) {
        case 'num': return `${r.int(256)}`;
        case 'dim': return `${r.int(40)}px`;
        case 'color': return r.chance(0.7) ? `#${hex(r, r.chance(0.5) ? 3 : 6)}` : r.pick(['red', 'blue', 'white']);
        case 'word': return r.pick(WORDS);
        case 'string': return `"${r.pick(WORDS)}"`;
        case 'name': return r.pick(['w', 'fan', 'k', 'c']);
        default: return `${r.int(9)}px ${r.int(9)}px red`;
    }
}

/** A value for the variable name that the server may pre-evaluate (literals, variables, + - *, color functions). */
function pureValue(r, name) {
    const type = TYPES[name];
    const num = below(r, name, 'num');
    const dim = below(r, name, 'dim');
    const color = below(r, name, 'color');
    const same = below(r, name, type);
    const fromNumber = {
        dim: [num && `${num} * 1px`, num && `${num} * 2px`],
        color: [num && `rgb(${num}, ${r.int(256)}, 0)`, num && `hsl(${num}, 50%, 50%)`]
    }[type] || [];
    const forms = {
        num: [num && `${num} * 2`, num && `${num} + 1`, num],
        dim: [dim && `${dim} * 2`, dim && `${dim} + ${r.int(9)}px`, dim && `-${dim}`, dim],
        color: [color && `darken(${color}, 10%)`, color && `fade(${color}, 50%)`, color && `mix(${color}, #fff, 50%)`,
            color && `spin(${color}, 10)`, color],
        word: [same], string: [same], name: [same],
        list: [dim && `1px 2px ${dim}`, 'a, b, c', dim && color && `${dim} solid ${color}`]
    }[type].filter(Boolean);
    // Values built on a number, mostly a root, half the time they can be.
    const numeric = fromNumber.filter(Boolean);
    if (numeric.length && r.chance(0.5)) { return r.pick(numeric); }
    return forms.length && r.chance(0.75) ? r.pick(forms) : literal(r, type);
}

/** A value for the variable name that the server never pre-evaluates (division, strings, other functions ...). */
function otherValue(r, name) {
    const type = TYPES[name];
    const num = below(r, name, 'num') || '3';
    const dim = below(r, name, 'dim') || '3px';
    const any = below(r, name, 'num', 'dim', 'word', 'string') || '1';
    const forms = {
        num: [`round(1.5)`, `(${num} / 2)`, `${num} / 2`, `if((${num} > 10), 1, 2)`, `percentage(0.5)`],
        dim: [`(${dim} / 2)`, `unit(${num}, px)`, `${dim} !important`, `(${dim} + 1) * 2`],
        color: [`color("#${hex(r, 3)}")`, `if((${num} > 10), red, blue)`, `@@name`],
        word: ['e("raw")', `~"esc-@{${nameOf(r, 'num', 'word')}}"`, `iscolor(${any})`],
        string: [`"str-@{${nameOf(r, 'num', 'dim', 'word')}}"`, `%("%d-%d", ${num}, 2)`, 'replace("abc", "b", "x")'],
        name: ['~"w"', 'e("fan")'],
        list: [`{ color: red; w: ${dim}; }`, `calc(100% - ${dim}) url("img.svg")`, `a, ${any}`]
    }[type];
    return r.pick(forms);
}

function anyValue(r, name) {
    return r.often('pure') ? pureValue(r, name) : otherValue(r, name);
}

/**
 * "@x" for a shared variable or one of the groups' (variables files): the
 * latter half the time; a root rarely.
 */
function anyRef(r, groups = []) {
    const names = r.often('ownRef') ? NAMES.filter(n => groups.includes(GROUP[n])) : SHARED_NAMES;
    const roots = names.filter(n => ROOTS.includes(n));
    const others = names.filter(n => !ROOTS.includes(n));
    return `@${r.often('rootRef') || !others.length ? r.pick(roots.length ? roots : SHARED_NAMES) : r.pick(others)}`;
}

/** vars/base.less: every shared name declared, mostly with values the server pre-evaluates. */
function baseFile(r) {
    const lines = ['// every name'];
    for (const name of SHARED_NAMES) {
        lines.push(`@${name}: ${r.often('pure', 1.05) ? pureValue(r, name) : otherValue(r, name)};`);
    }
    return `${lines.join('\n')}\n`;
}

/**
 * A file of variable declarations: its own names in rank order, now and
 * then a shared one, a comment, or something else than a declaration.
 */
function varsFile(r, file) {
    const lines = [`// variables ${r.int(1000)}`];
    const group = path.basename(file, '.less');
    for (const name of NAMES.filter(n => GROUP[n] === group)) {
        if (r.chance(0.15)) {
            const shared = r.pick(SHARED_NAMES);
            lines.push(`@${shared}: ${r.often('pure') ? pureValue(r, shared) : otherValue(r, shared)};`);
        }
        lines.push(`@${name}: ${r.often('pure') ? pureValue(r, name) : otherValue(r, name)};`);
        if (r.chance(0.05)) { lines.push(`// mentions @${r.pick(NAMES)}`); }
    }
    if (r.chance(0.08)) { lines.push(`.not-only-variables { a: ${anyRef(r, [group])}; }`); }
    if (r.chance(0.05)) { lines.push(`@import (optional) "${r.pick(['v1', 'v2', 'nope'])}.less";`); }
    return `${lines.join('\n')}\n`;
}

/** lib/mixins.less: every mixin, ruleset and variable the modules use, with random values. */
function mixinsFile(r) {
    const v = () => anyRef(r);
    const local = nameOf(r, 'dim', 'num', 'color');
    const param = nameOf(r, 'dim');
    return [
        '.m1(@a; @b: 2px) { width: @a; height: @b; }',
        '.g(@a) when (@a > 10) { big: @a; }\n.g(@a) when (default()) { small: @a; }',
        `.gen(@i) when (@i > 0) {\n  .gen-@{i} { w: (@i * 2px); v: ${v()}; }\n  .gen(@i - 1);\n}\n` +
            '.gen(@i) when (default()) { .gen-end { e: @i; } }',
        '.md(@x) when (default()) { d: @x; }\n.md(@x) when (@x = 1) { one: @x; }',
        `.target { color: ${literal(r, 'color')}; }`,
        `.ns { .inner() { ns: ${v()}; } }`,
        `@dr: { dr-prop: ${v()}; };`,
        `@map: { primary: ${literal(r, 'color')}; size: ${v()}; };`,
        `.imp() { a: 1 !important; b: ${v()}; }`,
        '.rec(@n) when (@n > 0) { r-@{n}: @n; .rec(@n - 1); }',
        `.scoped() { @${local}: ${literal(r, TYPES[local])}; inner: ${v()}; }`,
        `.m2(@${param}) { p: ${v()}; }`,
        '.mg(@x) when (iscolor(@nope)) { y: 1; }',
        ''
    ].join('\n');
}

/** lib/more.less: random mixins, rulesets and variables, overriding the others' now and then. */
function libFile(r) {
    const v = () => anyRef(r);
    const snippets = [
        () => '.g(@a) when (@a > 10) { big-too: @a; }',
        () => `.target { background: ${literal(r, 'color')}; }`,
        () => `.ns { .inner() { ns-too: ${v()}; } }`,
        () => `@dr: { dr-other: ${v()}; };`,
        () => `@map: { primary: ${literal(r, 'color')}; size: ${literal(r, 'dim')}; };`,
        () => `.scoped() { inner-too: ${v()}; }`,
        () => { const name = r.pick(NAMES); return `@${name}: ${anyValue(r, name)};`; },
        () => `.uses-${r.int(9)} { v: ${v()}; }`,
        () => `@import (reference) "../${r.pick(VARS_FILES)}";`,
        () => `.sel-${r.int(9)}:extend(.target) { k: 1; }`,
        () => `.lib-guard when (${below(r, null, 'num')} > 100) { g: 1; }`
    ];
    const rare = [
        () => '.err-guard when (@undefined-var = 1) { x: 1; }',
        () => '.err-sel-@{undefined-var} { x: 1; }',
        () => '.broken { a: b',
        () => `@plugin "plugin-${r.int(3)}";`
    ];
    const parts = [];
    const count = 1 + r.int(5);
    for (let i = 0; i < count; i++) { parts.push(r.pick(snippets)()); }
    if (r.often('failing', 0.2)) { parts.push(r.pick(rare)()); }
    return `${parts.join('\n')}\n`;
}

/** An @import of target (a project path) from the folder dir, written one of several ways. */
function importOf(r, target, dir, optionNames = ['reference', 'optional', 'multiple', 'once', 'inline', 'less', 'css']) {
    const depth = dir.split('/').length;
    let spec = `${'../'.repeat(depth)}${target}`;
    const form = r.int(20);
    if (form === 0) {
        spec = `{{root}}/${target}`;
    } else if (form === 1 && target.startsWith('vars/')) {
        spec = target.slice('vars/'.length); // found through "paths" (or not)
    } else if (form === 2 && target.startsWith('lib/')) {
        spec = target.slice('lib/'.length);
    } else if (form === 3) {
        spec = spec.replace(/\.less$/, '');
    }
    const options = r.often('importOptions') ? r.some(optionNames, 2) : [];
    const head = options.length ? `@import (${options.join(', ')}) ` : '@import ';
    if (form === 4 && target.includes('/')) {
        const slash = spec.lastIndexOf('/');
        const name = `dir-${r.int(1000)}`;
        return `@${name}: "${spec.slice(0, slash)}";\n${head}"@{${name}}${spec.slice(slash)}";`;
    }
    return r.chance(0.1) ? `${head}url("${spec}");` : `${head}"${spec}";`;
}

/** A module statement using the variables of groups; i makes selectors unique. */
function moduleStatement(r, i, groups) {
    const v = () => anyRef(r, groups);
    const dim = () => `${r.int(30)}px`;
    const rebind = () => {
        const name = r.pick(NAMES.filter(n => !GROUP[n] || groups.includes(GROUP[n])));
        return `@${name}: ${anyValue(r, name)};`;
    };
    return r.pick([
        () => `.a${i} { color: ${v()}; }`,
        () => `.a${i} { color: ${v()}; width: ${v()}; }`,
        () => `.a${i} { color: ${v()}; }`,
        () => `.s${i} { ${rebind()} v: ${v()}; }`,
        () => `.x${i} { .m1(${dim()}); }`,
        () => `.x${i} { .m1(${dim()}) !important; }`,
        () => `.gen(${r.int(4)});`,
        () => `@dflt${i}: default();\n.dv${i} { d: @dflt${i}; }`,
        () => `.y${i} { .g(${r.int(20)}); }`,
        () => `.md${i} { .md(${r.int(3)}); }`,
        () => `.e${i}:extend(.target) { k: ${i}; }`,
        () => `.e${i} { &:extend(.target all); }`,
        () => `.d${i} { @dr(); }`,
        () => `.mp${i} { v: @map[primary]; s: @map[size]; }`,
        () => `@name: ${r.pick(['w', 'fan', 'k', 'tone'])};\n.i${i} { v: @@name; }`,
        () => `.i${i} { v: @@name; }`,
        () => `.@{${nameOf(r, 'num', 'word', 'name')}}-cls${i} { a: 1; }`,
        () => `.q${i} { content: "@{${r.pick(NAMES)}}"; }`,
        () => `.l${i} { each(@list, { v-@{index}: @value; }); }`,
        () => `each(@list, { .each${i}-@{index} { v: @value; } });`,
        () => `@media (min-width: ${below(r, null, 'dim')}) { .mq${i} { a: b; } }`,
        () => `.cg${i} when (${below(r, null, 'num')} > 100) { a: 1; }`,
        () => `.n${i} { .ns > .inner(); }`,
        () => `.mm${i}(@${nameOf(r, 'dim')}) { p: ${v()}; }\n.mu${i} { .mm${i}(${dim()}); }`,
        () => `.r${i} { .rec(${r.int(4)}); }`,
        () => `.c${i} { @c2: color("#${hex(r, 3)}"); c: @c2; d: ${below(r, null, 'color')}; }`,
        () => `.dk${i} { c: darken(${below(r, null, 'color')}, 5%); }`,
        () => `.f${i} { v: %("%d/%d", ${v()}, ${v()}); }`,
        () => `.b${i} { v: boolean(${below(r, null, 'num')} > 1); t: iscolor(${v()}); }`,
        () => `.if${i} { v: if((iscolor(${v()})), yes, no); }`,
        () => `.imp${i} { .imp() !important; }`,
        () => `@r${i}: { a: ${v()}; };\n.rr${i} { @r${i}(); }`,
        () => `.sc${i} { .scoped(); }`,
        () => `.m2c${i} { .m2(${dim()}); }`,
        () => `.op${i} { v: ${below(r, null, 'dim')} + ${below(r, null, 'dim')}; w: (${below(r, null, 'dim')} / 2); }`,
        () => `.wrap${i} { @import (multiple) "../../lib/mixins.less"; }`,
        rebind,
        rebind,
        () => `.du${i} { background: data-uri("img.svg"); }`,
        () => `.important${i} { a: ${v()} !important; }`
    ])();
}

/**
 * Statements that fail (or may): evaluation errors (half of them in a guard
 * or selector, where less.js leaves default()'s state set), syntax errors,
 * missing files, @plugin.
 */
function failingStatement(r, i) {
    if (r.chance(0.5)) {
        return r.pick([
            () => `.bad${i} when (@undefined-var = 1) { x: 1; }`,
            () => `.mixg${i} { .mg(1); }`,
            () => `.sel-@{undefined-var} { x: 1; }`
        ])();
    }
    return r.pick([
        () => `.err${i} { a: @undefined-var; }`,
        () => `.broken${i} { a: b`,
        () => `@plugin "plugin-${r.int(3)}";`,
        () => `.root-default${i} when (default()) { x: 1; }`,
        () => `.nomixin${i} { .nonexistent-mixin(); }`,
        () => `@import "../../vars/missing-${r.int(3)}.less";`,
        () => `.dk${i} { c: darken(${below(r, null, 'dim')}, 5%); }`
    ])();
}

/** A module's main.less (or part.less): imports, rebindings and statements. */
function moduleFile(r, dir, isPart) {
    const targets = ['lib/more.less', 'lib/plain.css'];
    if (!isPart) { targets.push(`${dir}/part.less`); }
    if (r.chance(0.03)) { targets.push('vars/nope.less'); }
    const imports = [];
    if (r.chance(0.95)) { imports.push(`@import "${'../'.repeat(dir.split('/').length)}vars/base.less";`); }
    if (r.chance(0.95)) { imports.push(importOf(r, 'lib/mixins.less', dir, ['reference', 'once', 'multiple', 'optional'])); }
    const varsFiles = r.some(VARS_FILES, 2).concat([r.pick(VARS_FILES)]).filter((f, i, all) => all.indexOf(f) === i);
    for (const target of varsFiles.concat(r.some(targets, 2))) {
        imports.push(importOf(r, target, dir));
    }
    const groups = varsFiles.map(f => path.basename(f, '.less'));
    if (r.often('selfImport')) {
        imports.push(r.pick(['@import (optional, reference) "main.less";', '@import (reference) "main.less";',
            '@import "main.less";', '@import (optional, reference) "part.less";']));
    }
    const statements = [];
    for (const group of groups) {
        const names = NAMES.filter(n => GROUP[n] === group && !ROOTS.includes(n));
        statements.push(`.uses-${group} { ${r.some(names, 3).map(n => `${n}: @${n};`).join(' ')} }`);
    }
    const count = 2 + r.int(6);
    for (let i = 0; i < count; i++) {
        statements.push(moduleStatement(r, i, groups));
    }
    if (r.often('failing')) { statements.push(failingStatement(r, count)); }
    // Imports first or anywhere among the statements (variables declared before or after them).
    for (const line of imports.reverse()) {
        statements.splice(r.chance(0.7) ? 0 : r.int(statements.length + 1), 0, line);
    }
    // A root-level generator before any ruleset (which would reset default()'s state in less.js).
    if (r.chance(0.2)) { statements.unshift(`.gen(${1 + r.int(3)});`); }
    return `// ${dir} ${isPart ? 'part' : 'main'}\n${statements.join('\n')}\n`;
}

const CSS_FILE = '.plain { color: red; }\n@media print { .plain { color: black; } }\n';
const SVG_FILE = '<svg xmlns="http://www.w3.org/2000/svg" width="4" height="2"/>\n';

/** A fresh project: path -> text. */
function newProject(r) {
    const files = {};
    files['vars/base.less'] = baseFile(r);
    for (const f of VARS_FILES) { files[f] = varsFile(r, f); }
    files['lib/mixins.less'] = mixinsFile(r);
    files['lib/more.less'] = libFile(r);
    files['lib/plain.css'] = CSS_FILE;
    for (const m of MODULES) {
        files[`mods/${m}/main.less`] = moduleFile(r, `mods/${m}`, false);
        if (r.chance(0.8)) { files[`mods/${m}/part.less`] = moduleFile(r, `mods/${m}`, true); }
    }
    files['mods/a/img.svg'] = SVG_FILE;
    return files;
}

/** A new text for an existing (or deleted) project file. */
function regenerate(r, file) {
    if (file === 'vars/base.less') { return baseFile(r); }
    if (file === 'lib/mixins.less') { return mixinsFile(r); }
    if (file.startsWith('vars/')) { return varsFile(r, file); }
    if (file.startsWith('lib/')) { return file.endsWith('.css') ? CSS_FILE : libFile(r); }
    if (file.endsWith('.svg')) { return SVG_FILE; }
    return moduleFile(r, file.slice(0, file.lastIndexOf('/')), file.endsWith('part.less'));
}

/** One edit of the project: [path, text or null]. */
function edit(r, files) {
    const paths = Object.keys(files).filter(p => !p.endsWith('.svg') && !p.endsWith('.css'));
    const file = r.pick(paths);
    const text = files[file];
    const kind = text === null ? 'regenerate' : r.pick(['regenerate', 'regenerate', 'regenerate', 'number', 'number',
        'append', 'append', 'append', 'same', 'break', 'delete']);
    switch (kind) {
        case 'number': {
            const numbers = [...text.matchAll(/\d+/g)];
            if (!numbers.length) { return [file, regenerate(r, file)]; }
            const m = r.pick(numbers);
            return [file, text.slice(0, m.index) + String(r.int(300)) + text.slice(m.index + m[0].length)];
        }
        case 'append': {
            const group = file.startsWith('vars/') ? path.basename(file, '.less') : null;
            const name = r.pick(NAMES.filter(n => !GROUP[n] || GROUP[n] === group));
            return [file, `${text}@${name}: ${anyValue(r, name)};\n`];
        }
        case 'break':
            return [file, r.often('breaks') ? `${text}.broken { a: b\n` : regenerate(r, file)];
        case 'delete':
            return [file, file.endsWith('main.less') || r.chance(0.5) ? regenerate(r, file) : null];
        case 'same':
            return [file, text];
        default:
            return [file, regenerate(r, file)];
    }
}

/**
 * modifyVars for a compile of text: mostly values of the variable's type,
 * now and then another variable or more declarations; now and then
 * rebinding a root, mostly of a variables file the text imports.
 */
function randomVars(r, text) {
    const vars = {};
    const imported = ROOTS.filter(root => GROUP[root] && text.includes(GROUP[root]));
    const root = imported.length && r.chance(0.8) ? r.pick(imported) : r.pick(ROOTS);
    for (const name of r.some(NAMES, 2).concat(r.often('rootVars') ? [root] : [])) {
        vars[r.chance(0.2) ? `@${name}` : name] = r.pick([
            () => literal(r, TYPES[name]),
            () => literal(r, TYPES[name]),
            () => pureValue(r, name),
            () => literal(r, r.pick(Object.values(TYPES))),
            () => `1; @${NAMES[0]}: ${r.int(9)}`
        ])();
    }
    return vars;
}

function randomCompile(r, files) {
    const mains = Object.keys(files).filter(p => files[p] !== null && p.endsWith('main.less'));
    const others = Object.keys(files).filter(p => files[p] !== null && p.endsWith('.less'));
    const file = r.chance(0.9) ? r.pick(mains) : r.pick(others);
    return {
        file,
        paths: r.pick([[], [], ['lib'], ['vars', 'lib'], ['lib', 'vars']]),
        vars: r.often('vars') ? randomVars(r, files[file]) : {}
    };
}

/** A sequence of `length` compiles over one random project, with edits between them. */
export function randomSequence(seed, length) {
    const r = new Random(seed);
    const files = newProject(r);
    const steps = [];
    let writes = { ...files };
    for (let i = 0; i < length; i++) {
        if (i > 0 && r.often('edits')) {
            for (let n = 1 + r.int(2); n > 0; n--) {
                const [file, text] = edit(r, files);
                files[file] = text;
                writes[file] = text;
            }
        }
        steps.push({ writes, compile: randomCompile(r, files) });
        writes = {};
    }
    return steps;
}
