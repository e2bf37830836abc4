/*
 * libkeelfsledger.so — an LD_PRELOAD shim for the chaos suite's lost-writes nemesis (Keel issue 7).
 *
 * It models a file system that keeps only what was fsynced. Loaded into a Keel member's JVM (and only when the
 * nemesis is enabled), it appends to a ledger file, outside the data directory, what became durable:
 *
 *   C <ino> <size> <path>   a regular file under the root was created by open(O_CREAT) in this incarnation
 *   D <ino> <offset> <path> a write at <offset> since the last sync seen on this descriptor (the lowest one)
 *   S <ino> <size> <path>   fsync/fdatasync of the file returned 0; <size> is its size then
 *   P <ino> 0 <path>        fsync of a directory under the root returned 0 (its entries are durable)
 *
 * A line is written with one write(2) on an O_APPEND descriptor, after the real call returned, so a process
 * killed between an fsync and its ledger line only loses the sync of something nobody acted on yet.
 * After a crash, keel-fsrevert (fsrevert.c) uses the ledger to put every file back to its synced state.
 *
 * Environment: KEEL_FSLEDGER_ROOT (only regular files under it are tracked, e.g. /data) and
 * KEEL_FSLEDGER_FILE (the ledger). Without both the shim passes every call through untouched.
 *
 * Not modelled: renames and unlinks (taken as durable at once), sync_file_range, syncfs,
 * sync, writes through mmap, files opened through glibc-internal paths (fopen). A write through one descriptor
 * that another descriptor's fsync made durable may be reported later than it could be (less adversarial).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#define MAX_FD 65536
enum { KIND_UNKNOWN = 0, KIND_UNTRACKED = 1, KIND_TRACKED = 2 };

static unsigned char fd_kind[MAX_FD];
static unsigned char fd_append[MAX_FD];
static unsigned long long fd_ino[MAX_FD];
/* 0 = clean since the last sync; else lowest dirty offset + 1 */
static long long fd_dirty[MAX_FD];
static int max_fd_seen;

static int ledger_fd = -1;
static char root[PATH_MAX];
static size_t root_len;

static ssize_t (*real_write)(int, const void *, size_t);
static ssize_t (*real_pwrite)(int, const void *, size_t, off_t);
static ssize_t (*real_pwrite64)(int, const void *, size_t, off64_t);
static ssize_t (*real_writev)(int, const struct iovec *, int);
static ssize_t (*real_pwritev)(int, const struct iovec *, int, off_t);
static ssize_t (*real_pwritev64)(int, const struct iovec *, int, off64_t);
static ssize_t (*real_sendfile)(int, int, off_t *, size_t);
static ssize_t (*real_sendfile64)(int, int, off64_t *, size_t);
static ssize_t (*real_copy_file_range)(int, loff_t *, int, loff_t *, size_t, unsigned int);
static int (*real_fsync)(int);
static int (*real_fdatasync)(int);
static int (*real_open)(const char *, int, ...);
static int (*real_open64)(const char *, int, ...);
static int (*real_openat)(int, const char *, int, ...);
static int (*real_openat64)(int, const char *, int, ...);
static int (*real_creat)(const char *, mode_t);
static int (*real_creat64)(const char *, mode_t);
static int (*real_close)(int);
static int (*real_dup2)(int, int);
static int (*real_dup3)(int, int, int);

#define RESOLVE(name) do { if (!real_##name) real_##name = dlsym(RTLD_NEXT, #name); } while (0)

static void resolve_all(void) {
  RESOLVE(write); RESOLVE(pwrite); RESOLVE(pwrite64); RESOLVE(writev); RESOLVE(pwritev); RESOLVE(pwritev64);
  RESOLVE(sendfile); RESOLVE(sendfile64); RESOLVE(copy_file_range);
  RESOLVE(fsync); RESOLVE(fdatasync); RESOLVE(open); RESOLVE(open64); RESOLVE(openat); RESOLVE(openat64);
  RESOLVE(creat); RESOLVE(creat64); RESOLVE(close); RESOLVE(dup2); RESOLVE(dup3);
}

