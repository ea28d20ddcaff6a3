/* rldev client: the in-page half of `rldev serve` (standalone). Owns window.mw (a small
 * mw.loader with MediaWiki's names and states, mw.messages, mw.template), the /load batching,
 * and live reload over /ws: CSS swapped in place, page reloaded for script changes, error
 * overlay. Three files joined, in this order, into one function by startup.rs (they share its
 * closure): loader.js (this: versions, names, the registry, execution, fetching, the server's
 * answers), live.js (the error overlay and live reload), mw.js (window.mw). */
(function () {
  'use strict';

  const MAX_URL = 2000; // the contract: a /load URL (origin included) stays below this
  const PARTS = ['script', 'styles', 'messages', 'templates'];
  const FAILED = { error: true, missing: true };

  // ---- SHA-1 and the version encoding --------------------------------------------------
  // crypto.subtle is async and absent on http://LAN-IP origins, but version= must be known
  // before the <script> tag is written, so a small synchronous SHA-1 it is.

  function rotl(x, n) {
    return (x << n) | (x >>> (32 - n));
  }

  function sha1(bytes) {
    const len = bytes.length;
    const blocks = ((len + 8) >> 6) + 1;
    const words = new Int32Array(blocks * 16);
    for (let i = 0; i < len; i++) {
      words[i >> 2] |= bytes[i] << (24 - (i & 3) * 8);
    }
    words[len >> 2] |= 0x80 << (24 - (len & 3) * 8);
    words[blocks * 16 - 2] = Math.floor(len / 0x20000000); // high bits of the bit length
    words[blocks * 16 - 1] = len * 8;
    const h = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0];
    const w = new Int32Array(80);
    for (let off = 0; off < words.length; off += 16) {
      for (let t = 0; t < 80; t++) {
        w[t] = t < 16 ? words[off + t] : rotl(w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16], 1);
      }
      let a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
      for (let t = 0; t < 80; t++) {
        let f, k;
        if (t < 20) { f = (b & c) | (~b & d); k = 0x5a827999; }
        else if (t < 40) { f = b ^ c ^ d; k = 0x6ed9eba1; }
        else if (t < 60) { f = (b & c) | (b & d) | (c & d); k = 0x8f1bbcdc; }
        else { f = b ^ c ^ d; k = 0xca62c1d6; }
        const tmp = (rotl(a, 5) + f + e + k + w[t]) | 0;
        e = d; d = c; c = rotl(b, 30); b = a; a = tmp;
      }
      h[0] = (h[0] + a) | 0; h[1] = (h[1] + b) | 0; h[2] = (h[2] + c) | 0;
      h[3] = (h[3] + d) | 0; h[4] = (h[4] + e) | 0;
    }
    const out = new Uint8Array(20);
    h.forEach((v, i) => {
      for (let j = 0; j < 4; j++) out[i * 4 + j] = (v >>> (24 - j * 8)) & 0xff;
    });
    return out;
  }

  const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

  function base64url(bytes) {
    let s = '';
    for (let i = 0; i < bytes.length; i += 3) {
      const n = (bytes[i] << 16) | ((bytes[i + 1] || 0) << 8) | (bytes[i + 2] || 0);
      const chars = Math.ceil(((Math.min(3, bytes.length - i)) * 8) / 6); // no padding
      for (let j = 0; j < chars; j++) s += B64[(n >> (18 - j * 6)) & 63];
    }
    return s;
  }

  /** The server's version encoding: 8 chars of URL-safe base64 of SHA-1 (UTF-8 input). */
  function makeHash(str) {
    return base64url(sha1(new TextEncoder().encode(str))).slice(0, 8);
  }

  // ---- Packed module names (RESOURCELOADER.md §4.2) -----------------------------------

  function packNames(names) {
    const groups = new Map(); // prefix -> suffixes, in order of first appearance
    for (const name of names) {
      const dot = name.lastIndexOf('.');
      const prefix = dot === -1 ? '' : name.slice(0, dot);
      const suffix = dot === -1 ? name : name.slice(dot + 1);
      if (!groups.has(prefix)) groups.set(prefix, []);
      groups.get(prefix).push(suffix);
    }
    const out = [];
    groups.forEach((suffixes, prefix) => {
      out.push((prefix === '' ? '' : prefix + '.') + suffixes.join(','));
    });
    return out.join('|');
  }

  // The server combines versions in the order the packed string *expands* to, which is not
  // always the order packed (e.g. a name starting with '.'), so expand it the server's way.
  function expandNames(packed) {
    const out = [];
    for (const part of packed.split('|')) {
      const comma = part.indexOf(',');
      if (comma === -1) { out.push(part); continue; }
      const dot = part.lastIndexOf('.');
      if (dot === -1) { out.push(...part.split(',')); continue; }
      const prefix = part.slice(0, dot);
      for (const suffix of part.slice(dot + 1).split(',')) out.push(prefix + '.' + suffix);
    }
    return out;
  }

  // ---- mw.Map, messages, templates -----------------------------------------------------

  class MwMap {
    constructor() { this.values = Object.create(null); }
    set(key, value) {
      if (key !== null && typeof key === 'object') {
        Object.keys(key).forEach((k) => { this.values[k] = key[k]; });
        return true;
      }
      this.values[key] = value;
      return true;
    }
    get(key, fallback) {
      if (key === undefined) return Object.assign({}, this.values);
      if (Array.isArray(key)) {
        const out = {};
        key.forEach((k) => { out[k] = this.get(k, fallback); });
        return out;
      }
      return key in this.values ? this.values[key] : (fallback === undefined ? null : fallback);
    }
    exists(key) { return key in this.values; }
  }

  function escapeHtml(s) {
    return String(s).replace(/[&<>"']/g, (c) => '&#' + c.charCodeAt(0) + ';');
  }

  function Message(map, key, params) {
    this.map = map;
    this.key = key;
    this.parameters = params;
  }
  Message.prototype.exists = function () { return this.map.exists(this.key); };
  Message.prototype.plain = function () {
    if (!this.exists()) return '⧼' + this.key + '⧽';
    return String(this.map.get(this.key)).replace(/\$(\d+)/g, (m, n) => {
      const i = Number(n) - 1;
      return i >= 0 && i < this.parameters.length ? String(this.parameters[i]) : m;
    });
  };
  Message.prototype.text = Message.prototype.plain; // no wikitext parser here
  Message.prototype.escaped = function () { return escapeHtml(this.text()); };
  Message.prototype.toString = Message.prototype.text;

  // Minimal Mustache: {{{raw}}}, {{escaped}}, dotted paths. Enough for simple templates.
  function renderTemplate(source, data) {
    const lookup = (path) => path.split('.').reduce((o, k) => (o == null ? o : o[k]), data);
    return source.replace(/\{\{\{\s*([\w.$-]+)\s*\}\}\}|\{\{\s*([\w.$-]+)\s*\}\}/g, (m, raw, esc) => {
      const v = lookup(raw || esc);
      if (v == null) return '';
      return raw ? String(v) : escapeHtml(v);
    });
  }

  function makeTemplate(source) {
    return {
      getSource: () => source,
      render: (data) => renderTemplate(source, data || {})
    };
  }

  // ---- The module registry -------------------------------------------------------------
  // One record per module. `version` is what the page requests or has loaded;
  // `serverVersion` the newest version the server announced (may run ahead for loaded ones).

  const registry = Object.create(null);
  const jobs = []; // pending using() calls
  const serverErrors = Object.create(null); // name -> "file:line:col: message"
  const wanted = new Set(); // unknown names load() skipped: the page wants them once they exist

  function addModule(name, version, dependencies, group, skip) {
    registry[name] = {
      name,
      version: version == null ? '' : String(version),
      serverVersion: null,
      dependencies: dependencies || [],
      group: group == null ? null : group,
      skip: skip || null,
      state: 'registered',
      requested: false,
      brokenOnServer: false, // the server answered `error` for it: it never ran
      script: null,
      style: null,
      messages: null,
      templates: null,
      parts: null, // part hashes of the output this page holds
      module: null, // { exports } once executed
      styleEl: null
    };
    return registry[name];
  }

  function register(entries, version, dependencies, group, source, skip) {
    if (typeof entries === 'string') {
      return register([[entries, version, dependencies, group, source, skip]]);
    }
    for (const e of entries) {
      if (registry[e[0]]) throw new Error('module already registered: ' + e[0]);
    }
    // Dependencies are indexes into this same array, or names of modules registered elsewhere.
    for (const e of entries) {
      const deps = (e[2] || []).map((d) => (typeof d === 'number' ? entries[d][0] : d));
      addModule(e[0], e[1], deps, e[3], e[5]);
    }
  }

  function getState(name) {
    return registry[name] ? registry[name].state : null;
  }

  function getVersion(name) {
    return registry[name] ? registry[name].version : null;
  }

  const warnedUnknown = new Set();

  // A dependency rldev does not serve (typically a core module such as mediawiki.api):
  // MediaWiki would fail the dependant, but a preview of the extension is more useful if it
  // runs without it, so warn once and go on.
  function knownDeps(m) {
    return m.dependencies.filter((d) => {
      if (registry[d]) return true;
      if (!warnedUnknown.has(d)) {
        warnedUnknown.add(d);
        console.warn('[rldev] ' + m.name + ': dependency ' + d + ' is not served by rldev; running without it');
        unserved.push([m.name, d]);
        renderNotice();
      }
      return false;
    });
  }

  // The page says it too, not only the console: what is missing and how to get it.
  const unserved = []; // [module, dependency]
  function renderNotice() {
    if (!document.body) {
      document.addEventListener('DOMContentLoaded', renderNotice, { once: true });
      return;
    }
    let bar = document.getElementById('rldev-notice');
    if (!bar) {
      bar = document.createElement('div');
      bar.id = 'rldev-notice';
      bar.setAttribute('role', 'status');
      bar.style.cssText = 'position:fixed;left:0;right:0;top:0;z-index:2147483646;margin:0;padding:8px 16px;' +
        'background:#fef6e7;color:#202122;border-bottom:2px solid #fc3;font:13px/1.5 sans-serif';
      document.body.appendChild(bar);
    }
    const names = unserved.map((p) => p[0] + ' → ' + p[1]).join(', ');
    bar.textContent = 'rldev: ' + names + ': not served here (a module of MediaWiki core or of another ' +
      'extension), so these modules run without it. To run them beside core\'s modules on a real wiki page, ' +
      'start rldev in front of your wiki: rldev serve --proxy http://127.0.0.1:8080/w/';
  }

  // Dependencies first, depth first; throws on a cycle.
  function visit(name, out, visiting) {
    if (out.indexOf(name) !== -1) return;
    if (visiting.has(name)) throw new Error('circular dependency involving ' + name);
    visiting.add(name);
    knownDeps(registry[name]).forEach((d) => visit(d, out, visiting));
    visiting.delete(name);
    out.push(name);
  }

  /** Every name with its dependencies, dependencies before dependants; unknown names skipped. */
  function resolve(names) {
    const order = [];
    const seen = new Set();
    for (const name of names) {
      if (!registry[name]) {
        console.warn('[rldev] skipped unknown module: ' + name);
        wanted.add(name);
        continue;
      }
      try {
        const list = [];
        visit(name, list, new Set());
        list.forEach((n) => { if (!seen.has(n)) { seen.add(n); order.push(n); } });
      } catch (e) {
        console.error('[rldev] ' + name + ': ' + e.message);
        setState(name, 'error');
      }
    }
    return order;
  }

  function setState(name, state) {
    const m = registry[name] || addModule(name, '');
    m.state = state;
    if (state === 'error' || state === 'missing') m.requested = true;
  }

  // A module that waits for a failed dependency can never run: fail it too (until stable).
  function propagateFailures() {
    let changed = true;
    while (changed) {
      changed = false;
      for (const name in registry) {
        const m = registry[name];
        if (m.state !== 'loading' && m.state !== 'loaded') continue;
        const bad = m.dependencies.find((d) => registry[d] && FAILED[registry[d].state]);
        if (bad !== undefined) {
          console.error('[rldev] ' + name + ': dependency ' + bad + ' failed');
          m.state = 'error';
          changed = true;
        }
      }
    }
  }

  // ---- Execution -----------------------------------------------------------------------

  function styleText(style) {
    if (!style) return '';
    if (typeof style === 'string') return style;
    const blocks = [];
    Object.keys(style).forEach((media) => {
      const css = [].concat(style[media]);
      if (media === 'css' || media === 'all') blocks.push(css.join('\n'));
      else if (media !== 'url') blocks.push('@media ' + media + '{' + css.join('\n') + '}');
    });
    return blocks.join('\n');
  }

  // One <style data-rldev-module> per module, so a later styles-only change can replace it.
  function applyStyles(m) {
    const css = styleText(m.style);
    if (m.styleEl) {
      if (m.styleEl.textContent !== css) m.styleEl.textContent = css;
      return;
    }
    if (!css) return;
    const el = document.createElement('style');
    el.setAttribute('data-rldev-module', m.name);
    el.textContent = css;
    (document.head || document.documentElement).appendChild(el);
    m.styleEl = el;
  }

  function resolvePath(base, rel) {
    const out = base.split('/');
    out.pop(); // the file name: paths are relative to the calling file's folder
    for (const seg of rel.split('/')) {
      if (seg === '..') out.pop();
      else if (seg !== '.' && seg !== '') out.push(seg);
    }
    return out.join('/');
  }

  // packageFiles: each script file runs once, on first require; data files are values.
  function makePackageRequire(bundle, moduleName) {
    const cache = Object.create(null);
    function requireFrom(current) {
      return function (target) {
        if (!/^\.\.?\//.test(target)) return mwRequire(target);
        const path = resolvePath(current, target);
        if (!(path in bundle.files)) {
          throw new Error('Cannot require undefined file ' + path + ' in ' + moduleName);
        }
        if (path in cache) return cache[path].exports;
        const file = bundle.files[path];
        if (typeof file !== 'function') {
          cache[path] = { exports: file };
          return file;
        }
        const mod = { exports: {} };
        cache[path] = mod;
        file(requireFrom(path), mod, mod.exports);
        return mod.exports;
      };
    }
    return requireFrom;
  }

  function runScript(m) {
    const script = m.script;
    if (typeof script === 'function') {
      m.module = { exports: {} };
      script.call(window, window.jQuery, window.jQuery, mwRequire, m.module);
    } else if (script && typeof script === 'object' && script.files) {
      const requireFrom = makePackageRequire(script, m.name);
      const main = script.main;
      // The main file's module object is the package's: mw.loader.require returns its exports.
      m.module = { exports: requireFrom('')('./' + main) };
    } else if (typeof script === 'string') {
      (0, eval)(script); // legacy site/user style: global scope
      m.module = { exports: {} };
    } else {
      m.module = { exports: {} };
    }
  }

  function execute(m) {
    m.state = 'executing';
    try {
      if (m.messages) mw.messages.set(m.messages);
      if (m.templates) mw.templates.set(m.name, m.templates);
      applyStyles(m); // before the script, so it can measure styled elements
      runScript(m);
      m.state = 'ready';
    } catch (e) {
      m.state = 'error';
      console.error('[rldev] ' + m.name + ' failed:', e);
    }
  }

  let flushing = false;
  let flushAgain = false;
  let updateQueued = false;

  /**
   * Asks for one update after the current script: a /load answer holds a
   * thousand impl() calls, and one pass over the registry after them all
   * costs what one pass per call would cost a thousand times.
   */
  function update() {
    if (updateQueued) return;
    updateQueued = true;
    Promise.resolve().then(() => {
      updateQueued = false;
      updateNow();
    });
  }

  /** Run every loaded module whose dependencies are ready, settle using() calls, redraw. */
  function updateNow() {
    if (flushing) { flushAgain = true; return; }
    flushing = true;
    try {
      do {
        flushAgain = false;
        propagateFailures();
        for (const name in registry) {
          const m = registry[name];
          if (m.state === 'loaded' && m.dependencies.every((d) => !registry[d] || registry[d].state === 'ready')) {
            execute(m);
            flushAgain = true;
          }
        }
      } while (flushAgain);
    } finally {
      flushing = false;
    }
    settleJobs();
    renderOverlay();
  }

  function settleJobs() {
    for (let i = jobs.length - 1; i >= 0; i--) {
      const job = jobs[i];
      const failed = job.names.filter((n) => !registry[n] || FAILED[registry[n].state]);
      if (failed.length) {
        jobs.splice(i, 1);
        job.reject(new Error('Failed dependencies: ' + failed.join(', ')));
      } else if (job.names.every((n) => registry[n].state === 'ready')) {
        jobs.splice(i, 1);
        job.resolve(mwRequire);
      }
    }
  }

  // ---- Fetching ------------------------------------------------------------------------

  function loadUrl(names, versionOf) {
    const packed = packNames(names);
    const combined = makeHash(expandNames(packed).map((n) => versionOf(n)).join(''));
    return '/load?modules=' + encodeURIComponent(packed) + '&version=' + combined;
  }

  function splitName(name) {
    const dot = name.lastIndexOf('.');
    return dot === -1 ? { prefix: '', suffix: name } : { prefix: name.slice(0, dot), suffix: name.slice(dot + 1) };
  }

  // What a name adds to a packed, encoded list holding these prefixes: `%2Csuffix` after
  // its group, or a new group `%7Cprefix.suffix`.
  function packedCost(name, prefixes) {
    const { prefix, suffix } = splitName(name);
    const s = encodeURIComponent(suffix).length;
    if (prefixes.has(prefix)) return 3 + s;
    return (prefixes.size ? 3 : 0) + (prefix ? encodeURIComponent(prefix).length + 1 : 0) + s;
  }

  // Sorted names cut into requests whose URL stays under MAX_URL, in one pass (the packed
  // length grows by each name's cost; no packing or hashing per name).
  function splitBatch(names) {
    const sorted = names.slice().sort();
    const fixed = location.origin.length + '/load?modules='.length + '&version='.length + 8;
    const batches = [];
    let current = [];
    let prefixes = new Set();
    let length = 0;
    for (const name of sorted) {
      let cost = packedCost(name, prefixes);
      if (current.length && fixed + length + cost >= MAX_URL) {
        batches.push(current);
        current = [];
        prefixes = new Set();
        length = 0;
        cost = packedCost(name, prefixes);
      }
      current.push(name);
      prefixes.add(splitName(name).prefix);
      length += cost;
    }
    if (current.length) batches.push(current);
    return batches;
  }

  /** Fetch modules with <script src> tags, one batch per group. */
  function fetchModules(names, versions) {
    const versionOf = (n) => (versions && versions[n]) || (registry[n] ? registry[n].version : '');
    const byGroup = new Map();
    names.forEach((n) => {
      const g = registry[n].group;
      if (!byGroup.has(g)) byGroup.set(g, []);
      byGroup.get(g).push(n);
    });
    byGroup.forEach((list) => {
      splitBatch(list).forEach((batch) => addScript(loadUrl(batch, versionOf), batch));
    });
  }

  function addScript(url, batch) {
    const el = document.createElement('script');
    el.src = url;
    el.async = true;
    el.onload = () => batchDone(batch, 'not in the response');
    el.onerror = () => batchDone(batch, 'request failed: ' + url);
    (document.head || document.documentElement).appendChild(el);
  }

  function batchDone(batch, why) {
    batch.forEach((name) => {
      const m = registry[name];
      if (m && m.state === 'loading') {
        console.error('[rldev] ' + name + ': ' + why);
        m.state = 'error';
      }
    });
    update();
    checkStale();
  }

  function load(modules, type) {
    if (typeof modules === 'string' && /^(https?:)?\/?\//.test(modules)) {
      loadExternal(modules, type);
      return;
    }
    const names = typeof modules === 'string' ? [modules] : modules;
    const order = resolve(names);
    const toFetch = [];
    for (const name of order) {
      const m = registry[name];
      m.requested = true;
      if (m.state !== 'registered') continue;
      if (m.skip && runSkip(m)) { m.state = 'ready'; continue; }
      m.state = 'loading';
      toFetch.push(name);
    }
    propagateFailures(); // a dependency already failed: do not fetch its dependants
    const live = toFetch.filter((n) => registry[n].state === 'loading');
    if (live.length) fetchModules(live);
    update();
  }

  function runSkip(m) {
    try {
      return !!new Function(m.skip)();
    } catch (e) {
      console.error('[rldev] ' + m.name + ': skip function threw', e);
      return false;
    }
  }

  function loadExternal(url, type) {
    if (type === 'text/css') {
      const link = document.createElement('link');
      link.rel = 'stylesheet';
      link.href = url;
      document.head.appendChild(link);
      return;
    }
    const el = document.createElement('script');
    el.src = url;
    document.head.appendChild(el);
  }

  function using(dependencies, ready, error) {
    const names = typeof dependencies === 'string' ? [dependencies] : dependencies;
    const p = new Promise((resolvePromise, reject) => {
      const unknown = names.filter((n) => !registry[n]);
      if (unknown.length) {
        reject(new Error('Unknown module: ' + unknown.join(', ')));
        return;
      }
      let all;
      try {
        all = [];
        names.forEach((n) => visit(n, all, new Set()));
      } catch (e) {
        reject(e);
        return;
      }
      jobs.push({ names: all, resolve: resolvePromise, reject });
      load(names); // settles the job (update() runs at its end)
    });
    if (ready || error) p.then(ready, error);
    return p;
  }

  function mwRequire(name) {
    const m = registry[name];
    if (!m || m.state !== 'ready') throw new Error('Module "' + name + '" is not loaded');
    return m.module ? m.module.exports : undefined;
  }

  // ---- Server answers: impl, state, parts ----------------------------------------------

  function splitKey(key) {
    const at = key.lastIndexOf('@'); // names may hold '@', versions never do
    return at <= 0 ? { name: key, version: '' } : { name: key.slice(0, at), version: key.slice(at + 1) };
  }

  function impl(declarator) {
    const [key, script, style, messages, templates, deprecation] = declarator();
    implement(key, script, style, messages, templates, deprecation);
  }

  function implement(key, script, style, messages, templates, deprecation) {
    const { name, version } = splitKey(key);
    const m = registry[name] || addModule(name, version);
    if (m.state === 'ready') {
      // A styles-only live update of a module that already ran: swap its CSS in place.
      m.version = version;
      m.style = style || null;
      applyStyles(m);
      return;
    }
    if (m.state !== 'loading' && m.state !== 'registered') return; // failed or already here
    if (deprecation) console.warn(deprecation); // ResourceLoader's own text
    m.version = version; // what was delivered, not what was asked for
    m.script = script || null;
    m.style = style || null;
    m.messages = messages || null;
    m.templates = templates || null;
    m.state = 'loaded';
    update();
  }

  function state(states) {
    Object.keys(states).forEach((name) => {
      setState(name, states[name]);
      if (states[name] === 'error') registry[name].brokenOnServer = true;
    });
    update();
  }

  function parts(map) {
    const reasons = [];
    Object.keys(map).forEach((name) => {
      const m = registry[name];
      if (!m) return;
      // A styles swap answered by a newer build whose script (etc.) also moved on: the page
      // now claims a version it does not run, so run it for real.
      if (m.parts && m.state === 'ready') {
        const other = PARTS.filter((p) => p !== 'styles' && (m.parts[p] || null) !== (map[name][p] || null));
        if (other.length) reasons.push(describe(name, other.join(', ') + ' changed', null));
      }
      m.parts = map[name];
    });
    if (reasons.length) reloadPage(reasons);
  }

