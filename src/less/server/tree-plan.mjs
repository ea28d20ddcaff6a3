// Tree plans: a parsed tree turned into a flat plan plus per-shape copier
// functions (generated with new Function) that rebuild a fresh copy of it
// for each compile; used by the parse cache and by pure forms.

import { less } from './load-less.mjs';
import { debug } from './io.mjs';

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

const Node = less.tree.Node;

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

export function isObjectValue(value) {
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

export class TreePlan {
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
