/* SPDX-License-Identifier: MIT */
/*
 * DOC: sim arena — size-class allocator on huge pages (see arena.h).
 *
 * Every block has a 16-byte header holding its class (0: a large block
 * from libc, its size next to it). Small blocks are carved from the
 * current chunk by bumping a pointer; a freed block goes on its class's
 * free list, the next allocation of that class takes it back.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "hbeat/hbeat.h"
#include "sim/arena.h"

#define HDR 16u
#define CHUNK ((size_t)64 << 20)
#define HUGE_PAGE ((size_t)2 << 20)
#define SMALL_MAX ((size_t)1024)
#define ARENA_MAX ((size_t)256 << 10)
/* 64 classes of 16 bytes to 1 KiB, then 4 per doubling to 256 KiB. */
#define N_CLASSES (1 + 64 + 8 * 4)

typedef struct chunk {
        struct chunk *next;
        size_t len;                   /* of the mapping */
} chunk_t;

static struct {
        int on;
        chunk_t *chunks;
        uint8_t *bump, *end;
        void *free_list[N_CLASSES];
        size_t bytes;
} A;

static size_t class_of(size_t size)
{
        size_t p = 10, k;

        if (size <= SMALL_MAX)
                return size == 0 ? 1 : (size + 15) / 16;
        while (((size_t)1 << (p + 1)) < size)
                p++;
        /* size in (2^p, 2^(p+1)]: steps of 2^p / 4. */
        k = (size - ((size_t)1 << p) + ((size_t)1 << (p - 2)) - 1) >>
            (p - 2);
        return 64 + (p - 10) * 4 + k;
}

static size_t class_cap(size_t c)
{
        size_t p, k;

        if (c <= 64)
                return c * 16;
        p = 10 + (c - 65) / 4;
        k = (c - 65) % 4 + 1;
        return ((size_t)1 << p) + k * ((size_t)1 << (p - 2));
}

static int chunk_new(void)
{
        size_t len = CHUNK + HUGE_PAGE;
        uint8_t *m = mmap(NULL, len, PROT_READ | PROT_WRITE,
                          MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        uint8_t *start;
        chunk_t *c;

        if (m == MAP_FAILED)
                return -1;
        c = (chunk_t *)(void *)m;
        c->len = len;
        c->next = A.chunks;
        A.chunks = c;
        /* Blocks from the first 2 MiB boundary on, so the chunk's pages
         * can be huge ones. */
        start = (uint8_t *)(((uintptr_t)m + sizeof(*c) + HUGE_PAGE - 1) &
                            ~(uintptr_t)(HUGE_PAGE - 1));
        if (!getenv("HBSIM_NOHUGE"))
                (void)madvise(start, CHUNK, MADV_HUGEPAGE);
        A.bump = start;
        A.end = start + CHUNK;
        A.bytes += len;
        return 0;
}

static void *arena_malloc(size_t size, void *user)
{
        uint8_t *b;
        size_t c, cap;

        (void)user;
        if (size > ARENA_MAX) {
                b = malloc(HDR + size);
                if (!b)
                        return NULL;
                ((size_t *)(void *)b)[0] = 0;
                ((size_t *)(void *)b)[1] = size;
                return b + HDR;
        }
        c = class_of(size);
        if (A.free_list[c]) {
                b = A.free_list[c];
                A.free_list[c] = *(void **)(void *)b;
                return b;
        }
        cap = class_cap(c);
        if ((size_t)(A.end - A.bump) < HDR + cap && chunk_new() < 0)
                return NULL;
        b = A.bump;
        A.bump += HDR + cap;
        ((size_t *)(void *)b)[0] = c;
        return b + HDR;
}

static void arena_free(void *p, void *user)
{
        uint8_t *b = p;
        size_t c;

        (void)user;
        if (!p)
                return;
        c = ((size_t *)(void *)(b - HDR))[0];
        if (c == 0) {
                free(b - HDR);
                return;
        }
        *(void **)p = A.free_list[c];
        A.free_list[c] = p;
}

static size_t block_cap(const void *p)
{
        const size_t *h = (const size_t *)(const void *)((const uint8_t *)p -
                                                           HDR);

        return h[0] == 0 ? h[1] : class_cap(h[0]);
}

static void *arena_calloc(size_t n, size_t size, void *user)
{
        void *p;

        if (size != 0 && n > SIZE_MAX / size)
                return NULL;
        p = arena_malloc(n * size, user);
        if (p)
                memset(p, 0, n * size);
        return p;
}

static void *arena_realloc(void *p, size_t size, void *user)
{
        size_t old;
        void *q;

        if (!p)
                return arena_malloc(size, user);
        old = block_cap(p);
        if (size <= old && size > old / 2)
                return p;
        q = arena_malloc(size, user);
        if (!q)
                return NULL;
        memcpy(q, p, old < size ? old : size);
        arena_free(p, user);
        return q;
}

int hbsim_arena_install(void)
{
        static const hb_allocator_t a = {
                .malloc = arena_malloc,
                .calloc = arena_calloc,
                .realloc = arena_realloc,
                .free = arena_free,
        };
        int r = hb_set_allocator(&a);

        if (r == 0)
                A.on = 1;
        return r;
}

void hbsim_arena_uninstall(void)
{
        if (!A.on)
                return;
        (void)hb_set_allocator(NULL);
        while (A.chunks) {
                chunk_t *c = A.chunks;

                A.chunks = c->next;
                munmap(c, c->len);
        }
        memset(&A, 0, sizeof(A));
}

size_t hbsim_arena_bytes(void)
{
        return A.bytes;
}
