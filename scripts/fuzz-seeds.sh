#!/usr/bin/env bash
# Regenerates the committed seed corpora of the fuzz harnesses (Fuzz/Corpus/<harness>/) from
# coreboot's own tools: small ROMs made by cbfstool and fmaptool (legacy and FMAP layouts,
# LZMA/LZ4 files, a SHA-256 hash attribute, a stage, an ELF and a Linux payload, an ownerboot
# manifest, an Intel flash descriptor), ELF files from gcc, cpio archives, compressed streams,
# TPM 2.0 quotes, signatures and keys from swtpm and tpm2-tools.
# Every seed is small (the whole corpus stays well under 1 MiB) so libFuzzer mutates quickly.
#
# Usage: scripts/fuzz-seeds.sh [OUT_DIR]   (default Fuzz/Corpus; the Boot harnesses' folders in it
# are wiped first; the unlocker's, unlocker-*, come from scripts/fuzz-seeds-unlocker.sh and stay)
# Needs: cbfstool, fmaptool, gcc, cpio, xz, gzip, zstd, lz4, swtpm, tpm2-tools (scripts/setup.sh installs them).
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-Fuzz/Corpus}"
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
for h in fmap fmd cbfs-walk cbfs-edit self bzimage elf cpio ifd manifest decompress inspect; do rm -rf "${out:?}/$h"; mkdir -p "$out/$h"; done

# put32 FILE OFFSET VALUE: a little-endian 32-bit word, in place.
put32() {
    local v=$3
    printf '%b' "$(printf '\\x%02x\\x%02x\\x%02x\\x%02x' $((v & 255)) $((v >> 8 & 255)) $((v >> 16 & 255)) $((v >> 24 & 255)))" |
        dd of="$1" bs=1 seek=$(($2)) conv=notrunc status=none
}
put16() {
    local v=$3
    printf '%b' "$(printf '\\x%02x\\x%02x' $((v & 255)) $((v >> 8 & 255)))" | dd of="$1" bs=1 seek=$(($2)) conv=notrunc status=none
}
put8() { printf '%b' "$(printf '\\x%02x' $(($3)))" | dd of="$1" bs=1 seek=$(($2)) conv=notrunc status=none; }
putstr() { printf '%s' "$3" | dd of="$1" bs=1 seek=$(($2)) conv=notrunc status=none; }
ff() { head -c "$2" /dev/zero | tr '\0' '\377' > "$1"; }  # FILE SIZE: erased flash
# data_of ROM NAME [REGION]: the stored bytes of one CBFS file, from `cbfstool print -k`.
data_of() {
    local rom=$1 name=$2 region=${3:-COREBOOT} base=0 line offset meta size
    local in_region=()
    if [[ "$region" != legacy ]]; then
        in_region=(-r "$region")
        base=$(cbfstool "$rom" layout -w | sed -n "s/^'$region' .*offset \([0-9]*\)).*/\1/p")
    fi
    line=$(cbfstool "$rom" print -k "${in_region[@]}" | awk -F'\t' -v n="$name" '$1 == n')
    offset=$(cut -f2 <<<"$line"); meta=$(cut -f4 <<<"$line"); size=$(cut -f5 <<<"$line")
    dd if="$rom" iflag=skip_bytes,count_bytes skip=$((base + offset + meta)) count=$((size)) status=none
}

# --- raw material --------------------------------------------------------------------------
seq 1 700 | tr '\n' ' ' > "$tmp/text"                     # compressible content
head -c 700 /dev/urandom > "$tmp/random"
cat > "$tmp/tiny.c" <<'C'
int data_var = 42; int bss_var[100];
const char text[] = "6.1.0-fuzz (builder@seed) (gcc) #1 SMP " "coreboot payload seed, compressible "
    "coreboot payload seed, compressible coreboot payload seed, compressible coreboot payload seed";
int table[512] = { [0 ... 511] = 7 };
void _start(void) { for (;;) { bss_var[0] = data_var + table[bss_var[1]] + text[bss_var[2]]; } }
C
gcc -static -nostdlib -O1 -fno-pie -no-pie -Wl,--build-id=none -Wl,-Ttext=0x100000 -s -o "$tmp/tiny.elf" "$tmp/tiny.c"
printf 'int main(void){return 0;}\n' > "$tmp/dyn.c"
# shellcheck disable=SC2016 # $ORIGIN is for the dynamic linker, not the shell
gcc -O1 -s -Wl,-rpath,'$ORIGIN/../lib' -Wl,-soname,libfuzzseed.so.1 -o "$tmp/dyn.elf" "$tmp/dyn.c"
gcc -O1 -s -shared -fPIC -Wl,-soname,libfuzzseed.so.1 -o "$tmp/lib.so" "$tmp/dyn.c"

