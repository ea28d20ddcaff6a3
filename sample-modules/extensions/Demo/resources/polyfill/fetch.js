/**
 * Minimal window.fetch for old browsers: GET and POST with a text or
 * URLSearchParams body, resolving to an object with ok, status, text() and json().
 */
( function () {
	if ( window.fetch ) {
		return;
	}
	window.fetch = function ( url, options ) {
		options = options || {};
		return new Promise( function ( resolve, reject ) {
			var xhr = new XMLHttpRequest();
			xhr.open( options.method || 'GET', url );
			xhr.onload = function () {
				var body = xhr.responseText;
				resolve( {
					ok: xhr.status >= 200 && xhr.status < 300,
					status: xhr.status,
					text: function () {
						return Promise.resolve( body );
					},
					json: function () {
						return Promise.resolve( JSON.parse( body ) );
					}
				} );
			};
			xhr.onerror = function () {
				reject( new TypeError( 'Network request failed' ) );
			};
			xhr.send( options.body ? String( options.body ) : null );
		} );
	};
}() );
