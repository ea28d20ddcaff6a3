<?php
/**
 * rldev's PHP side: runs the packageFiles callbacks of one module in
 * MediaWiki core booted as a maintenance script, and reads every file
 * through rldev.
 *
 * Protocol (one conversation per process, lines of JSON on stdin/stdout):
 *   rldev -> php   the request: {core, manifest, calls: [{callback, param}],
 *                  lang, contentLang, skin, localBasePath, remoteBasePath}
 *   php -> rldev   {"op":"read","path":P}; rldev answers one line,
 *                  {"size":N} followed by N bytes, or {"absent":true}
 *                  (or {"dir":true} for a folder)
 *   php -> rldev   {"op":"done","results":[{"value":V} | {"file":P} |
 *                  {"error":E,"file":F,"line":L}], "stoodIn":[interface…]}
 *                  or {"op":"fatal","message":M,"file":F,"line":L}
 *
 * PHP reads no file of the project or of core by itself: the `file` stream
 * wrapper is replaced, so that every include, file_get_contents and
 * file_exists goes through rldev, which answers from its content store and
 * records the read. The bytes run are the bytes hashed. Writes, folder
 * listings and temporary files go to the disk as usual.
 */

const RLDEV_VIRTUAL = '/rldev-virtual/';

final class RldevWire {
	/** @var resource */
	private static $in;
	/** @var resource */
	private static $out;
	/** @var array<string,string|false|true> path => bytes, false if absent, true if a folder */
	public static $files = [];
	/** @var array<string,string> virtual files */
	public static $virtual = [];
	/** @var string[] hook interfaces stood in for */
	public static $stoodIn = [];
	/** @var string core's folder, with a slash */
	public static $core = '';

	/**
	 * MediaWiki moves global classes into namespaces (MessageLocalizer became
	 * MediaWiki\Language\MessageLocalizer in 1.47), and newer cores alias
	 * the old names. For an extension written for a newer core, the reverse:
	 * each `use MediaWiki\…\Name;` of a PHP file of the extension that this
	 * core does not know, but knows as the global class `Name`, is aliased to
	 * it as the file is included (before the file's type declarations are
	 * checked, which do not autoload).
	 */
	public static function aliasUses( string $path, string $php ): void {
		if ( !str_ends_with( $path, '.php' ) || str_starts_with( $path, self::$core )
			|| !class_exists( AutoLoader::class, false )
			|| !preg_match_all( '/^use\s+(MediaWiki\\\\[\w\\\\]*\\\\(\w+))\s*;/m', $php, $uses, PREG_SET_ORDER )
		) {
			return;
		}
		foreach ( $uses as [ , $name, $short ] ) {
			if ( class_exists( $name, false ) || interface_exists( $name, false )
				|| AutoLoader::find( $name ) !== null || AutoLoader::find( $short ) === null
			) {
				continue;
			}
			if ( class_exists( $short ) || interface_exists( $short ) ) {
				class_alias( $short, $name );
				self::$stoodIn[] = "$name (as $short)";
			}
		}
	}

	/** @var string the module's manifest */
	public static $manifest = '';

	/**
	 * The manifest as PHP sees it: without `requires`. rldev builds the
	 * modules of the extension in front of it with the core it was given;
	 * which core and which other extensions a wiki must have to install it
	 * is not a reason to refuse to run its callbacks (ExtensionRegistry
	 * would throw). A callback that needs what is missing fails on its own,
	 * with PHP's error.
	 */
	private static function withoutRequires( string $json ): string {
		$data = json_decode( $json, true );
		if ( !is_array( $data ) || !isset( $data['requires'] ) ) {
			return $json;
		}
		unset( $data['requires'] );
		return json_encode( $data, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE );
	}

	public static function init(): void {
		self::$in = STDIN;
		self::$out = STDOUT;
	}

	public static function send( array $message ): void {
		fwrite( self::$out, json_encode( $message, JSON_UNESCAPED_SLASHES | JSON_INVALID_UTF8_SUBSTITUTE ) . "\n" );
		fflush( self::$out );
	}

	public static function line(): array {
		$line = fgets( self::$in );
		if ( $line === false ) {
			exit( 3 );
		}
		return json_decode( $line, true );
	}

