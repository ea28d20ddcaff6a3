// Splits a load.php answer (JavaScript, read from stdin) into its modules,
// by running it against a stand-in `mw.loader` that only records what it is
// given: MediaWiki 1.39's `mw.loader.implement(key, script, styles,
// messages, templates)` and the newer `mw.loader.impl(() => [key, ...])`
// that rldev writes. No module code runs: a script is a function whose
// source text is taken with Function.prototype.toString.
//
// Prints one JSON object: {"modules": {name: {"script", "styles",
// "messages", "templates"}}, "states": {name: state}, "errors": [text]}, where "script" is
// {"body": text} for a plain script (the function's body), {"files":
// {name: {"body": text} | data}} for package files, {"raw": text} for a
// legacy string script, {"urls": [...]} for debug URLs, or null.

import { readFileSync } from "node:fs";

function body(fn) {
  const text = Function.prototype.toString.call(fn);
  // Parameters never hold braces in a load.php answer.
  return text.slice(text.indexOf("{") + 1, text.lastIndexOf("}"));
}

function script(s) {
  if (s === undefined || s === null) return null;
  if (typeof s === "function") return { body: body(s) };
  if (typeof s === "string") return { raw: s };
  if (Array.isArray(s)) return { urls: s };
  const files = {};
  for (const [name, f] of Object.entries(s.files || {})) {
    files[name] = typeof f === "function" ? { body: body(f) } : f;
  }
  return { main: s.main ?? null, files };
}

const modules = {};
const states = {};
const errors = [];

function record(key, s, styles, messages, templates) {
  const name = key.replace(/@[^@]*$/, "");
  modules[name] = {
    script: script(s),
    styles: styles ?? null,
    messages: messages ?? null,
    templates: templates ?? null,
  };
}

const mw = {
  loader: {
    implement: record,
    impl: (make) => record(...make()),
    state: (s) => Object.assign(states, s),
  },
};

const source = readFileSync(0, "utf8");
// rldev's answers end with a call the client knows and this stand-in does
// not need (mw.loader.rldev is undefined, so `&&` skips it).
// MediaWiki appends `console.error(...)` for a module that failed to build.
const window = { console: { error: (...a) => errors.push(a.join(" ")) } };
new Function("mw", "window", "console", source)(mw, window, window.console);
process.stdout.write(JSON.stringify({ modules, states, errors }));