# A minimal Linux bzImage: two setup sectors with the 2.15 header, a kernel_version string,
# and a "protected-mode" part carrying a release string as a real kernel's rodata does.
bz="$tmp/bzImage"
head -c 1024 /dev/zero > "$bz"
put8 "$bz" 0x1f1 1                 # setup_sects
put32 "$bz" 0x1f4 0x10             # syssize
put16 "$bz" 0x1fe 0xaa55
putstr "$bz" 0x202 HdrS
put16 "$bz" 0x206 0x020f           # protocol 2.15
put16 "$bz" 0x20e 0x100            # kernel_version - 0x200
put8 "$bz" 0x211 1                 # loadflags: LOADED_HIGH
put32 "$bz" 0x22c 0x7fffffff       # initrd_addr_max
put32 "$bz" 0x230 0x200000         # kernel_alignment
put8 "$bz" 0x234 1                 # relocatable
put32 "$bz" 0x238 2047             # cmdline_size
put32 "$bz" 0x258 0x1000000        # pref_address
put32 "$bz" 0x260 0x400000         # init_size
putstr "$bz" 0x300 "6.1.0-fuzz (builder@seed) #1 SMP PREEMPT_DYNAMIC"
{ head -c 200 /dev/zero; printf 'Linux version 6.1.0-fuzz-amd64 (builder@seed) (gcc (Debian 12.2.0-14) 12.2.0) #1 SMP PREEMPT_DYNAMIC Debian 6.1.0'; head -c 300 /dev/zero; } >> "$bz"

# --- flash maps ------------------------------------------------------------------------------
cat > "$tmp/a.fmd" <<'FMD'
FLASH@0xff800000 128K {
	BIOS 48K {
		FMAP 0x200
		RO_VPD(PRESERVE) 0x200
		FW_MAIN_A(CBFS) 16K
	}
	RW_MRC_CACHE(PRESERVE) 4K
	COREBOOT(CBFS)
}
FMD
cat > "$tmp/b.fmd" <<'FMD'
# qemu-x86's shape, scaled down
FLASH@0xff000000 64K {
  SI_ALL 8K { SI_DESC 4K SI_ME }
  RW_MRC_CACHE(PRESERVE) 4K
  FMAP 0x800
  COREBOOT(CBFS)
}
FMD
cat > "$tmp/c.fmd" <<'FMD'
FLASH 0x20000 {
	BIOS@0 0x20000 {
		FMAP@0 0x200
		COREBOOT(CBFS)@0x200 0x1fe00
	}
}
FMD
cp "$tmp"/{a,b,c}.fmd "$out/fmd/"
for f in a b c; do fmaptool "$tmp/$f.fmd" "$tmp/$f.fmap" >/dev/null 2>&1; cp "$tmp/$f.fmap" "$out/fmap/$f.fmap"; done

# --- ROMs ------------------------------------------------------------------------------------
legacy="$tmp/legacy.rom"
cbfstool "$legacy" create -m x86 -s 64K >/dev/null
cbfstool "$legacy" add -f "$tmp/text" -n text.lzma -t raw -c lzma
cbfstool "$legacy" add -f "$tmp/text" -n text.lz4 -t raw -c lz4 -A sha256
cbfstool "$legacy" add -f "$tmp/random" -n random -t raw
cbfstool "$legacy" add-stage -f "$tmp/tiny.elf" -n fallback/romstage -c lzma
cbfstool "$legacy" add-payload -f "$tmp/tiny.elf" -n fallback/payload -c lzma
cp "$legacy" "$out/cbfs-walk/legacy.rom"
cp "$legacy" "$out/inspect/legacy.rom"

