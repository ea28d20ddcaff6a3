/*
 * rldev's live client on a wiki's own page (`rldev serve --proxy`). The
 * proxy appends it to the wiki's startup module, after `mw.loader.register`,
 * so the wiki's own `mw.loader` is there. The proxy puts ../client/common.js
 * (the overlay's box, reloads, the connection) at the top of the function, and
 * passes its settings as the function's argument:
 * { ws, seq, errors, parts, wiki, skin, lang, load }. Modules in
 * `wiki` need PHP: the wiki answers them, and this client leaves them alone.
 *
 * What it does with a diff, for each changed module the page has loaded:
 * - only its styles changed: the module's rules are replaced in place, in
 *   whatever stylesheet holds them (a `<style>` that mw.loader shares among
 *   modules, or a `<link>` of the page head). The proxy writes each module's
 *   CSS between two empty marker rules, `html[data-rldev="begin NAME"]` and
 *   `html[data-rldev="end NAME"]`, so the rules between them are exactly
 *   that module's, in cascade order;
 * - anything else (script, messages, templates), or styles it cannot find:
 *   the page reloads, with a console line saying why (repeated after the
 *   reload);
 * - a module in `error`: an overlay names it and the error; it goes when the
 *   module builds again.
 * A reconnect compares versions and asks the server for the difference
 * (`sync`): no blind reload.
 */
