# shellcheck shell=sh
# rescue MESSAGE: says what failed and opens a shell on the console, again whenever it exits:
# the unlocker never lets the kernel panic (PID 1 ending would) and never starts an OS it has
# not opened and verified. Before the shell: every container closed, every key gone, the TPM
# capped (cap.sh), so whoever sits at this console holds nothing the unlocker obtained and
# cannot unseal the TPM2 tokens again.
rescue() {
    echo "ownerboot: $1"
    close_all
    cap_tpm
    echo "ownerboot: rescue shell (the OS was not started; no container is open; 'poweroff -f' turns the machine off)"
    while true; do setsid cttyhack sh; done
}
