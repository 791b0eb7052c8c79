#!/bin/sh
# The runs docs/notes/kexec.md reports, one after the other (each is one QEMU TCG guest), with the
# lines that matter from each log. Logs: $P/run-NAME.log.
P=${P:-/var/tmp/kexec-probe}
HERE=$(cd "$(dirname "$0")" && pwd)
run() {
    name=$1; shift
    env "$@" sh "$HERE/run.sh" > "$P/run-$name.log" 2>&1
    echo "== $name ($*)"
    grep -a -E 'KSYM|tpm|TPM|probe[12]: |kexec_core|kexec_file|Lockdown|lockdown|Kernel panic|Run /init|Out of memory|Killed|Failed to' "$P/run-$name.log" \
        | grep -a -v 'Command line' | cut -c1-200
}
if [ $# -gt 0 ]; then for n in "$@"; do case $n in
    tools-s) run tools-s MODE=tools-s;;
    tools-l) run tools-l MODE=tools-l;;
    ob) run ob MODE=ob;;
    ob-gzip) run ob-gzip MODE=ob EXTRA=probe.gzip=1;;
    unsigned-s) run unsigned-s MODE=tools-s DISK=unsigned;;
    lockdown-s) run lockdown-s MODE=tools-s EXTRA=lockdown=integrity;;
    lockdown-l) run lockdown-l MODE=tools-l EXTRA=lockdown=integrity;;
    lockdown-unsigned-s) run lockdown-unsigned-s MODE=tools-s DISK=unsigned EXTRA=lockdown=integrity;;
    lean) run lean MODE=ob EXTRA=probe.mods=virtio_pci,virtio_blk,dm-crypt,dm-verity,ext4,crc32c_generic,xts,ecb;;
    kallsyms) run kallsyms MODE=ob EXTRA=probe.kallsyms=1;;
    tpm) run tpm MODE=ob TPM=1;;
    tampered) run tampered MODE=ob DISK=tampered;;
    mem512) run mem512 MODE=ob MEM=512;;
    mem384) run mem384 MODE=ob MEM=384;;
    mem256) run mem256 MODE=ob MEM=256;;
esac; done; fi
