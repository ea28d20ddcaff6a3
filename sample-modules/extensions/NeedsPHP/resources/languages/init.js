/**
 * Language data computed by a PHP callback (see Hooks::getLanguageData).
 */
var data = require( './data.json' );

mw.demo.language = data.lang;
document.documentElement.classList.add( 'ext-demo-dir-' + data.dir );
