/*
 * Linked into the Native AOT binary only (SecretRotator.csproj, target CompileStartupNative). Runs before main, so
 * before the runtime starts: it asks the kernel for transparent huge pages on the executable's zero-initialised
 * tail (.bss and .hydrated). The runtime fills .hydrated (about 30 MiB of type data, "rehydrated" from the binary)
 * on every start; in 4 KiB pages that is some 7,500 page faults, most of a short command's start-up
 * (docs/performance.md, "credential-provider: exec to response"). Where THP is "madvise" (the usual default) this
 * makes it a few dozen faults; where it is "always" or "never" the call changes nothing. Any failure is ignored:
 * the pages are then the ordinary ones. SECRET_ROTATOR_HUGEPAGES=0 skips it (to measure the difference).
 */
#define _GNU_SOURCE
#include <link.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* Only a tail this large is worth it: a huge page is 2 MiB. */
#define MIN_TAIL (4u << 20)

static int advise_main_program(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    (void)data;
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    for (int i = 0; i < info->dlpi_phnum; i++)
    {
        const ElfW(Phdr) *segment = &info->dlpi_phdr[i];
        if (segment->p_type != PT_LOAD || segment->p_memsz < segment->p_filesz + MIN_TAIL)
            continue;
        uintptr_t start = info->dlpi_addr + segment->p_vaddr + segment->p_filesz;
        uintptr_t end = info->dlpi_addr + segment->p_vaddr + segment->p_memsz;
        start = (start + page - 1) & ~(page - 1);
        end = (end + page - 1) & ~(page - 1);
        (void)madvise((void *)start, end - start, MADV_HUGEPAGE);
    }
    return 1; /* the first object is the executable itself; the shared libraries are not ours */
}

__attribute__((constructor)) static void secret_rotator_hugepages(void)
{
    const char *setting = getenv("SECRET_ROTATOR_HUGEPAGES");
    if (setting != NULL && strcmp(setting, "0") == 0)
        return;
    dl_iterate_phdr(advise_main_program, NULL);
}
