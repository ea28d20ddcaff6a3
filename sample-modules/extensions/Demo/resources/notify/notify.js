/**
 * Notification box: mw.demo.notify( text ) shows one, at most a few at once.
 */
( function () {
	var open = [];

	/**
	 * @param {string} [text] Defaults to the "saved" message
	 * @return {HTMLElement}
	 */
	mw.demo.notify = function ( text ) {
		var box = document.createElement( 'div' );
		box.className = 'ext-demo-notify';
		box.setAttribute( 'role', 'status' );
		box.textContent = text || mw.msg( 'demo-notify-saved' );

		var dismiss = document.createElement( 'button' );
		dismiss.type = 'button';
		dismiss.className = 'ext-demo-notify__dismiss';
		// Not translated into German: falls back to English.
		dismiss.textContent = mw.msg( 'demo-notify-dismiss' );
		dismiss.addEventListener( 'click', function () {
			box.remove();
			open.splice( open.indexOf( box ), 1 );
		} );
		box.appendChild( dismiss );

		open.push( box );
		while ( open.length > ( mw.demo.maxNotifications || 3 ) ) {
			open.shift().remove();
		}
		document.body.appendChild( box );
		return box;
	};

	/**
	 * Tell the server something happened; uses fetch (see ext.demo.polyfill.fetch).
	 *
	 * @param {string} what
	 * @return {Promise}
	 */
	mw.demo.ping = function ( what ) {
		return window.fetch( mw.util ? mw.util.wikiScript( 'api' ) : '/w/api.php', {
			method: 'POST',
			body: new URLSearchParams( { action: 'demoping', what: what, format: 'json' } )
		} );
	};

	mw.demo.events.on( 'greeting.shown', function ( name, max ) {
		mw.demo.maxNotifications = max;
	} );
}() );
