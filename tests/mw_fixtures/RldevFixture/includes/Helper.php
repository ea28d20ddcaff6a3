<?php
namespace RldevFixture;

class Helper {
	public static function value(): string {
		return 'helper-1';
	}
}
