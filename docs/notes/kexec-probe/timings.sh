#!/bin/sh
# From each run log: host seconds since QEMU start at `kexec -e`, at the new kernel's first line,
# at its /init, and at the marker; and the hand-over (kexec -e to marker).
P=${P:-/var/tmp/kexec-probe}
for log in "$P"/run-*.log; do
    awk -v name="$(basename "$log" .log)" '
        /probe1: .*kexec -e now/ { e = $1 }
        e && !l && /Linux version/ { l = $1 }
        l && !i && /Run \/init/ { i = $1 }
        /probe2: .*root mounted/ { m = $1 }
        /FAIL/ { f = 1 }
        END { if (e && m) printf "%-22s kexec-e %6.2f  new-kernel %6.2f  init %6.2f  marker %6.2f  hand-over %5.2f s (purgatory+decompress %5.2f)\n", name, e, l, i, m, m - e, l - e;
              else printf "%-22s %s\n", name, f ? "failed (see log)" : "no hand-over" }' "$log"
done
