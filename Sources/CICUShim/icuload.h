// ICU loaded on first use (see icuload.c): the ICU functions the shim calls, as pointers.
// Private to CICUShim; included by the files that include ICU headers, after those headers.
#ifndef SOU_ICULOAD_H
#define SOU_ICULOAD_H

#include <unicode/uversion.h>
#include <unicode/uchar.h>
#include <unicode/uscript.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unicode/utrans.h>
#include <unicode/ubrk.h>
#include <unicode/utext.h>
#include <unicode/ucsdet.h>
#include <unicode/ucnv.h>
#include <unicode/ucnv_err.h>
#include <unicode/ucnv_cb.h>

// Every ICU function the shim calls. The ICU headers rename each (u_charType → u_charType_72,
// U_ICU_ENTRY_POINT_RENAME): a name below expands to the versioned symbol of the ICU the shim
// is compiled against, for the member of the table and for dlsym alike. The common library
// (libicuuc, with libicudata) serves the analyzer and the converters; the functions of
// libicui18n (the Traditional-Simplified transliterator, the charset detector) are loaded
// only by the first call that needs them (`sou_icu_require_i18n`).
#define SOU_ICU_COMMON_FUNCTIONS(X) \
    X(u_getVersion) X(u_versionToString) X(u_charType) X(u_getIntPropertyValue) X(u_isUWhiteSpace) \
    X(u_memcpy) X(u_uastrncpy) \
    X(uscript_getScript) X(uscript_hasScript) \
    X(unorm2_getNFKCCasefoldInstance) X(unorm2_normalize) X(unorm2_isNormalized) X(unorm2_isInert) \
    X(unorm2_hasBoundaryBefore) \
    X(ubrk_open) X(ubrk_close) X(ubrk_first) X(ubrk_next) X(ubrk_getRuleStatus) X(ubrk_setUText) \
    X(utext_openUTF8) X(utext_close) \
    X(ucnv_open) X(ucnv_close) X(ucnv_getName) X(ucnv_convertEx) X(ucnv_setToUCallBack) \
    X(ucnv_cbToUWriteUChars)
#define SOU_ICU_I18N_FUNCTIONS(X) \
    X(utrans_openU) X(utrans_close) X(utrans_transUChars) \
    X(ucsdet_open) X(ucsdet_close) X(ucsdet_setText) X(ucsdet_detect) X(ucsdet_getName) \
    X(ucsdet_getConfidence)
#define SOU_ICU_FUNCTIONS(X) SOU_ICU_COMMON_FUNCTIONS(X) SOU_ICU_I18N_FUNCTIONS(X)

#define SOU_ICU_MEMBER(name) __typeof__(name) *name;
struct sou_icu_functions { SOU_ICU_FUNCTIONS(SOU_ICU_MEMBER) };
#undef SOU_ICU_MEMBER

/// The loaded functions; valid after `sou_icu_require()` returned.
extern struct sou_icu_functions sou_icu_table;

/// A call of ICU function `name` through the table: `SOU_ICU(u_charType)(c)`.
#define SOU_ICU(name) (*sou_icu_table.name)

/// Loads ICU's common library the first time (any thread; later calls return at once): the
/// functions of SOU_ICU_COMMON_FUNCTIONS are valid after it returns. When ICU cannot be loaded,
/// prints why on stderr and exits with status 127, as the dynamic loader does for a missing
/// library at the start of a program: nothing of the process has used ICU yet.
void sou_icu_require(void);

/// `sou_icu_require()`, then libicui18n the first time: every function of the table is valid
/// after it returns. Exits with status 127 when it cannot be loaded.
void sou_icu_require_i18n(void);

#endif
