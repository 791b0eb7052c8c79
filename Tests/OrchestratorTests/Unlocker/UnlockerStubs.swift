import Foundation

/// The stub tools of `UnlockerRoot`: each logs its call to /log/calls ("name arguments") and
/// acts on the world described under /stub. Tools that never return in the initramfs (the
/// rescue shell's loop, the jump into a kexec'd kernel) stop the unlocker (SIGKILL to their
/// parent, the unlocker's shell); switch_root, exec'd, ends it with status 0.
enum UnlockerStubs {
    /// Logs its call and succeeds: umount, sleep (the disk search's wait costs nothing here),
    /// switch_root, stty, mknod (stage 1's /dev nodes for stage 2), modprobe.
    static let logOnly = #"""
        #!/bin/sh
        echo "${0##*/} $*" >>/log/calls
        exit 0
        """#

    /// In /bin, in place of the busybox applets of the same name.
    static let bin: [(String, String)] = [
        ("mount", #"""
        #!/bin/sh
        echo "mount $*" >>/log/calls
        # The root file systems: the fixture's OS tree appears at /mnt/root.
        for arg; do source=$target target=$arg; done
        case "$source" in
        /dev/mapper/os|/dev/mapper/root)
            [ -e "$source" ] || { echo "mount: mounting $source on $target failed: No such device" >&2; exit 1; }
            [ -e /stub/mount-fails ] && { echo "mount: mounting $source on $target failed: Invalid argument" >&2; exit 1; }
            cp -a /stub/os/. "$target/";;
        esac
        exit 0
        """#),
        ("setsid", #"""
        #!/bin/sh
        # The rescue shell: logged, then the unlocker (which would loop for ever) is stopped.
        echo "setsid $*" >>/log/calls
        kill -KILL "$PPID"
        """#),
        ("uname", #"""
        #!/bin/sh
        echo "uname $*" >>/log/calls
        echo 6.1.0-27-amd64
        """#),
        ("poweroff", #"""
        #!/bin/sh
        # The machine turned off: logged, then the unlocker is stopped.
        echo "poweroff $*" >>/log/calls
        kill -KILL "$PPID"
        """#),
        ("umount", logOnly), ("sleep", logOnly), ("switch_root", logOnly), ("stty", logOnly), ("mknod", logOnly), ("modprobe", logOnly),
    ]

    /// In /sbin, where the recipe puts the real ones.
    static let sbin: [(String, String)] = [
        ("cryptsetup", #"""
        #!/bin/sh
        # A LUKS2 container is /stub/luks/<device name>/: uuid, passphrase, volume-key, keyslots, tokens, token-<id>.
        echo "cryptsetup $*" >>/log/calls
        luks() { echo "/stub/luks/${1##*/}"; }
        right_key() {
            key=$(cat)
            [ -f "$(luks "$1")/passphrase" ] && [ "$key" = "$(cat "$(luks "$1")/passphrase")" ] && return 0
            # The state's key bound to the root (ob-unlock -s of the root's volume key).
            [ -f "$(luks "$1")/bound-key" ] && [ "$key" = "$(cat "$(luks "$1")/bound-key")" ] && return 0
            echo "No key available with this passphrase." >&2
            exit 2
        }
        case "$1" in
        luksUUID)
            [ -f "$(luks "$2")/uuid" ] && exec cat "$(luks "$2")/uuid"
            echo "Device $2 is not a valid LUKS device." >&2
            exit 1;;
        open)
            if [ "$2" = --key-file=- ]; then
                device=$3 name=$4
                right_key "$device"
            else
                device=$4 name=$5
                [ "$(cat "$3")" = "$(cat "$(luks "$device")/volume-key")" ] || { echo "Volume key does not match the volume." >&2; exit 1; }
            fi
            [ -e "/dev/mapper/$name" ] && { echo "Device $name already exists." >&2; exit 5; }
            echo "$device" >"/dev/mapper/$name";;
        luksDump)
            if [ "$2" = --dump-volume-key ]; then
                right_key "$7"
                cp "$(luks "$7")/volume-key" "$4"
            else
                echo "Keyslots:"
                cat "$(luks "$2")/keyslots" 2>/dev/null
                echo "Tokens:"
                cat "$(luks "$2")/tokens" 2>/dev/null
                echo "Digests:"
            fi;;
        luksAddKey)
            # luksAddKey --batch-mode --pbkdf P --pbkdf-force-iterations N --volume-key-file F DEVICE /dev/stdin
            [ "$(cat "$8")" = "$(cat "$(luks "$9")/volume-key")" ] || { echo "Volume key does not match the volume." >&2; exit 1; }
            cat >"$(luks "$9")/bound-key";;
        luksKillSlot)
            sed -i "/^  $4: /d" "$(luks "$3")/keyslots";;
        close)
            rm -f "/dev/mapper/$2";;
        token)
            [ -f "$(luks "$5")/token-$4" ] || exit 1
            [ "$2" = export ] && exec cat "$(luks "$5")/token-$4"
            [ "$2" = remove ] && exec rm "$(luks "$5")/token-$4"
            exit 1;;
        *)
            echo "cryptsetup stub: $1 is not stubbed" >&2
            exit 1;;
        esac
        """#),
        ("veritysetup", #"""
        #!/bin/sh
        # The verity image's root hash is /stub/verity-hash; /stub/verity-bad-block makes the first
        # 4 MiB unreadable (os-check is then a folder: dd fails to read it).
        echo "veritysetup $*" >>/log/calls
        case "$1" in
        open)
            [ "$5" = "$(cat /stub/verity-hash)" ] || { echo "Verity device detected corruption after activation." >&2; exit 1; }
            if [ -e /stub/verity-bad-block ] && [ "$3" = os-check ]; then mkdir "/dev/mapper/$3"; else echo "$2" >"/dev/mapper/$3"; fi;;
        close)
            rm -rf "/dev/mapper/$2";;
        esac
        """#),
        ("ob-kexec", #"""
        #!/bin/sh
        echo "ob-kexec $*" >>/log/calls
        if [ "$1" = -e ]; then kill -KILL "$PPID"; exit 1; fi
        cp "$2" /log/stage2.cpio && printf '%s' "$3" >/log/stage2.cmdline
        """#),
        ("ob-unlock", #"""
        #!/bin/sh
        # ob-unlock -o DEVICE NAME < token: the token yields DEVICE's volume key when /stub/luks/<device>/token-opens
        # exists or the token says "opens":true; otherwise tang is not reachable (status 4).
        echo "ob-unlock $*" >>/log/calls
        # -s VKFILE: the state's key derived from the root's volume key.
        if [ "$1" = -s ]; then printf 'bound-to:%s' "$(cat "$2")"; exit 0; fi
        # -R VKFILE DUMP < token: a tag is authentic when it says "mac":"good-for-<volume key>";
        # prints its generation, path and slot.
        if [ "$1" = -R ]; then
            token=$(cat)
            case "$token" in *"\"mac\":\"good-for-$(cat "$2")\""*) ;; *) echo "ob-unlock: the token's ownerboot tag is not authentic" >&2; exit 1;; esac
            gen=$(echo "$token" | sed -n 's/.*"generation":\([0-9]*\).*/\1/p') slot=$(echo "$token" | sed -n 's/.*"slot":\([0-9]*\).*/\1/p')
            echo "$gen fallback $slot"; exit 0
        fi
        # -x PCR FILE: the extend (the cap) succeeds unless /stub/tpm-refuses exists.
        if [ "$1" = -x ]; then [ -e /stub/tpm-refuses ] && exit 1; echo "extended PCR $2" >>/log/tpm; exit 0; fi
        [ "$1" = -o ] || exit 1
        [ -e "/stub/luks/${2##*/}/token-opens" ] || grep -q '"opens":true' || exit 4
        # The unlocker always sets OB_VOLUME_KEY_FILE: the key yields the volume key there.
        cp "/stub/luks/${2##*/}/volume-key" "$OB_VOLUME_KEY_FILE"
        """#),
    ]
}
