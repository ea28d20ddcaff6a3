/* One of the parts of rldev's standalone client, which startup.rs joins, in this
 * order, into one function: loader.js, common.js, live.js, mw.js. This one: which
 * modules the overlay lists, and live reload (diffs, syncs, reloads). */

  // ---- Error overlay -------------------------------------------------------------------

  // Lists each requested module that the server reports broken; gone once none is.
  function renderOverlay() {
    const broken = Object.keys(registry).filter((n) => {
      const m = registry[n];
      return m.requested && (n in serverErrors || (m.brokenOnServer && m.state === 'error'));
    });
    drawOverlay(broken.map((n) => [n, serverErrors[n] || 'error reported by the server']));
  }

  // ---- Live reload ---------------------------------------------------------------------

  Object.assign(live, { seq: 0, wsPath: '/ws', lastSync: null });

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

  function onMessage(msg) {
    if (msg.event === 'hello' || msg.event === 'snapshot') onRegistry(msg);
    else if (msg.event === 'diff') onDiff(msg);
  }

  function start(options) {
    const opts = options || {};
    live.seq = opts.seq || 0;
    live.wsPath = opts.ws || '/ws';
    Object.keys(opts.errors || {}).forEach((name) => { serverErrors[name] = opts.errors[name]; });
    sayWhyReloaded();
    renderOverlay();
    if (typeof WebSocket === 'function') connect(live.wsPath, onMessage);
  }

