#!/usr/bin/env bash
# Regenerates the seeds of the unlocker's fuzz harnesses (Fuzz/Corpus/unlocker-<harness>/seed-*)
# from the real tools: LUKS2 tokens made by `clevis luks bind` (Clevis 19) with a software TPM
# (swtpm) and a tang server, compact JWEs from `clevis encrypt` and `jose jwe enc`, the shares
# an sss token's inner pins hold (`clevis decrypt`), tang's own HTTP replies and swtpm's
# responses to the commands ob-unlock sends (recorded by a relay on loopback). Every token is
# also opened with ob-unlock (built with recipes/unlocker/ob-unlock/Makefile), so the script
# fails when ob-unlock and Clevis stop agreeing. Regression inputs (regress-*) are kept.
#
# Usage: scripts/fuzz-seeds-unlocker.sh [OUT_DIR]   (default Fuzz/Corpus)
# Needs: clevis, clevis-luks, clevis-tpm2, jose, tang, swtpm, tpm2-tools, cryptsetup, python3, gcc, make.
# The seeds hold no secret of the project: throwaway keys, a throwaway TPM, a passphrase "seed".
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-Fuzz/Corpus}"
tmp="${KEEP_TMP:-$(mktemp -d)}"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT
harnesses=(token jwe sss tang tpm derive)
for h in "${harnesses[@]}"; do
    mkdir -p "$out/unlocker-$h"
    rm -f "$out/unlocker-$h"/seed-*
done
make -s -C recipes/unlocker/ob-unlock O="$tmp/build" ob-unlock
unlock="$tmp/build/ob-unlock"

# A relay on loopback that records what the server sends on each connection (RECORD.N), and a
# listener that runs tang (inetd-style) once per connection. Each writes its port to a file.
cat >"$tmp/relay.py" <<'PY'
import socket, subprocess, sys, threading
mode, portfile = sys.argv[1], sys.argv[2]
server = socket.socket(); server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", 0)); server.listen(16)
open(portfile, "w").write(str(server.getsockname()[1]))
count = 0
def pump(src, dst, record):
    while True:
        data = src.recv(65536)
        if not data:
            break
        if record:
            record.write(data); record.flush()
        dst.sendall(data)
    try: dst.shutdown(socket.SHUT_WR)
    except OSError: pass
while True:
    client, _ = server.accept()
    if mode == "tang":
        subprocess.Popen([sys.argv[3], sys.argv[4]], stdin=client.fileno(), stdout=client.fileno(), stderr=subprocess.DEVNULL)
        client.close()
        continue
    upstream = socket.create_connection(("127.0.0.1", int(sys.argv[3])))
    record = open("%s.%d" % (sys.argv[4], count), "wb"); count += 1
    threading.Thread(target=pump, args=(client, upstream, None), daemon=True).start()
    threading.Thread(target=pump, args=(upstream, client, record), daemon=True).start()
PY
records() { local n=0 f; for f in "$tmp/$1".*; do [[ -e $f ]] && n=$((n + 1)); done; echo "$n"; }
# tpmseed MODE STREAM: the harness's form of a recorded response stream (Fuzz/Unlocker/tpm.c):
# the mode byte, then each response (split at its own size field) after a 16-bit length.
tpmseed() {
    python3 - "$1" "$2" <<'PY'
import struct, sys
mode, stream = int(sys.argv[1]), open(sys.argv[2], "rb").read()
out = bytes([mode])
while len(stream) >= 10:
    size = struct.unpack(">I", stream[2:6])[0]
    out += struct.pack(">H", size) + stream[:size]
    stream = stream[size:]
sys.stdout.buffer.write(out)
PY
}
waitport() { for _ in $(seq 100); do [[ -s "$1" ]] && { cat "$1"; return; }; sleep 0.1; done; echo "no port in $1" >&2; exit 1; }

