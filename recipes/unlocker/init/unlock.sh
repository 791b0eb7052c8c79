# shellcheck shell=sh
# Opening the LUKS2 containers: the root (slot A) and, for a verity OS, the writable state.
# Key sources, in order: the volume keys stage 1 kept (stage 2 only), a key file, the Clevis
# tokens (TPM2, tang: ob-unattended), then one passphrase, three tries, for whatever is still
# locked. closed lists the containers still locked ("DEVICE:NAME" pairs), in order.

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

# open_luks DEVICE NAME: opens it with the key material on standard input. Before a hand-over
# the key yields the volume key first (one PBKDF run, as open's), which then opens the container.
open_luks() {
    if [ -n "$vkdir" ]; then
        cryptsetup luksDump --dump-volume-key --volume-key-file "$vkdir/$2" --batch-mode --key-file=- "$1" >/dev/null \
            && cryptsetup open --volume-key-file "$vkdir/$2" "$1" "$2"
    else
        cryptsetup open --key-file=- "$1" "$2"
    fi
}

# The key sources for each_closed: a failure is named and the next container is tried, except
# for the tokens, where the first container without one ends the round (the root first: if it
# needs the passphrase anyway, the same passphrase opens the state; no second wait for a tang
# that is down).
open_with_kept_key() {
    [ -f "$keys/$2" ] && cryptsetup open --volume-key-file "$keys/$2" "$1" "$2" \
        || echo "ownerboot: the volume key from stage 1 did not open $1"
}
open_with_keyfile() {
    open_luks "$1" "$2" <"$keyfile" || echo "ownerboot: the key file did not open $1"
}
open_with_tokens() {
    OB_VOLUME_KEY_FILE=${vkdir:+$vkdir/$2} ob-unattended "$1" "$2"
}

# ask_passphrase: up to three tries on the console for the first container still locked; the
# passphrase that opens it opens the others too (the disk was provisioned with one).
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
            for pair in ${closed#"$first"}; do
                printf '%s' "$passphrase" | open_luks "${pair%%:*}" "${pair#*:}" \
                    || { passphrase=; rescue "the passphrase opened ${first%%:*} but not ${pair%%:*}"; }
            done
            still_closed
        else
            echo "ownerboot: wrong passphrase (try $attempt of 3)"
            attempt=$((attempt + 1))
        fi
    done
    passphrase=
}

# unlock: every container open, or rescue.
unlock() {
    closed="$device:root${state:+ $state:state}"
    if [ -d "$keys" ]; then
        each_closed open_with_kept_key
        rm -rf "$keys"
        still_closed
    fi
    if [ -n "$keyfile" ] && [ -f "$keyfile" ]; then
        each_closed open_with_keyfile
        still_closed
    fi
    each_closed open_with_tokens
    still_closed
    ask_passphrase
    [ -z "$closed" ] || rescue "could not unlock ${closed%%:*} after 3 tries"
}