__attribute__((constructor)) static void init(void) {
  resolve_all();
  const char *r = getenv("KEEL_FSLEDGER_ROOT");
  const char *l = getenv("KEEL_FSLEDGER_FILE");
  if (!r || !l || !*r || !*l || strlen(r) >= sizeof(root)) {
    return;
  }
  strcpy(root, r);
  root_len = strlen(root);
  while (root_len > 1 && root[root_len - 1] == '/') {
    root[--root_len] = 0;
  }
  ledger_fd = real_open(l, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (ledger_fd < 0) {
    fprintf(stderr, "keel fs ledger: cannot open %s: %s (the lost-writes nemesis cannot work)\n", l, strerror(errno));
    abort();
  }
  if (ledger_fd < MAX_FD) {
    fd_kind[ledger_fd] = KIND_UNTRACKED;
  }
  fprintf(stderr, "keel fs ledger: tracking syncs of files under %s in %s\n", root, l);
}

static void emit(char tag, unsigned long long ino, long long n, const char *path) {
  char line[PATH_MAX + 64];
  int len = snprintf(line, sizeof(line), "%c %llu %lld %s\n", tag, ino, n, path);
  if (len <= 0 || (size_t) len >= sizeof(line)) {
    len = snprintf(line, sizeof(line), "%c %llu %lld ?\n", tag, ino, n);
  }
  int saved = errno;
  ssize_t w = real_write(ledger_fd, line, (size_t) len);
  if (w != len) {
    /* A ledger that misses a sync would make the nemesis destroy durable data: stop loudly instead. */
    fprintf(stderr, "keel fs ledger: write to the ledger failed (%zd of %d bytes): aborting\n", w, len);
    abort();
  }
  errno = saved;
}

static int fd_path(int fd, char *buf, size_t cap) {
  char link[64];
  snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
  ssize_t n = readlink(link, buf, cap - 1);
  if (n < 0) {
    return -1;
  }
  buf[n] = 0;
  return 0;
}

static void forget(int fd) {
  if (fd >= 0 && fd < MAX_FD) {
    fd_kind[fd] = KIND_UNKNOWN;
    fd_dirty[fd] = 0;
    fd_append[fd] = 0;
    fd_ino[fd] = 0;
  }
}

/* Whether fd is a regular file under the root; classifies it once per open descriptor. */
static int tracked(int fd) {
  if (ledger_fd < 0 || fd < 0 || fd >= MAX_FD) {
    return 0;
  }
  if (fd_kind[fd] != KIND_UNKNOWN) {
    return fd_kind[fd] == KIND_TRACKED;
  }
  struct stat st;
  char path[PATH_MAX];
  int saved = errno;
  int ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && fd_path(fd, path, sizeof(path)) == 0
      && strncmp(path, root, root_len) == 0 && (path[root_len] == '/' || path[root_len] == 0);
  if (ok) {
    int fl = fcntl(fd, F_GETFL);
    fd_append[fd] = fl >= 0 && (fl & O_APPEND) != 0;
    fd_ino[fd] = (unsigned long long) st.st_ino;
    fd_dirty[fd] = 0;
    if (fd > max_fd_seen) {
      max_fd_seen = fd;
    }
  }
  fd_kind[fd] = ok ? KIND_TRACKED : KIND_UNTRACKED;
  errno = saved;
  return ok;
}

/* Called before a write at offset off (or at the descriptor's position when off < 0). */
static void before_write(int fd, long long off) {
  if (!tracked(fd)) {
    return;
  }
  int saved = errno;
  if (off < 0) {
    if (fd_append[fd]) {
      struct stat st;
      off = fstat(fd, &st) == 0 ? (long long) st.st_size : 0;
    } else {
      off = (long long) lseek(fd, 0, SEEK_CUR);
      if (off < 0) {
        off = 0;
      }
    }
  }
  if (fd_dirty[fd] == 0 || off + 1 < fd_dirty[fd]) {
    fd_dirty[fd] = off + 1;
    char path[PATH_MAX];
    if (fd_path(fd, path, sizeof(path)) != 0) {
      strcpy(path, "?");
    }
    emit('D', fd_ino[fd], off, path);
  }
  errno = saved;
}

/* fsync of a directory under the root: its entries (files created in it so far) are durable. */
static void after_dir_sync(int fd) {
  if (ledger_fd < 0 || fd < 0 || fd >= MAX_FD || fd_kind[fd] == KIND_TRACKED) {
    return;
  }
  int saved = errno;
  struct stat st;
  char path[PATH_MAX];
  if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode) && fd_path(fd, path, sizeof(path)) == 0
      && strncmp(path, root, root_len) == 0 && (path[root_len] == '/' || path[root_len] == 0)) {
    emit('P', (unsigned long long) st.st_ino, 0, path);
  }
  errno = saved;
}

static void after_sync(int fd) {
  if (!tracked(fd)) {
    after_dir_sync(fd);
    return;
  }
  int saved = errno;
  struct stat st;
  char path[PATH_MAX];
  if (fstat(fd, &st) == 0) {
    if (fd_path(fd, path, sizeof(path)) != 0) {
      strcpy(path, "?");
    }
    emit('S', (unsigned long long) st.st_ino, (long long) st.st_size, path);
    /* fsync makes the inode durable whichever descriptor wrote it. */
    for (int i = 0; i <= max_fd_seen; i++) {
      if (fd_kind[i] == KIND_TRACKED && fd_ino[i] == (unsigned long long) st.st_ino) {
        fd_dirty[i] = 0;
      }
    }
  }
  errno = saved;
}

static void after_open(int fd, int created) {
  if (fd < 0) {
    return;
  }
  forget(fd);
  if (created && tracked(fd)) {
    int saved = errno;
    char path[PATH_MAX];
    struct stat st;
    if (fstat(fd, &st) == 0 && fd_path(fd, path, sizeof(path)) == 0) {
      emit('C', (unsigned long long) st.st_ino, (long long) st.st_size, path);
    }
    errno = saved;
  }
}

