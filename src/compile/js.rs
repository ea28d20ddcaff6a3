//! JavaScript syntax checks, as ResourceLoader validates every script file:
//! a file that does not parse makes its module `error` (naming the file,
//! line and column, with the line and a caret under it), so that `/load`
//! answers that module with an error and every other module of the batch
//! still runs. The parser is oxc's, for today's syntax (what current
//! MediaWiki accepts); no other check than syntax is made.

use oxc_allocator::Allocator;
use oxc_parser::{ParseOptions, Parser};
use oxc_span::SourceType;

/// How a file is run: a script file is concatenated into the module's
/// function; a package file is the body of its own function, so `return`
/// at its top level is allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Script,
    PackageFile,
}

/// `Err("path:line:column: message\n<code frame>")` for the first syntax
/// error of `source`.
pub fn check(path: &str, source: &str, kind: Kind) -> Result<(), String> {
    let allocator = Allocator::default();
    let options = ParseOptions {
        allow_return_outside_function: kind == Kind::PackageFile,
        ..ParseOptions::default()
    };
    // A package file runs as a CommonJS module body; a script file as a script.
    let source_type = match kind {
        Kind::Script => SourceType::script(),
        Kind::PackageFile => SourceType::cjs(),
    };
    let parsed = Parser::new(&allocator, source, source_type)
        .with_options(options)
        .parse();
    let Some(first) = parsed.diagnostics.first() else {
        return Ok(());
    };
    let mut offset = first
        .labels
        .first()
        .map_or(0, |label| label.offset() as usize)
        .min(source.len());
    while !source.is_char_boundary(offset) {
        offset -= 1;
    }
    let (line, column) = crate::project::config::line_column(source, offset);
    Err(format!(
        "{path}:{line}:{column}: JavaScript syntax error: {}\n{}",
        first.message,
        frame(source, line, column)
    ))
}

/// The line of the error and a caret under its column (1-based), with the
/// line number in the margin.
pub fn frame(source: &str, line: usize, column: usize) -> String {
    let text = source.lines().nth(line.saturating_sub(1)).unwrap_or("");
    let margin = line.to_string();
    // Tabs kept as tabs under the caret, so it lines up in any tab width.
    let pad: String = text
        .chars()
        .take(column.saturating_sub(1))
        .map(|c| if c == '\t' { '\t' } else { ' ' })
        .collect();
    format!("{margin} | {text}\n{} | {pad}^", " ".repeat(margin.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_syntax_error_names_file_line_column_with_a_frame() {
        let e = check("res/a.js", "var ok = 1;\n\tvar = ;\n", Kind::Script).unwrap_err();
        assert!(
            e.starts_with("res/a.js:2:6: JavaScript syntax error: "),
            "{e}"
        );
        assert!(e.ends_with("\n2 | \tvar = ;\n  | \t    ^"), "{e}");
    }

    #[test]
    fn modern_syntax_and_package_returns_parse() {
        let modern = "const f = async ( a = 1, ...r ) => { for await ( const x of r ) { x?.y ?? 0; } };\n\
                      class A { #p = 1; static { this.q = 2n; } }\n";
        assert_eq!(check("a.js", modern, Kind::Script), Ok(()));
        assert_eq!(
            check("b.js", "module.exports = 1;\nreturn;\n", Kind::PackageFile),
            Ok(())
        );
        assert!(check("b.js", "return 1;\n", Kind::Script).is_err());
    }
}
