/* One of the three parts of rldev's standalone client, which startup.rs joins,
 * in this order, into one function: loader.js, live.js, mw.js. This one: window.mw, and the
 * end of the function. */

  // ---- window.mw -----------------------------------------------------------------------

  const mw = window.mw = window.mediaWiki = window.mw || {};
  mw.config = mw.config || new MwMap();
  mw.messages = new MwMap();
  mw.message = (key, ...params) => new Message(mw.messages, key, params);
  mw.msg = (key, ...params) => mw.message(key, ...params).text();
  mw.templates = {
    store: Object.create(null),
    set(module, templates) { this.store[module] = Object.assign(this.store[module] || {}, templates); },
    get(module, alias) {
      const t = this.store[module];
      if (!t) return null;
      return alias === undefined ? t : (alias in t ? t[alias] : null);
    }
  };
  mw.template = {
    get(module, alias) {
      const source = mw.templates.get(module, alias);
      if (source === null) throw new Error('Template ' + alias + ' not found in module ' + module);
      return makeTemplate(source);
    },
    compile: (source) => makeTemplate(source)
  };
  mw.loader = {
    moduleRegistry: registry,
    register,
    load,
    using,
    state,
    impl,
    implement,
    getState,
    getVersion,
    require: mwRequire,
    getModuleNames: () => Object.keys(registry),
    rldev: { start, parts, makeHash, packNames, expandNames }
  };
}());
