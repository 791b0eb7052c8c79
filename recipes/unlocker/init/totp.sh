# shellcheck shell=sh
# The code the owner checks before typing (TPM 2.0 boards, after `ownerboot totp enroll`).
# Whatever prints the passphrase prompt gets the passphrase: a normal half replaced by an
# attacker can print the same prompt. The TPM knows (PCR 2 differs), the person does not. So the
# root container carries a TOTP secret sealed to the PCR 2 ownerboot predicted for each boot
# path (LUKS2 tokens of type ownerboot-totp), and before the prompt the unlocker has the TPM
# unseal it (ob-totp) and shows the current RFC 6238 code, which the owner compares with an
# authenticator. A firmware that is not the sealed one cannot show the code; this one says so.
# The secret stays inside ob-totp; only the six digits reach the console. PCR 2 is capped
# before anything else runs (cap.sh), so neither a shell nor the OS can unseal it again.

# show_totp DEVICE: the code, the warning, or nothing (no ownerboot-totp token on DEVICE, or
# nothing left to ask a passphrase for).
show_totp() {
    [ -n "$closed" ] || return 0
    totp_ids=$(cryptsetup luksDump "$1" 2>/dev/null | sed -n '/^Tokens:/,/^Digests:/s/^  \([0-9]*\): ownerboot-totp.*/\1/p')
    [ -n "$totp_ids" ] || return 0
    totp_refused=yes
    for totp_id in $totp_ids; do
        # The token holds only the sealed secret: exporting it to a pipe costs nothing secret.
        totp_code=$(cryptsetup token export --token-id "$totp_id" "$1" 2>/dev/null | ob-totp 2>/dev/null)
        totp_status=$?
        case "$totp_status:$totp_code" in
            0:[0-9][0-9][0-9][0-9][0-9][0-9])
                echo "ownerboot: TOTP code $totp_code (compare it with your authenticator before typing)"
                totp_code=
                return 0
                ;;
            3:*) ;;
            *) totp_refused=no ;;
        esac
    done
    totp_code=
    totp_pcr2=$(sed 'y/ABCDEF/abcdef/' /sys/class/tpm/tpm0/pcr-sha256/2 2>/dev/null)
    if [ $totp_refused = yes ]; then
        echo "ownerboot: WARNING: this firmware is not the one your TOTP secret was sealed to: do not type your passphrase (PCR 2 is ${totp_pcr2:-unreadable}; compare with 'ownerboot pcrs ROM')"
    else
        echo "ownerboot: WARNING: no TOTP code: the TPM did not unseal your TOTP secret (ob-totp status $totp_status): do not type your passphrase unless you know why"
    fi
    return 0
}
