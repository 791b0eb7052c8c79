#!/bin/sh
# ob-unattended DEVICE NAME: open the LUKS2 DEVICE as /dev/mapper/NAME without a person, from
# its Clevis tokens (ob-unlock: TPM2). The key only ever travels through a pipe into
# cryptsetup. Exit 0 when opened; otherwise the caller asks for the passphrase.
device=$1 name=$2
found=no
id=0
while [ $id -lt 32 ]; do
    if cryptsetup token export --token-id $id "$device" >/run/ob-token.json 2>/dev/null && grep -q '"clevis"' /run/ob-token.json; then
        found=yes
        # ob-unlock's own status (not cryptsetup's) says why a token failed.
        { ob-unlock </run/ob-token.json; echo $? >/run/ob-unlock.status; } | cryptsetup open --key-file=- "$device" "$name" 2>/run/ob-cryptsetup.err
        opened=$?
        status=$(cat /run/ob-unlock.status)
        if [ $opened = 0 ] && [ "$status" = 0 ]; then
            echo "ownerboot: unlocked $device without a passphrase (Clevis token $id)"
            rm -f /run/ob-token.json
            exit 0
        fi
        if [ "$status" = 3 ]; then
            pcr2=$(sed 'y/ABCDEF/abcdef/' /sys/class/tpm/tpm0/pcr-sha256/2 2>/dev/null)
            echo "ownerboot: Clevis token $id: the TPM's PCRs differ from the prediction the key was sealed to (PCR 2 is now ${pcr2:-unreadable}; compare with 'ownerboot pcrs ROM')"
        else
            echo "ownerboot: Clevis token $id did not unlock $device"
        fi
    fi
    id=$((id + 1))
done
rm -f /run/ob-token.json
[ $found = yes ] || echo "ownerboot: no Clevis token on $device"
exit 1
