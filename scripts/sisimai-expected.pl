#!/usr/bin/perl
# Writes the expected-results table of a bounce collection as Debian's libsisimai-perl decodes it,
# in the column layout of tests/corpora/sisimai/expected.tsv, so the corpus test can score Waybill
# against an independent decoder on mail neither was tuned on.
#
#   scripts/sisimai-expected.pl tests/corpora/bounceparser > tests/corpora/bounceparser/expected.tsv
#
# Every file under DIR/eml is read on its own (mbox or single message), with delivered reports and
# auto-replies kept (as the sisimai corpus was produced). Files sisimai finds no bounce in get no row.
use strict;
use warnings;
use Sisimai;

my $dir = shift or die "usage: $0 COLLECTION_DIR\n";
opendir(my $dh, "$dir/eml") or die "cannot open $dir/eml: $!\n";
my @files = sort grep { -f "$dir/eml/$_" } readdir($dh);
closedir($dh);

print join("\t", qw(file index status replycode reason hardbounce feedbacktype)), "\n";
for my $name (@files) {
    my $results = Sisimai->make("$dir/eml/$name", 'delivered' => 1, 'vacation' => 1) || [];
    my $index = 0;
    for my $r (@$results) {
        $index++;
        my $reason = $r->reason // '';
        my $status = $r->deliverystatus // '';
        my $reply = $r->replycode // '';
        my $feedback = $reason eq 'feedback' ? ($r->feedbacktype // '') : '';
        $status = '' if $reason eq 'feedback' || $reason eq 'vacation';
        $reply = '' if $reason eq 'feedback' || $reason eq 'vacation';
        print join("\t", "eml/$name", $index, $status, $reply, $reason,
                   (($r->softbounce // -1) eq "0" ? "true" : "false"), $feedback), "\n";
    }
}