static int will_create(int dirfd, const char *path, int flags) {
  if (ledger_fd < 0 || !(flags & O_CREAT)) {
    return 0;
  }
  struct stat st;
  int saved = errno;
  int exists = fstatat(dirfd, path, &st, 0) == 0;
  errno = saved;
  return !exists;
}

#define MODE_ARG(flags) \
  mode_t mode = 0; \
  if ((flags) & (O_CREAT | O_TMPFILE)) { va_list ap; va_start(ap, flags); mode = va_arg(ap, mode_t); va_end(ap); }

int open(const char *path, int flags, ...) {
  MODE_ARG(flags);
  RESOLVE(open);
  int c = will_create(AT_FDCWD, path, flags);
  int fd = real_open(path, flags, mode);
  after_open(fd, c);
  return fd;
}

int open64(const char *path, int flags, ...) {
  MODE_ARG(flags);
  RESOLVE(open64);
  int c = will_create(AT_FDCWD, path, flags);
  int fd = real_open64(path, flags, mode);
  after_open(fd, c);
  return fd;
}

int openat(int dirfd, const char *path, int flags, ...) {
  MODE_ARG(flags);
  RESOLVE(openat);
  int c = will_create(dirfd, path, flags);
  int fd = real_openat(dirfd, path, flags, mode);
  after_open(fd, c);
  return fd;
}

int openat64(int dirfd, const char *path, int flags, ...) {
  MODE_ARG(flags);
  RESOLVE(openat64);
  int c = will_create(dirfd, path, flags);
  int fd = real_openat64(dirfd, path, flags, mode);
  after_open(fd, c);
  return fd;
}

int creat(const char *path, mode_t mode) {
  RESOLVE(creat);
  int c = will_create(AT_FDCWD, path, O_CREAT);
  int fd = real_creat(path, mode);
  after_open(fd, c);
  return fd;
}

int creat64(const char *path, mode_t mode) {
  RESOLVE(creat64);
  int c = will_create(AT_FDCWD, path, O_CREAT);
  int fd = real_creat64(path, mode);
  after_open(fd, c);
  return fd;
}

int close(int fd) {
  RESOLVE(close);
  forget(fd);
  return real_close(fd);
}

int dup2(int oldfd, int newfd) {
  RESOLVE(dup2);
  int r = real_dup2(oldfd, newfd);
  if (r >= 0) {
    forget(r);
  }
  return r;
}

int dup3(int oldfd, int newfd, int flags) {
  RESOLVE(dup3);
  int r = real_dup3(oldfd, newfd, flags);
  if (r >= 0) {
    forget(r);
  }
  return r;
}

ssize_t write(int fd, const void *buf, size_t n) {
  RESOLVE(write);
  before_write(fd, -1);
  return real_write(fd, buf, n);
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off) {
  RESOLVE(pwrite);
  before_write(fd, (long long) off);
  return real_pwrite(fd, buf, n, off);
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off64_t off) {
  RESOLVE(pwrite64);
  before_write(fd, (long long) off);
  return real_pwrite64(fd, buf, n, off);
}

ssize_t writev(int fd, const struct iovec *iov, int cnt) {
  RESOLVE(writev);
  before_write(fd, -1);
  return real_writev(fd, iov, cnt);
}

ssize_t pwritev(int fd, const struct iovec *iov, int cnt, off_t off) {
  RESOLVE(pwritev);
  before_write(fd, (long long) off);
  return real_pwritev(fd, iov, cnt, off);
}

ssize_t pwritev64(int fd, const struct iovec *iov, int cnt, off64_t off) {
  RESOLVE(pwritev64);
  before_write(fd, (long long) off);
  return real_pwritev64(fd, iov, cnt, off);
}

ssize_t sendfile(int out, int in, off_t *off, size_t n) {
  RESOLVE(sendfile);
  before_write(out, -1);
  return real_sendfile(out, in, off, n);
}

ssize_t sendfile64(int out, int in, off64_t *off, size_t n) {
  RESOLVE(sendfile64);
  before_write(out, -1);
  return real_sendfile64(out, in, off, n);
}

ssize_t copy_file_range(int in, loff_t *inoff, int out, loff_t *outoff, size_t n, unsigned int flags) {
  RESOLVE(copy_file_range);
  before_write(out, outoff ? (long long) *outoff : -1);
  return real_copy_file_range(in, inoff, out, outoff, n, flags);
}

int fsync(int fd) {
  RESOLVE(fsync);
  int r = real_fsync(fd);
  if (r == 0) {
    after_sync(fd);
  }
  return r;
}

int fdatasync(int fd) {
  RESOLVE(fdatasync);
  int r = real_fdatasync(fd);
  if (r == 0) {
    after_sync(fd);
  }
  return r;
}
