// Right-to-left CSS (the "flip" op): CSSJanus, from less.js's node_modules.

import { lessRequire } from './load-less.mjs';
import { errorInfo } from './compile.mjs';

// CSSJanus, loaded on the first flip (a missing package fails flips only).
let cssjanus = null;

/**
 * Right-to-left CSS, as ResourceLoader makes it for an rtl language: CSSJanus
 * (Wikimedia's; the PHP port MediaWiki runs gives the same), with "ltr" and
 * "rtl" swapped in URLs and "left"/"right" left alone there, honouring
 * `/* @noflip *\/`.
 */
export function flip(id, css) {
    if (typeof css !== 'string') {
        return { op: 'done', id, css: null, error: errorInfo(new Error('"css" must be a string')) };
    }
    try {
        cssjanus ??= lessRequire('cssjanus');
        return { op: 'done', id, css: cssjanus.transform(css, { transformDirInUrl: true, transformEdgeInUrl: false }), error: null };
    } catch (e) {
        return { op: 'done', id, css: null, error: errorInfo(e) };
    }
}
