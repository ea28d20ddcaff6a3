//! Tests of the image module build: definitions, variants, selectors, the CSS.

use super::*;
use serde_json::json;

fn options(d: Value, skin: Option<&str>) -> Result<Options, String> {
    Options::of(d.as_object().unwrap(), skin)
}

#[test]
fn selectors_are_filled_in_one_pass() {
    assert_eq!(
        selector(".{prefix}-{name}-{variant}", "p", "add", Some("invert")),
        ".p-add-invert"
    );
    // Without a variant `{variant}` is empty; text put in is not read again.
    assert_eq!(
        selector(".{prefix}-{name}{variant}", "{name}", "{variant}", None),
        ".{name}-{variant}"
    );
    assert_eq!(selector("{name} {unknown}", "", "a", None), "a {unknown}");
}

#[test]
fn selector_options_as_imagemodule_checks_them() {
    let err = |d: Value| options(d, None).err().unwrap();
    assert_eq!(
        err(json!({"images": {}})),
        "None of 'prefix', 'selector' or 'selectorWithVariant'+'selectorWithoutVariant' given."
    );
    assert_eq!(
        err(json!({"selectorWithoutVariant": ".a"})),
        "Given 'selectorWithoutVariant' but no 'selectorWithVariant'."
    );
    assert_eq!(
        err(json!({"selectorWithVariant": ".a"})),
        "Given 'selectorWithVariant' but no 'selectorWithoutVariant'."
    );
    assert_eq!(
        err(json!({"selector": ".a", "selectorWithVariant": ".b", "selectorWithoutVariant": ".c"})),
        "Incompatible 'selector' and 'selectorWithVariant'+'selectorWithoutVariant' given."
    );
    // "0" and "" are not given, as PHP reads them.
    assert!(options(json!({"prefix": "0"}), None).is_err());
    assert_eq!(
        err(json!({"prefix": "p", "images": "a.svg"})),
        "Invalid list error. 'a.svg' given, array expected."
    );
    let o = options(json!({"prefix": "p"}), None).unwrap();
    assert_eq!(o.selector_without_variant, ".{prefix}-{name}");
    assert_eq!(o.selector_with_variant, ".{prefix}-{name}-{variant}");
    assert!(o.use_data_uri);
    let o = options(json!({"selector": ".s-{name}", "useDataURI": false}), None).unwrap();
    assert_eq!(o.selector_without_variant, ".s-{name}");
    assert_eq!(o.selector_with_variant, ".s-{name}");
    assert!(!o.use_data_uri);
}

#[test]
fn images_and_variants_per_skin_else_default() {
    let d = json!({
        "prefix": "p",
        "images": {"default": {"a": "a.svg"}, "vector": {"v": "v.svg"}},
        "variants": {"x": {"color": "#000"}}
    });
    let names = |skin| {
        let o = options(d.clone(), skin).unwrap();
        let images: Vec<String> = o.images.iter().map(|(n, _)| n.clone()).collect();
        let variants: Vec<String> = o.variants.iter().map(|(n, _)| n.clone()).collect();
        (images, variants)
    };
    assert_eq!(names(Some("vector")), (vec!["v".into()], vec!["x".into()]));
    assert_eq!(
        names(Some("monobook")),
        (vec!["a".into()], vec!["x".into()])
    );
    assert_eq!(names(None), (vec!["a".into()], vec!["x".into()]));
    // A list is a set for every skin too (`variants: []`).
    let o = options(json!({"prefix": "p", "variants": []}), Some("vector")).unwrap();
    assert!(o.variants.is_empty());
}

