// The compile session: one compile's state (request id, prefix mappings,
// pending import, what settling pure forms needs) and its requests to rldev
// for files, with the blob store of the file contents rldev has sent.

import { send, receiveLine } from './io.mjs';

// ------------------------------------------------------------- compile session

/**
 * Per-compile state: request id, prefix mappings, pending import, and what
 * settling pure forms needs (the import manager, the Less texts loaded).
 */
export class CompileSession {
    /** rootText: the main file's text as less.js parses it (see rootText(), compile.mjs). */
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
export const blobs = new Map();

/** Decoded texts of the buffers in blobs (the same file is read by many compiles). */
const blobTexts = new WeakMap();

export function textOf(bytes) {
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
