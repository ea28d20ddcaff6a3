<?php
// Used by scripts/mw-wiki before it writes LocalSettings.php: decides which of
// the requested extensions and skins this MediaWiki can register, the way
// ExtensionRegistry itself would (readable manifest, supported
// manifest_version, the "requires" section: core and PHP versions, PHP
// extensions, abilities such as shell, other extensions and skins).
//
//   php probe.php IP < {"extensions": {name: json path}, "skins": {name: json path}}
//   -> {"extensions": [...], "skins": [...], "skipped": {name: reason}}
//
// Anything that fails is dropped with its reason and the rest is checked
// again, so an extension that needs a dropped one (CodeEditor needs
// WikiEditor) is dropped too. Runtime failures are not visible here;
// mw-wiki finds those by asking the running wiki.

if ( PHP_SAPI !== 'cli' ) {
	exit( 1 );
}
$IP = $argv[1];
define( 'MEDIAWIKI', true );
define( 'MW_INSTALL_PATH', $IP );
require_once "$IP/includes/AutoLoader.php";
require_once "$IP/vendor/autoload.php";
require_once "$IP/includes/Defines.php";
require_once "$IP/includes/GlobalFunctions.php";

$want = json_decode( stream_get_contents( STDIN ), true );
$kinds = [];
$paths = [];
foreach ( [ 'extensions', 'skins' ] as $kind ) {
	foreach ( $want[$kind] ?? [] as $name => $path ) {
		$kinds[$name] = $kind;
		$paths[$name] = $path;
	}
}
$skipped = [];

// Manifests that cannot be read at all.
$infos = [];
foreach ( $paths as $name => $path ) {
	$json = @file_get_contents( $path );
	if ( $json === false ) {
		$skipped[$name] = "cannot read $path";
		continue;
	}
	$info = json_decode( $json, true );
	if ( !is_array( $info ) ) {
		$skipped[$name] = "$path is not valid JSON";
		continue;
	}
	$version = $info['manifest_version'] ?? 1;
	if ( $version < ExtensionRegistry::OLDEST_MANIFEST_VERSION
		|| $version > ExtensionRegistry::MANIFEST_VERSION
	) {
		$skipped[$name] = "$path: unsupported manifest_version $version";
		continue;
	}
	$infos[$name] = $info;
}

// Requirements, until nothing more drops out.
$buildChecker = new ReflectionMethod( ExtensionRegistry::class, 'buildVersionChecker' );
$buildChecker->setAccessible( true );
do {
	$processor = new ExtensionProcessor();
	$credits = [];
	foreach ( $infos as $name => $info ) {
		// Dependencies name the manifest's "name" ("Abuse Filter",
		// "SyntaxHighlight"), not the folder given to wfLoadExtension().
		$declared = $info['name'] ?? $name;
		$credits[$declared] = [ 'name' => $declared, 'version' => $info['version'] ?? null ];
	}
	$checker = $buildChecker->invoke( ExtensionRegistry::getInstance() )
		->setLoadedExtensionsAndSkins( $credits );
	$dropped = [];
	foreach ( $infos as $name => $info ) {
		$declared = $info['name'] ?? $name;
		try {
			$requires = $processor->getRequirements( $info, false );
			$errors = $requires ? $checker->checkArray( [ $declared => $requires ] ) : [];
			$reasons = array_column( $errors, 'msg' );
		} catch ( Exception $e ) {
			$reasons = [ $e->getMessage() ];
		}
		if ( $reasons ) {
			$skipped[$name] = implode( '; ', $reasons );
			$dropped[] = $name;
		}
	}
	foreach ( $dropped as $name ) {
		unset( $infos[$name] );
	}
} while ( $dropped );

$out = [ 'extensions' => [], 'skins' => [], 'skipped' => (object)$skipped ];
foreach ( $infos as $name => $info ) {
	$out[$kinds[$name]][] = $name;
}
echo json_encode( $out, JSON_UNESCAPED_SLASHES ), "\n";
