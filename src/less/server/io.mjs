// The server's I/O: NDJSON protocol lines read from stdin and written to
// stdout with blocking calls (one compile at a time, strictly
// request/response), and debug logs on stderr.

import fs from 'node:fs';

// ------------------------------------------------------------------------ I/O

const debugEnabled = process.env.RLDEV_LESS_DEBUG === '1';

const sleepCell = new Int32Array(new SharedArrayBuffer(4));

function sleepMs(ms) {
    Atomics.wait(sleepCell, 0, 0, ms);
}

function isRetryable(e) {
    return e && (e.code === 'EAGAIN' || e.code === 'EWOULDBLOCK' || e.code === 'EINTR');
}

/** Reads bytes from fd, retrying on a non-blocking fd; 0 means end of file. */
function readSome(fd, buf, offset, length) {
    for (;;) {
        try {
            return fs.readSync(fd, buf, offset, length, null);
        } catch (e) {
            if (e && e.code === 'EOF') { return 0; }
            if (!isRetryable(e)) { throw e; }
            sleepMs(2);
        }
    }
}

/**
 * A blocking descriptor for stdin. Node may leave fd 0 non-blocking, and
 * polling it would cost CPU while idle; on Linux, opening /proc/self/fd/0
 * gives a new, blocking description of the same pipe. Elsewhere: fd 0.
 */
function blockingStdin() {
    try {
        return fs.openSync('/proc/self/fd/0', 'r');
    } catch {
        return 0;
    }
}

/** Synchronous line reader over a file descriptor (lines split on \n, UTF-8). */
class LineReader {
    constructor(fd) {
        this.fd = fd;
        this.buf = Buffer.allocUnsafe(1 << 16);
        this.start = 0;   // first unconsumed byte
        this.end = 0;     // end of valid data
        this.scanned = 0; // bytes before this offset hold no newline
    }

    /** The next line without its newline, or null at end of input. */
    readLine() {
        for (;;) {
            const nl = this.buf.subarray(this.scanned, this.end).indexOf(10);
            if (nl >= 0) {
                return this.takeLine(this.scanned + nl, 1);
            }
            this.scanned = this.end;
            this.makeRoom();
            const n = readSome(this.fd, this.buf, this.end, this.buf.length - this.end);
            if (n === 0) {
                return this.end > this.start ? this.takeLine(this.end, 0) : null;
            }
            this.end += n;
        }
    }

    takeLine(lineEnd, skip) {
        const line = this.buf.toString('utf8', this.start, lineEnd);
        this.start = lineEnd + skip;
        this.scanned = this.start;
        return line;
    }

    makeRoom() {
        if (this.end < this.buf.length) { return; }
        const used = this.end - this.start;
        const target = used * 2 > this.buf.length ? Buffer.allocUnsafe(this.buf.length * 2) : this.buf;
        this.buf.copy(target, 0, this.start, this.end);
        this.buf = target;
        this.scanned -= this.start;
        this.start = 0;
        this.end = used;
    }
}

function writeAll(fd, data) {
    let offset = 0;
    while (offset < data.length) {
        try {
            offset += fs.writeSync(fd, data, offset, data.length - offset);
        } catch (e) {
            if (e && e.code === 'EPIPE') { process.exit(0); }
            if (!isRetryable(e)) { throw e; }
            sleepMs(2);
        }
    }
}

export function send(message) {
    writeAll(1, Buffer.from(`${JSON.stringify(message)}\n`, 'utf8'));
}

const input = new LineReader(blockingStdin());

/** Next protocol line from rldev; stdin closing ends the process. */
export function receiveLine() {
    const line = input.readLine();
    if (line === null) {
        process.exit(0);
    }
    return line;
}

export function debug(message) {
    if (debugEnabled) {
        process.stderr.write(`rldev-less: ${message}\n`);
    }
}