# --- a TPM 2.0 and a TPM 1.2 (swtpm on loopback) --------------------------------------------
start_swtpm() { # STATE_DIR [--tpm2]: sets port (not in a subshell: pids must keep swtpm's)
    local dir=$1; shift
    mkdir -p "$dir"
    for _ in 1 2 3 4 5 6 7 8; do
        port=$((20000 + RANDOM % 12000))
        swtpm socket "$@" --tpmstate dir="$dir" --server type=tcp,port=$port,bindaddr=127.0.0.1 \
            --ctrl type=tcp,port=$((port + 1)),bindaddr=127.0.0.1 --flags startup-clear >"$dir.log" 2>&1 &
        local pid=$!
        for _ in $(seq 50); do
            if python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$port),0.2)" 2>/dev/null; then
                pids+=("$pid"); return
            fi
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill "$pid" 2>/dev/null || true
    done
    echo "swtpm did not start: $(cat "$dir.log")" >&2
    exit 1
}
start_swtpm "$tmp/tpm2" --tpm2; tpm2port=$port
start_swtpm "$tmp/tpm12"; tpm12port=$port
export TPM2TOOLS_TCTI="swtpm:host=127.0.0.1,port=$tpm2port"
python3 "$tmp/relay.py" relay "$tmp/tpm2-relay.port" "$tpm2port" "$tmp/tpm2-rsp" & pids+=($!)
python3 "$tmp/relay.py" relay "$tmp/tpm12-relay.port" "$tpm12port" "$tmp/tpm12-rsp" & pids+=($!)
tpm2relay=$(waitport "$tmp/tpm2-relay.port")
tpm12relay=$(waitport "$tmp/tpm12-relay.port")

# --- tang, behind a recording relay -----------------------------------------------------------
mkdir -p "$tmp/tang"
/usr/libexec/tangd-keygen "$tmp/tang"
python3 "$tmp/relay.py" tang "$tmp/tang.port" /usr/libexec/tangd "$tmp/tang" & pids+=($!)
tangport=$(waitport "$tmp/tang.port")
python3 "$tmp/relay.py" relay "$tmp/tang-relay.port" "$tangport" "$tmp/tang-rsp" & pids+=($!)
tang="http://127.0.0.1:$(waitport "$tmp/tang-relay.port")"

# --- LUKS2 tokens from `clevis luks bind`, each opened by ob-unlock ---------------------------
disk="$tmp/disk.img"
truncate -s 20M "$disk"
printf seed | cryptsetup luksFormat -q --type luks2 --luks2-metadata-size 512k --pbkdf pbkdf2 --pbkdf-force-iterations 1000 --key-file - "$disk"
declare -A configs=(
    [tpm2-pcr7]='tpm2 {"pcr_bank":"sha256","pcr_ids":"7"}'
    [tpm2-sha1-pcr0-2]='tpm2 {"pcr_bank":"sha1","pcr_ids":"0,2"}'
    [tpm2-nopcr]='tpm2 {}'
    [tang]="tang {\"url\":\"$tang\"}"
    [sss-tpm2-tang]="sss {\"t\":2,\"pins\":{\"tpm2\":{\"pcr_bank\":\"sha256\",\"pcr_ids\":\"7\"},\"tang\":{\"url\":\"$tang\"}}}"
    [sss-1-of-2-tang]="sss {\"t\":1,\"pins\":{\"tang\":[{\"url\":\"$tang\"},{\"url\":\"$tang\"}]}}"
)
slot=0
for name in tpm2-pcr7 tpm2-sha1-pcr0-2 tpm2-nopcr tang sss-tpm2-tang sss-1-of-2-tang; do
    read -r pin config <<<"${configs[$name]}"
    printf seed | clevis luks bind -y -k - -d "$disk" "$pin" "$config"
    # tpm2-tools without a resource manager leave a policy session loaded per PCR-bound bind,
    # and swtpm holds three.
    tpm2_flushcontext -l
    token="$out/unlocker-token/seed-$name.json"
    cryptsetup token export --token-id "$slot" "$disk" >"$token"
    slot=$((slot + 1))
    # ob-unlock recovers the key clevis bound, and it opens the disk.
    before=$(records tpm2-rsp)
    "$unlock" -t "$tpm2relay" <"$token" >"$tmp/key" || { echo "ob-unlock did not open the $name token (exit $?)" >&2; exit 1; }
    cryptsetup open --test-passphrase --key-file "$tmp/key" "$disk" || { echo "the key ob-unlock recovered from $name does not open the disk" >&2; exit 1; }
    # swtpm's responses to the unseal (mode byte 0: with PCRs, 1: without).
    if [[ $name == tpm2-* ]]; then
        mode=0; [[ $name == tpm2-nopcr ]] && mode=1
        tpmseed "$mode" "$tmp/tpm2-rsp.$before" >"$out/unlocker-tpm/seed-unseal-$name"
    fi
    echo "fuzz-seeds-unlocker: $name: clevis luks bind -> ob-unlock opened the disk"