	/** The bytes of a file, false if there is none, true for a folder. */
	public static function file( string $path ) {
		$path = self::normal( $path );
		if ( isset( self::$virtual[$path] ) ) {
			return self::$virtual[$path];
		}
		if ( !array_key_exists( $path, self::$files ) ) {
			self::send( [ 'op' => 'read', 'path' => $path ] );
			$head = self::line();
			if ( isset( $head['size'] ) ) {
				$bytes = '';
				while ( strlen( $bytes ) < $head['size'] ) {
					$chunk = fread( self::$in, $head['size'] - strlen( $bytes ) );
					if ( $chunk === false || $chunk === '' ) {
						exit( 3 );
					}
					$bytes .= $chunk;
				}
				self::$files[$path] = $bytes;
			} else {
				self::$files[$path] = !empty( $head['dir'] );
			}
			if ( $path === self::$manifest && is_string( self::$files[$path] ) ) {
				self::$files[$path] = self::withoutRequires( self::$files[$path] );
			}
		}
		return self::$files[$path];
	}

	/** An absolute path without `.` and `..` segments (links are left to rldev). */
	public static function normal( string $path ): string {
		if ( str_starts_with( $path, 'file://' ) ) {
			$path = substr( $path, 7 );
		}
		if ( $path === '' || $path[0] !== '/' ) {
			$path = getcwd() . '/' . $path;
		}
		$out = [];
		foreach ( explode( '/', $path ) as $part ) {
			if ( $part === '' || $part === '.' ) {
				continue;
			}
			if ( $part === '..' ) {
				array_pop( $out );
			} else {
				$out[] = $part;
			}
		}
		return '/' . implode( '/', $out );
	}
}

/** The `file` stream wrapper: reads through rldev, everything else to the disk. */
final class RldevFileWrapper {
	/** @var resource|null */
	public $context;
	/** @var string|null bytes of a file opened for reading */
	private $bytes;
	private $pos = 0;
	/** @var resource|null a real handle (writing, folders) */
	private $handle;

	/** Runs $fn with PHP's own file wrapper in place. */
	private static function disk( callable $fn ) {
		stream_wrapper_restore( 'file' );
		try {
			return $fn();
		} finally {
			stream_wrapper_unregister( 'file' );
			stream_wrapper_register( 'file', self::class );
		}
	}

	public function stream_open( $path, $mode, $options, &$opened ) {
		if ( strpbrk( $mode, 'waxc+' ) === false ) {
			$bytes = RldevWire::file( $path );
			if ( !is_string( $bytes ) ) {
				if ( $options & STREAM_REPORT_ERRORS ) {
					trigger_error( "$path: no such file", E_USER_WARNING );
				}
				return false;
			}
			$this->bytes = $bytes;
			$opened = RldevWire::normal( $path );
			RldevWire::aliasUses( $opened, $bytes );
			return true;
		}
		$context = $this->context;
		$this->handle = self::disk( static fn () => $context
			? fopen( $path, $mode, false, $context ) : fopen( $path, $mode ) );
		return $this->handle !== false;
	}

	public function stream_read( $count ) {
		if ( $this->handle ) {
			return fread( $this->handle, $count );
		}
		$chunk = substr( $this->bytes, $this->pos, $count );
		$this->pos += strlen( $chunk );
		return $chunk;
	}

	public function stream_write( $data ) {
		return $this->handle ? fwrite( $this->handle, $data ) : 0;
	}

	public function stream_eof() {
		return $this->handle ? feof( $this->handle ) : $this->pos >= strlen( $this->bytes );
	}

	public function stream_tell() {
		return $this->handle ? ftell( $this->handle ) : $this->pos;
	}

	public function stream_seek( $offset, $whence ) {
		if ( $this->handle ) {
			return fseek( $this->handle, $offset, $whence ) === 0;
		}
		$to = [ SEEK_SET => $offset, SEEK_CUR => $this->pos + $offset,
			SEEK_END => strlen( $this->bytes ) + $offset ][$whence] ?? -1;
		if ( $to < 0 ) {
			return false;
		}
		$this->pos = $to;
		return true;
	}

	public function stream_flush() {
		return $this->handle ? fflush( $this->handle ) : true;
	}

	public function stream_close() {
		if ( $this->handle ) {
			fclose( $this->handle );
		}
	}

	public function stream_lock( $operation ) {
		return $this->handle ? flock( $this->handle, $operation ) : true;
	}

	public function stream_truncate( $size ) {
		return $this->handle ? ftruncate( $this->handle, $size ) : false;
	}