fmaprom="$tmp/fmap.rom"
cbfstool "$fmaprom" create -M "$tmp/a.fmap" >/dev/null
# cbfstool only formats COREBOOT; FW_MAIN_A gets an empty 16 KiB CBFS made on the side.
printf 'FLASH 17K {\n FMAP 1K\n COREBOOT(CBFS) 16K\n}\n' > "$tmp/16k.fmd"
fmaptool "$tmp/16k.fmd" "$tmp/16k.fmap" >/dev/null 2>&1
cbfstool "$tmp/16k.rom" create -M "$tmp/16k.fmap" >/dev/null
cbfstool "$tmp/16k.rom" read -r COREBOOT -f "$tmp/16k.cbfs" >/dev/null
dd if="$tmp/16k.cbfs" of="$fmaprom" bs=1 seek="$(cbfstool "$fmaprom" layout -w | sed -n "s/^'FW_MAIN_A' .*offset \([0-9]*\)).*/\1/p")" conv=notrunc status=none
cbfstool "$fmaprom" add -f "$tmp/text" -n text.lzma -t raw -c lzma -r COREBOOT
cbfstool "$fmaprom" add -f "$tmp/random" -n random -t raw -A sha256 -r COREBOOT,FW_MAIN_A
cbfstool "$fmaprom" add-payload -f "$bz" -n fallback/payload -c lzma -C "console=ttyS0" -r COREBOOT
printf '{"board":"qemu-x86","components":{"coreboot":"%064d","rom":"%064d"},"format":1,"generation":3,"setHash":"%064d","version":"fuzz"}' 1 2 3 > "$tmp/manifest.json"
cp "$tmp/manifest.json" "$out/manifest/manifest.json"
cbfstool "$fmaprom" add -f "$tmp/manifest.json" -n ownerboot/manifest -t raw -r COREBOOT
cp "$fmaprom" "$out/inspect/fmap.rom"
cp "$fmaprom" "$out/manifest/fmap.rom"
cbfstool "$fmaprom" read -r COREBOOT -f "$tmp/coreboot.region" >/dev/null
cp "$tmp/coreboot.region" "$out/cbfs-walk/coreboot.region"
data_of "$fmaprom" fallback/payload > "$out/self/linux.self"
data_of "$legacy" fallback/payload legacy > "$out/self/elf.self"
# cbfs-edit: one byte sizing the file to add, then the region.
{ printf '\x10'; cat "$tmp/coreboot.region"; } > "$out/cbfs-edit/coreboot.region"
{ printf '\x03'; head -c 16384 "$legacy"; } > "$out/cbfs-edit/legacy-head"
{ printf '\xff'; cat "$legacy"; } > "$out/cbfs-edit/legacy.rom"

# A chip dump with an Intel flash descriptor, an FMAP and a CBFS: descriptor regions as
# IntelFlashDescriptor.encode writes them (fd 0-0xFFF, me 0x1000-0x1FFF, bios from 0x2000).
ifd="$tmp/ifd.bin"
ff "$ifd" 4096
put32 "$ifd" 0x10 0x0ff0a55a
put32 "$ifd" 0x14 $((0x03 | 0x04 << 16 | 4 << 24))           # FLMAP0: components at 0x30, regions at 0x40
put32 "$ifd" 0x18 $((0x06 | 3 << 8 | 0x10 << 16 | 17 << 24))  # FLMAP1
put32 "$ifd" 0x1c $((0x20 | 1 << 8 | 0x21 << 16))             # FLMAP2
put32 "$ifd" 0x30 0x00000000                                  # FLCOMP: one 512 KiB component
put32 "$ifd" 0x34 0; put32 "$ifd" 0x38 0
put32 "$ifd" 0x40 0x00000000                                  # fd   0x0-0xfff
put32 "$ifd" 0x44 0x007f0002                                  # bios 0x2000-0x7ffff
put32 "$ifd" 0x48 0x00010001                                  # me   0x1000-0x1fff
put32 "$ifd" 0x4c 0x00000fff                                  # gbe  unused
put32 "$ifd" 0x50 0x00000fff                                  # pd   unused
for m in 0 1 2; do put32 "$ifd" $((0x60 + 4 * m)) 0xffff0000; done
cp "$ifd" "$out/ifd/x230-like.ifd"
cp "$ifd" "$out/ifd/two-chips.ifd"
put32 "$out/ifd/two-chips.ifd" 0x14 $((0x03 | 1 << 8 | 0x04 << 16 | 4 << 24))
put32 "$out/ifd/two-chips.ifd" 0x30 $((4 | 3 << 3))          # 8 MiB + 4 MiB
put32 "$out/ifd/two-chips.ifd" 0x44 0x0bff0500                # bios 0x500000-0xbfffff
put32 "$out/ifd/two-chips.ifd" 0x4c 0x00020001                # gbe
dump="$tmp/dump.rom"
cbfstool "$dump" create -M "$tmp/b.fmap" >/dev/null
cbfstool "$dump" add -f "$tmp/manifest.json" -n ownerboot/manifest -t raw
cbfstool "$dump" add -f "$tmp/text" -n text -t raw -c lz4
dd if="$ifd" of="$dump" conv=notrunc status=none
cp "$dump" "$out/inspect/descriptor.rom"
head -c 8192 "$dump" > "$out/inspect/descriptor-only"

