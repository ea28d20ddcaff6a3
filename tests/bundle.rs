//! packageFiles build into a CommonJS-style bundle that really runs.

mod common;

use std::process::Command;

use rldev::compile::{Script, build};
use rldev::files::{FileStore, MemorySource};
use rldev::less::Unavailable;
use rldev::project::{Inputs, Project};

#[test]
fn package_files_bundle_runs_with_relative_requires() {
    let src = MemorySource::default();
    src.insert(
        "extension.json",
        r#"{"manifest_version": 2, "config": {"Greeting": {"value": "hi"}},
            "ResourceModules": {"m": {"packageFiles": [
              {"name": "lib/init.js", "main": true},
              "lib/util.js",
              "data.json",
              {"name": "lit.js", "content": "module.exports = 'literal';"},
              {"name": "config.json", "config": ["Greeting"]}
            ]}}}"#,
    );
    src.insert("lib/init.js", "var u = require('./util.js');\nmodule.exports = u(require('../data.json').n, require('../lit.js'), require('../config.json').Greeting);");
    src.insert(
        "lib/util.js",
        "module.exports = function (n, l, g) { return n + ':' + l + ':' + g; };",
    );
    src.insert("data.json", r#"{"n": 42}"#);
    let project = Project::load(&Inputs::Manifests(vec!["extension.json".into()]), &src).unwrap();
    let store = FileStore::new(Box::new(src));
    let built = build(
        &project.modules[0],
        &store,
        &mut Unavailable("unused".into()),
    );
    assert_eq!(built.error, None);
    assert!(matches!(built.output.script, Script::Package { .. }));
    let bundle = built.output.script.to_js(false).unwrap();
    // A minimal CommonJS runner: names resolve relative to the requiring file.
    let runner = format!(
        r#"const b = {bundle};
        const cache = {{}};
        function resolve(from, name) {{
          const parts = from.split('/'); parts.pop();
          for (const seg of name.split('/')) {{ if (seg === '..') parts.pop(); else if (seg !== '.') parts.push(seg); }}
          return parts.join('/');
        }}
        function load(name) {{
          if (name in cache) return cache[name].exports;
          const f = b.files[name];
          if (typeof f !== 'function') return f;
          const module = {{ exports: {{}} }};
          cache[name] = module;
          f((n) => load(resolve(name, n)), module, module.exports);
          return module.exports;
        }}
        console.log(load(b.main));"#
    );
    let out = Command::new("node").args(["-e", &runner]).output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "42:literal:hi",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
