<?php
// Router for `php -S` (copied into the wiki's folder by scripts/mw-wiki).
// Maps the URL space of the wiki onto the read-only MediaWiki tree:
//   /w/{index,load,api,rest,opensearch_desc}.php[/...]  the entry points
//   /w/resources/, /w/skins/, /w/extensions/ (non-PHP)   static files
//   / and /w/                                            the main page
// Extra extensions and skins are mounted from their own folders. Settings
// come from router-config.php next to this file.

$rlw = require __DIR__ . '/router-config.php';
$rlwPath = rawurldecode( parse_url( $_SERVER['REQUEST_URI'], PHP_URL_PATH ) ?? '/' );
$rlwBase = $rlw['scriptPath'];

if ( $rlwPath === '/' || $rlwPath === $rlwBase || $rlwPath === "$rlwBase/" ) {
	$rlwPath = "$rlwBase/index.php";
}

if ( preg_match(
	'#^' . preg_quote( $rlwBase, '#' ) . '/(index|load|api|rest|opensearch_desc)\.php(/.*)?$#',
	$rlwPath,
	$rlwMatch
) ) {
	// Run the entry point at global scope (MediaWiki relies on globals),
	// as if the server had found it at this URL.
	$rlwScript = $rlw['IP'] . '/' . $rlwMatch[1] . '.php';
	$_SERVER['SCRIPT_NAME'] = $_SERVER['PHP_SELF'] = "$rlwBase/{$rlwMatch[1]}.php";
	$_SERVER['SCRIPT_FILENAME'] = $rlwScript;
	if ( isset( $rlwMatch[2] ) ) {
		$_SERVER['PATH_INFO'] = $rlwMatch[2];
		$_SERVER['PHP_SELF'] .= $rlwMatch[2];
	} else {
		unset( $_SERVER['PATH_INFO'] );
	}
	define( 'MW_CONFIG_FILE', $rlw['configFile'] );
	chdir( $rlw['IP'] );
	unset( $rlw, $rlwPath, $rlwBase, $rlwMatch );
	require $rlwScript;
	return true;
}

$rlwFile = null;
if ( strpos( $rlwPath, "$rlwBase/" ) === 0
	&& !preg_match( '#(^|/)\.\.?(/|$)|\\\\|\0#', $rlwPath )
	&& !preg_match( '#\.(php\d?|phtml|inc)$#i', $rlwPath )
) {
	$rlwRel = substr( $rlwPath, strlen( $rlwBase ) );
	// Longest mount first: /extensions/Foo before /extensions.
	foreach ( $rlw['mounts'] as $rlwPrefix => $rlwDir ) {
		if ( $rlwRel === $rlwPrefix || strpos( $rlwRel, "$rlwPrefix/" ) === 0 ) {
			$rlwFile = $rlwDir . substr( $rlwRel, strlen( $rlwPrefix ) );
			break;
		}
	}
}

if ( $rlwFile === null || !is_file( $rlwFile ) || !is_readable( $rlwFile ) ) {
	http_response_code( 404 );
	header( 'Content-Type: text/plain; charset=utf-8' );
	echo "Not found: $rlwPath\n";
	return true;
}

$rlwTypes = [
	'js' => 'text/javascript; charset=utf-8', 'mjs' => 'text/javascript; charset=utf-8',
	'css' => 'text/css; charset=utf-8', 'less' => 'text/plain; charset=utf-8',
	'json' => 'application/json', 'map' => 'application/json',
	'svg' => 'image/svg+xml', 'png' => 'image/png', 'gif' => 'image/gif',
	'jpg' => 'image/jpeg', 'jpeg' => 'image/jpeg', 'webp' => 'image/webp',
	'ico' => 'image/vnd.microsoft.icon', 'cur' => 'image/vnd.microsoft.icon',
	'woff' => 'font/woff', 'woff2' => 'font/woff2', 'ttf' => 'font/ttf',
	'otf' => 'font/otf', 'eot' => 'application/vnd.ms-fontobject',
	'html' => 'text/html; charset=utf-8', 'htm' => 'text/html; charset=utf-8',
	'txt' => 'text/plain; charset=utf-8', 'xml' => 'application/xml',
	'wasm' => 'application/wasm',
];
$rlwExt = strtolower( pathinfo( $rlwFile, PATHINFO_EXTENSION ) );
$rlwMtime = filemtime( $rlwFile );
$rlwSize = filesize( $rlwFile );
// No max-age, so a reload always asks; the ETag is the content's hash, as a
// save within the same second can keep both mtime and size.
$rlwEtag = '"' . md5_file( $rlwFile ) . '"';
header( 'Content-Type: ' . ( $rlwTypes[$rlwExt] ?? 'application/octet-stream' ) );
header( 'Cache-Control: no-cache' );
header( 'ETag: ' . $rlwEtag );
header( 'Last-Modified: ' . gmdate( 'D, d M Y H:i:s', $rlwMtime ) . ' GMT' );
if ( ( $_SERVER['HTTP_IF_NONE_MATCH'] ?? null ) === $rlwEtag ) {
	http_response_code( 304 );
	return true;
}
header( 'Content-Length: ' . $rlwSize );
if ( $_SERVER['REQUEST_METHOD'] !== 'HEAD' ) {
	readfile( $rlwFile );
}
return true;
