/* Skip loading the polyfill when the browser has fetch. */
return !!window.fetch;
