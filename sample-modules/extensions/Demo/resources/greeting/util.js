/**
 * Helpers for the greeting widget; required as './util.js' from init.js.
 */
module.exports = {
	/**
	 * @param {string} s
	 * @return {string}
	 */
	capitalize: function ( s ) {
		return s.charAt( 0 ).toUpperCase() + s.slice( 1 );
	},

	/**
	 * @param {string} s
	 * @param {number} max
	 * @return {string}
	 */
	truncate: function ( s, max ) {
		return s.length > max ? s.slice( 0, max - 1 ) + '…' : s;
	},

	/**
	 * @param {Date} date
	 * @return {string} One of the keys of phrases.json's partOfDay
	 */
	partOfDay: function ( date ) {
		var h = date.getHours();
		return h < 12 ? 'morning' : h < 18 ? 'afternoon' : 'evening';
	}
};