	public function stream_set_option( $option, $arg1, $arg2 ) {
		return false;
	}

	public function stream_stat() {
		return $this->handle ? fstat( $this->handle ) : self::stat( strlen( $this->bytes ), false );
	}

	public function url_stat( $path, $flags ) {
		$file = RldevWire::file( $path );
		if ( $file === false ) {
			return false;
		}
		return self::stat( is_string( $file ) ? strlen( $file ) : 0, $file === true );
	}

	/** A stat of bytes rldev gave: no time, so nothing can depend on one. */
	private static function stat( int $size, bool $dir ): array {
		$mode = $dir ? 0040755 : 0100644;
		$uid = function_exists( 'posix_getuid' ) ? posix_getuid() : 0;
		$stat = [ 0, 0, $mode, 1, $uid, 0, 0, $size, 0, 0, 0, 4096, intdiv( $size + 511, 512 ) ];
		$names = [ 'dev', 'ino', 'mode', 'nlink', 'uid', 'gid', 'rdev', 'size', 'atime', 'mtime',
			'ctime', 'blksize', 'blocks' ];
		return $stat + array_combine( $names, $stat );
	}

	public function stream_metadata( $path, $option, $value ) {
		return self::disk( static function () use ( $path, $option, $value ) {
			switch ( $option ) {
				case STREAM_META_TOUCH:
					return touch( $path, ...$value );
				case STREAM_META_ACCESS:
					return chmod( $path, $value );
				default:
					return false;
			}
		} );
	}

	public function unlink( $path ) {
		return self::disk( static fn () => unlink( $path ) );
	}

	public function rename( $from, $to ) {
		return self::disk( static fn () => rename( $from, $to ) );
	}

	public function mkdir( $path, $mode, $options ) {
		return self::disk( static fn () => mkdir( $path, $mode, (bool)( $options & STREAM_MKDIR_RECURSIVE ) ) );
	}

	public function rmdir( $path, $options ) {
		return self::disk( static fn () => rmdir( $path ) );
	}

	public function dir_opendir( $path, $options ) {
		$this->handle = self::disk( static fn () => opendir( $path ) );
		return $this->handle !== false;
	}

	public function dir_readdir() {
		return readdir( $this->handle );
	}

	public function dir_rewinddir() {
		rewinddir( $this->handle );
		return true;
	}

	public function dir_closedir() {
		closedir( $this->handle );
		return true;
	}
}

function rldev_run(): void {
	RldevWire::init();
	$request = RldevWire::line();
	$GLOBALS['rldevRequest'] = $request;
	register_shutdown_function( static function () {
		$e = error_get_last();
		if ( $e && in_array( $e['type'], [ E_ERROR, E_PARSE, E_CORE_ERROR, E_COMPILE_ERROR ], true ) ) {
			RldevWire::send( [ 'op' => 'fatal', 'message' => $e['message'], 'file' => $e['file'],
				'line' => $e['line'] ] );
		}
	} );
	$settings = '<?php' . "\n" .
		'$wgSitename = "rldev";' . "\n" .
		'$wgServer = "http://localhost";' . "\n" .
		'$wgScriptPath = ' . var_export( $request['scriptPath'], true ) . ";\n" .
		'$wgDBtype = "sqlite";' . "\n" .
		'$wgDBname = "rldev";' . "\n" .
		'$wgSQLiteDataDir = "/nonexistent/rldev";' . "\n" .
		'$wgUseDatabaseMessages = false;' . "\n" .
		'$wgMainCacheType = CACHE_NONE;' . "\n" .
		'$wgLanguageCode = ' . var_export( $request['contentLang'], true ) . ";\n" .
		'$wgDefaultSkin = ' . var_export( $request['skin'], true ) . ";\n" .
		'$wgSecretKey = str_repeat( "0", 64 );' . "\n" .
		'$wgLocalisationCacheConf["storeClass"] = LCStoreNull::class;' . "\n" .
		'$wgLocalisationCacheConf["store"] = "array";' . "\n" .
		'ExtensionRegistry::getInstance()->queue( ' . var_export( $request['manifest'], true ) . " );\n";
	RldevWire::$virtual[RLDEV_VIRTUAL . 'LocalSettings.php'] = $settings;
	RldevWire::$manifest = RldevWire::normal( $request['manifest'] );
	RldevWire::$core = rtrim( RldevWire::normal( $request['core'] ), '/' ) . '/';
	// For extensions written for a newer core. Hook handler classes name
	// the hook interfaces of the core they were written for; an interface
	// this core lacks stands as an empty one, so that the class loads and
	// the callback runs (the interfaces only list the handler methods, which
	// the class declares itself). Registered first, so it is asked first: it
	// leaves alone every name core's autoloader knows. Each stand-in is
	// reported in a warning.
	spl_autoload_register( static function ( $name ) {
		if ( !class_exists( AutoLoader::class, false ) || AutoLoader::find( $name ) !== null ) {
			return;
		}
		if ( preg_match( '/^((?:\w+\\\\)*Hook)\\\\(\w+Hook)$/', $name, $m ) ) {
			eval( "namespace {$m[1]}; interface {$m[2]} {}" );
			RldevWire::$stoodIn[] = $name;
		}
	} );
	stream_wrapper_unregister( 'file' );
	stream_wrapper_register( 'file', RldevFileWrapper::class );
	putenv( 'MW_INSTALL_PATH=' . $request['core'] );
	$GLOBALS['argv'] = $_SERVER['argv'] = [ __FILE__, '--conf', RLDEV_VIRTUAL . 'LocalSettings.php' ];
	$GLOBALS['argc'] = $_SERVER['argc'] = 3;
}