done
# --- JWEs: compact forms from clevis, and one jose makes with the harness's fixed key ----------
json_get() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }
b64d() { python3 -c 'import base64,sys; s=sys.stdin.read().strip(); sys.stdout.buffer.write(base64.urlsafe_b64decode(s + "=" * (-len(s) % 4)))'; }
printf seed | clevis encrypt tpm2 '{"pcr_bank":"sha256","pcr_ids":"0"}' >"$out/unlocker-jwe/seed-clevis-tpm2"
tpm2_flushcontext -l
printf seed | clevis encrypt tang "{\"url\":\"$tang\"}" -y >"$out/unlocker-jwe/seed-clevis-tang"
printf seed | clevis encrypt sss "{\"t\":1,\"pins\":{\"tang\":[{\"url\":\"$tang\"}]}}" -y >"$out/unlocker-jwe/seed-clevis-sss"
# The harness decrypts with the key 00 01 02 ... 1f (Fuzz/Unlocker/jwe.c).
key=$(python3 -c 'import base64; print(base64.urlsafe_b64encode(bytes(range(32))).decode().rstrip("="))')
printf '{"kty":"oct","k":"%s"}' "$key" >"$tmp/key.jwk"
printf '{"kty":"oct","k":"%s"}' "$(python3 -c 'import base64,os; print(base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("="))')" |
    jose jwe enc -i '{"protected":{"alg":"dir","enc":"A256GCM","clevis":{"pin":"tpm2"}}}' -k "$tmp/key.jwk" -I - -c \
    >"$out/unlocker-jwe/seed-jose-fixed-key"

# --- sss: headers, and the shares of a real token (x ‖ y, from `clevis decrypt` of each pin) ---
for name in sss-tpm2-tang sss-1-of-2-tang; do
    json_get 'd["jwe"]["protected"]' <"$out/unlocker-token/seed-$name.json" | b64d >"$out/unlocker-sss/seed-header-$name"
done
# Mode bytes (Fuzz/Unlocker/sss.c): 's' then the share count, the 32-byte prime, the shares.
header="$out/unlocker-sss/seed-header-sss-tpm2-tang"
python3 - "$header" "$tmp/prime" <<'PY'
import base64, json, sys
h = json.load(open(sys.argv[1]))
s = h["clevis"]["sss"]["p"]
open(sys.argv[2], "wb").write(base64.urlsafe_b64decode(s + "=" * (-len(s) % 4)))
PY
i=0
for jwe in $(json_get '" ".join(d["clevis"]["sss"]["jwe"])' <"$header"); do
    printf '%s' "$jwe" | clevis decrypt >"$tmp/share.$i"
    tpm2_flushcontext -l
    [[ $(stat -c %s "$tmp/share.$i") == 64 ]] || { echo "an sss share is not 64 bytes" >&2; exit 1; }
    i=$((i + 1))
done
{ printf 's\x02'; cat "$tmp/prime" "$tmp/share.0" "$tmp/share.1"; } >"$out/unlocker-sss/seed-shares-2"
{ printf 's\x01'; cat "$tmp/prime" "$tmp/share.1"; } >"$out/unlocker-sss/seed-shares-1"
{ printf 's\x02'; cat "$tmp/prime" "$tmp/share.0" "$tmp/share.0"; } >"$out/unlocker-sss/seed-shares-same-x"
# 'p': the property mode, t = 3 (a count byte of 2), three coefficients and three x values.
python3 -c 'import hashlib,sys; sys.stdout.buffer.write(b"p\x02" + b"".join(hashlib.sha256(b"%d" % i).digest() for i in range(6)))' \
    >"$out/unlocker-sss/seed-property-t3"