#[test]
fn an_image_has_its_own_variants_and_the_global_ones_in_the_modules_order() {
    let m = ImageModule {
        class: ImageClass::Image,
        local_base: "ext".into(),
        options: Map::new(),
        skin: Some("vector".into()),
        language: "en".into(),
        language_fallbacks: Vec::new(),
        rtl: false,
        themes: Vec::new(),
    };
    let o = options(
        json!({
            "prefix": "p",
            "variants": {
                "a": {"color": "#a00"},
                "g": {"color": "#0g0", "global": true},
                "b": {"color": "#00b"},
                "off": {"color": "#fff", "global": "0"}
            },
            "images": {
                "one": {"file": "one.svg", "variants": ["b", "a", "nope"]},
                "two": "two.svg"
            }
        }),
        Some("vector"),
    )
    .unwrap();
    let mut errors = Vec::new();
    let images = images("m", &m, &o, &mut errors);
    assert!(errors.is_empty());
    let variants =
        |i: usize| -> Vec<&str> { images[i].variants.iter().map(|(n, _)| n.as_str()).collect() };
    assert_eq!(variants(0), ["a", "g", "b"]);
    assert_eq!(variants(1), ["g"]);
    assert_eq!(images[0].path, "ext/one.svg");
    assert_eq!(images[0].variants[0].1, "#a00");
}

#[test]
fn an_images_file_by_language_direction_or_default() {
    let m = |language: &str, rtl: bool| ImageModule {
        class: ImageClass::Image,
        local_base: "ext".into(),
        options: Map::new(),
        skin: None,
        language: language.into(),
        language_fallbacks: Vec::new(),
        rtl,
        themes: Vec::new(),
    };
    let d = json!({"lang": {"de,fr": "de.svg", "fr": "fr.svg"}, "ltr": "l.svg", "rtl": "r.svg"});
    let path = |language, rtl| image("m", &m(language, rtl), "i", d.clone()).map(|r| r.0);
    assert_eq!(path("de", false).unwrap(), "ext/de.svg");
    // A language's own entry wins over a list naming it.
    assert_eq!(path("fr", false).unwrap(), "ext/fr.svg");
    assert_eq!(path("en", false).unwrap(), "ext/l.svg");
    assert_eq!(path("he", true).unwrap(), "ext/r.svg");
    let (_, ext, varies) = image("m", &m("en", false), "i", json!("a.svg")).unwrap();
    assert_eq!((ext.as_str(), varies), ("svg", false));
    assert!(
        image("m", &m("en", false), "i", json!({"ltr": "a.svg"}))
            .unwrap()
            .2
    );
    assert_eq!(
        image("m", &m("en", true), "i", json!({"ltr": "a.svg"})).unwrap_err(),
        "image 'i': No matching path found"
    );
    assert_eq!(
        image(
            "m",
            &m("en", false),
            "i",
            json!({"ltr": "a.svg", "rtl": "b.png"})
        )
        .unwrap_err(),
        "File type for different image files of 'i' not the same in module 'm'"
    );
    assert_eq!(
        image("m", &m("en", false), "i", json!("a.webp")).unwrap_err(),
        "Invalid file type for image files of 'i' (valid: svg, png, gif, jpg) in module 'm'"
    );
}

#[test]
fn urls_and_css_as_php_writes_them() {
    assert_eq!(urlencode("a b,.c~é"), "a+b%2C.c%7E%C3%A9");
    assert_eq!(url_value("/load?a=b%2C+c&d"), "url(/load?a=b%2C+c&d)");
    assert_eq!(
        url_value("data:image/svg+xml,%3Csvg a=\"b\\\""),
        "url(\"data:image/svg+xml,%3Csvg a=\\\"b\\\\\\\"\")"
    );
    assert_eq!(
        css_min(".a {\n\tb: url(x);\n\tc: d( e , f ) /* no */;\n}\n.g { }"),
        // PHP's own answer: the pairs are replaced one after another.
        ".a{b:url(x);c:d(e ,f) }.g{}"
    );
}

#[test]
fn theme_files_merge_as_array_replace_recursive() {
    let mut base = json!({"images": {"a": {"file": "a.svg", "variants": ["x", "y"]}}, "k": 1});
    let other = json!({"images": {"a": {"variants": ["z"]}, "b": {"file": "b.svg"}}, "k": 2});
    replace_recursive(base.as_object_mut().unwrap(), other.as_object().unwrap());
    assert_eq!(
        base,
        json!({"images": {"a": {"file": "a.svg", "variants": ["z", "y"]}, "b": {"file": "b.svg"}}, "k": 2})
    );
    assert_eq!(php_dirname("a/b/c.json"), "a/b");
    assert_eq!(php_dirname("c.json"), ".");
}
