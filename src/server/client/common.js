/* What rldev's two page clients share, joined into each one's function:
 * standalone (client/loader.js, common.js, live.js, mw.js, by startup.rs)
 * and in front of a wiki (common.js inside proxy/client.js, by
 * proxy/startup.rs). The error overlay's box, the reload that says why, and
 * the WebSocket that reconnects without a blind reload. */

  // ---- Overlay, reload, connection ---------------------------------------------------

  /** The connection's state; each client adds what it needs. */
  const live = { socket: null, reloading: false, delay: 300, opened: false, lost: false };

  /** Shows `broken` ([name, message] pairs) in the error overlay; removes it when empty. */
  function drawOverlay(broken) {
    if (!document.body) {
      document.addEventListener('DOMContentLoaded', () => drawOverlay(broken), { once: true });
      return;
    }
    let box = document.getElementById('rldev-overlay');
    if (!broken.length) {
      if (box) box.remove();
      return;
    }
    const key = JSON.stringify(broken);
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
    broken.forEach(([name, message]) => {
      const row = document.createElement('div');
      row.className = 'rldev-overlay-module';
      row.setAttribute('data-module', name);
      const b = document.createElement('strong');
      b.textContent = name;
      row.appendChild(b);
      row.appendChild(document.createTextNode(': ' + message));
      box.appendChild(row);
    });
  }

  /** Reloads the page once, saying why on the console now and after the reload. */
  function reloadPage(reasons) {
    if (live.reloading) return;
    live.reloading = true;
    const line = '[rldev] reloading: ' + reasons.join('; ');
    console.info(line);
    try { sessionStorage.setItem('rldev-reloaded', line); } catch (e) { /* storage may be off */ }
    location.reload();
  }

  /** After a reload: the console line that says why it happened. */
  function sayWhyReloaded() {
    try {
      const note = sessionStorage.getItem('rldev-reloaded');
      if (note) {
        sessionStorage.removeItem('rldev-reloaded');
        console.info(note.replace('reloading:', 'reloaded after:'));
      }
    } catch (e) { /* storage may be off */ }
  }

  function describe(name, what, causes) {
    const c = causes && causes.length ? ' (' + causes.map(String).join(', ') + ')' : '';
    return name + ': ' + what + c;
  }

  /** The WebSocket at `path` (same origin): each message, parsed, to `onMessage`; lost
   * and back said once on the console; retried quickly while the server restarts, with
   * no reload (the next `hello` says what changed). */
  function connect(path, onMessage) {
    const proto = location.protocol === 'https:' ? 'wss://' : 'ws://';
    let socket;
    try {
      socket = new WebSocket(proto + location.host + path);
    } catch (e) {
      retry(path, onMessage);
      return;
    }
    live.socket = socket;
    socket.onopen = () => {
      live.delay = 300;
      console.info(live.lost ? '[rldev] connection to rldev is back' : '[rldev] connected');
      live.lost = false;
      live.opened = true;
    };
    socket.onmessage = (event) => {
      if (live.reloading) return;
      let msg;
      try { msg = JSON.parse(event.data); } catch (e) { return; }
      onMessage(msg);
    };
    socket.onclose = () => {
      if (live.socket === socket) live.socket = null;
      // Said once per loss, not for every failed retry.
      if (live.opened && !live.lost && !live.reloading) {
        live.lost = true;
        console.warn('[rldev] connection to rldev lost; trying again (is rldev serve still running?)');
      }
      retry(path, onMessage);
    };
  }

  function retry(path, onMessage) {
    if (live.reloading) return;
    setTimeout(() => connect(path, onMessage), live.delay);
    live.delay = Math.min(1000, live.delay + 200);
  }

