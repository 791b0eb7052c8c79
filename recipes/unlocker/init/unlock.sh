# shellcheck shell=sh
# Opening the LUKS2 containers: the root (slot A), then, for a verity OS, the writable state.
# The root's key sources, in order: the volume key stage 1 kept (stage 2 only), a key file, the
# Clevis tokens (TPM2, tang: ob-unattended), then the passphrase, three tries. Every source
# yields the root's volume key first (into vkdir, RAM only; one PBKDF run, as open's), which
# opens the container. The state then opens only with the key derived from that volume key
# (bound to this root: `ownerboot disk` enrols it), or with the passphrase a person typed for the
# root this boot; never with a token of its own, which whoever writes the disk could have put
# there for a tang server of theirs. closed lists the containers still locked ("DEVICE:NAME").

# still_closed: drops the containers that are open now (their /dev/mapper/NAME exists).
still_closed() {
    left=
    for pair in $closed; do [ -e "/dev/mapper/${pair#*:}" ] || left="$left $pair"; done
    closed=${left# }
}

# each_closed FUNCTION: FUNCTION DEVICE NAME for each container still locked, in order, until
# one returns non-zero. (closed itself is brought up to date by the caller: still_closed.)
each_closed() {
    for pair in $closed; do
        "$1" "${pair%%:*}" "${pair#*:}" || return 0
    done
}

# open_luks DEVICE NAME: opens it with the key material on standard input, through its volume
# key, which stays in vkdir (the state's key and the token tags are derived from the root's; a
# kexec hand-over passes both to stage 2).
open_luks() {
    cryptsetup luksDump --dump-volume-key --volume-key-file "$vkdir/$2" --batch-mode --key-file=- "$1" >/dev/null \
        && cryptsetup open --volume-key-file "$vkdir/$2" "$1" "$2"
}

# The root's key sources, for each_closed: a failure is named.
open_with_kept_key() {
    [ -f "$keys/$2" ] && cryptsetup open --volume-key-file "$keys/$2" "$1" "$2" && cp "$keys/$2" "$vkdir/$2" \
        || echo "ownerboot: the volume key from stage 1 did not open $1"
}
open_with_keyfile() {
    open_luks "$1" "$2" <"$keyfile" || echo "ownerboot: the key file did not open $1"
}
open_with_tokens() {
    OB_VOLUME_KEY_FILE=$vkdir/$2 ob-unattended "$1" "$2"
}

# ask_passphrase: up to three tries on the console for the root. The passphrase stays (in this
# shell only) until open_state has used it, and is wiped in unlock.
ask_passphrase() {
    show_totp "$device"
    attempt=1
    while [ -n "$closed" ] && [ $attempt -le 3 ]; do
        first=${closed%% *}
        # Echo goes off before the prompt appears: whoever types at once must not see it echoed.
        stty -echo 2>/dev/null
        printf 'ownerboot: enter passphrase for %s (try %s of 3): ' "${first%%:*}" "$attempt"
        # IFS= keeps a passphrase's leading and trailing spaces (they are part of it).
        IFS= read -r passphrase
        stty echo 2>/dev/null
        echo
        if printf '%s' "$passphrase" | open_luks "${first%%:*}" "${first#*:}"; then
            still_closed
        else
            passphrase=
            echo "ownerboot: wrong passphrase (try $attempt of 3)"
            attempt=$((attempt + 1))
        fi
    done
}

# open_state: the state container, with stage 1's kept volume key (stage 2), else the key
# derived from the root's volume key. A state from before that binding (a disk provisioned by
# an older ownerboot) opens with the owner's passphrase (the one typed for the root, or asked
# for now, three tries) and is bound on the spot, so the next boot needs no passphrase for it.
# Nothing opens it: rescue, and the state is never mounted.
open_state() {
    if [ -f "$keys/state" ]; then
        cryptsetup open --volume-key-file "$keys/state" "$state" state && cp "$keys/state" "$vkdir/state" && return 0
        echo "ownerboot: the volume key from stage 1 did not open $state"
    fi
    if ob-unlock -s "$vkdir/root" | open_luks "$state" state 2>/dev/null; then
        echo "ownerboot: unlocked $state (the state) with the key bound to the root"
        return 0
    fi
    attempt=1
    while [ $attempt -le 3 ]; do
        if [ -z "$passphrase" ]; then
            stty -echo 2>/dev/null
            printf 'ownerboot: %s holds no key bound to the root: enter passphrase for it (try %s of 3): ' "$state" "$attempt"
            IFS= read -r passphrase
            stty echo 2>/dev/null
            echo
        fi
        if [ -n "$passphrase" ] && printf '%s' "$passphrase" | open_luks "$state" state 2>/dev/null; then
            echo "ownerboot: unlocked $state (the state) with the passphrase: it holds no key bound to the root yet"
            bind_state
            return 0
        fi
        passphrase=
        attempt=$((attempt + 1))
    done
    rescue "the state partition $state does not open with the key bound to the root on $device: it is not this root's state; not mounting it"
}

# bind_state: adds the key derived from the root's volume key to the state just opened with the
# passphrase (authorised by the state's own volume key, in vkdir: no passphrase in a file; the
# new key on standard input, as /proc/self/fd/0: the initramfs has no /dev/stdin).
bind_state() {
    if ob-unlock -s "$vkdir/root" | cryptsetup luksAddKey --batch-mode --pbkdf pbkdf2 --pbkdf-force-iterations 1000 \
            --volume-key-file "$vkdir/state" "$state" /proc/self/fd/0; then
        echo "ownerboot: bound $state to the root (a key slot from the root's volume key): the next boot opens it without a passphrase"
    else
        echo "ownerboot: could not add the key bound to the root to $state: it opens with the passphrase as before"
    fi
}

# unlock: the root open, then the state, or rescue. The volume keys stay in vkdir only before a
# hand-over; no passphrase survives.
unlock() {
    closed="$device:root"
    passphrase=
    if [ -d "$keys" ]; then
        each_closed open_with_kept_key
        still_closed
    fi
    if [ -n "$closed" ] && [ -n "$keyfile" ] && [ -f "$keyfile" ]; then
        each_closed open_with_keyfile
        still_closed
    fi
    [ -n "$closed" ] && each_closed open_with_tokens
    still_closed
    [ -n "$closed" ] && ask_passphrase
    [ -z "$closed" ] || rescue "could not unlock ${closed%%:*} after 3 tries"
    [ -n "$state" ] && open_state
    passphrase=
    rm -rf "$keys"
    # Only a hand-over needs the volume keys any longer (kexec_os moves them to stage 2).
    [ -n "$handover" ] || rm -rf "$vkdir"
    return 0
}
