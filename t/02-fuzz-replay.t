# 02-fuzz-replay.t: every fuzz harness, built with a plain main, replays
# its whole seed corpus (under ASan/UBSan in make check-asan). A crash or
# a failed invariant inside a harness aborts it and fails this test.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use SmtpdTest;

my $src = SmtpdTest::src();
my @harness = map { m{/(\w+)\.c$} ? $1 : () } glob("$src/t/fuzz/*_fuzz.c");
ok(scalar @harness >= 4, "fuzz harnesses found: @harness");
for my $h (@harness) {
	my $bin = SmtpdTest::build() . "/t/fuzz/$h";
	my $corpus = "$src/t/fuzz/corpus/$h";
	ok(-d $corpus, "$h has a seed corpus");
	my ($rc, $out) = SmtpdTest::run($bin, $corpus);
	is($rc, 0, "$h replays its corpus") or diag $out;
	my ($n) = $out =~ /replayed (\d+) inputs/;
	cmp_ok($n // 0, '>=', 10, "$h: at least 10 seed inputs");
}
done_testing();