# --- TPM responses to a refused unseal and to -x -------------------------------------------
# Refused: PCR 7 moves on; the unseal's response stream ends in a policy failure.
tpm2_pcrextend "7:sha256=$(printf '%064d' 1)"
before=$(records tpm2-rsp)
status=0; "$unlock" -t "$tpm2relay" <"$out/unlocker-token/seed-tpm2-pcr7.json" >/dev/null 2>&1 || status=$?
[[ $status == 3 ]] || { echo "ob-unlock did not report the refusal (exit $status)" >&2; exit 1; }
tpmseed 0 "$tmp/tpm2-rsp.$before" >"$out/unlocker-tpm/seed-unseal-refused"
# -x measurements on both TPM families (mode 2: TPM 2.0 extend, 3: TPM 1.2 extend).
head -c 4096 /dev/urandom >"$tmp/kernel"
before=$(records tpm2-rsp)
"$unlock" -t "$tpm2relay" -V 2 -x 8 "$tmp/kernel" >/dev/null
tpmseed 2 "$tmp/tpm2-rsp.$before" >"$out/unlocker-tpm/seed-extend-tpm2"
"$unlock" -t "$tpm12relay" -V 1 -x 8 "$tmp/kernel" >/dev/null
tpmseed 3 "$tmp/tpm12-rsp.0" >"$out/unlocker-tpm/seed-extend-tpm12"
status=0; "$unlock" -t "$tpm12relay" -V 2 -x 8 "$tmp/kernel" >/dev/null 2>&1 || status=$?
tpmseed 2 "$tmp/tpm12-rsp.1" >"$out/unlocker-tpm/seed-extend-tpm2-on-tpm12"

# --- tang's HTTP replies: what the relay recorded (advertisements, recoveries), and errors -----
for reply in "$tmp"/tang-rsp.*; do
    [[ -s "$reply" ]] || continue
    cp "$reply" "$out/unlocker-tang/seed-reply-$(sha256sum <"$reply" | cut -c1-12)"
done
printf 'POST /rec/nosuchkey HTTP/1.1\r\nContent-Type: application/jwk+json\r\nContent-Length: 2\r\n\r\n{}' |
    /usr/libexec/tangd "$tmp/tang" >"$out/unlocker-tang/seed-reply-unknown-key" 2>/dev/null || true
printf 'GET /nothing HTTP/1.1\r\n\r\n' | /usr/libexec/tangd "$tmp/tang" >"$out/unlocker-tang/seed-reply-not-found" 2>/dev/null || true

# --- derive (ob-unlock -R): a real luksDump with two key slots, a NUL, then a token ------------
truncate -s 20M "$tmp/derive.luks"
printf 'seed' | cryptsetup luksFormat -q --type luks2 --pbkdf pbkdf2 --pbkdf-force-iterations 1000 --key-file - "$tmp/derive.luks"
printf 'seed' >"$tmp/derive.pass"
printf 'tok' | cryptsetup luksAddKey --batch-mode --pbkdf pbkdf2 --pbkdf-force-iterations 1000 --key-file "$tmp/derive.pass" "$tmp/derive.luks" /dev/stdin
tag='"ownerboot":{"generation":6,"mac":"'$(printf '0f%.0s' $(seq 32))'","path":"fallback","slot":1,"srk":"000b00"}'
{ cryptsetup luksDump "$tmp/derive.luks"; printf '\0{"jwe":{"protected":"e30"},"keyslots":["1"],%s,"type":"clevis"}' "$tag"; } >"$out/unlocker-derive/seed-luksdump-tag"
{ cryptsetup luksDump "$tmp/derive.luks"; printf '\0{"keyslots":["0"],"type":"clevis"}'; } >"$out/unlocker-derive/seed-luksdump-untagged"

for h in "${harnesses[@]}"; do
    printf 'fuzz-seeds-unlocker: unlocker-%-6s %3d seeds, %6d bytes\n' "$h" "$(find "$out/unlocker-$h" -type f | wc -l)" "$(cat "$out/unlocker-$h"/* | wc -c)"
done
