var data = require( './data.json' );
var script = require( './script.js' );
var picked = require( './picked.js' );
module.exports = { data: data, script: script, picked: picked };
