/**
 * A Vue app built with Codex components. CodexModule (PHP) adds the virtual
 * file codex.js holding only the components listed in codexComponents.
 */
var Vue = require( 'vue' );
var codex = require( '../codex.js' );

mw.demo.ready( function () {
	var mount = document.createElement( 'div' );
	mw.demo.getContainer().appendChild( mount );
	Vue.createMwApp( {
		components: { CdxButton: codex.CdxButton, CdxMessage: codex.CdxMessage },
		data: function () {
			return { shown: true };
		},
		template: '<cdx-message v-if="shown" type="success" allow-user-dismiss>' +
			'<cdx-button @click="shown = false">{{ $i18n( \'demo-notify-dismiss\' ) }}</cdx-button>' +
			'</cdx-message>'
	} ).mount( mount );
} );
