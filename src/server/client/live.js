/* One of the three parts of rldev's standalone client, which startup.rs joins,
 * in this order, into one function: loader.js, live.js, mw.js. This one: the error overlay
 * and live reload (the WebSocket, diffs, reloads, reconnects). */

  // ---- Error overlay -------------------------------------------------------------------

  let overlayWaiting = false;

  // Lists each requested module that the server reports broken; gone once none is.
  function renderOverlay() {
    if (!document.body) {
      if (!overlayWaiting) {
        overlayWaiting = true;
        document.addEventListener('DOMContentLoaded', () => { overlayWaiting = false; renderOverlay(); });
      }
      return;
    }
    const broken = Object.keys(registry).filter((n) => {
      const m = registry[n];
      return m.requested && (n in serverErrors || (m.brokenOnServer && m.state === 'error'));
    });
    let box = document.getElementById('rldev-overlay');
    if (!broken.length) {
      if (box) box.remove();
      return;
    }
    const key = JSON.stringify(broken.map((n) => [n, serverErrors[n]]));
    if (box && box.getAttribute('data-key') === key) return; // unchanged: leave it be
    if (!box) {
      box = document.createElement('div');
      box.id = 'rldev-overlay';
      box.setAttribute('role', 'alert');
      box.style.cssText = 'position:fixed;left:0;right:0;bottom:0;z-index:2147483647;max-height:50vh;' +
        'overflow:auto;margin:0;padding:12px 16px;background:#2b0b0b;color:#fee;' +
        'font:13px/1.5 ui-monospace,Menlo,Consolas,monospace;border-top:3px solid #d33;' +
        'box-shadow:0 -4px 16px rgba(0,0,0,.4);white-space:pre-wrap';
      document.body.appendChild(box);
    }
    box.setAttribute('data-key', key);
    box.textContent = '';
    const title = document.createElement('div');
    title.style.cssText = 'font-weight:bold;color:#f88;margin-bottom:6px';
    title.textContent = 'rldev: ' + broken.length + (broken.length === 1 ? ' module' : ' modules') + ' failed to build';
    box.appendChild(title);
    broken.forEach((name) => {
      const row = document.createElement('div');
      row.className = 'rldev-overlay-module';
      row.setAttribute('data-module', name);
      const b = document.createElement('strong');
      b.textContent = name;
      row.appendChild(b);
      row.appendChild(document.createTextNode(': ' + (serverErrors[name] || 'error reported by the server')));
      box.appendChild(row);
    });
  }

  // ---- Live reload ---------------------------------------------------------------------

  const live = { socket: null, seq: 0, wsPath: '/ws', reloading: false, lastSync: null, delay: 300, opened: false, lost: false };

  function isLoaded(m) {
    return m.state === 'loaded' || m.state === 'executing' || m.state === 'ready' || m.state === 'error';
  }

  /** Versions of everything the page has loaded (executed or in error). */
  function loadedVersions() {
    const out = {};
    for (const name in registry) {
      const m = registry[name];
      if (m.requested && isLoaded(m)) out[name] = m.version;
    }
    return out;
  }

  function sendSync() {
    const versions = loadedVersions();
    const text = JSON.stringify({ event: 'sync', versions });
    if (text === live.lastSync) return; // same question, same answer: avoid ping-pong
    if (!live.socket || live.socket.readyState !== 1) return;
    live.lastSync = text;
    live.socket.send(text);
  }

  // A loaded module whose version lags what the server announced (e.g. a request raced a
  // rebuild): ask the server what changed since the version the page holds.
  function checkStale() {
    for (const name in registry) {
      const m = registry[name];
      if (m.requested && isLoaded(m) && m.serverVersion && m.serverVersion !== m.version &&
          !(name in serverErrors)) {
        sendSync();
        return;
      }
    }
  }

  function reloadPage(reasons) {
    if (live.reloading) return;
    live.reloading = true;
    const line = '[rldev] reloading: ' + reasons.join('; ');
    console.info(line);
    try { sessionStorage.setItem('rldev-reloaded', line); } catch (e) { /* storage may be off */ }
    location.reload();
  }

  function onRegistry(msg) {
    live.seq = msg.seq;
    live.lastSync = null; // a new connection: its server has not seen our question
    const unknown = [];
    let differs = false;
    Object.keys(msg.registry || {}).forEach((name) => {
      const version = msg.registry[name];
      let m = registry[name];
      if (!m) { m = addModule(name, version); unknown.push(name); }
      m.serverVersion = version;
      if (m.state === 'registered') m.version = version;
      else if (m.requested && isLoaded(m) && m.version !== version) differs = true;
    });
    const nowThere = unknown.filter((n) => wanted.has(n));
    if (nowThere.length) { reloadPage(nowThere.map((n) => describe(n, 'added', null))); return; }
    // Errors we hold may be stale after a reconnect (fixed while we were away): re-read them.
    if (unknown.length || Object.keys(serverErrors).length) refreshFromRegistry(unknown);
    if (differs) sendSync();
  }

  // hello/added only carry versions. /registry.json gives the dependencies of modules new to
  // the page (so a later load() fetches those first) and the current error states.
  function refreshFromRegistry(names) {
    fetch('/registry.json').then((r) => r.json()).then((reg) => {
      const modules = reg.modules || {};
      names.forEach((n) => {
        const m = registry[n];
        const entry = modules[n];
        if (m && entry && m.state === 'registered') {
          m.dependencies = entry.dependencies || [];
          m.group = typeof entry.group === 'number' ? entry.group : m.group;
        }
      });
      if (typeof reg.seq === 'number' && reg.seq < live.seq) return; // older than our diffs
      Object.keys(serverErrors).forEach((n) => {
        if (modules[n] && modules[n].state !== 'error') delete serverErrors[n];
      });
      Object.keys(modules).forEach((n) => {
        if (modules[n].state === 'error') serverErrors[n] = modules[n].error || 'error';
      });
      renderOverlay();
    }).catch(() => {});
  }

  function changedParts(m, change) {
    if (m.parts && change.output) {
      return PARTS.filter((p) => (m.parts[p] || null) !== (change.output[p] || null));
    }
    if (Array.isArray(change.parts)) return change.parts;
    return ['script'];
  }

  function describe(name, what, causes) {
    const c = causes && causes.length ? ' (' + causes.map(String).join(', ') + ')' : '';
    return name + ': ' + what + c;
  }

  function onDiff(msg) {
    live.seq = msg.seq;
    const reasons = new Map(); // name -> why the page must reload
    const fixed = new Set();
    const swap = {}; // name -> new version, for the styles-only batch
    const inline = []; // styles swapped from the diff itself

    Object.keys(msg.states || {}).forEach((name) => {
      const s = msg.states[name];
      if (s.state === 'error') {
        serverErrors[name] = s.error || 'error';
      } else {
        delete serverErrors[name];
        const m = registry[name];
        // It was broken when the page loaded it, so it never ran: only a reload runs it.
        if (m && m.requested && m.brokenOnServer && FAILED[m.state]) fixed.add(name);
      }
    });

    Object.keys(msg.added || {}).forEach((name) => {
      const m = registry[name] || addModule(name, msg.added[name]);
      m.serverVersion = msg.added[name];
      if (m.state === 'registered') m.version = msg.added[name];
      // Asked for by this page before it existed: a reload registers it with its dependencies.
      else if (m.requested && m.state === 'missing') reasons.set(name, describe(name, 'added', null));
      if (wanted.has(name)) reasons.set(name, describe(name, 'added', null));
    });
    if (msg.added && Object.keys(msg.added).length) refreshFromRegistry(Object.keys(msg.added));

    (msg.removed || []).forEach((name) => {
      const m = registry[name];
      if (m && m.requested) console.info('[rldev] ' + name + ' was removed from the project');
      else if (m) delete registry[name];
    });

    Object.keys(msg.changed || {}).forEach((name) => {
      const ch = msg.changed[name];
      const m = registry[name] || addModule(name, ch.to);
      m.serverVersion = ch.to;
      if (m.version === ch.to) return; // a repeat of what the page already has
      if (!m.requested || !isLoaded(m)) {
        if (m.state === 'registered') m.version = ch.to;
        return; // a request in flight is checked when it lands (checkStale)
      }
      if (!ch.output) return; // broken now: the overlay says so, the page keeps what it runs
      if (m.state === 'error') {
        reasons.set(name, describe(name, fixed.has(name) ? 'fixed' : 'changed since it failed', ch.causes));
        return;
      }
      const changed = changedParts(m, ch);
      if (!changed.length) { m.version = ch.to; return; } // same output: nothing to do
      if (changed.length === 1 && changed[0] === 'styles' && Array.isArray(ch.styles)) {
        // The diff carries the new CSS: swap it now, no request.
        m.version = ch.to;
        m.parts = ch.output;
        m.style = { css: ch.styles };
        applyStyles(m);
        inline.push(name);
      } else if (changed.length === 1 && changed[0] === 'styles') swap[name] = ch.to;
      else reasons.set(name, describe(name, changed.join(', ') + ' changed', ch.causes));
    });

    fixed.forEach((name) => { if (!reasons.has(name)) reasons.set(name, describe(name, 'fixed', null)); });
    if (reasons.size) { reloadPage(Array.from(reasons.values())); return; }
    if (inline.length) console.info('[rldev] updated styles: ' + inline.join(', '));
    const names = Object.keys(swap);
    if (names.length) {
      console.info('[rldev] updating styles: ' + names.join(', '));
      fetchModules(names, swap);
    }
    renderOverlay();
  }

  function onMessage(event) {
    if (live.reloading) return;
    let msg;
    try { msg = JSON.parse(event.data); } catch (e) { return; }
    if (msg.event === 'hello' || msg.event === 'snapshot') onRegistry(msg);
    else if (msg.event === 'diff') onDiff(msg);
  }

  function connect() {
    const proto = location.protocol === 'https:' ? 'wss://' : 'ws://';
    let socket;
    try {
      socket = new WebSocket(proto + location.host + live.wsPath);
    } catch (e) {
      scheduleReconnect();
      return;
    }
    live.socket = socket;
    socket.onopen = () => {
      live.delay = 300;
      console.info(live.lost ? '[rldev] connection to rldev is back' : '[rldev] connected');
      live.lost = false;
      live.opened = true;
    };
    socket.onmessage = onMessage;
    socket.onclose = () => {
      if (live.socket === socket) live.socket = null;
      // Said once per loss, not for every failed retry.
      if (live.opened && !live.lost && !live.reloading) {
        live.lost = true;
        console.warn('[rldev] connection to rldev lost; trying again (is rldev serve still running?)');
      }
      scheduleReconnect();
    };
  }

  // Retry quickly while the server restarts; no reload: the next hello says what changed.
  function scheduleReconnect() {
    if (live.reloading) return;
    setTimeout(connect, live.delay);
    live.delay = Math.min(1000, live.delay + 200);
  }

  function start(options) {
    const opts = options || {};
    live.seq = opts.seq || 0;
    live.wsPath = opts.ws || '/ws';
    Object.keys(opts.errors || {}).forEach((name) => { serverErrors[name] = opts.errors[name]; });
    try {
      const note = sessionStorage.getItem('rldev-reloaded');
      if (note) {
        sessionStorage.removeItem('rldev-reloaded');
        console.info(note.replace('reloading:', 'reloaded after:'));
      }
    } catch (e) { /* storage may be off */ }
    renderOverlay();
    if (typeof WebSocket === 'function') connect();
  }

