/* ob-kexec: the smallest kexec for ownerboot's unlocker, without kexec-tools (whose Debian build
 * needs ~1 MiB of Xen libraries). kexec_file_load(2): the running kernel parses the bzImage and
 * builds the purgatory itself, so no userspace loader is needed.
 *   ob-kexec KERNEL INITRD "COMMAND LINE"   load it
 *   ob-kexec -e                             jump into the loaded kernel (reboot(KEXEC))
 * Build: gcc -Os -o ob-kexec ob-kexec.c && strip ob-kexec (dynamic: the unlocker already carries
 * glibc for cryptsetup; a -static glibc build is ~670 KiB)  */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/reboot.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc == 2 && strcmp(argv[1], "-e") == 0) {
        sync();
        syscall(SYS_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2, LINUX_REBOOT_CMD_KEXEC, NULL);
        perror("ob-kexec: reboot(LINUX_REBOOT_CMD_KEXEC)");
        return 1;
    }
    if (argc != 4) {
        fprintf(stderr, "usage: ob-kexec KERNEL INITRD CMDLINE | ob-kexec -e\n");
        return 2;
    }
    int kernel = open(argv[1], O_RDONLY | O_CLOEXEC);
    int initrd = open(argv[2], O_RDONLY | O_CLOEXEC);
    if (kernel < 0 || initrd < 0) { perror("ob-kexec: open"); return 1; }
    /* The command line length includes its NUL. */
    if (syscall(SYS_kexec_file_load, kernel, initrd, strlen(argv[3]) + 1, argv[3], 0UL) != 0) {
        perror("ob-kexec: kexec_file_load");
        return 1;
    }
    return 0;
}
