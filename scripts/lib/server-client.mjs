// A client of src/less/server/server.mjs for the test scripts: starts the server
// process, speaks its NDJSON protocol, and answers its read requests from
// disk (the first candidate that is a file, as the OS sees it).

import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const serverPath = path.join(repo, 'src', 'less', 'server', 'server.mjs');

export function isFile(p) {
    try {
        return fs.statSync(p).isFile();
    } catch {
        return false;
    }
}

/** Runs server.mjs (with RLDEV_LESS_STATS=1) and answers its read requests from disk. */
export class ServerClient {
    constructor(env = {}) {
        this.child = spawn(process.execPath, [serverPath], {
            stdio: ['pipe', 'pipe', 'pipe'],
            env: { ...process.env, RLDEV_LESS_STATS: '1', ...env }
        });
        // less.js's warnings (a data-uri file not found, a failed @plugin
        // with its source lines) are part of what the cases test, not news:
        // the server's stderr is kept and printed only if it dies.
        this.stderrTail = '';
        this.child.stderr.setEncoding('utf8').on('data', chunk => {
            this.stderrTail = (this.stderrTail + chunk).slice(-8192);
        });
        this.child.on('exit', code => {
            if (code !== 0 && code !== null) {
                process.stderr.write(`less server exited with ${code}; its stderr ended with:\n${this.stderrTail}\n`);
            }
        });
        this.buffer = '';
        this.lines = [];
        this.waiting = null;
        this.exited = false;
        this.child.stdin.on('error', () => {}); // a process that died is reported by receive()
        this.child.stdout.setEncoding('utf8');
        this.child.stdout.on('data', chunk => this.onData(chunk));
        this.child.on('exit', code => {
            this.exited = true;
            this.exitCode = code;
            this.wake();
        });
        this.nextId = 1;
    }

    onData(chunk) {
        this.buffer += chunk;
        let nl;
        while ((nl = this.buffer.indexOf('\n')) >= 0) {
            this.lines.push(this.buffer.slice(0, nl));
            this.buffer = this.buffer.slice(nl + 1);
        }
        this.wake();
    }

    wake() {
        if (this.waiting) {
            const resolve = this.waiting;
            this.waiting = null;
            resolve();
        }
    }

    async receive() {
        while (this.lines.length === 0) {
            if (this.exited) {
                throw new Error(`server exited with code ${this.exitCode}`);
            }
            await new Promise(resolve => { this.waiting = resolve; });
        }
        return JSON.parse(this.lines.shift());
    }

    send(message) {
        this.child.stdin.write(`${JSON.stringify(message)}\n`);
    }

    async ready() {
        const hello = await this.receive();
        if (hello.op !== 'ready') {
            throw new Error(`expected ready, got ${JSON.stringify(hello)}`);
        }
        return hello;
    }

    /** One compile; resolves to {css, error, stats, reads: [{candidates, binary, index}]}. */
    async compile({ file, source, paths = [], prefixes = {}, vars = {} }) {
        const id = this.nextId++;
        this.send({ op: 'compile', id, file, source, paths, prefixes, vars });
        const reads = [];
        for (;;) {
            const message = await this.receive();
            if (message.op === 'read' && message.id === id) {
                const index = message.candidates.findIndex(isFile);
                reads.push({ candidates: message.candidates, binary: message.binary, index });
                this.send(index < 0 ? { op: 'file', id, index: null } :
                    { op: 'file', id, index, contents_b64: fs.readFileSync(message.candidates[index]).toString('base64') });
            } else if (message.op === 'done' && message.id === id) {
                return { css: message.css, error: message.error, stats: message.stats, reads };
            } else {
                throw new Error(`unexpected message ${JSON.stringify(message).slice(0, 300)}`);
            }
        }
    }

    async close() {
        this.child.stdin.end();
        if (!this.exited) {
            await new Promise(resolve => this.child.on('exit', resolve));
        }
        return this.exitCode;
    }
}
