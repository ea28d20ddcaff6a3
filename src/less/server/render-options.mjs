// The less.render options of every compile, as MediaWiki sets them (also the
// options pure forms are evaluated with, see pure.mjs).

/** less.render options, as MediaWiki sets them. */
export function renderOptions(file, paths, vars) {
    return {
        filename: file,
        paths,
        math: 'always',
        relativeUrls: false,
        rewriteUrls: 'off',
        modifyVars: Object.keys(vars).length ? vars : null,
        syncImport: true,
        javascriptEnabled: false
    };
}
