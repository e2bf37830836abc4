/*
 * keel-fsrevert — the chaos suite's file-system fault tool, run in a Keel member's container before the member
 * starts (see chaos/src/main/sh/keel-node-run.sh). Commands:
 *
 *   manifest <root> <manifest>          list every regular file under root as "<ino> <size> <path>"
 *   revert <root> <ledger> <manifest>   put every file back to what the ledger (fsledger.c) says was synced:
 *                                       a file created in the last incarnation and never synced is deleted,
 *                                       or emptied if its directory was fsynced after its creation;
 *                                       a file longer than its synced size (or its size at the incarnation's
 *                                       start, from the manifest) is truncated; the range written after the
 *                                       last sync (from the lowest such write) up to that size is zeroed
 *   flip <file> <offset> <bit> <backup> copy file to backup, then invert one bit of file
 *
 * Zeroing from the lowest unsynced write to the durable size models sequential writers (the WAL appends into
 * zero-filled, preallocated segments; RocksDB appends): the bytes after their write head are zeros anyway.
 * Prints one line per change to stdout and a summary; exits non-zero (and changes nothing more) on any error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TABLE_BITS 16
#define TABLE_SIZE (1u << TABLE_BITS)

typedef struct {
  unsigned long long ino;
  int used;
  int created;
  int synced;
  long long synced_size;
  long long dirty_lo; /* -1: nothing written since the last sync (or creation) */
  int in_manifest;
  long long manifest_size;
  long created_line; /* ledger line of the last C */
  long dir_synced_line; /* for a directory: ledger line of its last P */
} entry;

static entry table[TABLE_SIZE];
static unsigned distinct;
static FILE *manifest_out;
static int failures;
static long deleted, truncated, zeroed, kept;

static entry *lookup(unsigned long long ino, int create) {
  unsigned h = (unsigned) ((ino * 0x9E3779B97F4A7C15ull) >> (64 - TABLE_BITS));
  for (unsigned i = 0; i < TABLE_SIZE; i++) {
    entry *e = &table[(h + i) & (TABLE_SIZE - 1)];
    if (e->used && e->ino == ino) {
      return e;
    }
    if (!e->used) {
      if (!create) {
        return NULL;
      }
      if (distinct + 1 >= TABLE_SIZE / 2) {
        fprintf(stderr, "keel-fsrevert: more than %u files in the ledger\n", TABLE_SIZE / 2);
        exit(2);
      }
      distinct++;
      e->used = 1;
      e->ino = ino;
      e->dirty_lo = -1;
      return e;
    }
  }
  exit(2);
}

static int write_manifest_entry(const char *path, const struct stat *st, int type, struct FTW *f) {
  (void) f;
  if (type == FTW_F && S_ISREG(st->st_mode)) {
    fprintf(manifest_out, "%llu %lld %s\n", (unsigned long long) st->st_ino, (long long) st->st_size, path);
  }
  return 0;
}

static int cmd_manifest(const char *root, const char *manifest) {
  char tmp[PATH_MAX];
  snprintf(tmp, sizeof(tmp), "%s.tmp", manifest);
  manifest_out = fopen(tmp, "w");
  if (!manifest_out) {
    fprintf(stderr, "keel-fsrevert: cannot write %s: %s\n", tmp, strerror(errno));
    return 2;
  }
  if (access(root, F_OK) == 0 && nftw(root, write_manifest_entry, 32, FTW_PHYS) != 0) {
    fprintf(stderr, "keel-fsrevert: cannot walk %s: %s\n", root, strerror(errno));
    return 2;
  }
  if (fclose(manifest_out) != 0 || rename(tmp, manifest) != 0) {
    fprintf(stderr, "keel-fsrevert: cannot write %s: %s\n", manifest, strerror(errno));
    return 2;
  }
  return 0;
}

static int zero_range(const char *path, long long from, long long to) {
  int fd = open(path, O_WRONLY);
  if (fd < 0) {
    return -1;
  }
  static char zeros[1 << 16];
  for (long long off = from; off < to;) {
    size_t n = (size_t) (to - off < (long long) sizeof(zeros) ? to - off : (long long) sizeof(zeros));
    ssize_t w = pwrite(fd, zeros, n, off);
    if (w <= 0) {
      close(fd);
      return -1;
    }
    off += w;
  }
  return close(fd);
}

/* Whether the file's directory (by inode: it may have been renamed since) was fsynced after the file's creation. */
static int parent_synced_after(const char *path, long created_line) {
  char dir[PATH_MAX];
  snprintf(dir, sizeof(dir), "%s", path);
  char *slash = strrchr(dir, '/');
  if (!slash) {
    return 0;
  }
  *slash = 0;
  struct stat st;
  if (stat(dir[0] ? dir : "/", &st) != 0) {
    return 0;
  }
  entry *d = lookup((unsigned long long) st.st_ino, 0);
  return d && d->dir_synced_line > created_line;
}

