/**
 * A tiny event bus; concatenated after namespace.js, which created mw.demo.
 */
( function () {
	var handlers = {};

	mw.demo.events = {
		/**
		 * @param {string} name
		 * @param {Function} fn
		 */
		on: function ( name, fn ) {
			( handlers[ name ] = handlers[ name ] || [] ).push( fn );
		},

		/**
		 * @param {string} name
		 * @param {...any} args
		 */
		emit: function ( name ) {
			var args = Array.prototype.slice.call( arguments, 1 );
			( handlers[ name ] || [] ).forEach( function ( fn ) {
				fn.apply( null, args );
			} );
		}
	};
}() );
