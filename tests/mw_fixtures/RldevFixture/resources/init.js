const Vue = require( 'vue' );
const App = require( './components/App.vue' );
const icons = require( './icons.json' );
Vue.createMwApp( App, { icons } ).mount( document.createElement( 'div' ) );