static int revert_entry(const char *path, const struct stat *st, int type, struct FTW *f) {
  (void) f;
  if (type != FTW_F || !S_ISREG(st->st_mode)) {
    return 0;
  }
  entry *e = lookup((unsigned long long) st->st_ino, 0);
  if (!e || (!e->created && !e->synced && e->dirty_lo < 0)) {
    kept++;
    return 0;
  }
  if (e->created && !e->synced && parent_synced_after(path, e->created_line)) {
    /* Its directory entry was made durable, its content never was. */
    if (st->st_size > 0 && truncate(path, 0) != 0) {
      fprintf(stderr, "keel-fsrevert: truncate %s: %s\n", path, strerror(errno));
      failures++;
      return 0;
    }
    printf("emptied (never synced, directory synced) %s\n", path);
    truncated++;
    return 0;
  }
  if (e->created && !e->synced) {
    if (unlink(path) != 0) {
      fprintf(stderr, "keel-fsrevert: unlink %s: %s\n", path, strerror(errno));
      failures++;
      return 0;
    }
    printf("deleted (never synced) %s\n", path);
    deleted++;
    return 0;
  }
  long long cur = (long long) st->st_size;
  long long durable = e->synced ? e->synced_size : e->in_manifest ? e->manifest_size : cur;
  long long size = cur > durable ? durable : cur;
  if (size < cur) {
    if (truncate(path, size) != 0) {
      fprintf(stderr, "keel-fsrevert: truncate %s: %s\n", path, strerror(errno));
      failures++;
      return 0;
    }
    printf("truncated %s from %lld to %lld bytes\n", path, cur, size);
    truncated++;
  }
  if (e->dirty_lo >= 0 && e->dirty_lo < size) {
    if (zero_range(path, e->dirty_lo, size) != 0) {
      fprintf(stderr, "keel-fsrevert: zeroing %s: %s\n", path, strerror(errno));
      failures++;
      return 0;
    }
    printf("zeroed %s bytes [%lld, %lld)\n", path, e->dirty_lo, size);
    zeroed++;
  }
  return 0;
}

static int cmd_revert(const char *root, const char *ledger, const char *manifest) {
  char path[PATH_MAX + 1];
  unsigned long long ino;
  long long n;
  FILE *m = fopen(manifest, "r");
  if (m) {
    while (fscanf(m, "%llu %lld %4096[^\n]\n", &ino, &n, path) == 3) {
      entry *e = lookup(ino, 1);
      e->in_manifest = 1;
      e->manifest_size = n;
    }
    fclose(m);
  }
  FILE *l = fopen(ledger, "r");
  if (!l) {
    printf("keel-fsrevert: no ledger %s: nothing to revert\n", ledger);
    return 0;
  }
  char tag;
  long lines = 0;
  char line[PATH_MAX + 128];
  while (fgets(line, sizeof(line), l)) {
    if (sscanf(line, "%c %llu %lld", &tag, &ino, &n) != 3) {
      continue; /* a torn last line: the process died while writing it, its call had not returned */
    }
    lines++;
    entry *e = lookup(ino, 1);
    switch (tag) {
      case 'P':
        e->dir_synced_line = lines;
        break;
      case 'C':
        e->created_line = lines;
        e->created = 1;
        e->synced = 0;
        e->dirty_lo = -1;
        e->in_manifest = 0;
        break;
      case 'S':
        e->synced = 1;
        e->synced_size = n;
        e->dirty_lo = -1;
        break;
      case 'D':
        if (e->dirty_lo < 0 || n < e->dirty_lo) {
          e->dirty_lo = n;
        }
        break;
      default:
        break;
    }
  }
  fclose(l);
  if (nftw(root, revert_entry, 32, FTW_PHYS | FTW_DEPTH) != 0) {
    fprintf(stderr, "keel-fsrevert: cannot walk %s: %s\n", root, strerror(errno));
    return 2;
  }
  printf("keel-fsrevert: %ld ledger lines; %ld files deleted, %ld truncated, %ld zeroed, %ld untouched%s\n",
      lines, deleted, truncated, zeroed, kept, failures ? " — WITH ERRORS" : "");
  return failures ? 2 : 0;
}

static int cmd_flip(const char *file, long long offset, int bit, const char *backup) {
  int in = open(file, O_RDWR);
  if (in < 0) {
    fprintf(stderr, "keel-fsrevert: open %s: %s\n", file, strerror(errno));
    return 2;
  }
  int out = open(backup, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (out < 0) {
    fprintf(stderr, "keel-fsrevert: open %s: %s\n", backup, strerror(errno));
    return 2;
  }
  static char buf[1 << 16];
  ssize_t r;
  while ((r = read(in, buf, sizeof(buf))) > 0) {
    if (write(out, buf, (size_t) r) != r) {
      fprintf(stderr, "keel-fsrevert: write %s: %s\n", backup, strerror(errno));
      return 2;
    }
  }
  if (r < 0 || fsync(out) != 0 || close(out) != 0) {
    fprintf(stderr, "keel-fsrevert: copying %s: %s\n", file, strerror(errno));
    return 2;
  }
  unsigned char b;
  if (pread(in, &b, 1, offset) != 1) {
    fprintf(stderr, "keel-fsrevert: %s has no byte at %lld\n", file, offset);
    return 2;
  }
  unsigned char flipped = b ^ (unsigned char) (1u << (bit & 7));
  if (pwrite(in, &flipped, 1, offset) != 1 || fsync(in) != 0) {
    fprintf(stderr, "keel-fsrevert: flipping %s: %s\n", file, strerror(errno));
    return 2;
  }
  close(in);
  printf("flipped bit %d of byte %lld of %s (0x%02x -> 0x%02x); original saved as %s\n", bit & 7, offset, file, b,
      flipped, backup);
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 4 && strcmp(argv[1], "manifest") == 0) {
    return cmd_manifest(argv[2], argv[3]);
  }
  if (argc == 5 && strcmp(argv[1], "revert") == 0) {
    return cmd_revert(argv[2], argv[3], argv[4]);
  }
  if (argc == 6 && strcmp(argv[1], "flip") == 0) {
    return cmd_flip(argv[2], atoll(argv[3]), atoi(argv[4]), argv[5]);
  }
  fprintf(stderr, "usage: keel-fsrevert manifest <root> <manifest> | revert <root> <ledger> <manifest> | "
      "flip <file> <offset> <bit> <backup>\n");
  return 64;
}
