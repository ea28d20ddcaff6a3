<?php
// MediaWiki 1.39's Image::variantize and CSSMin::encodeStringAsDataURI, the
// reference for tests/image_module.rs: reads SVG paths from stdin (one a
// line) and prints a JSON line for each: the data URI of the file as it is,
// and, unless PHP's DOM refuses it, the file recoloured with COLOR (argv[1])
// and that text's data URI. The recolouring is Image::variantize's own
// steps, as includes/ResourceLoader/Image.php does them.
require $argv[2] . '/vendor/wikimedia/minify/src/CSSMin.php';
use Wikimedia\Minify\CSSMin;

$color = $argv[1];
while ( ( $file = fgets( STDIN ) ) !== false ) {
	$file = rtrim( $file, "\n" );
	$raw = file_get_contents( $file );
	$line = [ 'file' => $file, 'raw_uri' => CSSMin::encodeStringAsDataURI( $raw, 'image/svg+xml' ) ];
	$dom = new DOMDocument;
	if ( @$dom->loadXML( $raw ) && $dom->documentElement ) {
		$root = $dom->documentElement;
		$titleNode = null;
		$wrapper = $dom->createElementNS( 'http://www.w3.org/2000/svg', 'g' );
		while ( $root->firstChild ) {
			$node = $root->firstChild;
			if ( !$titleNode && $node->nodeType === XML_ELEMENT_NODE && $node->tagName === 'title' ) {
				$titleNode = $node;
			}
			$wrapper->appendChild( $node );
		}
		if ( $titleNode ) {
			$root->appendChild( $titleNode );
		}
		$root->appendChild( $wrapper );
		$wrapper->setAttribute( 'fill', $color );
		$svg = $dom->saveXML();
		$line['svg'] = base64_encode( $svg );
		$line['uri'] = CSSMin::encodeStringAsDataURI( $svg, 'image/svg+xml' );
	}
	echo json_encode( $line, JSON_UNESCAPED_SLASHES ), "\n";
}