# --- payloads, ELF, cpio, streams ------------------------------------------------------------
cp "$bz" "$out/bzimage/bzImage"
head -c 4096 "$bz" > "$out/bzimage/boot-params"
cp "$tmp/tiny.elf" "$out/elf/static.elf"
cp "$tmp/dyn.elf" "$out/elf/dynamic.elf"
cp "$tmp/lib.so" "$out/elf/lib.so"
( cd "$tmp" && mkdir -p root/bin root/etc && cp text root/etc/motd && ln -sf ../etc/motd root/bin/link && mkfifo root/fifo &&
  cd root && find . | LC_ALL=C sort | cpio -o -H newc --quiet --owner 0:0 > ../initramfs.cpio )
cp "$tmp/initramfs.cpio" "$out/cpio/initramfs.cpio"
{ printf '\x00'; xz --format=lzma -c "$tmp/text"; } > "$out/decompress/lzma-alone"
{ printf '\x01'; lz4 -q -c "$tmp/text"; } > "$out/decompress/lz4"
{ printf '\x02'; gzip -n -c "$tmp/text"; } > "$out/decompress/gzip"
{ printf '\x03'; zstd -q -c "$tmp/text"; } > "$out/decompress/zstd"
{ printf '\x04'; xz --check=crc32 -c "$tmp/text"; } > "$out/decompress/xz"
{ printf '\x04'; xz --check=crc32 -c "$tmp/initramfs.cpio"; } > "$out/decompress/xz-cpio"

# --- TPM 2.0 quotes (tpm-quote): a swtpm on loopback, tpm2-tools ------------------------------
# Real structures of both kinds of AK: one of the owner hierarchy (its counters obfuscated) and
# one made by tpm2_createak under the EK (Tests/OrchestratorTests/Attestation makes the same),
# their quotes and signatures, and the EK publics (ECC with a policy and AES; RSA, refused).
rm -rf "${out:?}/tpm-quote"; mkdir -p "$out/tpm-quote" "$tmp/tpm"
port=$(( (RANDOM % 5000 + 10000) * 2 ))
swtpm socket --tpm2 --tpmstate dir="$tmp/tpm" --server type=tcp,port=$port,bindaddr=127.0.0.1 \
    --ctrl type=tcp,port=$((port + 1)),bindaddr=127.0.0.1 --flags startup-clear >"$tmp/swtpm.log" 2>&1 &
tpm_pid=$!
trap 'kill "$tpm_pid" 2>/dev/null || true; rm -rf "$tmp"' EXIT
export TPM2TOOLS_TCTI="swtpm:host=127.0.0.1,port=$port"
for _ in $(seq 50); do tpm2_getrandom 1 >/dev/null 2>&1 && break; sleep 0.1; done
# No resource manager: what a tool leaves loaded is flushed after it.
tpm() { "$@" >/dev/null; tpm2_flushcontext -t; tpm2_flushcontext -s; }
q="$out/tpm-quote"
tpm tpm2_createprimary -C o -g sha256 -G ecc -c "$tmp/primary.ctx"
tpm tpm2_create -C "$tmp/primary.ctx" -G ecc256:ecdsa-sha256:null -a 'fixedtpm|fixedparent|sensitivedataorigin|userwithauth|restricted|sign' \
    -u "$q/public-owner-ak" -r "$tmp/owner-ak.priv"
tpm tpm2_load -C "$tmp/primary.ctx" -u "$q/public-owner-ak" -r "$tmp/owner-ak.priv" -c "$tmp/owner-ak.ctx"
tpm tpm2_createek -c "$tmp/ek.ctx" -G ecc -u "$q/public-ek-ecc"
tpm tpm2_createak -C "$tmp/ek.ctx" -c "$tmp/ak.ctx" -G ecc -g sha256 -s ecdsa -u "$q/public-ek-ak"
tpm tpm2_createek -c "$tmp/ek-rsa.ctx" -G rsa -u "$q/public-ek-rsa"
tpm2_pcrextend "2:sha256=$(printf hi | sha256sum | cut -c1-64)"
tpm tpm2_quote -c "$tmp/owner-ak.ctx" -l sha256:0,1,2,3,4,5,6,7 -q 00112233445566778899aabbccddeeff \
    -m "$q/attest-owner-ak" -s "$q/signature-owner-ak" -g sha256
tpm tpm2_quote -c "$tmp/ak.ctx" -l sha256:0,1,2,3,4,5,6,7 -q 0011223344556677 -m "$q/attest-ek-ak" -s "$q/signature-ek-ak" -g sha256
kill "$tpm_pid"; wait "$tpm_pid" 2>/dev/null || true
chmod 0644 "$q"/*

du -sh "$out"
find "$out" -type f | sort | while read -r f; do printf '%8d %s\n' "$(stat -c %s "$f")" "$f"; done
