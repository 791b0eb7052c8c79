# shellcheck shell=sh
# read_cmdline FILE: the kernel command line (/proc/cmdline), read once. Each ownerboot
# parameter goes into a variable, from its first occurrence; an absent parameter leaves its
# variable unset (present and empty sets it to ""), so a stage can tell the two apart:
#   ownerboot.root_uuid     root_uuid      LUKS UUID of the root container
#   ownerboot.keyfile       keyfile        a key file that opens the containers
#   ownerboot.verity        verity         the dm-verity root hash the firmware pins
#   ownerboot.verity_offset verity_offset  where the hash tree starts
#   ownerboot.state_uuid    state_uuid     LUKS UUID of the writable state
#   ownerboot.half          half           which firmware set booted (normal, fallback)
#   ownerboot.kexec         kexec          1: stage 1 of a kexec hand-over
#   ownerboot.stage         handover_stage 2: stage 2 of a hand-over (stage 1 wrote it)
#   ownerboot.board, .generation, .set     board, generation, set_hash (for the console)
# cmdline_words keeps the whole line, for the OS kernel's command line at a hand-over.
read_cmdline() {
    cmdline_words=$(cat "$1")
    unset root_uuid keyfile verity verity_offset state_uuid half kexec handover_stage board generation set_hash
    # Words, never file names: a word with * or ? in it stays as it is.
    set -f
    for word in $cmdline_words; do
        value=${word#*=}
        case "$word" in
            ownerboot.root_uuid=*) [ -n "${root_uuid+set}" ] || root_uuid=$value;;
            ownerboot.keyfile=*) [ -n "${keyfile+set}" ] || keyfile=$value;;
            ownerboot.verity=*) [ -n "${verity+set}" ] || verity=$value;;
            ownerboot.verity_offset=*) [ -n "${verity_offset+set}" ] || verity_offset=$value;;
            ownerboot.state_uuid=*) [ -n "${state_uuid+set}" ] || state_uuid=$value;;
            ownerboot.half=*) [ -n "${half+set}" ] || half=$value;;
            ownerboot.kexec=*) [ -n "${kexec+set}" ] || kexec=$value;;
            ownerboot.stage=*) [ -n "${handover_stage+set}" ] || handover_stage=$value;;
            ownerboot.board=*) [ -n "${board+set}" ] || board=$value;;
            ownerboot.generation=*) [ -n "${generation+set}" ] || generation=$value;;
            ownerboot.set=*) [ -n "${set_hash+set}" ] || set_hash=$value;;
        esac
    done
    set +f
}
