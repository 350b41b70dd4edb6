// list-stat-floor.c FOLDER -- the floor under "is this folder unchanged?": lists one folder
// (readdir) and then stats every entry (fstatat) on two threads, and does nothing else. README
// ("What an unchanged folder costs") and the re-index figures of the closing notes compare
// `sou search FOLDER` and `sou index FOLDER -o F` with nothing changed against it:
//   cc -O2 -pthread scripts/list-stat-floor.c -o /tmp/list-stat-floor
//   hyperfine -N '/tmp/list-stat-floor FOLDER' 'sou index FOLDER -o F.sou'
// Flat folders only (the shared sets' per-document folders are): subfolders are stat'ed, not
// entered.
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static char **names;
static size_t count;
static int folder;

static void *stat_half(void *arg) {
    struct stat st;
    for (size_t i = (size_t)arg; i < count; i += 2) fstatat(folder, names[i], &st, AT_SYMLINK_NOFOLLOW);
    return NULL;
}

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

int main(int argc, char **argv) {
    if (argc != 2) { fprintf(stderr, "usage: %s FOLDER\n", argv[0]); return 2; }
    double t0 = now_ms();
    DIR *dir = opendir(argv[1]);
    if (!dir) { perror(argv[1]); return 1; }
    folder = dirfd(dir);
    size_t capacity = 1024;
    names = malloc(capacity * sizeof *names);
    struct dirent *e;
    while ((e = readdir(dir)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        if (count == capacity) names = realloc(names, (capacity *= 2) * sizeof *names);
        if (!names) { perror("realloc"); return 1; }
        names[count++] = strdup(e->d_name);
    }
    double t1 = now_ms();
    pthread_t other;
    pthread_create(&other, NULL, stat_half, (void *)1);
    stat_half((void *)0);
    pthread_join(other, NULL);
    fprintf(stderr, "%zu entries: listed in %.2f ms, stat'ed in %.2f ms on two threads\n", count, t1 - t0, now_ms() - t1);
    return 0;
}
