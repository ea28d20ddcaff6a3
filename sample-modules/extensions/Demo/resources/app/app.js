/**
 * Wires the Demo widgets together (ext.demo.app, in group "ext.demo").
 */
( function () {
	mw.demo.events.on( 'toolbar.favorite', function () {
		mw.demo.notify();
	} );

	mw.demo.events.on( 'greeting.more', function () {
		mw.demo.ready( function () {
			var card = mw.demo.renderCard( {
				title: 'Demo',
				body: 'Greeting, toolbar and notifications are ResourceLoader modules.',
				href: '#ext-demo-container'
			} );
			// mw.template's render() gives a jQuery object.
			mw.demo.getContainer().appendChild( card[ 0 ] || card );
		} );
	} );
}() );
