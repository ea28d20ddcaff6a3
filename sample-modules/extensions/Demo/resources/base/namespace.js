/**
 * The mw.demo namespace, shared by every ext.demo.* module.
 */
( function () {
	mw.demo = mw.demo || {};

	/**
	 * Find or create the container that Demo widgets are added to.
	 *
	 * @return {HTMLElement}
	 */
	mw.demo.getContainer = function () {
		var container = document.getElementById( 'ext-demo-container' );
		if ( !container ) {
			container = document.createElement( 'div' );
			container.id = 'ext-demo-container';
			container.className = 'ext-demo';
			( document.getElementById( 'mw-content-text' ) || document.body ).appendChild( container );
		}
		return container;
	};

	/**
	 * Run a function once the document is ready.
	 *
	 * @param {Function} fn
	 */
	mw.demo.ready = function ( fn ) {
		if ( document.readyState === 'loading' ) {
			document.addEventListener( 'DOMContentLoaded', fn );
		} else {
			fn();
		}
	};
}() );
