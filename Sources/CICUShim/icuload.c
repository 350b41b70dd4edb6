// ICU is loaded with dlopen the first time the shim needs it, not by the dynamic loader at
// every start: a `sou` command that analyzes no text (`--version`, `stats`, `index` when nothing
// changed, `check`) does not map ICU's libraries nor apply their relocations (~2.2 M
// instructions and ~170 page faults for libicuuc, ~1 M and ~40 more for libicui18n). Every
// exported function of the shim that calls ICU calls `sou_icu_require()` first, or
// `sou_icu_require_i18n()` when it calls the transliterator or the charset detector: a search,
// and an index of UTF-8 text without variant folding, load libicuuc (and libicudata) only.
#include "icuload.h"
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define SOU_STRING2(x) #x
#define SOU_STRING(x) SOU_STRING2(x)

// libicuuc brings libicudata as its dependency; libicui18n needs libicuuc, which is then loaded
// already. dlsym on a handle searches the library and its dependencies.
static const char common_library[] = "libicuuc.so." SOU_STRING(U_ICU_VERSION_MAJOR_NUM);
static const char i18n_library[] = "libicui18n.so." SOU_STRING(U_ICU_VERSION_MAJOR_NUM);

struct sou_icu_functions sou_icu_table;
static pthread_once_t once = PTHREAD_ONCE_INIT, once_i18n = PTHREAD_ONCE_INIT;

static void fail(const char *what, const char *library) {
    // one write of the whole line: stderr may be shared with other threads' output
    char line[1024];
    int n = snprintf(line, sizeof line, "sou: cannot load ICU, which Sou analyzes text with: %s\n", what ? what : library);
    if (n > 0) {
        ssize_t written = write(STDERR_FILENO, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
        (void)written;
    }
    _exit(127);
}

static void load_functions(const char *library, void (*resolve)(void *handle)) {
    void *handle = dlopen(library, RTLD_LAZY | RTLD_LOCAL);
    if (handle == NULL) fail(dlerror(), library);
    resolve(handle);
}

#define SOU_ICU_LOAD(name) \
    sou_icu_table.name = (__typeof__(name) *)dlsym(handle, SOU_STRING(name)); \
    if (sou_icu_table.name == NULL) fail(dlerror(), SOU_STRING(name));
static void resolve_common(void *handle) { SOU_ICU_COMMON_FUNCTIONS(SOU_ICU_LOAD) }
static void resolve_i18n(void *handle) { SOU_ICU_I18N_FUNCTIONS(SOU_ICU_LOAD) }
#undef SOU_ICU_LOAD

static void load(void) { load_functions(common_library, resolve_common); }
static void load_i18n(void) { load_functions(i18n_library, resolve_i18n); }

void sou_icu_require(void) {
    if (pthread_once(&once, load) != 0) fail("pthread_once failed", common_library);
}

void sou_icu_require_i18n(void) {
    sou_icu_require();
    if (pthread_once(&once_i18n, load_i18n) != 0) fail("pthread_once failed", i18n_library);
}
