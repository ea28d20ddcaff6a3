/**
 * Cards rendered from templates/card.mustache.
 */
( function () {
	/**
	 * @param {Object} data
	 * @param {string} data.title
	 * @param {string} data.body
	 * @param {string} data.href
	 * @return {jQuery}
	 */
	mw.demo.renderCard = function ( data ) {
		var template = mw.template.get( 'ext.demo.card', 'templates/card.mustache' );
		return template.render( {
			title: data.title,
			body: data.body,
			href: data.href,
			msgMore: mw.msg( 'demo-card-more' )
		} );
	};
}() );