rldev_run();
ob_start();
require_once $rldevRequest['core'] . '/maintenance/Maintenance.php';

class RldevCallbacks extends Maintenance {
	public function getDbType() {
		return Maintenance::DB_NONE;
	}

	public function execute() {
		$request = $GLOBALS['rldevRequest'];
		$services = \MediaWiki\MediaWikiServices::getInstance();
		$config = $services->getMainConfig();
		// Not the service: that one wants a database.
		$rlClass = class_exists( \MediaWiki\ResourceLoader\ResourceLoader::class )
			? \MediaWiki\ResourceLoader\ResourceLoader::class : 'ResourceLoader';
		$rl = new $rlClass( $config );
		$contextClass = class_exists( \MediaWiki\ResourceLoader\Context::class )
			? \MediaWiki\ResourceLoader\Context::class : 'ResourceLoaderContext';
		$requestClass = class_exists( \MediaWiki\Request\FauxRequest::class )
			? \MediaWiki\Request\FauxRequest::class : 'FauxRequest';
		$context = new $contextClass( $rl, new $requestClass( [
			'lang' => $request['lang'],
			'skin' => $request['skin'],
			'modules' => $request['module'],
		] ) );
		$results = [];
		foreach ( $request['calls'] as $call ) {
			try {
				$results[] = self::call( $call, $context, $config, $request['localBasePath'] );
			} catch ( Throwable $e ) {
				$results[] = [ 'error' => get_class( $e ) . ': ' . $e->getMessage(),
					'file' => $e->getFile(), 'line' => $e->getLine() ];
			}
		}
		RldevWire::send( [ 'op' => 'done', 'results' => $results, 'stoodIn' => RldevWire::$stoodIn ] );
	}

	/** One callback's answer: `value`, `file` (a FilePath's) or `error`. */
	private static function call( array $call, $context, $config, string $localBasePath ): array {
		// Loaded first, so that a class that does not compile says why
		// (call_user_func would only say it is not there).
		$class = explode( '::', $call['callback'] )[0];
		if ( !class_exists( $class ) ) {
			return [ 'error' => "class $class not found" ];
		}
		$value = call_user_func( $call['callback'], $context, $config, $call['param'] ?? null );
		if ( $value instanceof \MediaWiki\ResourceLoader\FilePath || $value instanceof \ResourceLoaderFilePath ) {
			// As FileModule::getLocalPath.
			return [ 'file' => $value->getLocalBasePath() !== null
				? $value->getLocalPath()
				: $localBasePath . '/' . $value->getPath() ];
		}
		// What JSON cannot say (NAN, a resource) is the callback's error.
		if ( json_encode( $value, JSON_INVALID_UTF8_SUBSTITUTE ) === false ) {
			return [ 'error' => 'returned what JSON cannot encode: ' . json_last_error_msg() ];
		}
		return [ 'value' => $value ];
	}
}

$maintClass = RldevCallbacks::class;
require_once RUN_MAINTENANCE_IF_MAIN;
