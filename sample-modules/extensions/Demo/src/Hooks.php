<?php

namespace MediaWiki\Extension\Demo;

use MediaWiki\Output\Hook\BeforePageDisplayHook;
use MediaWiki\ResourceLoader\Context;

class Hooks implements BeforePageDisplayHook {

	/**
	 * @inheritDoc
	 */
	public function onBeforePageDisplay( $out, $skin ): void {
		$out->addModules( [ 'ext.demo.app' ] );
	}

	/**
	 * packageFiles callback of ext.demo.languages: computed in PHP on every
	 * build, so a daemon without PHP cannot produce it.
	 *
	 * @param Context $context
	 * @return array
	 */
	public static function getLanguageData( Context $context ): array {
		return [
			'lang' => $context->getLanguage(),
			'dir' => $context->getDirection(),
		];
	}
}
