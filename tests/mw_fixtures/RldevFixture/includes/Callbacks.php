<?php
namespace RldevFixture;

use Config;
use MediaWiki\ResourceLoader\Context;
use MediaWiki\ResourceLoader\FilePath;

/**
 * packageFiles callbacks, as extensions write them: config, a message, the
 * request's language, a JSON file of the extension and another class.
 */
class Callbacks {
	public static function data( Context $context, Config $config, $param ): array {
		$extra = json_decode( file_get_contents( dirname( __DIR__ ) . '/data/extra.json' ), true );
		return [
			'greeting' => $config->get( 'RldevFixtureGreeting' ),
			'param' => $param,
			'language' => $context->getLanguage(),
			'message' => $context->msg( 'rldevfixture-hello' )->text(),
			'extra' => $extra,
			'helper' => Helper::value(),
		];
	}

	public static function script( Context $context, Config $config ): string {
		return 'module.exports = ' . json_encode( Helper::value() ) . ";\n";
	}

	public static function file( Context $context, Config $config ): FilePath {
		return new FilePath( 'callback/picked.js' );
	}
}
