/**
 * Main file of ext.demo.greeting (a packageFiles module).
 */
var util = require( './util.js' );
var phrases = require( './phrases.json' );
var defaults = require( './defaults.js' );
var config = require( '../config.json' );

function render() {
	var name = util.truncate( mw.config.get( 'wgUserName' ) || 'Anonymous', defaults.maxNameLength );
	var widget = document.createElement( 'div' );
	widget.className = 'ext-demo-greeting';

	var wave = document.createElement( 'span' );
	wave.className = 'ext-demo-greeting__wave';
	widget.appendChild( wave );

	var text = document.createElement( 'span' );
	text.className = 'ext-demo-greeting__text';
	text.textContent = util.capitalize( config.DemoGreeting ) + ' ' +
		phrases.partOfDay[ util.partOfDay( new Date() ) ] + ' – ' +
		mw.message( 'demo-greeting-hello', name ).text();
	widget.appendChild( text );

	var more = document.createElement( 'a' );
	more.className = 'ext-demo-greeting__more';
	more.href = '#';
	more.textContent = mw.msg( 'demo-greeting-more' );
	more.addEventListener( 'click', function ( e ) {
		e.preventDefault();
		mw.demo.events.emit( 'greeting.more', name );
	} );
	widget.appendChild( more );

	mw.demo.getContainer().appendChild( widget );
	mw.demo.events.emit( 'greeting.shown', name, config.DemoMaxNotifications );
}

mw.demo.ready( function () {
	setTimeout( render, defaults.delay );
} );

module.exports = {
	render: render,
	farewell: function ( name ) {
		return mw.message( 'demo-greeting-farewell', name ).text();
	}
};
