#!/bin/sh
# ob-unattended DEVICE NAME: open the LUKS2 DEVICE as /dev/mapper/NAME without a person, from
# its Clevis tokens (ob-unlock: TPM2, tang, sss). The key only ever travels through a pipe from
# ob-unlock into cryptsetup, which takes out the volume key into OB_VOLUME_KEY_FILE (RAM) and
# opens the container with it. Exit 0 when opened; otherwise the caller asks for the passphrase.
device=$1 name=$2
[ -n "$OB_VOLUME_KEY_FILE" ] || { echo "ownerboot: ob-unattended needs OB_VOLUME_KEY_FILE"; exit 1; }
# The kernel command line, read once (words, never file names): tang needs the network,
# ownerboot.net=INTERFACE:ADDRESS:NETMASK; retire needs the generation that booted.
cmdline=$(cat /proc/cmdline) booted='' net=''
set -f
for word in $cmdline; do
    case "$word" in ownerboot.net=*) net=${word#*=};; ownerboot.generation=*) booted=${word#*=};; esac
done
set +f
if [ -n "$net" ]; then
    iface=${net%%:*} rest=${net#*:}
    ifconfig "$iface" "${rest%%:*}" netmask "${rest#*:}" up 2>/dev/null || echo "ownerboot: could not bring up $iface for tang"
fi
found=no
dump=/run/ob-dump.txt
# After an update: once a token sealed for this generation (or a newer one) has opened the disk
# by itself, the tokens ownerboot sealed for older generations are retired with their key
# slots. LUKS2 token JSON is not authenticated, so a tag counts only when `ob-unlock -R` finds
# it authentic: a MAC over generation, path, key slot and that slot's salt, keyed from this
# container's volume key (which only whoever could open it holds). Never the slot that just
# opened, never a slot without an authentic tag (the passphrase's has none). Tokens without
# a tag (tang, sss, Clevis's own) and the passphrase stay.
retire() {
    used=$1
    verified=$(ob-unlock -R "$OB_VOLUME_KEY_FILE" $dump </run/ob-token.json 2>/dev/null) || return 0
    usedgen=${verified%% *} usedslot=${verified##* }
    [ -n "$booted" ] && [ "$usedgen" -ge "$booted" ] 2>/dev/null || return 0
    retired=no
    for old in $ids; do
        [ "$old" = "$used" ] && continue
        cryptsetup token export --token-id "$old" "$device" >/run/ob-old.json 2>/dev/null || continue
        if ! tag=$(ob-unlock -R "$OB_VOLUME_KEY_FILE" $dump </run/ob-old.json 2>/run/ob-tag.err); then
            grep -q '"ownerboot"' /run/ob-old.json && echo "ownerboot: keeping Clevis token $old: $(sed 's/^ob-unlock: //' /run/ob-tag.err)"
            continue
        fi
        oldgen=${tag%% *} oldslot=${tag##* }
        { [ "$oldslot" != "$usedslot" ] && [ "$oldgen" -lt "$booted" ]; } || continue
        if cryptsetup token remove --token-id "$old" "$device" && cryptsetup luksKillSlot -q "$device" "$oldslot"; then
            echo "ownerboot: retired Clevis token $old (sealed for generation $oldgen) and its key slot $oldslot"
            retired=yes
        fi
    done
    rm -f /run/ob-old.json /run/ob-tag.err
    [ $retired = yes ] && echo "ownerboot: key slots now: $(cryptsetup luksDump "$device" | sed -n '/^Keyslots:/,/^Tokens:/s/^  \([0-9]*\): luks2.*/\1/p' | tr '\n' ' ')"
    return 0
}
# The Clevis tokens' ids from one luksDump (every cryptsetup start costs time under emulation),
# kept for ob-unlock -R (the key slots' salts).
cryptsetup luksDump "$device" >$dump 2>/dev/null
ids=$(sed -n '/^Tokens:/,/^Digests:/s/^  \([0-9]*\): clevis.*/\1/p' $dump)
for id in $ids; do
    if cryptsetup token export --token-id "$id" "$device" >/run/ob-token.json 2>/dev/null; then
        found=yes
        # ob-unlock hands the key to cryptsetup itself (which leaves the volume key in
        # OB_VOLUME_KEY_FILE); its status says why a token failed.
        ob-unlock -o "$device" "$name" </run/ob-token.json
        status=$?
        if [ $status = 0 ]; then
            cryptsetup open --volume-key-file "$OB_VOLUME_KEY_FILE" "$device" "$name" || status=5
        fi
        if [ $status = 0 ]; then
            echo "ownerboot: unlocked $device without a passphrase (Clevis token $id)"
            retire "$id"
            rm -f /run/ob-token.json $dump
            exit 0
        fi
        if [ "$status" = 3 ]; then
            pcr2=$(sed 'y/ABCDEF/abcdef/' /sys/class/tpm/tpm0/pcr-sha256/2 2>/dev/null)
            echo "ownerboot: Clevis token $id: the TPM's PCRs differ from the prediction the key was sealed to (PCR 2 is now ${pcr2:-unreadable}; compare with 'ownerboot pcrs ROM')"
        elif [ "$status" = 4 ]; then
            echo "ownerboot: Clevis token $id: tang is not reachable"
        else
            echo "ownerboot: Clevis token $id did not unlock $device"
        fi
    fi
done
rm -f /run/ob-token.json $dump
[ $found = yes ] || echo "ownerboot: no Clevis token on $device"
exit 1
