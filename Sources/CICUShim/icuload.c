// ICU is loaded with dlopen the first time the shim needs it, not by the dynamic loader at
// every start: a `sou` command that analyzes no text (`--version`, `stats`, `index` when nothing
// changed, `check`) does not map ICU's three libraries nor apply their ~11,000 relocations
// (~1.3 M instructions and ~75 page faults of every start). Every exported function of the shim
// that calls ICU calls `sou_icu_require()` first.
#include "icuload.h"
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define SOU_STRING2(x) #x
#define SOU_STRING(x) SOU_STRING2(x)

// libicui18n (transliterator, charset detector) brings libicuuc and libicudata as its
// dependencies; dlsym on its handle searches them too.
static const char library[] = "libicui18n.so." SOU_STRING(U_ICU_VERSION_MAJOR_NUM);

struct sou_icu_functions sou_icu_table;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void fail(const char *what) {
    // one write of the whole line: stderr may be shared with other threads' output
    char line[1024];
    int n = snprintf(line, sizeof line, "sou: cannot load ICU, which Sou analyzes text with: %s\n", what ? what : library);
    if (n > 0) {
        ssize_t written = write(STDERR_FILENO, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
        (void)written;
    }
    _exit(127);
}

static void load(void) {
    void *handle = dlopen(library, RTLD_LAZY | RTLD_LOCAL);
    if (handle == NULL) fail(dlerror());
#define SOU_ICU_LOAD(name) \
    sou_icu_table.name = (__typeof__(name) *)dlsym(handle, SOU_STRING(name)); \
    if (sou_icu_table.name == NULL) fail(dlerror());
    SOU_ICU_FUNCTIONS(SOU_ICU_LOAD)
#undef SOU_ICU_LOAD
}

void sou_icu_require(void) {
    if (pthread_once(&once, load) != 0) fail("pthread_once failed");
}