(function (settings) {
  'use strict';
  const mw = window.mw;
  if (!mw || !mw.loader || typeof WebSocket !== 'function') return;
__RLDEV_COMMON__

  // The version the wiki's loader holds (1.39 has no mw.loader.getVersion).
  function loaderVersion(name) {
    const entry = mw.loader.moduleRegistry && mw.loader.moduleRegistry[name];
    return entry ? entry.version : null;
  }

  const errors = Object.assign({}, settings.errors || {}); // name -> message
  const held = {}; // name -> { version, parts }: what the page shows
  Object.keys(settings.parts || {}).forEach((name) => {
    held[name] = { version: loaderVersion(name), parts: settings.parts[name] };
  });
  live.seq = settings.seq || 0;

  // Answers for mw.loader carry the part hashes of what they implement.
  mw.loader.rldev = {
    parts(map) {
      Object.keys(map).forEach((name) => {
        held[name] = { version: loaderVersion(name), parts: map[name] };
      });
    },
    errors(map) {
      Object.assign(errors, map);
      setTimeout(renderOverlay, 0); // after mw.loader.state marks them
    }
  };

  const wikis = new Set(settings.wiki || []);

  /** Whether the page runs rldev's build of the module. */
  function onPage(name) {
    if (wikis.has(name)) return false;
    const s = mw.loader.getState(name);
    return s === 'loading' || s === 'loaded' || s === 'executing' || s === 'ready' || s === 'error';
  }

  function versionHeld(name) {
    return held[name] ? held[name].version : loaderVersion(name);
  }

  // ---- Styles in place ---------------------------------------------------------------

  const MARK = /^html\[data-rldev="(begin|end) ((?:[^"\\]|\\.)*)"\]$/;

  function markOf(rule) {
    const m = rule.selectorText && MARK.exec(rule.selectorText);
    return m ? { edge: m[1], name: m[2].replace(/\\(.)/g, '$1') } : null;
  }

  /** Replaces the rules between the module's marks in every stylesheet; false if none has them. */
  function swapStyles(name, css) {
    const fresh = new CSSStyleSheet();
    fresh.replaceSync(css.join('\n'));
    let found = false;
    for (const sheet of Array.from(document.styleSheets)) {
      let rules;
      try { rules = sheet.cssRules; } catch (e) { continue; } // another origin's sheet
      for (let i = 0; i < rules.length; i++) {
        const begin = markOf(rules[i]);
        if (!begin || begin.edge !== 'begin' || begin.name !== name) continue;
        let end = i + 1;
        while (end < rules.length) {
          const mark = markOf(rules[end]);
          if (mark && mark.edge === 'end' && mark.name === name) break;
          end++;
        }
        if (end === rules.length) continue; // no end mark: not ours to edit
        for (let k = end - 1; k > i; k--) sheet.deleteRule(k);
        Array.from(fresh.cssRules).forEach((rule, n) => sheet.insertRule(rule.cssText, i + 1 + n));
        found = true;
        i += fresh.cssRules.length + 1;
      }
    }
    return found;
  }

  // ---- Overlay ---------------------------------------------------------------------

  function renderOverlay() {
    drawOverlay(Object.keys(errors).filter(onPage).map((n) => [n, errors[n]]));
  }

  // ---- Diffs -------------------------------------------------------------------------

  /** The parts that differ between what the page shows and the change's output, or null if unknown. */
  function changedParts(name, ch) {
    const h = held[name];
    if (h && h.parts && ch.output) {
      return ['script', 'styles', 'messages', 'templates'].filter((p) => h.parts[p] !== ch.output[p]);
    }
    if (versionHeld(name) === ch.from && Array.isArray(ch.parts)) return ch.parts;
    return null;
  }

  function sendSync(names) {
    if (!live.socket || live.socket.readyState !== 1) return;
    const versions = {};
    names.forEach((n) => { versions[n] = versionHeld(n); });
    live.socket.send(JSON.stringify({ event: 'sync', versions }));
  }

  function onDiff(msg) {
    live.seq = msg.seq;
    const reasons = [];
    const swapped = [];
    Object.keys(msg.states || {}).forEach((name) => {
      if (wikis.has(name)) return;
      const s = msg.states[name];
      if (s.state === 'error') {
        errors[name] = s.error || 'error';
      } else if (name in errors) {
        delete errors[name];
        // Broken when the page loaded it, so it never ran: only a reload runs it.
        if (mw.loader.getState(name) === 'error') reasons.push(describe(name, 'fixed', null));
      }
    });
    Object.keys(msg.changed || {}).forEach((name) => {
      const ch = msg.changed[name];
      if (!onPage(name) || versionHeld(name) === ch.to || !ch.output) return;
      const parts = changedParts(name, ch);
      if (parts === null) {
        reasons.push(describe(name, 'changed', ch.causes));
        return;
      }
      if (!parts.length) {
        held[name] = { version: ch.to, parts: ch.output };
        return;
      }
      const stylesOnly = parts.length === 1 && parts[0] === 'styles';
      if (stylesOnly && Array.isArray(ch.styles) && samePageContext() && swapStyles(name, ch.styles)) {
        held[name] = { version: ch.to, parts: ch.output };
        swapped.push(name);
      } else if (stylesOnly) {
        fetchStyles(name, ch);
      } else {
        reasons.push(describe(name, parts.join(', ') + ' changed', ch.causes));
      }
    });
    (msg.removed || []).forEach((name) => {
      if (onPage(name)) reasons.push(describe(name, 'removed from the project', null));
    });
    if (reasons.length) {
      reloadPage(reasons);
      return;
    }
    if (swapped.length) console.info('[rldev] updated styles: ' + swapped.join(', '));
    renderOverlay();
  }

  // The diff's CSS is built for rldev.toml's skin and language; another page context asks
  // the wiki's load.php (which the proxy answers) for this page's.
  function samePageContext() {
    return mw.config.get('skin') === settings.skin && mw.config.get('wgUserLanguage') === settings.lang;
  }

  function fetchStyles(name, ch) {
    const url = settings.load + '?' + new URLSearchParams({
      modules: name, only: 'styles', lang: mw.config.get('wgUserLanguage') || '',
      skin: mw.config.get('skin') || '', version: ch.to
    });
    fetch(url).then((r) => r.text()).then((text) => {
      // The answer carries its own marks; the rules between them are the module's.
      const css = text.replace(/html\[data-rldev="(begin|end) [^\n]*\n?/g, '');
      if (swapStyles(name, [css])) {
        held[name] = { version: ch.to, parts: ch.output };
        console.info('[rldev] updated styles: ' + name);
      } else {
        reloadPage([describe(name, 'styles changed', ch.causes)]);
      }
    }).catch(() => reloadPage([describe(name, 'styles changed', ch.causes)]));
  }

  /** `hello` (also after a reconnect) or `snapshot`: ask for what differs from the page. */
  function onRegistry(msg) {
    live.seq = msg.seq;
    const registry = msg.registry || {};
    const differ = Object.keys(registry).filter((n) => onPage(n) && versionHeld(n) !== registry[n]);
    if (differ.length) sendSync(differ);
    // Errors may be stale after a reconnect: the sync answer brings the current ones.
    const stale = Object.keys(errors).filter((n) => !(n in registry));
    stale.forEach((n) => { delete errors[n]; });
    renderOverlay();
  }

  sayWhyReloaded();
  renderOverlay();
  connect(settings.ws, (msg) => {
    if (msg.event === 'hello' || msg.event === 'snapshot') onRegistry(msg);
    else if (msg.event === 'diff') onDiff(msg);
  });
}(__RLDEV__));
