/*
 * libkeelclock.so — an LD_PRELOAD shim for the chaos suite's clock nemesis (Keel issue 7).
 *
 * It shifts the process's wall clock by an offset that a nemesis changes at run time: clock_gettime on
 * CLOCK_REALTIME / CLOCK_REALTIME_COARSE / CLOCK_TAI, gettimeofday and time() return the real time plus the
 * offset. The monotonic clocks are left alone, as a real clock step (NTP, an operator's `date -s`) leaves them:
 * the JVM's System.nanoTime, and so Raft's ticks, lease timers and deadlines, never see the jump.
 *
 * Why not libfaketime: under libfaketime 0.9.10 a JVM member wraps every clock read (monotonic included) and
 * every timed wait; a 3-member Keel cluster took ~50 s to elect a leader and then lost it again (chaos/README.md).
 * This shim touches nothing but the wall clock, and reads its offset file at most every 100 ms.
 *
 * Environment: KEEL_CLOCK_OFFSET_FILE — a file holding a signed number of seconds, e.g. "+90s", "-86400", "+0".
 * An unreadable or malformed file (e.g. caught half written) keeps the previous offset. Without the variable the
 * shim passes every call through untouched.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define REFRESH_NS 100000000LL /* re-read the offset file at most every 100 ms */
#define MAX_OFFSET_SEC 315360000LL /* ten years: anything larger is a malformed file */

typedef int (*clock_gettime_fn)(clockid_t, struct timespec *);

static clock_gettime_fn real_clock_gettime;
static const char *offset_file;
static _Atomic int64_t offset_ns;
static _Atomic int64_t next_refresh_ns;

__attribute__((constructor)) static void clockshift_init(void) {
  real_clock_gettime = (clock_gettime_fn)dlsym(RTLD_NEXT, "clock_gettime");
  offset_file = getenv("KEEL_CLOCK_OFFSET_FILE");
}

/* Parses "[+-]<digits>[s]" into seconds; returns 0 on success. */
static int parse_offset(const char *s, int64_t *sec) {
  int neg = 0;
  if (*s == '+' || *s == '-') {
    neg = *s == '-';
    s++;
  }
  if (*s < '0' || *s > '9') {
    return -1;
  }
  int64_t v = 0;
  while (*s >= '0' && *s <= '9') {
    v = v * 10 + (*s - '0');
    if (v > MAX_OFFSET_SEC) {
      return -1;
    }
    s++;
  }
  if (*s == 's') {
    s++;
  }
  if (*s != '\0' && *s != '\n') {
    return -1;
  }
  *sec = neg ? -v : v;
  return 0;
}

static void refresh_offset(void) {
  struct timespec mono;
  if (offset_file == NULL || real_clock_gettime == NULL || real_clock_gettime(CLOCK_MONOTONIC, &mono) != 0) {
    return;
  }
  int64_t now = (int64_t)mono.tv_sec * 1000000000LL + mono.tv_nsec;
  int64_t due = atomic_load_explicit(&next_refresh_ns, memory_order_relaxed);
  if (now < due || !atomic_compare_exchange_strong(&next_refresh_ns, &due, now + REFRESH_NS)) {
    return; /* not due, or another thread is refreshing */
  }
  int fd = open(offset_file, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return;
  }
  char buf[32];
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  int64_t sec;
  if (n > 0) {
    buf[n] = '\0';
    if (parse_offset(buf, &sec) == 0) {
      atomic_store_explicit(&offset_ns, sec * 1000000000LL, memory_order_relaxed);
    }
  }
}

static void shift(struct timespec *ts) {
  refresh_offset();
  int64_t off = atomic_load_explicit(&offset_ns, memory_order_relaxed);
  if (off == 0) {
    return;
  }
  int64_t ns = (int64_t)ts->tv_sec * 1000000000LL + ts->tv_nsec + off;
  ts->tv_sec = (time_t)(ns / 1000000000LL);
  ts->tv_nsec = (long)(ns % 1000000000LL);
  if (ts->tv_nsec < 0) {
    ts->tv_nsec += 1000000000L;
    ts->tv_sec -= 1;
  }
}

int clock_gettime(clockid_t id, struct timespec *ts) {
  if (real_clock_gettime == NULL) {
    real_clock_gettime = (clock_gettime_fn)dlsym(RTLD_NEXT, "clock_gettime");
  }
  int rc = real_clock_gettime(id, ts);
  if (rc == 0 && offset_file != NULL && (id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE || id == CLOCK_TAI)) {
    shift(ts);
  }
  return rc;
}

#pragma GCC diagnostic ignored "-Wnonnull-compare" /* glibc declares tv nonnull; callers may still pass NULL */
int gettimeofday(struct timeval *tv, void *tz) {
  struct timespec ts;
  int rc = clock_gettime(CLOCK_REALTIME, &ts);
  if (rc == 0 && tv != NULL) {
    tv->tv_sec = ts.tv_sec;
    tv->tv_usec = ts.tv_nsec / 1000;
  }
  if (tz != NULL) {
    struct timezone *z = tz;
    z->tz_minuteswest = 0;
    z->tz_dsttime = 0;
  }
  return rc;
}

time_t time(time_t *out) {
  struct timespec ts;
  if (clock_gettime(CLOCK_REALTIME, &ts) != 0) {
    return (time_t)-1;
  }
  if (out != NULL) {
    *out = ts.tv_sec;
  }
  return ts.tv_sec;
}
