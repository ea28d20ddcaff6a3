/**
 * A toolbar with a favourite (star) button and a close button.
 */
( function () {
	function button( modifier, msgKey, onClick ) {
		var el = document.createElement( 'button' );
		el.type = 'button';
		el.className = 'ext-demo-toolbar__button' + ( modifier ? ' ext-demo-toolbar__button--' + modifier : '' );
		el.title = mw.msg( msgKey );
		el.addEventListener( 'click', onClick );
		return el;
	}

	mw.demo.ready( function () {
		var toolbar = document.createElement( 'div' );
		toolbar.className = 'ext-demo-toolbar';
		toolbar.setAttribute( 'role', 'toolbar' );
		toolbar.setAttribute( 'aria-label', mw.msg( 'demo-toolbar-label' ) );

		toolbar.appendChild( button( '', 'demo-toolbar-favorite', function () {
			mw.demo.events.emit( 'toolbar.favorite' );
		} ) );
		toolbar.appendChild( button( 'close', 'demo-toolbar-close', function () {
			toolbar.classList.add( 'ext-demo-hidden' );
		} ) );

		mw.demo.getContainer().appendChild( toolbar );
	} );
}() );
