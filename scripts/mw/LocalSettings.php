<?php
// LocalSettings.php of a throwaway wiki made by scripts/mw-wiki, which
// rewrites this file (and the JSON below) on every start. The wiki's code is
// Debian's read-only tree ($IP = /usr/share/mediawiki); everything it writes
// stays in the wiki's folder.
if ( !defined( 'MEDIAWIKI' ) ) {
	exit;
}

$rlw = json_decode( <<<'JSON'
@CONFIG@
JSON, true );

// Debian's distribution defaults (footer icon), then ours over its paths.
require_once "$IP/includes/PlatformSettings.php";

$wgSitename = 'rldev test wiki';
$wgMetaNamespace = 'Project';
$wgServer = $wgCanonicalServer = $rlw['server'];
$wgScriptPath = $rlw['scriptPath'];
$wgResourceBasePath = $wgScriptPath;
$wgLogos = [
	'1x' => "$wgResourceBasePath/resources/assets/change-your-logo.svg",
	'icon' => "$wgResourceBasePath/resources/assets/change-your-logo-icon.svg",
];
$wgLanguageCode = 'en';
$wgLocaltimezone = 'UTC';
$wgSecretKey = $rlw['secretKey'];
$wgUpgradeKey = $rlw['upgradeKey'];
$wgAuthenticationTokenVersion = '1';

// SQLite, as the installer configures it (separate files for the object
// cache and the job queue, so page views do not lock the main database).
$wgDBtype = 'sqlite';
$wgDBserver = '';
$wgDBname = 'wiki';
$wgDBuser = '';
$wgDBpassword = '';
$wgSQLiteDataDir = $rlw['dir'] . '/data';
$rlwSqlite = static function ( string $dbname ) use ( $wgSQLiteDataDir ) {
	return [
		'type' => 'sqlite',
		'dbname' => $dbname,
		'tablePrefix' => '',
		'variables' => [ 'synchronous' => 'NORMAL' ],
		'dbDirectory' => $wgSQLiteDataDir,
		'trxMode' => 'IMMEDIATE',
		'flags' => 0,
	];
};
$wgObjectCaches[CACHE_DB] = [
	'class' => SqlBagOStuff::class,
	'loggroup' => 'SQLBagOStuff',
	'server' => $rlwSqlite( 'wikicache' ),
];
// The main stash (sessions' neighbour; ResourceLoader's file dependencies)
// in the same file. The default ReplicatedBagOStuff warns on every
// setMulti() in 1.39.
$wgObjectCaches['db-replicated'] = [
	'factory' => 'Wikimedia\ObjectFactory\ObjectFactory::getObjectFromSpec',
	'args' => [ [ 'factory' => 'ObjectCache::getInstance', 'args' => [ CACHE_DB ] ] ],
];
$wgJobTypeConf['default'] = [
	'class' => 'JobQueueDB',
	'claimTTL' => 3600,
	'server' => $rlwSqlite( 'wiki_jobqueue' ),
];
$wgResourceLoaderUseObjectCacheForDeps = true;
$wgSharedTables[] = 'actor';

// Caches: nothing that could hide an edit. Sessions and the main stash
// (where ResourceLoader keeps the files each module was built from) live in
// data/wikicache.sqlite; localisation in CDB files under cache/, which are rebuilt
// when a message file changes. The server runs with APCu off, because
// MediaWiki keys its file-hash cache by mtime in whole seconds.
$wgMainCacheType = CACHE_NONE;
$wgParserCacheType = CACHE_NONE;
$wgMessageCacheType = CACHE_NONE;
$wgSessionCacheType = CACHE_DB;
$wgMemCachedServers = [];
$wgCacheDirectory = $rlw['dir'] . '/cache';
$wgLocalisationCacheConf['store'] = 'files';
$wgUseFileCache = false;
$wgResourceLoaderMaxage = [
	// Versioned URLs change with the content; unversioned ones (the startup
	// module, stylesheets linked from HTML) are revalidated every time.
	'versioned' => 3600,
	'unversioned' => 0,
];

// Nothing leaves this machine; no uploads or mail.
$wgEnableUploads = false;
$wgUseInstantCommons = false;
$wgEnableEmail = false;
$wgEnableUserEmail = false;
$wgPingback = false;
$wgUseImageMagick = false;
$wgDiff3 = '/usr/bin/diff3';

// Errors: visible in responses and logged under logs/.
$wgShowExceptionDetails = true;
$wgDBerrorLog = $rlw['dir'] . '/logs/dberror.log';
$wgDebugLogGroups = [
	'exception' => $rlw['dir'] . '/logs/exception.log',
	'error' => $rlw['dir'] . '/logs/error.log',
	'fatal' => $rlw['dir'] . '/logs/fatal.log',
	'resourceloader' => $rlw['dir'] . '/logs/resourceloader.log',
];

foreach ( $rlw['skins'] as $rlwName => $rlwJson ) {
	$rlwJson === null ? wfLoadSkin( $rlwName ) : wfLoadSkin( $rlwName, $rlwJson );
}
foreach ( $rlw['extensions'] as $rlwName => $rlwJson ) {
	$rlwJson === null ? wfLoadExtension( $rlwName ) : wfLoadExtension( $rlwName, $rlwJson );
}
if ( $rlw['defaultSkin'] !== null ) {
	$wgDefaultSkin = $rlw['defaultSkin'];
}

// Bundled extensions that would otherwise call out to the internet.
// Math: <math> as TeX source, not checked or rendered by a remote RESTBase.
// (MathValidModes is merged with the extension's, so "mathml" stays a valid
// preference.)
$wgMathValidModes = [ 'source' ];
$wgDefaultUserOptions['math'] = 'source';
$wgMathDisableTexFilter = 'always';
// SpamBlacklist: no blacklist fetched from meta.wikimedia.org on every save.
$wgBlacklistSettings = [ 'spam' => [ 'files' => [] ], 'email' => [ 'files' => [] ] ];

// Whatever the caller put in extra-settings.php in the wiki's folder.
if ( is_readable( $rlw['dir'] . '/extra-settings.php' ) ) {
	require $rlw['dir'] . '/extra-settings.php';
}
unset( $rlw, $rlwSqlite, $rlwName, $rlwJson );
