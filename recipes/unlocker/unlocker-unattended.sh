#!/bin/sh
# ob-unattended DEVICE NAME: open the LUKS2 DEVICE as /dev/mapper/NAME without a person, from
# its Clevis tokens (ob-unlock: TPM2 or tang). The key only ever travels through a pipe from
# ob-unlock into cryptsetup. Exit 0 when opened; otherwise the caller asks for the passphrase.
# With OB_VOLUME_KEY_FILE (a kexec hand-over ahead) the volume key is left in that file too.
device=$1 name=$2
# The kernel command line, read once (words, never file names): tang needs the network,
# ownerboot.net=INTERFACE:ADDRESS:NETMASK; retire needs the generation that booted.
cmdline=$(cat /proc/cmdline) booted=
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
# ownerboot tags the TPM2 tokens it enrols with the ROM generation they are sealed for
# ("ownerboot":{"generation":N,...}: cryptsetup keeps the member, Clevis ignores it).
tag() { sed -n 's/.*"ownerboot":{"generation":\([0-9]*\).*/\1/p' "$1"; }
slot() { sed -n 's/.*"keyslots":\["\([0-9]*\)"\].*/\1/p' "$1"; }
# After an update: once a token sealed for this generation (or a newer one) has opened the disk
# by itself, the tokens ownerboot sealed for older generations are retired, with their key
# slots. Untagged tokens (tang, sss, Clevis's own) and the passphrase's key slot stay.
retire() {
    used=$1 usedgen=$(tag /run/ob-token.json) usedslot=$(slot /run/ob-token.json)
    [ -n "$usedgen" ] && [ -n "$booted" ] && [ "$usedgen" -ge "$booted" ] 2>/dev/null || return 0
    retired=no
    for old in $ids; do
        [ "$old" = "$used" ] && continue
        cryptsetup token export --token-id "$old" "$device" >/run/ob-old.json 2>/dev/null || continue
        oldgen=$(tag /run/ob-old.json) oldslot=$(slot /run/ob-old.json)
        { [ -n "$oldgen" ] && [ -n "$oldslot" ] && [ "$oldslot" != "$usedslot" ] && [ "$oldgen" -lt "$booted" ]; } || continue
        if cryptsetup token remove --token-id "$old" "$device" && cryptsetup luksKillSlot -q "$device" "$oldslot"; then
            echo "ownerboot: retired Clevis token $old (sealed for generation $oldgen) and its key slot $oldslot"
            retired=yes
        fi
    done
    rm -f /run/ob-old.json
    [ $retired = yes ] && echo "ownerboot: key slots now: $(cryptsetup luksDump "$device" | sed -n '/^Keyslots:/,/^Tokens:/s/^  \([0-9]*\): luks2.*/\1/p' | tr '\n' ' ')"
    return 0
}
# The Clevis tokens' ids from one luksDump (every cryptsetup start costs time under emulation).
ids=$(cryptsetup luksDump "$device" 2>/dev/null | sed -n '/^Tokens:/,/^Digests:/s/^  \([0-9]*\): clevis.*/\1/p')
for id in $ids; do
    if cryptsetup token export --token-id "$id" "$device" >/run/ob-token.json 2>/dev/null; then
        found=yes
        # ob-unlock hands the key to cryptsetup itself; its status says why a token failed.
        ob-unlock -o "$device" "$name" </run/ob-token.json
        status=$?
        # Before a kexec hand-over ob-unlock took out the volume key (OB_VOLUME_KEY_FILE): it opens the disk.
        if [ $status = 0 ] && [ -n "$OB_VOLUME_KEY_FILE" ]; then
            cryptsetup open --volume-key-file "$OB_VOLUME_KEY_FILE" "$device" "$name" || status=5
        fi
        if [ $status = 0 ]; then
            echo "ownerboot: unlocked $device without a passphrase (Clevis token $id)"
            retire "$id"
            rm -f /run/ob-token.json
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
rm -f /run/ob-token.json
[ $found = yes ] || echo "ownerboot: no Clevis token on $device"
exit 1
