"""Paper ballots beside phones (纸质票与扫码票双轨): keyed twice and blind by clerks, decided by a
third person where the keyings differ, re-checked at random, and counted by mode on the
tickets only."""
