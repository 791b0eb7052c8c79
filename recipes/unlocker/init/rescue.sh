# shellcheck shell=sh
# rescue MESSAGE: says what failed and opens a shell on the console, again whenever it exits:
# the unlocker never lets the kernel panic (PID 1 ending would) and never starts an OS it has
# not opened and verified.
rescue() {
    echo "ownerboot: $1"
    echo "ownerboot: rescue shell (the OS was not started; 'poweroff -f' turns the machine off)"
    while true; do setsid cttyhack sh; done
}
